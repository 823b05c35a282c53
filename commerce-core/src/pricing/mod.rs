//! The pricing engine: a pure function from a [`PricingRequest`] to a [`Quote`].
//!
//! No clock, no I/O, no global state: the same request gives the same quote, bit for bit, on
//! every platform and in every language binding. `docs/pricing.md` in the repository is the
//! contract: it defines every step and every rounding precisely enough to re-implement.
//!
//! The pipeline, in order:
//!
//! 1. **Check** the request (currency, amounts at most the currency's decimals, quantities,
//!    unique ids). Bad input is an [`Error`](crate::Error) naming the field; nothing is guessed.
//! 2. **Resolve prices**: the lowest of the line's catalog price, its volume tiers and the
//!    applicable price-list entries.
//! 3. **Merchandise promotions** (order, lines, buy X get Y), by priority then id, each computed
//!    on what earlier ones left and rounded once.
//! 4. **Shipping**: the method's rate, free above its threshold (judged on the merchandise total
//!    after step 3).
//! 5. **Shipping promotions**, by priority then id.
//! 6. **Tax**, once, on each line's and shipping's amount after discounts.
//! 7. **Totals**, summed from the rounded parts, so they always agree.

mod lines;
mod promotions;
mod quote;
mod request;
mod shipping;
mod tax;
mod validate;
mod zones;

#[cfg(test)]
mod tests;

pub use quote::{
    Allocation, CouponOutcome, CouponStatus, LineDiscount, NotAppliedReason, PriceSource,
    PromotionOutcome, Quote, QuoteLine, QuoteShipping, TaxLine, TaxSummary, Totals,
};
pub use request::{
    Benefit, BuyGetItems, CombinesWith, Conditions, CustomerContext, Id, LineInput, LineSelector,
    PerCurrency, PriceList, PriceListEntry, PriceTier, PricingRequest, Promotion, QuantityTier,
    ShippingMethod, ShippingRate, Target, TaxLevel, TaxRate, WeightTier,
};
pub use tax::check_tax_rates;
pub use validate::{MAX_AMOUNT_MINOR, MAX_LINES, MAX_QUANTITY, check_amount};
pub use zones::{ShippingOption, TaxZone};

use std::borrow::Cow;
use std::ops::Range;

use smallvec::SmallVec;

use crate::error::{Error, Result};
use crate::money::Currency;
use lines::{Line, Lines};
use promotions::{Context, Outcome, PreparedPromotions, Stack, decimal};
use shipping::{PreparedShipping, Shipping};
use tax::{Rates, TaxRule};
use validate::normalize_code;

impl PricingRequest {
    /// Reads a request from JSON.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidRequest`](crate::ErrorKind::InvalidRequest) (`invalid_request`) for
    /// malformed JSON, wrong types, unknown fields and numbers where decimal strings belong.
    ///
    /// # Example
    ///
    /// ```
    /// use commerce_core::pricing::PricingRequest;
    ///
    /// let err = PricingRequest::from_json(r#"{"currency": "USD"}"#).unwrap_err();
    /// assert_eq!(err.code(), "invalid_request");
    /// ```
    pub fn from_json(json: &str) -> Result<PricingRequest> {
        serde_json::from_str(json).map_err(|e| Error::unreadable(&e))
    }

