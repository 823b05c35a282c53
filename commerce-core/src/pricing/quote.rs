//! The quote: the engine's answer, with every amount explained.

use std::borrow::Cow;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use crate::money::Currency;

/// A priced cart.
///
/// A quote borrows the ids and names of the request it was computed from, which keeps pricing
/// a large cart cheap; [`Quote::into_owned`] gives a `Quote<'static>` to keep.
///
/// Every amount is a whole number of the currency's minor units, written in JSON as a decimal
/// string with exactly the currency's decimals (`"10.00"`, `"1000"` for JPY, `"1.250"` for KWD).
///
/// Invariants, for every quote:
/// - `totals.grand_total` = Σ `lines[].total` + `shipping.total`, exactly;
/// - `totals.grand_total` = `totals.net_total` + `totals.tax_total`;
/// - no line or shipping total is negative, and no discount exceeds what it discounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Quote<'r> {
    /// The currency of every amount.
    pub currency: Currency,
    /// Whether line subtotals and discounts are gross (tax included) or net.
    pub prices_include_tax: bool,
    /// One entry per request line, in request order.
    pub lines: Vec<QuoteLine<'r>>,
    /// The shipping charge, if a method was chosen.
    #[cfg_attr(feature = "schema", schema(required = true))]
    pub shipping: Option<QuoteShipping<'r>>,
    /// One entry per promotion in the request, in evaluation order.
    pub promotions: Vec<PromotionOutcome<'r>>,
    /// One entry per distinct coupon code entered, in the order entered.
    pub coupon_codes: Vec<CouponOutcome<'r>>,
    /// Tax per rate, in the order of the request's rates; rates that taxed nothing are omitted.
    pub taxes: Vec<TaxSummary<'r>>,
    /// The order totals.
    pub totals: Totals,
}

/// A priced line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct QuoteLine<'r> {
    /// The line's id.
    pub id: Cow<'r, str>,
    /// The SKU.
    pub sku: Cow<'r, str>,
    /// The quantity.
    pub quantity: u32,
    /// The unit price used (after price resolution).
    #[serde(with = "crate::serde_decimal")]
    #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
    pub unit_price: Decimal,
    /// Where the unit price came from.
    pub price_source: PriceSource<'r>,
    /// `unit_price × quantity`.
    #[serde(with = "crate::serde_decimal")]
    #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
    pub subtotal: Decimal,
    /// The discounts on this line, one per promotion, in evaluation order.
    pub discounts: SmallVec<[LineDiscount<'r>; 1]>,
    /// The sum of `discounts`.
    #[serde(with = "crate::serde_decimal")]
    #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
    pub discount_total: Decimal,
    /// The amount excluding tax, after discounts.
    #[serde(with = "crate::serde_decimal")]
    #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
    pub net_total: Decimal,
    /// The tax lines, one per rate that covers the line's category.
    pub tax_lines: SmallVec<[TaxLine<'r>; 1]>,
    /// The sum of `tax_lines`.
    #[serde(with = "crate::serde_decimal")]
    #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
    pub tax_total: Decimal,
    /// What the customer pays for the line: `net_total + tax_total`.
    #[serde(with = "crate::serde_decimal")]
    #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
    pub total: Decimal,
}

/// Where a line's unit price came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PriceSource<'r> {
    /// The line's catalog unit price.
    Base,
    /// A catalog volume tier.
    Tier {
        /// The tier's minimum quantity.
        min_quantity: u32,
    },
    /// A price list.
    PriceList {
        /// The list's id.
        price_list: Cow<'r, str>,
        /// The entry's minimum quantity.
        min_quantity: u32,
    },
}

/// A promotion's share of a line or of shipping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct LineDiscount<'r> {
    /// The promotion's id.
    pub promotion: Cow<'r, str>,
    /// The amount.
    #[serde(with = "crate::serde_decimal")]
    #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
    pub amount: Decimal,
}

/// Tax of one rate on one line or on shipping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct TaxLine<'r> {
    /// The rate's id.
    pub tax_rate: Cow<'r, str>,
    /// The rate as a fraction.
    #[serde(with = "crate::serde_decimal")]
    #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
    pub rate: Decimal,
    /// The tax.
    #[serde(with = "crate::serde_decimal")]
    #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
    pub amount: Decimal,
}

