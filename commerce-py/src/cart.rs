//! `Cart`: lines, coupon codes and a shipping method, priced from a catalog.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use commerce_core::cart::{Cart, CatalogItem, PricingContext};
use commerce_core::pricing::{PricingRequest, quote};
use pyo3::prelude::*;

use crate::convert::{from_py, to_py};
use crate::errors::IntoPy;
use crate::money::currency;

/// A cart: lines merged by SKU and options, quantity bounds, coupon codes and a shipping
/// method. It never holds prices: `pricing_request` and `quote` take them from a catalog, so
/// the same cart priced here, by the server or in the browser gives the same totals.
/// Safe to share between threads.
///
/// >>> from commerce import Cart
/// >>> cart = Cart("USD")
/// >>> item = {"sku": "TEE-M", "product_id": "tee", "category_ids": [], "tiers": [],
/// ...         "tax_category": None, "unit_price": {"amount": "20.00", "currency": "USD"}}
/// >>> line = cart.add_item(item, 2)
/// >>> cart.add_item(item, 1) == line
/// True
/// >>> quote = cart.quote([item], {"now": "2026-11-22T09:00:00Z"})
/// >>> quote["totals"]["grand_total"]
/// Decimal('60.00')
#[pyclass(frozen, module = "commerce._native", name = "Cart")]
pub struct PyCart {
    cart: Mutex<Cart>,
}

impl PyCart {
    fn cart(&self) -> MutexGuard<'_, Cart> {
        // A panic cannot happen while the lock is held (every operation returns errors), so a
        // poisoned lock still guards a consistent cart.
        self.cart
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn request(
        &self,
        catalog: &Bound<'_, PyAny>,
        context: &Bound<'_, PyAny>,
    ) -> PyResult<PricingRequest> {
        let py = catalog.py();
        let catalog: Vec<CatalogItem> = from_py(catalog)?;
        let context: PricingContext = from_py(context)?;
        self.cart().pricing_request(&catalog, context).or_raise(py)
    }
}

#[pymethods]
impl PyCart {
    /// An empty cart in a currency (`"USD"`).
    #[new]
    fn new(py: Python<'_>, currency_code: &str) -> PyResult<PyCart> {
        Ok(PyCart {
            cart: Mutex::new(Cart::new(currency(py, currency_code)?)),
        })
    }

    /// Restores a cart from `to_dict()`.
    #[staticmethod]
    fn from_dict(value: &Bound<'_, PyAny>) -> PyResult<PyCart> {
        Ok(PyCart {
            cart: Mutex::new(from_py(value)?),
        })
    }

    /// The cart as a dict (lines, coupon codes, shipping method, limits).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &*self.cart())
    }

    /// The cart's currency code.
    #[getter]
    fn currency(&self) -> &'static str {
        self.cart().currency().code()
    }

    /// The lines, as dicts (`id`, `sku`, `options`, `quantity`).
    #[getter]
    fn lines<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, self.cart().lines())
    }

    /// The coupon codes entered, normalised.
    #[getter]
    fn coupon_codes(&self) -> Vec<String> {
        self.cart().coupon_codes().to_vec()
    }

    /// The chosen shipping method, if any.
    #[getter]
    fn shipping_method(&self) -> Option<String> {
        self.cart().shipping_method().map(|m| m.to_string())
    }

    /// Adds units of a catalog item (a dict: `sku`, `unit_price`, ...); returns the line id.
    /// Lines merge by SKU and options.
    #[pyo3(signature = (item, quantity, options = None))]
    fn add_item(
        &self,
        item: &Bound<'_, PyAny>,
        quantity: u32,
        options: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<String> {
        let py = item.py();
        let item: CatalogItem = from_py(item)?;
        let options: BTreeMap<String, String> = match options {
            Some(options) => from_py(options)?,
            None => BTreeMap::new(),
        };
        self.cart()
            .add_item(&item, options, quantity)
            .map(|line| line.id.to_string())
            .or_raise(py)
    }

    /// Sets a line's quantity.
    fn set_quantity(&self, py: Python<'_>, line_id: &str, quantity: u32) -> PyResult<()> {
        self.cart().set_quantity(line_id, quantity).or_raise(py)
    }

    /// Removes a line.
    fn remove_line(&self, py: Python<'_>, line_id: &str) -> PyResult<()> {
        self.cart().remove_line(line_id).map(|_| ()).or_raise(py)
    }

    /// Enters a coupon code.
    fn apply_coupon(&self, py: Python<'_>, code: &str) -> PyResult<()> {
        self.cart().apply_coupon(code).or_raise(py)
    }

    /// Removes a coupon code; returns whether it was there.
    fn remove_coupon(&self, code: &str) -> bool {
        self.cart().remove_coupon(code)
    }

    /// Chooses a shipping method by id, or none.
    #[pyo3(signature = (method))]
    fn set_shipping_method(&self, method: Option<&str>) {
        self.cart().set_shipping_method(method);
    }

    /// The pricing request for this cart: prices from `catalog` (a list of catalog items), the
    /// rest from `context` (`now`, tax rates, promotions, shipping methods, ...).
    fn pricing_request<'py>(
        &self,
        catalog: &Bound<'py, PyAny>,
        context: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let request = self.request(catalog, context)?;
        to_py(catalog.py(), &request)
    }

    /// Prices the cart: `pricing_request` then the engine.
    fn quote<'py>(
        &self,
        catalog: &Bound<'py, PyAny>,
        context: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = catalog.py();
        let request = self.request(catalog, context)?;
        let priced = py.detach(|| quote(&request).map(|q| q.into_owned()));
        to_py(py, &priced.or_raise(py)?)
    }

    fn __repr__(&self) -> String {
        let cart = self.cart();
        format!(
            "Cart('{}', lines={}, coupon_codes={:?})",
            cart.currency().code(),
            cart.lines().len(),
            cart.coupon_codes()
        )
    }
}