    /// Leaves out the promotions that need a coupon code the request has not entered: they
    /// cannot apply, so the quote is the same, and a request handed to a client reveals no
    /// code the client did not type.
    ///
    /// # Example
    ///
    /// ```
    /// use commerce_core::pricing::PricingRequest;
    ///
    /// let mut request = PricingRequest::from_json(r#"{"currency": "USD",
    ///     "now": "2026-11-22T12:00:00Z", "lines": [], "coupon_codes": ["save10"],
    ///     "promotions": [
    ///         {"id": "open", "benefit": {"percentage_off": {"percent": "5", "target": "order"}}},
    ///         {"id": "ten", "coupon_codes": ["SAVE10"],
    ///          "benefit": {"percentage_off": {"percent": "10", "target": "order"}}},
    ///         {"id": "secret", "coupon_codes": ["VIP"],
    ///          "benefit": {"percentage_off": {"percent": "50", "target": "order"}}}]}"#)?;
    /// request.drop_promotions_not_entered();
    /// let ids: Vec<&str> = request.promotions.iter().map(|p| &*p.id).collect();
    /// assert_eq!(ids, ["open", "ten"]);
    /// # Ok::<(), commerce_core::Error>(())
    /// ```
    pub fn drop_promotions_not_entered(&mut self) {
        let entered: Vec<String> = self
            .coupon_codes
            .iter()
            .map(|c| normalize_code(c))
            .collect();
        self.promotions.retain(|p| {
            p.coupon_codes.is_empty()
                || p.coupon_codes
                    .iter()
                    .any(|code| entered.contains(&normalize_code(code)))
        });
    }
}

impl Quote<'_> {
    /// The quote as JSON.
    pub fn to_json(&self) -> String {
        // A quote holds only strings, integers, booleans and sequences: it always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Prices a JSON request and returns the JSON quote: the entry point of the language bindings.
///
/// # Errors
///
/// As [`PricingRequest::from_json`] and [`quote`].
pub fn quote_json(request: &str) -> Result<String> {
    Ok(quote(&PricingRequest::from_json(request)?)?.to_json())
}

/// Prices a JSON request and returns only its totals as JSON (see [`quote_totals`]): the
/// totals-only entry point of the language bindings.
///
/// # Errors
///
/// As [`PricingRequest::from_json`] and [`quote_totals`].
pub fn quote_totals_json(request: &str) -> Result<String> {
    let totals = quote_totals(&PricingRequest::from_json(request)?)?;
    // Totals hold only decimal strings: they always serialise.
    Ok(serde_json::to_string(&totals).unwrap_or_default())
}

/// Normalises a coupon code the way pricing compares codes: surrounding whitespace removed,
/// ASCII letters upper-cased (`" save10 "` → `"SAVE10"`).
pub fn normalize_coupon_code(code: &str) -> String {
    normalize_code(code)
}

/// Prices a cart.
///
/// # Errors
///
/// Any invalid input, with [`Error::field`] naming it: an amount with more decimals than the
/// currency allows (`too_many_decimals`), a negative amount, a quantity out of range, a
/// duplicate id, a tax category no rate covers, a percentage outside (0, 100], malformed
/// shipping tiers. A promotion that cannot apply is never an error: it is reported in
/// [`Quote::promotions`] with its reason.
///
/// # Example
///
/// ```
/// use commerce_core::pricing::{quote, PricingRequest};
///
/// let request: PricingRequest = serde_json::from_str(r#"{
///     "currency": "USD",
///     "now": "2026-11-22T12:00:00Z",
///     "lines": [
///         {"id": "1", "sku": "MUG", "quantity": 3, "unit_price": "3.33", "tax_category": "standard"}
///     ],
///     "tax_rates": [{"id": "vat", "rate": "0.20", "categories": ["standard"]}],
///     "promotions": [{
///         "id": "ten-off",
///         "benefit": {"fixed_amount_off": {"amounts": {"USD": "1.00"}, "target": "order"}},
///         "coupon_codes": ["TEN"]
///     }],
///     "coupon_codes": ["ten"]
/// }"#)?;
/// let quote = quote(&request)?;
/// assert_eq!(quote.totals.discount_total.to_string(), "1.00");
/// assert_eq!(quote.totals.tax_total.to_string(), "1.80");
/// assert_eq!(quote.totals.grand_total.to_string(), "10.79");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn quote(request: &PricingRequest) -> Result<Quote<'_>> {
    price(request, explain)
}

