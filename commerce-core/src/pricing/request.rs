//! The pricing request: everything the engine needs, in one serialisable value.

use std::collections::BTreeMap;
use std::sync::Arc;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::{Currency, RoundingMode};
use crate::time::Timestamp;

/// An identifier (line, SKU, product, category, promotion, tax rate, price list).
///
/// Shared, so that copying one into a quote costs a reference count, not an allocation.
pub type Id = Arc<str>;

/// Amounts keyed by currency, for promotion values and thresholds that a shop sets per currency:
/// `{"USD": "5.00", "JPY": "700"}`.
pub type PerCurrency = BTreeMap<Currency, Decimal>;

/// A self-contained request to price a cart: the input of [`quote`](crate::pricing::quote).
///
/// Amounts are decimal strings in the request's `currency`, with at most its number of decimals.
/// Unknown fields are rejected. See `docs/pricing.md` for the meaning of every field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PricingRequest {
    /// The currency of every amount in the request and the quote.
    pub currency: Currency,
    /// The instant at which validity windows are judged. The engine never reads a clock.
    pub now: Timestamp,
    /// Whether unit prices, fixed discounts, thresholds and shipping rates include tax (gross,
    /// as in most of Europe) or exclude it (net, as in most of North America).
    #[serde(default)]
    pub prices_include_tax: bool,
    /// Whether tax is rounded per line (the default) or per unit.
    #[serde(default)]
    pub tax_level: TaxLevel,
    /// The rounding mode of every rounding step. Default: half-even.
    #[serde(default)]
    pub rounding_mode: RoundingMode,
    /// Who is buying, for group prices and promotion conditions.
    #[serde(default)]
    pub customer: CustomerContext,
    /// The cart lines. Line ids must be unique.
    pub lines: Vec<LineInput>,
    /// Price lists that may lower a line's unit price.
    #[serde(default)]
    pub price_lists: Vec<PriceList>,
    /// The tax rates that apply at the destination.
    #[serde(default)]
    pub tax_rates: Vec<TaxRate>,
    /// Promotions to consider, automatic and coupon-based.
    #[serde(default)]
    pub promotions: Vec<Promotion>,
    /// The coupon codes the customer entered (matched without regard to case or surrounding
    /// spaces).
    #[serde(default)]
    pub coupon_codes: Vec<String>,
    /// The chosen shipping method, if any.
    #[serde(default)]
    pub shipping: Option<ShippingMethod>,
}

/// Where tax is rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TaxLevel {
    /// Tax is computed on each line's amount and rounded once per line and rate.
    #[default]
    Line,
    /// Tax is computed on each unit's share of the line, rounded, then multiplied by the quantity.
    Unit,
}

/// Who is buying.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CustomerContext {
    /// The customer's group (`"wholesale"`, `"vip"`), if any.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(value_type = Option<String>))]
    pub group: Option<Id>,
    /// How many orders the customer placed before this one (0 for a first order).
    #[serde(default)]
    pub previous_orders: u32,
}

/// One cart line: a SKU, a quantity and the catalog's price for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    /// The line's id, unique within the request.
    #[cfg_attr(feature = "schema", schema(value_type = String))]
    pub id: Id,
    /// The stock-keeping unit.
    #[cfg_attr(feature = "schema", schema(value_type = String))]
    pub sku: Id,
    /// The product the SKU belongs to.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(value_type = Option<String>))]
    pub product_id: Option<Id>,
    /// The categories the product is in (including ancestors, if promotions target them).
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(value_type = Vec<String>))]
    pub category_ids: Vec<Id>,
    /// How many units, at least 1.
    pub quantity: u32,
    /// The catalog's unit price (gross or net as `prices_include_tax` says).
    #[serde(with = "crate::serde_decimal")]
    #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
    pub unit_price: Decimal,
    /// Volume prices from the catalog: the unit price from a minimum quantity on.
    #[serde(default)]
    pub tiers: Vec<PriceTier>,
    /// The tax category; `None` means exempt (no tax lines at all).
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(value_type = Option<String>))]
    pub tax_category: Option<Id>,
    /// The weight of one unit, in the shop's unit (e.g. kg), for weight-based shipping.
    #[serde(default, with = "crate::serde_decimal::option")]
    #[cfg_attr(feature = "schema", schema(value_type = Option<crate::schema::Decimal>))]
    pub weight: Option<Decimal>,
}

/// A unit price that applies from `min_quantity` units on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PriceTier {
    /// The smallest line quantity at which this price applies.
    pub min_quantity: u32,
    /// The unit price.
    #[serde(with = "crate::serde_decimal")]
    #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
    pub unit_price: Decimal,
}

