//! The cart: what a customer intends to buy, turned into pricing requests.
//!
//! A [`Cart`] holds SKUs, options and quantities, the coupon codes entered and the chosen
//! shipping method. It never holds prices: [`Cart::pricing_request`] takes every unit price from
//! the catalog at the moment of pricing, so a client can never set one.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::money::{Currency, Money, RoundingMode};
use crate::pricing::{
    CustomerContext, Id, LineInput, PriceList, PriceTier, PricingRequest, Promotion,
    ShippingMethod, TaxLevel, TaxRate,
};
use crate::time::Timestamp;

/// What the catalog says about a SKU, as pricing needs it.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogItem {
    /// The SKU.
    #[cfg_attr(feature = "schema", schema(value_type = String))]
    pub sku: Id,
    /// The product it belongs to.
    #[cfg_attr(feature = "schema", schema(value_type = Option<String>))]
    pub product_id: Option<Id>,
    /// The product's categories (with ancestors, if promotions target them).
    #[cfg_attr(feature = "schema", schema(value_type = Vec<String>))]
    pub category_ids: Vec<Id>,
    /// The unit price in the cart's currency.
    pub unit_price: Money,
    /// Volume tiers.
    pub tiers: Vec<PriceTier>,
    /// The tax category; `None` for exempt items.
    #[cfg_attr(feature = "schema", schema(value_type = Option<String>))]
    pub tax_category: Option<Id>,
    /// The weight of one unit.
    #[serde(default, with = "crate::serde_decimal::option")]
    #[cfg_attr(feature = "schema", schema(value_type = Option<crate::schema::Decimal>))]
    pub weight: Option<Decimal>,
}

impl CatalogItem {
    /// An item with just a SKU and a price; set the other fields as needed.
    pub fn new(sku: &str, unit_price: Money) -> CatalogItem {
        CatalogItem {
            sku: Arc::from(sku),
            product_id: None,
            category_ids: Vec::new(),
            unit_price,
            tiers: Vec::new(),
            tax_category: None,
            weight: None,
        }
    }
}

/// Finds catalog items by SKU.
pub trait CatalogLookup {
    /// The item with this SKU, if the catalog has it.
    fn item(&self, sku: &str) -> Option<&CatalogItem>;
}

impl CatalogLookup for HashMap<String, CatalogItem> {
    fn item(&self, sku: &str) -> Option<&CatalogItem> {
        self.get(sku)
    }
}

impl CatalogLookup for BTreeMap<String, CatalogItem> {
    fn item(&self, sku: &str) -> Option<&CatalogItem> {
        self.get(sku)
    }
}

impl CatalogLookup for [CatalogItem] {
    fn item(&self, sku: &str) -> Option<&CatalogItem> {
        self.iter().find(|item| &*item.sku == sku)
    }
}

impl CatalogLookup for Vec<CatalogItem> {
    fn item(&self, sku: &str) -> Option<&CatalogItem> {
        self.as_slice().item(sku)
    }
}

/// Bounds on a cart, against mistakes and against denial of inventory.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLimits {
    /// The most lines a cart may hold (default 500).
    pub max_lines: usize,
    /// The largest quantity of one line (default 10,000).
    pub max_quantity_per_line: u32,
    /// The most coupon codes a cart may hold (default 10).
    pub max_coupon_codes: usize,
}

impl Default for CartLimits {
    fn default() -> Self {
        CartLimits {
            max_lines: 500,
            max_quantity_per_line: 10_000,
            max_coupon_codes: 10,
        }
    }
}

/// One cart line: a SKU with options and a quantity.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLine {
    /// The line's id, unique within the cart (`line-1`, `line-2`, ...).
    #[cfg_attr(feature = "schema", schema(value_type = String))]
    pub id: Id,
    /// The SKU.
    #[cfg_attr(feature = "schema", schema(value_type = String))]
    pub sku: Id,
    /// Options that make this line distinct from another of the same SKU (an engraving text).
    pub options: BTreeMap<String, String>,
    /// The quantity, at least 1.
    pub quantity: u32,
}