/// Prices a cart and returns only its totals: the same pipeline as [`quote`], the same totals
/// to the minor unit and the same errors, without building the explanation (lines, promotion
/// outcomes, coupon outcomes, tax summary).
///
/// For callers that show or charge a total and do not need to say how it was reached: a cart
/// badge recomputed on every change, a total checked against a payment. Anything that shows a
/// customer the discounts or taxes should use [`quote`].
///
/// # Errors
///
/// As [`quote`]: an input [`quote`] rejects, this rejects with the same error.
///
/// # Example
///
/// ```
/// use commerce_core::pricing::{quote, quote_totals, PricingRequest};
///
/// let request: PricingRequest = serde_json::from_str(r#"{
///     "currency": "USD",
///     "now": "2026-11-22T12:00:00Z",
///     "lines": [
///         {"id": "1", "sku": "MUG", "quantity": 3, "unit_price": "3.33", "tax_category": "standard"}
///     ],
///     "tax_rates": [{"id": "vat", "rate": "0.20", "categories": ["standard"]}]
/// }"#)?;
/// let totals = quote_totals(&request)?;
/// assert_eq!(totals.grand_total.to_string(), "11.99");
/// assert_eq!(totals, quote(&request)?.totals);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn quote_totals(request: &PricingRequest) -> Result<Totals> {
    price(request, |priced| {
        let (_, sums) = priced.tax::<false>(|_, _, _| {}, |_, _| {})?;
        Ok(sums.into_totals(request.currency))
    })
}

/// Runs steps 1 to 5 and hands what they priced to `finish`, which runs step 6 (tax, through
/// [`Priced::tax`]) and step 7 (what the caller gets back). Everything stays in this frame and
/// is lent to `finish`, so nothing large is moved between the steps.
fn price<'r, T>(
    request: &'r PricingRequest,
    finish: impl FnOnce(Priced<'_, 'r>) -> Result<T>,
) -> Result<T> {
    let currency = request.currency;
    if request.lines.len() > MAX_LINES {
        return Err(Error::invalid(format!(
            "a request may hold at most {MAX_LINES} lines, not {}",
            request.lines.len()
        ))
        .at("lines"));
    }
    let mut rates = Rates::new();
    rates.fill(&request.tax_rates)?;
    let mut lines = Lines::new();
    lines::resolve(request, &rates, &mut lines)?;
    let mut prepared = PreparedPromotions::new();
    promotions::prepare(request, &mut prepared)?;
    let prepared_shipping = request
        .shipping
        .as_ref()
        .map(|method| PreparedShipping::new(method, currency, &lines, &rates))
        .transpose()?;

    let mut entered_codes: Vec<String> = Vec::new();
    for code in &request.coupon_codes {
        let code = normalize_code(code);
        if !code.is_empty() && !entered_codes.contains(&code) {
            entered_codes.push(code);
        }
    }
    let context = Context {
        request,
        entered_codes: &entered_codes,
        merchandise_subtotal: lines.iter().map(|l| l.subtotal()).sum(),
        mode: request.rounding_mode,
    };

    // Steps 3 to 5: merchandise promotions, shipping, shipping promotions.
    let mut stack = Stack::default();
    let mut outcomes: SmallVec<[Outcome<'_>; 4]> = SmallVec::new();
    let first_shipping_promotion = prepared
        .iter()
        .position(|p| p.is_shipping())
        .unwrap_or(prepared.len());
    for index in 0..first_shipping_promotion {
        outcomes.push(stack.evaluate(&prepared, index, &context, &mut lines, None));
    }
    let merchandise_total: i128 = lines.iter().map(|l| l.remaining()).sum();
    let mut shipping = prepared_shipping.map(|s| s.price(merchandise_total));
    for index in first_shipping_promotion..prepared.len() {
        outcomes.push(stack.evaluate(&prepared, index, &context, &mut lines, shipping.as_mut()));
    }

    finish(Priced {
        request,
        rates: &rates,
        lines: &lines,
        prepared: &prepared,
        outcomes: &outcomes,
        shares: &stack.shares,
        shipping: shipping.as_ref(),
        entered_codes,
    })
}

/// What steps 1 to 5 priced, lent to the last two steps.
struct Priced<'a, 'r> {
    request: &'r PricingRequest,
    rates: &'a Rates<'r>,
    lines: &'a [Line<'r>],
    /// In evaluation order.
    prepared: &'a [promotions::Prepared<'r>],
    /// One per promotion, in evaluation order.
    outcomes: &'a [Outcome<'r>],
    /// The applied promotions' shares of lines, which their outcomes index.
    shares: &'a [(usize, i128)],
    shipping: Option<&'a Shipping<'r>>,
    /// Normalised, distinct, in the order entered.
    entered_codes: Vec<String>,
}