/// The priced shipping charge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct QuoteShipping<'r> {
    /// The method's id.
    pub method: Cow<'r, str>,
    /// The method's rate for this cart.
    #[serde(with = "crate::serde_decimal")]
    #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
    pub rate_amount: Decimal,
    /// True when the merchandise total reached the method's `free_above` threshold.
    pub free_above_threshold: bool,
    /// The charge before promotions: `rate_amount`, or 0 above the threshold.
    #[serde(with = "crate::serde_decimal")]
    #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
    pub subtotal: Decimal,
    /// Shipping discounts, one per promotion.
    pub discounts: SmallVec<[LineDiscount<'r>; 1]>,
    /// The sum of `discounts`.
    #[serde(with = "crate::serde_decimal")]
    #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
    pub discount_total: Decimal,
    /// The charge excluding tax, after discounts.
    #[serde(with = "crate::serde_decimal")]
    #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
    pub net_total: Decimal,
    /// Tax lines on shipping.
    pub tax_lines: SmallVec<[TaxLine<'r>; 1]>,
    /// The sum of `tax_lines`.
    #[serde(with = "crate::serde_decimal")]
    #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
    pub tax_total: Decimal,
    /// What the customer pays for shipping: `net_total + tax_total`.
    #[serde(with = "crate::serde_decimal")]
    #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
    pub total: Decimal,
}

/// What happened to one promotion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PromotionOutcome<'r> {
    /// It applied.
    Applied {
        /// The promotion's id.
        id: Cow<'r, str>,
        /// The total it discounted.
        #[serde(with = "crate::serde_decimal")]
        #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
        amount: Decimal,
        /// How the amount was spread over lines (lines with a zero share are omitted).
        allocations: Vec<Allocation<'r>>,
        /// The part of the amount taken off shipping.
        #[serde(with = "crate::serde_decimal")]
        #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
        shipping_amount: Decimal,
    },
    /// It did not apply, and why.
    NotApplied {
        /// The promotion's id.
        id: Cow<'r, str>,
        /// Why not.
        reason: NotAppliedReason<'r>,
    },
}

impl PromotionOutcome<'_> {
    /// The promotion's id.
    pub fn id(&self) -> &str {
        match self {
            PromotionOutcome::Applied { id, .. } | PromotionOutcome::NotApplied { id, .. } => id,
        }
    }
}

/// A promotion's share of one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Allocation<'r> {
    /// The line's id.
    pub line: Cow<'r, str>,
    /// The amount.
    #[serde(with = "crate::serde_decimal")]
    #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
    pub amount: Decimal,
}

/// Why a promotion did not apply: a stable, machine-readable `code` and its details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum NotAppliedReason<'r> {
    /// It has no amount (or no threshold) for the request's currency.
    CurrencyNotSupported,
    /// Its validity window has not started.
    NotStarted,
    /// Its validity window has ended.
    Expired,
    /// It has no uses left.
    UsageExhausted,
    /// It needs a coupon code that was not entered.
    CouponNotEntered,
    /// The customer is not in one of its groups.
    CustomerGroupNotEligible,
    /// It is for first orders only.
    FirstOrderOnly,
    /// The merchandise subtotal is below its threshold.
    MinSubtotalNotMet {
        /// The threshold.
        #[serde(with = "crate::serde_decimal")]
        #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
        threshold: Decimal,
    },
    /// Its target holds fewer units than its threshold.
    MinQuantityNotMet {
        /// The threshold.
        threshold: u32,
    },
    /// No line matches its target.
    NoEligibleLines,
    /// It discounts shipping, and no shipping method was chosen.
    ShippingNotSelected,
    /// The cart does not hold the units a buy-X-get-Y needs.
    BuyQuantityNotMet {
        /// Units needed for one application (buy plus get).
        required: u32,
    },
    /// What it would discount is already zero.
    NothingToDiscount,
    /// An exclusive or stop-further promotion took precedence.
    SupersededBy {
        /// That promotion's id.
        promotion: Cow<'r, str>,
    },
    /// An applied promotion and this one do not combine.
    NotCombinableWith {
        /// That promotion's id.
        promotion: Cow<'r, str>,
    },
}

