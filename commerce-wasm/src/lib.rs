//! The commerce pricing engine as WebAssembly: the same code that prices a cart on the server
//! prices it in the browser, to the last minor unit.
//!
//! The boundary is JSON text: requests and quotes cross as JSON, so every amount stays a decimal
//! string and never becomes a JavaScript number. `js/index.js` wraps these exports in the typed
//! API (`quote(request)` returning a promise of a `Quote`, a `Cart` class), described by
//! `js/commerce.d.ts`.

use commerce_core::cart::{Cart, CatalogItem, PricingContext};
use commerce_core::pricing::{PricingRequest, quote};
use commerce_core::{Currency, Error};
use wasm_bindgen::prelude::*;

/// A JavaScript `Error` carrying the core's stable `code` and the `field` it is about.
fn js_error(error: &Error) -> JsValue {
    let js = js_sys_error(&error.to_string());
    set(&js, "code", &JsValue::from_str(error.code()));
    set(
        &js,
        "field",
        &error.field().map_or(JsValue::NULL, JsValue::from_str),
    );
    js
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = Error)]
    fn js_sys_error(message: &str) -> JsValue;

    #[wasm_bindgen(js_namespace = Reflect, js_name = set)]
    fn reflect_set(target: &JsValue, key: &JsValue, value: &JsValue) -> bool;
}

fn set(target: &JsValue, key: &str, value: &JsValue) {
    reflect_set(target, &JsValue::from_str(key), value);
}

/// Prices a pricing request given as JSON; returns the quote as JSON.
///
/// # Errors
///
/// An `Error` with `code` (`invalid_request`, `too_many_decimals`, ...) and `field`.
#[wasm_bindgen(js_name = quoteJson)]
pub fn quote_json(request: &str) -> Result<String, JsValue> {
    commerce_core::pricing::quote_json(request).map_err(|e| js_error(&e))
}

/// Prices a pricing request given as JSON; returns only its totals as JSON: the quote's totals,
/// computed without the explanation, for a total shown on every change of a cart.
///
/// # Errors
///
/// As [`quote_json`].
#[wasm_bindgen(js_name = quoteTotalsJson)]
pub fn quote_totals_json(request: &str) -> Result<String, JsValue> {
    commerce_core::pricing::quote_totals_json(request).map_err(|e| js_error(&e))
}

/// The library version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// A cart: lines merged by SKU and options, quantity bounds, coupon codes, shipping method.
/// Prices are never held by the cart: [`WasmCart::pricing_request`] takes them from a catalog.
#[wasm_bindgen(js_name = WasmCart)]
pub struct WasmCart {
    cart: Cart,
}

#[wasm_bindgen(js_class = WasmCart)]
impl WasmCart {
    /// An empty cart in a currency (`"USD"`).
    ///
    /// # Errors
    ///
    /// `unknown_currency`.
    #[wasm_bindgen(constructor)]
    pub fn new(currency: &str) -> Result<WasmCart, JsValue> {
        let currency = Currency::from_code(currency).map_err(|e| js_error(&e))?;
        Ok(WasmCart {
            cart: Cart::new(currency),
        })
    }

    /// Restores a cart from [`WasmCart::to_json`].
    ///
    /// # Errors
    ///
    /// `invalid_request` for malformed JSON.
    #[wasm_bindgen(js_name = fromJson)]
    pub fn from_json(json: &str) -> Result<WasmCart, JsValue> {
        serde_json::from_str(json)
            .map(|cart| WasmCart { cart })
            .map_err(|e| js_error(&Error::unreadable(&e)))
    }