/// Everything besides the cart that pricing needs: time, customer, tax, promotions, shipping.
///
/// In JSON, the request's fields other than currency, lines and coupon codes; only `now` is
/// required, and unknown fields are refused.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PricingContext {
    /// The instant of pricing.
    pub now: Timestamp,
    /// Whether catalog prices include tax.
    #[serde(default)]
    pub prices_include_tax: bool,
    /// Where tax is rounded.
    #[serde(default)]
    pub tax_level: TaxLevel,
    /// The rounding mode.
    #[serde(default)]
    pub rounding_mode: RoundingMode,
    /// Who is buying.
    #[serde(default)]
    pub customer: CustomerContext,
    /// Price lists that may apply.
    #[serde(default)]
    pub price_lists: Vec<PriceList>,
    /// The tax rates at the destination.
    #[serde(default)]
    pub tax_rates: Vec<TaxRate>,
    /// The promotions to consider.
    #[serde(default)]
    pub promotions: Vec<Promotion>,
    /// The shipping methods offered; the cart's chosen method must be one of them.
    #[serde(default)]
    pub shipping_methods: Vec<ShippingMethod>,
}

/// A shopping cart in one currency.
///
/// # Example
///
/// ```
/// use commerce_core::{Cart, CatalogItem, Currency, Money};
/// use commerce_core::cart::PricingContext;
/// use commerce_core::pricing::quote;
///
/// let catalog = vec![CatalogItem::new("MUG", Money::parse("3.33", Currency::USD)?)];
/// let mut cart = Cart::new(Currency::USD);
/// let line = cart.add_item(&catalog[0], Default::default(), 2)?.id.clone();
/// cart.add_item(&catalog[0], Default::default(), 1)?; // merged into the same line
/// assert_eq!(cart.lines().len(), 1);
/// assert_eq!(cart.lines()[0].quantity, 3);
///
/// let request = cart.pricing_request(&catalog, PricingContext::default())?;
/// assert_eq!(quote(&request)?.totals.grand_total.to_string(), "9.99");
///
/// cart.remove_line(&line)?;
/// assert!(cart.is_empty());
/// # Ok::<(), commerce_core::Error>(())
/// ```
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema), schema(as = CartJson))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cart {
    currency: Currency,
    lines: Vec<CartLine>,
    coupon_codes: Vec<String>,
    #[cfg_attr(feature = "schema", schema(value_type = Option<String>))]
    shipping_method: Option<Id>,
    limits: CartLimits,
    next_line: u64,
}

impl Cart {
    /// An empty cart in `currency`, with default limits.
    pub fn new(currency: Currency) -> Cart {
        Cart::with_limits(currency, CartLimits::default())
    }

    /// An empty cart in `currency`, with the given limits.
    pub fn with_limits(currency: Currency, limits: CartLimits) -> Cart {
        Cart {
            currency,
            lines: Vec::new(),
            coupon_codes: Vec::new(),
            shipping_method: None,
            limits,
            next_line: 1,
        }
    }

    /// The cart's currency, fixed at creation.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The lines, in the order they were first added.
    pub fn lines(&self) -> &[CartLine] {
        &self.lines
    }

    /// True if the cart has no lines.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The coupon codes entered, normalised (trimmed, upper case).
    pub fn coupon_codes(&self) -> &[String] {
        &self.coupon_codes
    }

    /// The chosen shipping method's id.
    pub fn shipping_method(&self) -> Option<&Id> {
        self.shipping_method.as_ref()
    }

    /// The cart's limits.
    pub fn limits(&self) -> CartLimits {
        self.limits
    }