/// A price list: prices for some SKUs, for one currency, optionally restricted to a customer
/// group and a validity window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PriceList {
    /// The list's id, unique within the request.
    #[cfg_attr(feature = "schema", schema(value_type = String))]
    pub id: Id,
    /// The currency of the list; lists in other currencies are ignored.
    pub currency: Currency,
    /// The customer group the list is for; `None` means everyone.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(value_type = Option<String>))]
    pub customer_group: Option<Id>,
    /// The first instant at which the list applies (inclusive).
    #[serde(default)]
    pub starts_at: Option<Timestamp>,
    /// The instant from which the list no longer applies (exclusive).
    #[serde(default)]
    pub ends_at: Option<Timestamp>,
    /// The list's prices.
    pub prices: Vec<PriceListEntry>,
}

/// One price in a [`PriceList`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PriceListEntry {
    /// The SKU this price is for.
    #[cfg_attr(feature = "schema", schema(value_type = String))]
    pub sku: Id,
    /// The smallest line quantity at which it applies (default 1).
    #[serde(default = "one")]
    pub min_quantity: u32,
    /// The unit price.
    #[serde(with = "crate::serde_decimal")]
    #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
    pub unit_price: Decimal,
}

fn one() -> u32 {
    1
}

/// A tax rate at the destination, applying to one or more tax categories.
///
/// A line whose category is covered by several rates (GST and PST) gets one tax line per rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TaxRate {
    /// The rate's id, unique within the request.
    #[cfg_attr(feature = "schema", schema(value_type = String))]
    pub id: Id,
    /// A display name, such as `"VAT 20%"`.
    #[serde(default)]
    pub name: Option<String>,
    /// The rate as a fraction: `"0.20"` for 20 %. Between 0 and 10, at most 9 decimals.
    #[serde(with = "crate::serde_decimal")]
    #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
    pub rate: Decimal,
    /// The tax categories the rate applies to.
    #[cfg_attr(feature = "schema", schema(value_type = Vec<String>))]
    pub categories: Vec<Id>,
}

/// How shipping is priced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ShippingMethod {
    /// The method's id.
    #[cfg_attr(feature = "schema", schema(value_type = String))]
    pub id: Id,
    /// The rate.
    pub rate: ShippingRate,
    /// Shipping is free when the merchandise total after discounts reaches this amount.
    #[serde(default, with = "crate::serde_decimal::option")]
    #[cfg_attr(feature = "schema", schema(value_type = Option<crate::schema::Decimal>))]
    pub free_above: Option<Decimal>,
    /// The tax category of shipping; `None` means shipping is not taxed.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(value_type = Option<String>))]
    pub tax_category: Option<Id>,
}

/// A shipping rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ShippingRate {
    /// One amount whatever the cart.
    Flat {
        /// The amount.
        #[serde(with = "crate::serde_decimal")]
        #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
        amount: Decimal,
    },
    /// An amount by total weight: the tier with the largest `min_weight` not above the cart's.
    WeightTiers(Vec<WeightTier>),
    /// An amount by total quantity: the tier with the largest `min_quantity` not above the cart's.
    QuantityTiers(Vec<QuantityTier>),
}

/// A shipping amount from a total weight on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WeightTier {
    /// The smallest total weight for this amount; the first tier must start at 0.
    #[serde(with = "crate::serde_decimal")]
    #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
    pub min_weight: Decimal,
    /// The amount.
    #[serde(with = "crate::serde_decimal")]
    #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
    pub amount: Decimal,
}

/// A shipping amount from a total quantity on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct QuantityTier {
    /// The smallest total quantity for this amount; the first tier must start at 0.
    pub min_quantity: u32,
    /// The amount.
    #[serde(with = "crate::serde_decimal")]
    #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
    pub amount: Decimal,
}

/// A promotion: what it gives, on what conditions, and how it stacks with others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Promotion {
    /// The promotion's id, unique within the request.
    #[cfg_attr(feature = "schema", schema(value_type = String))]
    pub id: Id,
    /// A display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Evaluation order: lower first; equal priorities go by id.
    #[serde(default)]
    pub priority: i32,
    /// What the promotion gives.
    pub benefit: Benefit,
    /// What must hold for it to apply.
    #[serde(default)]
    pub conditions: Conditions,
    /// Codes that unlock it; empty means automatic.
    #[serde(default)]
    pub coupon_codes: Vec<String>,
    /// The first instant it applies (inclusive).
    #[serde(default)]
    pub starts_at: Option<Timestamp>,
    /// The instant from which it no longer applies (exclusive).
    #[serde(default)]
    pub ends_at: Option<Timestamp>,
    /// Uses left, as counted by the store; `Some(0)` means used up, `None` unlimited.
    #[serde(default)]
    pub remaining_uses: Option<u64>,
    /// Applies only alone: not after any other promotion, and none after it.
    #[serde(default)]
    pub exclusive: bool,
    /// No promotion after this one is considered once it applies.
    #[serde(default)]
    pub stop_further: bool,
    /// Which kinds of promotion this one may be combined with.
    #[serde(default)]
    pub combines_with: CombinesWith,
    /// The most this promotion may discount, per currency; empty means no cap.
    #[serde(default, with = "crate::serde_decimal::per_currency")]
    #[cfg_attr(feature = "schema", schema(value_type = crate::schema::PerCurrency))]
    pub max_discount: PerCurrency,
}

