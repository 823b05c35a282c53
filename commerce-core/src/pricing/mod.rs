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
pub use validate::{MAX_AMOUNT_MINOR, MAX_LINES, MAX_QUANTITY};

use std::borrow::Cow;

use smallvec::SmallVec;

use crate::error::{Error, Result};
use crate::money::Currency;
use promotions::{Context, Outcome, Stack, decimal};
use shipping::PreparedShipping;
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
    let currency = request.currency;
    if request.lines.len() > MAX_LINES {
        return Err(Error::invalid(format!(
            "a request may hold at most {MAX_LINES} lines, not {}",
            request.lines.len()
        ))
        .at("lines"));
    }
    let rates = Rates::new(&request.tax_rates)?;
    let mut lines = lines::resolve(request, &rates)?;
    let prepared = promotions::prepare(request)?;
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
        merchandise_subtotal: lines.iter().map(|l| l.subtotal).sum(),
        mode: request.rounding_mode,
    };

    // Steps 3 to 5: merchandise promotions, shipping, shipping promotions.
    let mut stack = Stack::default();
    let mut outcomes: SmallVec<[Outcome<'_>; 4]> = SmallVec::with_capacity(prepared.len());
    let first_shipping_promotion = prepared
        .iter()
        .position(|p| p.is_shipping())
        .unwrap_or(prepared.len());
    for index in 0..first_shipping_promotion {
        outcomes.push(stack.evaluate(&prepared, index, &context, &mut lines, None));
    }
    let merchandise_total: i128 = lines.iter().map(|l| l.remaining).sum();
    let mut shipping = prepared_shipping.map(|s| s.price(merchandise_total));
    for index in first_shipping_promotion..prepared.len() {
        outcomes.push(stack.evaluate(&prepared, index, &context, &mut lines, shipping.as_mut()));
    }

    // Step 6: tax.
    let rule = TaxRule {
        inclusive: request.prices_include_tax,
        level: request.tax_level,
        mode: request.rounding_mode,
    };
    let mut line_discounts = LineDiscounts::new(&outcomes);
    let mut summary: SmallVec<[(i128, i128, bool); 4]> =
        smallvec::smallvec![(0i128, 0i128, false); rates.rates.len()];
    let mut taxes: SmallVec<[(usize, i128); 4]> = SmallVec::new();
    let mut quote_lines = Vec::with_capacity(lines.len());
    let mut totals = Sums::default();
    for (index, line) in lines.iter().enumerate() {
        taxes.clear();
        let net = rule.apply(
            line.remaining,
            line.quantity,
            rates.indices(line.rates.clone()),
            &rates,
            &mut taxes,
        )?;
        let tax_total = record_taxes(&taxes, net, &mut summary);
        let discount_total = line.subtotal - line.remaining;
        totals.add(line.subtotal, discount_total, net, tax_total);
        quote_lines.push(QuoteLine {
            id: Cow::Borrowed(&line.input.id),
            sku: Cow::Borrowed(&line.input.sku),
            quantity: line.input.quantity,
            unit_price: decimal(line.unit_price, currency),
            price_source: line.source.clone(),
            subtotal: decimal(line.subtotal, currency),
            discounts: {
                let mut out = SmallVec::new();
                line_discounts.of(index, |promotion, amount| {
                    out.push(discount(&prepared, promotion, amount, currency));
                });
                out
            },
            discount_total: decimal(discount_total, currency),
            net_total: decimal(net, currency),
            tax_lines: tax_lines(&taxes, &rates, currency),
            tax_total: decimal(tax_total, currency),
            total: decimal(net + tax_total, currency),
        });
    }
    let quote_shipping = match &shipping {
        None => None,
        Some(s) => {
            taxes.clear();
            let net = rule.apply(
                s.remaining,
                1,
                rates.indices(s.rates.clone()),
                &rates,
                &mut taxes,
            )?;
            let tax_total = record_taxes(&taxes, net, &mut summary);
            let discount_total = s.subtotal - s.remaining;
            totals.add(0, discount_total, net, tax_total);
            totals.shipping = net + tax_total;
            Some(QuoteShipping {
                method: Cow::Borrowed(&s.method.id),
                rate_amount: decimal(s.rate_amount, currency),
                free_above_threshold: s.free_above_threshold,
                subtotal: decimal(s.subtotal, currency),
                discounts: s
                    .discounts
                    .iter()
                    .map(|&(promotion, amount)| discount(&prepared, promotion, amount, currency))
                    .collect(),
                discount_total: decimal(discount_total, currency),
                net_total: decimal(net, currency),
                tax_lines: tax_lines(&taxes, &rates, currency),
                tax_total: decimal(tax_total, currency),
                total: decimal(net + tax_total, currency),
            })
        }
    };

    // Step 7: explanations and totals.
    let promotion_outcomes = prepared
        .iter()
        .zip(outcomes)
        .map(|(p, outcome)| match outcome {
            Outcome::Applied {
                allocations,
                shipping,
            } => {
                let lines_amount: i128 = allocations.iter().map(|a| a.1).sum();
                PromotionOutcome::Applied {
                    id: Cow::Borrowed(&p.input.id),
                    amount: decimal(lines_amount + shipping, currency),
                    allocations: allocations
                        .into_iter()
                        .map(|(line, amount)| Allocation {
                            line: Cow::Borrowed(&lines[line].input.id),
                            amount: decimal(amount, currency),
                        })
                        .collect(),
                    shipping_amount: decimal(shipping, currency),
                }
            }
            Outcome::NotApplied(reason) => PromotionOutcome::NotApplied {
                id: Cow::Borrowed(&p.input.id),
                reason,
            },
        })
        .collect::<Vec<_>>();
    let coupon_codes = entered_codes
        .into_iter()
        .map(|code| coupon_outcome(code, &prepared, &promotion_outcomes))
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
        totals: totals.into_totals(currency),
    })
}