impl NotAppliedReason<'_> {
    /// The stable code, as in JSON.
    pub fn code(&self) -> &'static str {
        match self {
            NotAppliedReason::CurrencyNotSupported => "currency_not_supported",
            NotAppliedReason::NotStarted => "not_started",
            NotAppliedReason::Expired => "expired",
            NotAppliedReason::UsageExhausted => "usage_exhausted",
            NotAppliedReason::CouponNotEntered => "coupon_not_entered",
            NotAppliedReason::CustomerGroupNotEligible => "customer_group_not_eligible",
            NotAppliedReason::FirstOrderOnly => "first_order_only",
            NotAppliedReason::MinSubtotalNotMet { .. } => "min_subtotal_not_met",
            NotAppliedReason::MinQuantityNotMet { .. } => "min_quantity_not_met",
            NotAppliedReason::NoEligibleLines => "no_eligible_lines",
            NotAppliedReason::ShippingNotSelected => "shipping_not_selected",
            NotAppliedReason::BuyQuantityNotMet { .. } => "buy_quantity_not_met",
            NotAppliedReason::NothingToDiscount => "nothing_to_discount",
            NotAppliedReason::SupersededBy { .. } => "superseded_by",
            NotAppliedReason::NotCombinableWith { .. } => "not_combinable_with",
        }
    }
}

/// What became of one entered coupon code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct CouponOutcome<'r> {
    /// The code, normalised (trimmed, upper case).
    pub code: String,
    /// What happened.
    pub status: CouponStatus,
    /// The promotions the code unlocks.
    pub promotions: Vec<Cow<'r, str>>,
}

/// What became of one entered coupon code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CouponStatus {
    /// A promotion it unlocks applied.
    Applied,
    /// It unlocks promotions, but none applied (see their reasons).
    NotApplied,
    /// No promotion in the request has this code.
    Unknown,
}

/// Tax of one rate over the whole order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct TaxSummary<'r> {
    /// The rate's id.
    pub tax_rate: Cow<'r, str>,
    /// The rate's name, if given.
    #[cfg_attr(feature = "schema", schema(required = true))]
    pub name: Option<Cow<'r, str>>,
    /// The rate as a fraction.
    #[serde(with = "crate::serde_decimal")]
    #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
    pub rate: Decimal,
    /// The net amount the rate was charged on.
    #[serde(with = "crate::serde_decimal")]
    #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
    pub taxable_amount: Decimal,
    /// The tax.
    #[serde(with = "crate::serde_decimal")]
    #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
    pub amount: Decimal,
}

/// The order totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Totals {
    /// Σ line subtotals (before discounts; gross or net as the prices are).
    #[serde(with = "crate::serde_decimal")]
    #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
    pub subtotal: Decimal,
    /// Σ discounts on lines and shipping.
    #[serde(with = "crate::serde_decimal")]
    #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
    pub discount_total: Decimal,
    /// The shipping charge including its tax (`shipping.total`).
    #[serde(with = "crate::serde_decimal")]
    #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
    pub shipping_total: Decimal,
    /// Σ net amounts of lines and shipping.
    #[serde(with = "crate::serde_decimal")]
    #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
    pub net_total: Decimal,
    /// Σ tax.
    #[serde(with = "crate::serde_decimal")]
    #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
    pub tax_total: Decimal,
    /// What the customer pays.
    #[serde(with = "crate::serde_decimal")]
    #[cfg_attr(feature = "schema", schema(value_type = crate::schema::Decimal))]
    pub grand_total: Decimal,
}

fn owned(text: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(text.into_owned())
}