impl Promotion {
    /// An automatic promotion with default settings: priority 0, no conditions, no coupon, no
    /// window, unlimited uses, combinable with everything, no cap.
    ///
    /// # Example
    ///
    /// ```
    /// use commerce_core::pricing::{Benefit, Promotion, Target};
    ///
    /// let mut promotion = Promotion::new("ten-off", Benefit::PercentageOff {
    ///     percent: "10".parse().unwrap(),
    ///     target: Target::Order,
    /// });
    /// promotion.coupon_codes = vec!["TEN".into()];
    /// ```
    pub fn new(id: &str, benefit: Benefit) -> Promotion {
        Promotion {
            id: Arc::from(id),
            name: None,
            priority: 0,
            benefit,
            conditions: Conditions::default(),
            coupon_codes: Vec::new(),
            starts_at: None,
            ends_at: None,
            remaining_uses: None,
            exclusive: false,
            stop_further: false,
            combines_with: CombinesWith::default(),
            max_discount: PerCurrency::new(),
        }
    }
}

impl TaxRate {
    /// A rate (as a fraction: 0.20 for 20 %) for the given categories.
    pub fn new(id: &str, rate: Decimal, categories: &[&str]) -> TaxRate {
        TaxRate {
            id: Arc::from(id),
            name: None,
            rate,
            categories: categories.iter().map(|c| Arc::from(*c)).collect(),
        }
    }
}

/// What a promotion gives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Benefit {
    /// A percentage off the target.
    PercentageOff {
        /// The percentage, greater than 0 and at most 100.
        #[serde(with = "crate::serde_decimal")]
        #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
        percent: Decimal,
        /// What it discounts.
        target: Target,
    },
    /// A fixed amount off the target (once, spread over the target's lines), per currency.
    FixedAmountOff {
        /// The amount per currency.
        #[serde(with = "crate::serde_decimal::per_currency")]
        #[cfg_attr(feature = "schema", schema(value_type = crate::schema::PerCurrency))]
        amounts: PerCurrency,
        /// What it discounts.
        target: Target,
    },
    /// Buy `buy.quantity` units, get `get.quantity` units at `percent` off (100 = free); the
    /// cheapest qualifying units are the ones discounted.
    BuyXGetY {
        /// The units that must be bought.
        buy: BuyGetItems,
        /// The units that are discounted.
        get: BuyGetItems,
        /// The percentage off the discounted units, greater than 0 and at most 100.
        #[serde(with = "crate::serde_decimal")]
        #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
        percent: Decimal,
        /// How many times it may apply in one cart; `None` means as often as the cart allows.
        #[serde(default)]
        max_applications: Option<u32>,
    },
    /// Shipping is free.
    FreeShipping,
}

/// What a percentage or fixed-amount promotion discounts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Target {
    /// All lines, as one order-level discount allocated across them.
    Order,
    /// The lines matched by the selector.
    Lines(LineSelector),
    /// The shipping amount.
    Shipping,
}

/// Matches lines by SKU, product or category: a line matches if any listed value matches.
/// An empty selector matches every line.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LineSelector {
    /// SKUs.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(value_type = Vec<String>))]
    pub skus: Vec<Id>,
    /// Product ids.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(value_type = Vec<String>))]
    pub product_ids: Vec<Id>,
    /// Category ids.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(value_type = Vec<String>))]
    pub category_ids: Vec<Id>,
}

/// One side of a buy-X-get-Y promotion: how many units, of which lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BuyGetItems {
    /// How many units.
    pub quantity: u32,
    /// Which lines' units count.
    #[serde(default)]
    pub items: LineSelector,
}

/// Conditions that must all hold for a promotion to apply.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    /// The merchandise subtotal before discounts must reach this amount, per currency.
    #[serde(default, with = "crate::serde_decimal::per_currency")]
    #[cfg_attr(feature = "schema", schema(value_type = crate::schema::PerCurrency))]
    pub min_subtotal: PerCurrency,
    /// The target's lines must hold at least this many units together.
    #[serde(default)]
    pub min_quantity: Option<u32>,
    /// The customer must be in one of these groups; empty means anyone.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(value_type = Vec<String>))]
    pub customer_groups: Vec<Id>,
    /// The customer must have no previous orders.
    #[serde(default)]
    pub first_order: bool,
}

/// Which kinds of promotion may be combined with this one. All default to true.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CombinesWith {
    /// Order-level promotions.
    #[serde(default = "yes")]
    pub order: bool,
    /// Line-level promotions (line targets and buy X get Y).
    #[serde(default = "yes")]
    pub lines: bool,
    /// Shipping promotions.
    #[serde(default = "yes")]
    pub shipping: bool,
}

fn yes() -> bool {
    true
}

impl Default for CombinesWith {
    fn default() -> Self {
        CombinesWith {
            order: true,
            lines: true,
            shipping: true,
        }
    }
}