/// Each line's discounts, in evaluation order, read from the promotions' allocations as the
/// lines are visited in order: every promotion allocates in ascending line order, so one cursor
/// per promotion finds them without sorting or allocating.
struct LineDiscounts<'o, 'r> {
    outcomes: &'o [Outcome<'r>],
    cursors: SmallVec<[usize; 4]>,
}

impl<'o, 'r> LineDiscounts<'o, 'r> {
    fn new(outcomes: &'o [Outcome<'r>]) -> LineDiscounts<'o, 'r> {
        debug_assert!(outcomes.iter().all(|o| match o {
            Outcome::Applied { allocations, .. } => allocations.is_sorted_by_key(|a| a.0),
            Outcome::NotApplied(_) => true,
        }));
        LineDiscounts {
            outcomes,
            cursors: smallvec::smallvec![0; outcomes.len()],
        }
    }

    /// Calls `each(promotion, amount)` for line `line`'s discounts; lines must be visited in
    /// ascending order.
    fn of(&mut self, line: usize, mut each: impl FnMut(usize, i128)) {
        for (promotion, (outcome, cursor)) in
            self.outcomes.iter().zip(&mut self.cursors).enumerate()
        {
            if let Outcome::Applied { allocations, .. } = outcome {
                if let Some(&(at, amount)) = allocations.get(*cursor) {
                    if at == line {
                        each(promotion, amount);
                        *cursor += 1;
                    }
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

/// Adds a line's taxes to the per-rate summary; returns the line's tax total.
fn record_taxes(taxes: &[(usize, i128)], net: i128, summary: &mut [(i128, i128, bool)]) -> i128 {
    let mut total = 0;
    for &(rate, amount) in taxes {
        let entry = &mut summary[rate];
        entry.0 += net;
        entry.1 += amount;
        entry.2 = true;
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