fn owned_discounts(
    discounts: SmallVec<[LineDiscount<'_>; 1]>,
) -> SmallVec<[LineDiscount<'static>; 1]> {
    discounts
        .into_iter()
        .map(|d| LineDiscount {
            promotion: owned(d.promotion),
            amount: d.amount,
        })
        .collect()
}

fn owned_taxes(taxes: SmallVec<[TaxLine<'_>; 1]>) -> SmallVec<[TaxLine<'static>; 1]> {
    taxes
        .into_iter()
        .map(|t| TaxLine {
            tax_rate: owned(t.tax_rate),
            rate: t.rate,
            amount: t.amount,
        })
        .collect()
}

impl Quote<'_> {
    /// The same quote, owning all its text, independent of the request.
    pub fn into_owned(self) -> Quote<'static> {
        Quote {
            currency: self.currency,
            prices_include_tax: self.prices_include_tax,
            lines: self.lines.into_iter().map(QuoteLine::into_owned).collect(),
            shipping: self.shipping.map(|s| QuoteShipping {
                method: owned(s.method),
                rate_amount: s.rate_amount,
                free_above_threshold: s.free_above_threshold,
                subtotal: s.subtotal,
                discounts: owned_discounts(s.discounts),
                discount_total: s.discount_total,
                net_total: s.net_total,
                tax_lines: owned_taxes(s.tax_lines),
                tax_total: s.tax_total,
                total: s.total,
            }),
            promotions: self
                .promotions
                .into_iter()
                .map(PromotionOutcome::into_owned)
                .collect(),
            coupon_codes: self
                .coupon_codes
                .into_iter()
                .map(|c| CouponOutcome {
                    code: c.code,
                    status: c.status,
                    promotions: c.promotions.into_iter().map(owned).collect(),
                })
                .collect(),
            taxes: self
                .taxes
                .into_iter()
                .map(|t| TaxSummary {
                    tax_rate: owned(t.tax_rate),
                    name: t.name.map(owned),
                    rate: t.rate,
                    taxable_amount: t.taxable_amount,
                    amount: t.amount,
                })
                .collect(),
            totals: self.totals,
        }
    }
}

impl QuoteLine<'_> {
    /// The same line, owning all its text.
    pub fn into_owned(self) -> QuoteLine<'static> {
        QuoteLine {
            id: owned(self.id),
            sku: owned(self.sku),
            quantity: self.quantity,
            unit_price: self.unit_price,
            price_source: match self.price_source {
                PriceSource::Base => PriceSource::Base,
                PriceSource::Tier { min_quantity } => PriceSource::Tier { min_quantity },
                PriceSource::PriceList {
                    price_list,
                    min_quantity,
                } => PriceSource::PriceList {
                    price_list: owned(price_list),
                    min_quantity,
                },
            },
            subtotal: self.subtotal,
            discounts: owned_discounts(self.discounts),
            discount_total: self.discount_total,
            net_total: self.net_total,
            tax_lines: owned_taxes(self.tax_lines),
            tax_total: self.tax_total,
            total: self.total,
        }
    }
}

impl PromotionOutcome<'_> {
    /// The same outcome, owning all its text.
    pub fn into_owned(self) -> PromotionOutcome<'static> {
        match self {
            PromotionOutcome::Applied {
                id,
                amount,
                allocations,
                shipping_amount,
            } => PromotionOutcome::Applied {
                id: owned(id),
                amount,
                allocations: allocations
                    .into_iter()
                    .map(|a| Allocation {
                        line: owned(a.line),
                        amount: a.amount,
                    })
                    .collect(),
                shipping_amount,
            },
            PromotionOutcome::NotApplied { id, reason } => PromotionOutcome::NotApplied {
                id: owned(id),
                reason: reason.into_owned(),
            },
        }
    }
}

impl NotAppliedReason<'_> {
    /// The same reason, owning its text.
    pub fn into_owned(self) -> NotAppliedReason<'static> {
        use NotAppliedReason::*;
        match self {
            CurrencyNotSupported => CurrencyNotSupported,
            NotStarted => NotStarted,
            Expired => Expired,
            UsageExhausted => UsageExhausted,
            CouponNotEntered => CouponNotEntered,
            CustomerGroupNotEligible => CustomerGroupNotEligible,
            FirstOrderOnly => FirstOrderOnly,
            MinSubtotalNotMet { threshold } => MinSubtotalNotMet { threshold },
            MinQuantityNotMet { threshold } => MinQuantityNotMet { threshold },
            NoEligibleLines => NoEligibleLines,
            ShippingNotSelected => ShippingNotSelected,
            BuyQuantityNotMet { required } => BuyQuantityNotMet { required },
            NothingToDiscount => NothingToDiscount,
            SupersededBy { promotion } => SupersededBy {
                promotion: owned(promotion),
            },
            NotCombinableWith { promotion } => NotCombinableWith {
                promotion: owned(promotion),
            },
        }
    }
}