/// One line's (or shipping's) tax, as step 6 computed it.
struct Taxed<'t> {
    /// The amount excluding tax, after discounts.
    net: i128,
    /// `(rate index, tax)`, one per rate covering the line.
    taxes: &'t [(usize, i128)],
    tax_total: i128,
}

/// Per rate: `(taxable amount, tax, whether the rate taxed anything)`.
type RateSummary = SmallVec<[(i128, i128, bool); 4]>;

impl<'r> Priced<'_, 'r> {
    /// Step 6: taxes every line, in order, then shipping, telling `on_line` and `on_shipping`
    /// each result; returns the order's sums and, if `SUMMARY`, the per-rate summary (empty
    /// otherwise).
    fn tax<const SUMMARY: bool>(
        &self,
        mut on_line: impl FnMut(usize, &Line<'r>, &Taxed<'_>),
        on_shipping: impl FnOnce(&Shipping<'r>, &Taxed<'_>),
    ) -> Result<(RateSummary, Sums)> {
        let request = self.request;
        let rule = TaxRule {
            inclusive: request.prices_include_tax,
            level: request.tax_level,
            mode: request.rounding_mode,
        };
        let rates = self.rates;
        let mut summary: RateSummary = if !SUMMARY {
            RateSummary::new()
        } else {
            smallvec::smallvec![(0i128, 0i128, false); rates.rates.len()]
        };
        let mut taxes: SmallVec<[(usize, i128); 4]> = SmallVec::new();
        let mut sums = Sums::default();
        for (index, line) in self.lines.iter().enumerate() {
            taxes.clear();
            let net = rule.apply(
                line.remaining(),
                line.quantity(),
                rates.indices(line.rates()),
                rates,
                &mut taxes,
            )?;
            let tax_total = record_taxes::<SUMMARY>(&taxes, net, &mut summary);
            sums.add(
                line.subtotal(),
                line.subtotal() - line.remaining(),
                net,
                tax_total,
            );
            on_line(
                index,
                line,
                &Taxed {
                    net,
                    taxes: &taxes,
                    tax_total,
                },
            );
        }
        if let Some(s) = self.shipping {
            taxes.clear();
            let net = rule.apply(
                s.remaining,
                1,
                rates.indices(s.rates.clone()),
                rates,
                &mut taxes,
            )?;
            let tax_total = record_taxes::<SUMMARY>(&taxes, net, &mut summary);
            sums.add(0, s.subtotal - s.remaining, net, tax_total);
            sums.shipping = net + tax_total;
            on_shipping(
                s,
                &Taxed {
                    net,
                    taxes: &taxes,
                    tax_total,
                },
            );
        }
        Ok((summary, sums))
    }
}