    fn check_quantity(&self, quantity: u64) -> Result<u32> {
        let max = self.limits.max_quantity_per_line;
        match u32::try_from(quantity) {
            Ok(q) if (1..=max).contains(&q) => Ok(q),
            _ => Err(Error::new(ErrorKind::QuantityOutOfRange {
                quantity,
                min: 1,
                max: u64::from(max),
            })),
        }
    }

    /// Adds `quantity` units of a catalog item. A line with the same SKU and options is
    /// increased instead of a new line being added. Returns the line.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::CurrencyMismatch`] if the item is priced in another currency;
    /// [`ErrorKind::QuantityOutOfRange`] if the line's quantity would be 0 or above the limit;
    /// [`ErrorKind::TooManyLines`] if a new line would exceed the limit. On error the cart is
    /// unchanged.
    pub fn add_item(
        &mut self,
        item: &CatalogItem,
        options: BTreeMap<String, String>,
        quantity: u32,
    ) -> Result<&CartLine> {
        if item.unit_price.currency() != self.currency {
            return Err(Error::new(ErrorKind::CurrencyMismatch {
                left: self.currency.code().to_string(),
                right: item.unit_price.currency().code().to_string(),
            }));
        }
        // Adding nothing is refused whether or not the line exists, and changes nothing.
        if quantity == 0 {
            self.check_quantity(0)?;
        }
        let existing = self
            .lines
            .iter()
            .position(|l| l.sku == item.sku && l.options == options);
        match existing {
            Some(index) => {
                let line = &self.lines[index];
                let quantity =
                    self.check_quantity(u64::from(line.quantity) + u64::from(quantity))?;
                self.lines[index].quantity = quantity;
                Ok(&self.lines[index])
            }
            None => {
                let quantity = self.check_quantity(u64::from(quantity))?;
                if self.lines.len() >= self.limits.max_lines {
                    return Err(Error::new(ErrorKind::TooManyLines {
                        max: self.limits.max_lines,
                    }));
                }
                let id: Id = Arc::from(format!("line-{}", self.next_line));
                self.next_line += 1;
                self.lines.push(CartLine {
                    id,
                    sku: item.sku.clone(),
                    options,
                    quantity,
                });
                Ok(&self.lines[self.lines.len() - 1])
            }
        }
    }

    fn index_of(&self, line_id: &str) -> Result<usize> {
        self.lines
            .iter()
            .position(|l| &*l.id == line_id)
            .ok_or_else(|| {
                Error::new(ErrorKind::LineNotFound {
                    line: line_id.to_string(),
                })
            })
    }

    /// Sets a line's quantity.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::LineNotFound`]; [`ErrorKind::QuantityOutOfRange`] for 0 (use
    /// [`Cart::remove_line`]) or above the limit.
    pub fn set_quantity(&mut self, line_id: &str, quantity: u32) -> Result<()> {
        let index = self.index_of(line_id)?;
        self.lines[index].quantity = self.check_quantity(u64::from(quantity))?;
        Ok(())
    }

    /// Removes a line and returns it.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::LineNotFound`].
    pub fn remove_line(&mut self, line_id: &str) -> Result<CartLine> {
        let index = self.index_of(line_id)?;
        Ok(self.lines.remove(index))
    }

    /// Enters a coupon code (normalised; entering one twice is a no-op). Whether it unlocks
    /// anything is decided by pricing, which reports unknown codes.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] for an empty code, one longer than 64 characters, or one
    /// more than the limit.
    pub fn apply_coupon(&mut self, code: &str) -> Result<()> {
        let code = crate::pricing::normalize_coupon_code(code);
        if code.is_empty() || code.chars().count() > 64 {
            return Err(Error::invalid("a coupon code must have 1 to 64 characters").at("code"));
        }
        crate::text::check_line(&code).map_err(|e| e.at("code"))?;
        if self.coupon_codes.contains(&code) {
            return Ok(());
        }
        if self.coupon_codes.len() >= self.limits.max_coupon_codes {
            return Err(Error::invalid(format!(
                "a cart may hold at most {} coupon codes",
                self.limits.max_coupon_codes
            ))
            .at("code"));
        }
        self.coupon_codes.push(code);
        Ok(())
    }