    /// The cart as JSON.
    #[wasm_bindgen(js_name = toJson)]
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.cart).unwrap_or_default()
    }

    /// Adds units of a catalog item (JSON of a `CatalogItem`) with options (JSON object);
    /// returns the line's id.
    ///
    /// # Errors
    ///
    /// `currency_mismatch`, `quantity_out_of_range`, `too_many_lines`, `invalid_request`.
    #[wasm_bindgen(js_name = addItem)]
    pub fn add_item(
        &mut self,
        item: &str,
        options: &str,
        quantity: u32,
    ) -> Result<String, JsValue> {
        let item: CatalogItem =
            serde_json::from_str(item).map_err(|e| js_error(&Error::unreadable(&e)))?;
        let options =
            serde_json::from_str(options).map_err(|e| js_error(&Error::unreadable(&e)))?;
        self.cart
            .add_item(&item, options, quantity)
            .map(|line| line.id.to_string())
            .map_err(|e| js_error(&e))
    }

    /// Sets a line's quantity.
    ///
    /// # Errors
    ///
    /// `line_not_found`, `quantity_out_of_range`.
    #[wasm_bindgen(js_name = setQuantity)]
    pub fn set_quantity(&mut self, line_id: &str, quantity: u32) -> Result<(), JsValue> {
        self.cart
            .set_quantity(line_id, quantity)
            .map_err(|e| js_error(&e))
    }

    /// Removes a line.
    ///
    /// # Errors
    ///
    /// `line_not_found`.
    #[wasm_bindgen(js_name = removeLine)]
    pub fn remove_line(&mut self, line_id: &str) -> Result<(), JsValue> {
        self.cart
            .remove_line(line_id)
            .map(|_| ())
            .map_err(|e| js_error(&e))
    }

    /// Enters a coupon code.
    ///
    /// # Errors
    ///
    /// `invalid_input` for an empty or over-long code, or too many codes.
    #[wasm_bindgen(js_name = applyCoupon)]
    pub fn apply_coupon(&mut self, code: &str) -> Result<(), JsValue> {
        self.cart.apply_coupon(code).map_err(|e| js_error(&e))
    }

    /// Removes a coupon code; returns whether it was there.
    #[wasm_bindgen(js_name = removeCoupon)]
    pub fn remove_coupon(&mut self, code: &str) -> bool {
        self.cart.remove_coupon(code)
    }

    /// Chooses a shipping method by id (an empty string for none).
    #[wasm_bindgen(js_name = setShippingMethod)]
    pub fn set_shipping_method(&mut self, method: &str) {
        self.cart
            .set_shipping_method(Some(method).filter(|m| !m.is_empty()));
    }

    /// Builds a pricing request (JSON) from a catalog (JSON array of `CatalogItem`) and a
    /// context (JSON: `now`, tax rates, promotions, shipping methods, ...).
    ///
    /// # Errors
    ///
    /// `unknown_sku`, `currency_mismatch`, `invalid_request`.
    #[wasm_bindgen(js_name = pricingRequest)]
    pub fn pricing_request(&self, catalog: &str, context: &str) -> Result<String, JsValue> {
        let catalog: Vec<CatalogItem> =
            serde_json::from_str(catalog).map_err(|e| js_error(&Error::unreadable(&e)))?;
        let context: PricingContext =
            serde_json::from_str(context).map_err(|e| js_error(&Error::unreadable(&e)))?;
        let request = self
            .cart
            .pricing_request(&catalog, context)
            .map_err(|e| js_error(&e))?;
        serde_json::to_string(&request).map_err(|e| js_error(&Error::unreadable(&e)))
    }

    /// Prices the cart: [`WasmCart::pricing_request`] then the engine. Returns the quote JSON.
    ///
    /// # Errors
    ///
    /// As [`WasmCart::pricing_request`] and [`quote_json`].
    pub fn quote(&self, catalog: &str, context: &str) -> Result<String, JsValue> {
        let request: PricingRequest =
            serde_json::from_str(&self.pricing_request(catalog, context)?)
                .map_err(|e| js_error(&Error::unreadable(&e)))?;
        quote(&request)
            .map(|q| q.to_json())
            .map_err(|e| js_error(&e))
    }
}