/// Steps 6 and 7 of [`quote`]: tax, with every amount explained.
fn explain<'r>(priced: Priced<'_, 'r>) -> Result<Quote<'r>> {
    let request = priced.request;
    let currency = request.currency;
    let prepared = priced.prepared;
    let rates = priced.rates;
    let mut line_discounts = LineDiscounts::new(priced.outcomes, priced.shares);
    let mut quote_lines = Vec::with_capacity(priced.lines.len());
    let mut quote_shipping = None;
    let (summary, sums) = priced.tax::<true>(
        |index, line, taxed| {
            let discount_total = line.subtotal() - line.remaining();
            quote_lines.push(QuoteLine {
                id: Cow::Borrowed(&line.input.id),
                sku: Cow::Borrowed(&line.input.sku),
                quantity: line.input.quantity,
                unit_price: decimal(line.unit_price(), currency),
                price_source: line.source(),
                subtotal: decimal(line.subtotal(), currency),
                discounts: {
                    let mut out = SmallVec::new();
                    line_discounts.of(index, |promotion, amount| {
                        out.push(discount(prepared, promotion, amount, currency));
                    });
                    out
                },
                discount_total: decimal(discount_total, currency),
                net_total: decimal(taxed.net, currency),
                tax_lines: tax_lines(taxed.taxes, rates, currency),
                tax_total: decimal(taxed.tax_total, currency),
                total: decimal(taxed.net + taxed.tax_total, currency),
            });
        },
        |s, taxed| {
            quote_shipping = Some(QuoteShipping {
                method: Cow::Borrowed(&s.method.id),
                rate_amount: decimal(s.rate_amount, currency),
                free_above_threshold: s.free_above_threshold,
                subtotal: decimal(s.subtotal, currency),
                discounts: s
                    .discounts
                    .iter()
                    .map(|&(promotion, amount)| discount(prepared, promotion, amount, currency))
                    .collect(),
                discount_total: decimal(s.subtotal - s.remaining, currency),
                net_total: decimal(taxed.net, currency),
                tax_lines: tax_lines(taxed.taxes, rates, currency),
                tax_total: decimal(taxed.tax_total, currency),
                total: decimal(taxed.net + taxed.tax_total, currency),
            });
        },
    )?;

    // Step 7: explanations and totals.
    let lines = priced.lines;
    let promotion_outcomes = prepared
        .iter()
        .zip(priced.outcomes)
        .map(|(p, outcome)| match outcome {
            Outcome::Applied {
                allocations,
                shipping,
            } => {
                let allocations = &priced.shares[allocations.clone()];
                let lines_amount: i128 = allocations.iter().map(|a| a.1).sum();
                PromotionOutcome::Applied {
                    id: Cow::Borrowed(&p.input.id),
                    amount: decimal(lines_amount + shipping, currency),
                    allocations: allocations
                        .iter()
                        .map(|&(line, amount)| Allocation {
                            line: Cow::Borrowed(&lines[line].input.id),
                            amount: decimal(amount, currency),
                        })
                        .collect(),
                    shipping_amount: decimal(*shipping, currency),
                }
            }
            Outcome::NotApplied(reason) => PromotionOutcome::NotApplied {
                id: Cow::Borrowed(&p.input.id),
                reason: reason.clone(),
            },
        })
        .collect::<Vec<_>>();
    let coupon_codes = priced
        .entered_codes
        .into_iter()
        .map(|code| coupon_outcome(code, prepared, &promotion_outcomes))
        .collect();
    let taxes = rates
        .rates
        .iter()
        .zip(&summary)
        .filter(|(_, (_, _, used))| *used)
        .map(|(rate, &(taxable, amount, _))| TaxSummary {
            tax_rate: Cow::Borrowed(&rate.input.id),
            name: rate.input.name.as_deref().map(Cow::Borrowed),
            rate: rate.input.rate,
            taxable_amount: decimal(taxable, currency),
            amount: decimal(amount, currency),
        })
        .collect();
    Ok(Quote {
        currency,
        prices_include_tax: request.prices_include_tax,
        lines: quote_lines,
        shipping: quote_shipping,
        promotions: promotion_outcomes,
        coupon_codes,
        taxes,
        totals: sums.into_totals(currency),
    })
}

/// Each line's discounts, in evaluation order, read from the promotions' allocations as the
/// lines are visited in order: every promotion allocates in ascending line order, so one cursor
/// per promotion finds them without sorting or allocating.
struct LineDiscounts<'o> {
    shares: &'o [(usize, i128)],
    /// Per promotion: the range of its shares not yet read (empty if it did not apply).
    cursors: SmallVec<[Range<usize>; 4]>,
}