    /// Removes a coupon code; returns whether it was there.
    pub fn remove_coupon(&mut self, code: &str) -> bool {
        let code = crate::pricing::normalize_coupon_code(code);
        let before = self.coupon_codes.len();
        self.coupon_codes.retain(|c| *c != code);
        self.coupon_codes.len() != before
    }

    /// Chooses a shipping method by id, or none.
    pub fn set_shipping_method(&mut self, method: Option<&str>) {
        self.shipping_method = method.map(Arc::from);
    }

    /// Builds the pricing request for this cart, taking every price from `catalog`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::UnknownSku`] if the catalog lacks a line's SKU;
    /// [`ErrorKind::CurrencyMismatch`] if the catalog prices it in another currency;
    /// [`ErrorKind::InvalidInput`] if the chosen shipping method is not offered.
    pub fn pricing_request(
        &self,
        catalog: &(impl CatalogLookup + ?Sized),
        context: PricingContext,
    ) -> Result<PricingRequest> {
        let mut lines = Vec::with_capacity(self.lines.len());
        for (index, line) in self.lines.iter().enumerate() {
            let at = |e: Error| e.at(format_args!("[{index}]")).at("lines");
            let item = catalog.item(&line.sku).ok_or_else(|| {
                at(Error::new(ErrorKind::UnknownSku {
                    sku: line.sku.to_string(),
                }))
            })?;
            if item.unit_price.currency() != self.currency {
                return Err(at(Error::new(ErrorKind::CurrencyMismatch {
                    left: self.currency.code().to_string(),
                    right: item.unit_price.currency().code().to_string(),
                })));
            }
            lines.push(LineInput {
                id: line.id.clone(),
                sku: line.sku.clone(),
                product_id: item.product_id.clone(),
                category_ids: item.category_ids.clone(),
                quantity: line.quantity,
                unit_price: item.unit_price.amount(),
                tiers: item.tiers.clone(),
                tax_category: item.tax_category.clone(),
                weight: item.weight,
            });
        }
        let shipping = match &self.shipping_method {
            None => None,
            Some(id) => Some(
                context
                    .shipping_methods
                    .into_iter()
                    .find(|m| m.id == *id)
                    .ok_or_else(|| {
                        Error::invalid(format!("shipping method `{id}` is not offered"))
                            .at("shipping_method")
                    })?,
            ),
        };
        Ok(PricingRequest {
            currency: self.currency,
            now: context.now,
            prices_include_tax: context.prices_include_tax,
            tax_level: context.tax_level,
            rounding_mode: context.rounding_mode,
            customer: context.customer,
            lines,
            price_lists: context.price_lists,
            tax_rates: context.tax_rates,
            promotions: context.promotions,
            coupon_codes: self.coupon_codes.clone(),
            shipping,
        })
    }
}

/// A cart as stored: the aggregate, its owner and a version for compare-and-set.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredCart {
    /// The cart's id.
    pub id: String,
    /// The customer, or `None` for a guest cart.
    pub customer_id: Option<String>,
    /// The shipping address's country and region, which pick tax rates and shipping.
    pub destination: Option<Destination>,
    /// The cart.
    pub cart: Cart,
    /// Incremented by every write.
    pub version: u64,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// Where an order ships: what tax zones and shipping methods are chosen by.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Destination {
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// Region, state or province code; empty if none.
    #[serde(default)]
    pub region: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn item(sku: &str, price: &str) -> CatalogItem {
        CatalogItem::new(sku, Money::parse(price, Currency::USD).unwrap())
    }

    #[test]
    fn same_sku_and_options_merge_different_options_do_not() {
        let mug = item("MUG", "5.00");
        let mut cart = Cart::new(Currency::USD);
        cart.add_item(&mug, BTreeMap::new(), 1).unwrap();
        cart.add_item(&mug, BTreeMap::new(), 2).unwrap();
        let engraved = BTreeMap::from([("engraving".to_string(), "Ada".to_string())]);
        cart.add_item(&mug, engraved, 1).unwrap();
        assert_eq!(cart.lines().len(), 2);
        assert_eq!(cart.lines()[0].quantity, 3);
    }

    #[test]
    fn quantity_bounds_and_line_limits_are_clear_errors_that_change_nothing() {
        let limits = CartLimits {
            max_lines: 1,
            max_quantity_per_line: 5,
            max_coupon_codes: 1,
        };
        let mut cart = Cart::with_limits(Currency::USD, limits);
        assert_eq!(
            cart.add_item(&item("A", "1"), BTreeMap::new(), 0)
                .unwrap_err()
                .code(),
            "quantity_out_of_range"
        );
        cart.add_item(&item("A", "1"), BTreeMap::new(), 4).unwrap();
        let before = cart.clone();
        assert_eq!(
            cart.add_item(&item("A", "1"), BTreeMap::new(), 2)
                .unwrap_err()
                .code(),
            "quantity_out_of_range"
        );
        assert_eq!(
            cart.add_item(&item("B", "1"), BTreeMap::new(), 1)
                .unwrap_err()
                .code(),
            "too_many_lines"
        );
        assert_eq!(
            cart.set_quantity("line-1", 0).unwrap_err().code(),
            "quantity_out_of_range"
        );
        assert_eq!(
            cart.set_quantity("nope", 1).unwrap_err().code(),
            "line_not_found"
        );
        assert_eq!(cart, before);
        cart.apply_coupon(" save10 ").unwrap();
        cart.apply_coupon("SAVE10").unwrap();
        assert_eq!(cart.coupon_codes(), ["SAVE10"]);
        assert!(cart.apply_coupon("OTHER").is_err());
        assert!(cart.apply_coupon("  ").is_err());
    }

    #[test]
    fn items_in_another_currency_are_refused() {
        let yen = CatalogItem::new("A", Money::parse("500", Currency::JPY).unwrap());
        let mut cart = Cart::new(Currency::USD);
        assert!(
            cart.add_item(&yen, BTreeMap::new(), 1)
                .unwrap_err()
                .is_currency_mismatch()
        );
    }

    #[test]
    fn prices_always_come_from_the_catalog() {
        let mut catalog = vec![item("A", "10.00")];
        let mut cart = Cart::new(Currency::USD);
        cart.add_item(&catalog[0], BTreeMap::new(), 2).unwrap();
        catalog[0].unit_price = Money::parse("12.00", Currency::USD).unwrap();
        let request = cart
            .pricing_request(&catalog, PricingContext::default())
            .unwrap();
        assert_eq!(request.lines[0].unit_price.to_string(), "12.00");
        let err = cart
            .pricing_request(&Vec::<CatalogItem>::new(), PricingContext::default())
            .unwrap_err();
        assert!(err.is_not_found());
        cart.set_shipping_method(Some("express"));
        assert_eq!(
            cart.pricing_request(&catalog, PricingContext::default())
                .unwrap_err()
                .field(),
            Some("shipping_method")
        );
    }

    proptest! {
        #[test]
        fn add_then_remove_restores_the_cart(
            existing in proptest::collection::vec((0u8..5, 1u32..10), 0..6),
            sku in 5u8..9,
            quantity in 1u32..10,
        ) {
            let mut cart = Cart::new(Currency::USD);
            for (s, q) in existing {
                cart.add_item(&item(&format!("S{s}"), "1.00"), BTreeMap::new(), q).unwrap();
            }
            let before = cart.lines().to_vec();
            let id = cart.add_item(&item(&format!("S{sku}"), "1.00"), BTreeMap::new(), quantity).unwrap().id.clone();
            cart.remove_line(&id).unwrap();
            prop_assert_eq!(cart.lines(), before.as_slice());
        }
    }
}