impl<'o> LineDiscounts<'o> {
    fn new(outcomes: &[Outcome<'_>], shares: &'o [(usize, i128)]) -> LineDiscounts<'o> {
        let cursors: SmallVec<[Range<usize>; 4]> = outcomes
            .iter()
            .map(|outcome| match outcome {
                Outcome::Applied { allocations, .. } => allocations.clone(),
                Outcome::NotApplied(_) => 0..0,
            })
            .collect();
        debug_assert!(
            cursors
                .iter()
                .all(|range| shares[range.clone()].is_sorted_by_key(|a| a.0))
        );
        LineDiscounts { shares, cursors }
    }

    /// Calls `each(promotion, amount)` for line `line`'s discounts; lines must be visited in
    /// ascending order.
    fn of(&mut self, line: usize, mut each: impl FnMut(usize, i128)) {
        for (promotion, cursor) in self.cursors.iter_mut().enumerate() {
            if cursor.start < cursor.end {
                let (at, amount) = self.shares[cursor.start];
                if at == line {
                    each(promotion, amount);
                    cursor.start += 1;
                }
            }
        }
    }
}

#[derive(Default)]
struct Sums {
    subtotal: i128,
    discount: i128,
    shipping: i128,
    net: i128,
    tax: i128,
}

impl Sums {
    fn add(&mut self, subtotal: i128, discount: i128, net: i128, tax: i128) {
        self.subtotal += subtotal;
        self.discount += discount;
        self.net += net;
        self.tax += tax;
    }

    fn into_totals(self, currency: Currency) -> Totals {
        Totals {
            subtotal: decimal(self.subtotal, currency),
            discount_total: decimal(self.discount, currency),
            shipping_total: decimal(self.shipping, currency),
            net_total: decimal(self.net, currency),
            tax_total: decimal(self.tax, currency),
            grand_total: decimal(self.net + self.tax, currency),
        }
    }
}

/// Adds a line's taxes to the per-rate summary, if `SUMMARY`; returns the line's tax total.
fn record_taxes<const SUMMARY: bool>(
    taxes: &[(usize, i128)],
    net: i128,
    summary: &mut [(i128, i128, bool)],
) -> i128 {
    let mut total = 0;
    for &(rate, amount) in taxes {
        if SUMMARY {
            let entry = &mut summary[rate];
            entry.0 += net;
            entry.1 += amount;
            entry.2 = true;
        }
        total += amount;
    }
    total
}

fn tax_lines<'r>(
    taxes: &[(usize, i128)],
    rates: &Rates<'r>,
    currency: Currency,
) -> SmallVec<[TaxLine<'r>; 1]> {
    let mut lines = SmallVec::with_capacity(taxes.len());
    for &(rate, amount) in taxes {
        lines.push(TaxLine {
            tax_rate: Cow::Borrowed(&rates.rates[rate].input.id),
            rate: rates.rates[rate].input.rate,
            amount: decimal(amount, currency),
        });
    }
    lines
}

/// A promotion's share of a line or of shipping, as the quote shows it.
fn discount<'r>(
    prepared: &[promotions::Prepared<'r>],
    promotion: usize,
    amount: i128,
    currency: Currency,
) -> LineDiscount<'r> {
    LineDiscount {
        promotion: Cow::Borrowed(&prepared[promotion].input.id),
        amount: decimal(amount, currency),
    }
}

fn coupon_outcome<'r>(
    code: String,
    prepared: &[promotions::Prepared<'r>],
    outcomes: &[PromotionOutcome<'r>],
) -> CouponOutcome<'r> {
    let mut promotions = Vec::new();
    let mut applied = false;
    for (p, outcome) in prepared.iter().zip(outcomes) {
        if p.has_code(&code) {
            promotions.push(Cow::Borrowed(&*p.input.id));
            applied |= matches!(outcome, PromotionOutcome::Applied { .. });
        }
    }
    let status = match (promotions.is_empty(), applied) {
        (true, _) => CouponStatus::Unknown,
        (false, true) => CouponStatus::Applied,
        (false, false) => CouponStatus::NotApplied,
    };
    CouponOutcome {
        code,
        status,
        promotions,
    }
}
