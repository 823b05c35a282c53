//! Step 3 and 5: promotions, evaluated one after another in a fixed, documented order.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::ops::Range;

use smallvec::SmallVec;

use super::lines::Line;
use super::quote::NotAppliedReason;
use super::request::{Benefit, CombinesWith, LineSelector, PricingRequest, Promotion, Target};
use super::shipping::Shipping;
use super::validate::{Fraction, first_duplicate, minor_units, normalize_code};
use crate::error::{Error, ErrorKind, Result};
use crate::money::{Currency, RoundingMode, allocate};

impl Promotion {
    /// Checks the promotion on its own, as a quote would: a percentage in `0 < p ≤ 100`,
    /// amounts that are not negative and have at most their currency's decimals, buy and get
    /// quantities of at least 1.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] and the amount errors, naming the field.
    ///
    /// # Example
    ///
    /// ```
    /// use commerce_core::pricing::{Benefit, Promotion, Target};
    ///
    /// let half = Promotion::new("half", Benefit::PercentageOff { percent: "50".parse()?, target: Target::Order });
    /// assert!(half.validate().is_ok());
    /// let too_much = Promotion::new("x", Benefit::PercentageOff { percent: "150".parse()?, target: Target::Order });
    /// assert_eq!(too_much.validate().unwrap_err().field(), Some("benefit.percentage_off.percent"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn validate(&self) -> Result<()> {
        if self.id.trim().is_empty() {
            return Err(Error::invalid("a promotion needs an id").at("id"));
        }
        // Amounts of every currency are checked whichever currency the check is made in.
        Prepared::new(self, Currency::USD).map(|_| ())
    }
}

/// The kind of promotion, for combination rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    Order,
    Lines,
    Shipping,
}

impl Class {
    fn allowed_by(self, combines: &CombinesWith) -> bool {
        match self {
            Class::Order => combines.order,
            Class::Lines => combines.lines,
            Class::Shipping => combines.shipping,
        }
    }
}

enum Kind<'r> {
    Percent(Fraction, &'r Target),
    Fixed(Option<i128>, &'r Target),
    BuyXGetY {
        buy: (&'r LineSelector, i128),
        get: (&'r LineSelector, i128),
        percent: Fraction,
        max_applications: Option<u32>,
    },
    FreeShipping,
}

/// A checked promotion.
pub(crate) struct Prepared<'r> {
    pub input: &'r Promotion,
    class: Class,
    kind: Kind<'r>,
    /// `None` when the promotion lacks a value for the request currency.
    cap: Option<Option<i128>>,
    min_subtotal: Option<Option<i128>>,
    codes: Vec<String>,
}

impl<'r> Prepared<'r> {
    fn new(input: &'r Promotion, currency: Currency) -> Result<Prepared<'r>> {
        let per_currency =
            |map: &crate::pricing::PerCurrency, field: &str| -> Result<Option<Option<i128>>> {
                if map.is_empty() {
                    return Ok(None);
                }
                for (c, value) in map {
                    minor_units(*value, *c).map_err(|e| e.at(format_args!("{field}.{c}")))?;
                }
                Ok(Some(
                    map.get(&currency)
                        .map(|v| minor_units(*v, currency))
                        .transpose()?,
                ))
            };
        let (class, kind) = match &input.benefit {
            Benefit::PercentageOff { percent, target } => (
                class_of(target),
                Kind::Percent(
                    Fraction::percent(*percent)
                        .map_err(|e| e.at("benefit.percentage_off.percent"))?,
                    target,
                ),
            ),
            Benefit::FixedAmountOff { amounts, target } => {
                // An empty map is a promotion with no amount in any currency: it cannot apply
                // (`currency_not_supported`), which is never an error.
                let amount = per_currency(amounts, "benefit.fixed_amount_off.amounts")?.flatten();
                (class_of(target), Kind::Fixed(amount, target))
            }
            Benefit::BuyXGetY {
                buy,
                get,
                percent,
                max_applications,
            } => {
                if buy.quantity == 0 || get.quantity == 0 {
                    return Err(
                        Error::invalid("buy.quantity and get.quantity must be at least 1")
                            .at("benefit.buy_x_get_y"),
                    );
                }
                (
                    Class::Lines,
                    Kind::BuyXGetY {
                        buy: (&buy.items, i128::from(buy.quantity)),
                        get: (&get.items, i128::from(get.quantity)),
                        percent: Fraction::percent(*percent)
                            .map_err(|e| e.at("benefit.buy_x_get_y.percent"))?,
                        max_applications: *max_applications,
                    },
                )
            }
            Benefit::FreeShipping => (Class::Shipping, Kind::FreeShipping),
        };
        Ok(Prepared {
            input,
            class,
            kind,
            cap: per_currency(&input.max_discount, "max_discount")?,
            min_subtotal: per_currency(&input.conditions.min_subtotal, "conditions.min_subtotal")?,
            codes: if input.coupon_codes.is_empty() {
                Vec::new()
            } else {
                input
                    .coupon_codes
                    .iter()
                    .map(|c| normalize_code(c))
                    .collect()
            },
        })
    }

    /// True for promotions on shipping, which are evaluated after shipping is priced.
    pub(crate) fn is_shipping(&self) -> bool {
        self.class == Class::Shipping
    }

    /// True if `code` (normalised) unlocks this promotion.
    pub(crate) fn has_code(&self, code: &str) -> bool {
        self.codes.iter().any(|c| c == code)
    }

    fn currency_supported(&self) -> bool {
        !matches!(self.kind, Kind::Fixed(None, _))
            && !matches!(self.cap, Some(None))
            && !matches!(self.min_subtotal, Some(None))
    }
}

fn class_of(target: &Target) -> Class {
    match target {
        Target::Order => Class::Order,
        Target::Lines(_) => Class::Lines,
        Target::Shipping => Class::Shipping,
    }
}

/// The checked promotions of a request, inline up to a typical few.
pub(crate) type PreparedPromotions<'r> = SmallVec<[Prepared<'r>; 4]>;

/// Checks the request's promotions and puts them in evaluation order: merchandise promotions
/// (order, lines, buy X get Y) by priority then id, then shipping promotions by priority then id.
/// Filled in place into `prepared` (empty), because the promotions are held inline and
/// returning them would copy them.
pub(crate) fn prepare<'r>(
    request: &'r PricingRequest,
    prepared: &mut PreparedPromotions<'r>,
) -> Result<()> {
    if let Some((index, id)) = first_duplicate(request.promotions.iter().map(|p| &*p.id)) {
        return Err(Error::new(ErrorKind::DuplicateId { id: id.to_string() })
            .at("id")
            .at(format_args!("[{index}]"))
            .at("promotions"));
    }
    prepared.reserve_exact(request.promotions.len());
    for (index, promotion) in request.promotions.iter().enumerate() {
        let at = |e: Error| e.at(format_args!("[{index}]")).at("promotions");
        prepared.push(Prepared::new(promotion, request.currency).map_err(at)?);
    }
    prepared.sort_by(|a, b| {
        (a.class == Class::Shipping)
            .cmp(&(b.class == Class::Shipping))
            .then(a.input.priority.cmp(&b.input.priority))
            .then_with(|| a.input.id.cmp(&b.input.id))
    });
    Ok(())
}

fn matches(selector: &LineSelector, line: &Line<'_>) -> bool {
    let input = line.input;
    (selector.skus.is_empty()
        && selector.product_ids.is_empty()
        && selector.category_ids.is_empty())
        || selector.skus.contains(&input.sku)
        || input
            .product_id
            .as_ref()
            .is_some_and(|p| selector.product_ids.contains(p))
        || input
            .category_ids
            .iter()
            .any(|c| selector.category_ids.contains(c))
}

/// Orders lines by id: the tie-break that keeps results independent of line order.
fn by_id(lines: &[Line<'_>], a: usize, b: usize) -> Ordering {
    lines[a].input.id.cmp(&lines[b].input.id)
}

/// The result of one promotion.
pub(crate) enum Outcome<'r> {
    Applied {
        /// Where its shares are in [`Stack::shares`]: `(line index, amount)` for lines with a
        /// non-zero share, in ascending line order.
        allocations: Range<usize>,
        shipping: i128,
    },
    NotApplied(NotAppliedReason<'r>),
}

/// What the promotions see of the request.
pub(crate) struct Context<'a> {
    pub request: &'a PricingRequest,
    pub entered_codes: &'a [String],
    pub merchandise_subtotal: i128,
    pub mode: RoundingMode,
}

/// Every applied promotion's `(line index, amount)` shares, one promotion after another; an
/// [`Outcome::Applied`] names its range. One buffer for all, inline for small carts.
pub(crate) type Shares = SmallVec<[(usize, i128); 4]>;

/// Stacking state (what has applied so far) and scratch space reused across promotions.
#[derive(Default)]
pub(crate) struct Stack {
    /// The shares of the promotions applied so far.
    pub shares: Shares,
    applied: SmallVec<[usize; 4]>,
    stopped_by: Option<usize>,
    targeted: SmallVec<[usize; 16]>,
    scratch: Scratch,
}

/// Buffers for allocating a discount, kept inline for small carts.
#[derive(Default)]
struct Scratch {
    remainders: SmallVec<[u64; 16]>,
    order_keys: SmallVec<[u64; 16]>,
    order: SmallVec<[usize; 16]>,
}

impl Stack {
    /// Evaluates promotion `index` (in evaluation order) and applies it to `lines` and `shipping`.
    pub(crate) fn evaluate<'r>(
        &mut self,
        promotions: &[Prepared<'r>],
        index: usize,
        context: &Context<'_>,
        lines: &mut [Line<'_>],
        shipping: Option<&mut Shipping<'_>>,
    ) -> Outcome<'r> {
        let promotion = &promotions[index];
        let start = self.shares.len();
        let shipping_amount = match self.try_apply(promotions, index, context, lines, shipping) {
            Ok(shipping_amount) => shipping_amount,
            Err(reason) => {
                self.shares.truncate(start);
                return Outcome::NotApplied(reason);
            }
        };
        let allocations = start..self.shares.len();
        for &(line, amount) in &self.shares[allocations.clone()] {
            lines[line].discount(amount);
        }
        self.applied.push(index);
        if promotion.input.exclusive || promotion.input.stop_further {
            self.stopped_by = Some(index);
        }
        Outcome::Applied {
            allocations,
            shipping: shipping_amount,
        }
    }

    fn try_apply<'r>(
        &mut self,
        promotions: &[Prepared<'r>],
        index: usize,
        context: &Context<'_>,
        lines: &[Line<'_>],
        shipping: Option<&mut Shipping<'_>>,
    ) -> Result<i128, NotAppliedReason<'r>> {
        let promotion = &promotions[index];
        let input = promotion.input;
        let request = context.request;

        // 1. Conditions, in this order; the first that fails is the reason.
        if !promotion.currency_supported() {
            return Err(NotAppliedReason::CurrencyNotSupported);
        }
        if input.starts_at.is_some_and(|t| request.now < t) {
            return Err(NotAppliedReason::NotStarted);
        }
        if input.ends_at.is_some_and(|t| request.now >= t) {
            return Err(NotAppliedReason::Expired);
        }
        if input.remaining_uses == Some(0) {
            return Err(NotAppliedReason::UsageExhausted);
        }
        if !promotion.codes.is_empty()
            && !promotion
                .codes
                .iter()
                .any(|code| context.entered_codes.contains(code))
        {
            return Err(NotAppliedReason::CouponNotEntered);
        }
        let conditions = &input.conditions;
        if !conditions.customer_groups.is_empty()
            && !request
                .customer
                .group
                .as_ref()
                .is_some_and(|g| conditions.customer_groups.contains(g))
        {
            return Err(NotAppliedReason::CustomerGroupNotEligible);
        }
        if conditions.first_order && request.customer.previous_orders > 0 {
            return Err(NotAppliedReason::FirstOrderOnly);
        }
        if let Some(Some(threshold)) = promotion.min_subtotal
            && context.merchandise_subtotal < threshold
        {
            return Err(NotAppliedReason::MinSubtotalNotMet {
                threshold: decimal(threshold, request.currency),
            });
        }
        let targeted = &mut self.targeted;
        targeted.clear();
        match &promotion.kind {
            Kind::Percent(_, Target::Lines(selector)) | Kind::Fixed(_, Target::Lines(selector)) => {
                targeted.extend((0..lines.len()).filter(|&i| matches(selector, &lines[i])));
            }
            Kind::BuyXGetY { buy, get, .. } => targeted.extend(
                (0..lines.len())
                    .filter(|&i| matches(buy.0, &lines[i]) || matches(get.0, &lines[i])),
            ),
            _ => targeted.extend(0..lines.len()),
        }
        let Stack {
            shares,
            applied,
            stopped_by,
            targeted,
            scratch,
        } = self;
        let stack = Stacked {
            applied,
            stopped_by: *stopped_by,
        };
        check_and_compute(
            promotions, index, context, lines, shipping, &stack, scratch, targeted, shares,
        )
    }
}

/// What earlier promotions decided, as the stacking rules read it.
struct Stacked<'a> {
    applied: &'a [usize],
    stopped_by: Option<usize>,
}

#[allow(clippy::too_many_arguments)]
fn check_and_compute<'r>(
    promotions: &[Prepared<'r>],
    index: usize,
    context: &Context<'_>,
    lines: &[Line<'_>],
    shipping: Option<&mut Shipping<'_>>,
    stack: &Stacked<'_>,
    scratch: &mut Scratch,
    targeted: &[usize],
    shares: &mut Shares,
) -> Result<i128, NotAppliedReason<'r>> {
    let promotion = &promotions[index];
    let input = promotion.input;
    let conditions = &input.conditions;
    if let Some(threshold) = conditions.min_quantity {
        let quantity: i128 = targeted.iter().map(|&i| lines[i].quantity()).sum();
        if quantity < i128::from(threshold) {
            return Err(NotAppliedReason::MinQuantityNotMet { threshold });
        }
    }
    if promotion.class == Class::Shipping {
        if shipping.is_none() {
            return Err(NotAppliedReason::ShippingNotSelected);
        }
    } else if targeted.is_empty() {
        return Err(NotAppliedReason::NoEligibleLines);
    }

    // 2. Stacking.
    if let Some(stopper) = stack.stopped_by {
        return Err(NotAppliedReason::SupersededBy {
            promotion: Cow::Borrowed(&promotions[stopper].input.id),
        });
    }
    if input.exclusive
        && let Some(&first) = stack.applied.first()
    {
        return Err(NotAppliedReason::SupersededBy {
            promotion: Cow::Borrowed(&promotions[first].input.id),
        });
    }
    for &other in stack.applied {
        let other = &promotions[other];
        if !promotion.class.allowed_by(&other.input.combines_with)
            || !other.class.allowed_by(&input.combines_with)
        {
            return Err(NotAppliedReason::NotCombinableWith {
                promotion: Cow::Borrowed(&other.input.id),
            });
        }
    }

    // 3. The amount.
    let cap = promotion.cap.flatten();
    let mode = context.mode;
    match &promotion.kind {
        Kind::Percent(..) | Kind::Fixed(..) | Kind::FreeShipping
            if promotion.class == Class::Shipping =>
        {
            let shipping = shipping.ok_or(NotAppliedReason::ShippingNotSelected)?;
            let base = shipping.remaining;
            let amount = match promotion.kind {
                Kind::Percent(f, _) => mode.round_ratio(base * f.numerator, f.denominator),
                Kind::Fixed(Some(amount), _) => amount.min(base),
                _ => base,
            };
            let amount = cap.map_or(amount, |c| amount.min(c));
            if amount == 0 {
                return Err(NotAppliedReason::NothingToDiscount);
            }
            shipping.remaining -= amount;
            shipping.discounts.push((index, amount));
            Ok(amount)
        }
        Kind::Percent(f, _) => {
            let base: i128 = targeted.iter().map(|&i| lines[i].remaining()).sum();
            let amount = mode.round_ratio(base * f.numerator, f.denominator);
            scratch.spread(lines, targeted, base, amount, cap, shares)
        }
        Kind::Fixed(amount, _) => {
            let base: i128 = targeted.iter().map(|&i| lines[i].remaining()).sum();
            let amount = amount.unwrap_or(0).min(base);
            scratch.spread(lines, targeted, base, amount, cap, shares)
        }
        Kind::BuyXGetY {
            buy,
            get,
            percent,
            max_applications,
        } => {
            let rewarded = buy_x_get_y(lines, targeted, *buy, *get, *max_applications);
            let Some(rewarded) = rewarded else {
                return Err(NotAppliedReason::BuyQuantityNotMet {
                    required: u32::try_from(buy.1 + get.1).unwrap_or(u32::MAX),
                });
            };
            let rewarded: Vec<(usize, i128)> = rewarded
                .into_iter()
                .map(|(i, units)| {
                    let line = &lines[i];
                    let share = mode.round_ratio(
                        line.remaining() * units * percent.numerator,
                        line.quantity() * percent.denominator,
                    );
                    (i, share)
                })
                .collect();
            let total: i128 = rewarded.iter().map(|s| s.1).sum();
            let start = shares.len();
            match cap {
                Some(cap) if cap < total => {
                    let indices: Vec<usize> = rewarded.iter().map(|s| s.0).collect();
                    let weights: Vec<i128> = rewarded.iter().map(|s| s.1).collect();
                    let parts =
                        allocate(cap, &weights, |a, b| by_id(lines, indices[a], indices[b]))
                            .map_err(|_| NotAppliedReason::NothingToDiscount)?;
                    shares.extend(indices.into_iter().zip(parts));
                }
                _ => shares.extend(rewarded),
            }
            nonzero(shares, start)
        }
        Kind::FreeShipping => Err(NotAppliedReason::ShippingNotSelected),
    }
}

impl Scratch {
    /// Caps `amount` and allocates it over the `targeted` lines in proportion to what remains of
    /// them (`base` in total), by largest remainder with ties broken by line id.
    fn spread<'r>(
        &mut self,
        lines: &[Line<'_>],
        targeted: &[usize],
        base: i128,
        amount: i128,
        cap: Option<i128>,
        out: &mut Shares,
    ) -> Result<i128, NotAppliedReason<'r>> {
        let amount = cap.map_or(amount, |c| amount.min(c));
        if amount <= 0 || base <= 0 {
            return Err(NotAppliedReason::NothingToDiscount);
        }
        // Every amount is below 10^18 (validate::MAX_AMOUNT_MINOR), so all of this is unsigned
        // and the sum fits in 64 bits; products usually do too, and 64-bit division is fast.
        let (total, sum) = (amount as u128, base as u64);
        let start = out.len();
        out.reserve_exact(targeted.len());
        self.remainders.clear();
        let mut assigned = 0u128;
        for &line in targeted {
            let weight = lines[line].remaining() as u64;
            let (share, remainder) = match (total as u64).checked_mul(weight) {
                Some(product) if total <= u128::from(u64::MAX) => {
                    (u128::from(product / sum), u128::from(product % sum))
                }
                _ => {
                    let product = total * u128::from(weight);
                    (product / u128::from(sum), product % u128::from(sum))
                }
            };
            out.push((line, share as i128));
            // A remainder is below `sum`, which fits in 64 bits.
            self.remainders.push(remainder as u64);
            assigned += share;
        }
        // Each share dropped less than one unit, so fewer units are left over than there are
        // lines.
        let leftover = (total - assigned) as usize;
        debug_assert!(leftover < targeted.len());
        if leftover > 0 {
            // The `leftover` largest remainders get a unit each, ties at the smallest of them
            // going to the lowest line ids. Selecting on the bare remainders first keeps the
            // comparison cheap; ids are compared only among the tied.
            self.order_keys.clear();
            self.order_keys.extend_from_slice(&self.remainders);
            let (_, &mut threshold, _) = self
                .order_keys
                .select_nth_unstable_by(leftover - 1, |a, b| b.cmp(a));
            let mut above = 0usize;
            self.order.clear();
            for (position, &remainder) in self.remainders.iter().enumerate() {
                if remainder > threshold {
                    out[start + position].1 += 1;
                    above += 1;
                } else if remainder == threshold {
                    self.order.push(position);
                }
            }
            let tied_winners = leftover - above;
            let by_line_id = |&a: &usize, &b: &usize| by_id(lines, targeted[a], targeted[b]);
            if tied_winners < self.order.len() {
                self.order.select_nth_unstable_by(tied_winners, by_line_id);
            }
            for &position in &self.order[..tied_winners] {
                out[start + position].1 += 1;
            }
        }
        nonzero(out, start)
    }
}

/// Drops the zero shares that `shares` holds from `start` on; a promotion left with none
/// discounted nothing. Returns the amount taken off shipping (none).
fn nonzero<'r>(shares: &mut Shares, start: usize) -> Result<i128, NotAppliedReason<'r>> {
    let mut kept = start;
    for at in start..shares.len() {
        if shares[at].1 != 0 {
            shares[kept] = shares[at];
            kept += 1;
        }
    }
    shares.truncate(kept);
    if kept == start {
        Err(NotAppliedReason::NothingToDiscount)
    } else {
        Ok(0)
    }
}

/// Chooses the units a buy-X-get-Y promotion discounts: per application, the `buy` units are
/// taken from the most expensive qualifying units and the `get` units from the cheapest, never
/// the same unit twice; applications repeat until units run out or the maximum is reached.
/// Returns `(line index, units discounted)`, or `None` if not even one application fits.
fn buy_x_get_y(
    lines: &[Line<'_>],
    targeted: &[usize],
    (buy_selector, buy_quantity): (&LineSelector, i128),
    (get_selector, get_quantity): (&LineSelector, i128),
    max_applications: Option<u32>,
) -> Option<Vec<(usize, i128)>> {
    // A line's unit value is remaining / quantity; a/b against c/d is a·d against c·b, exactly.
    let value = |a: usize, b: usize| {
        (lines[a].remaining() * lines[b].quantity())
            .cmp(&(lines[b].remaining() * lines[a].quantity()))
    };
    let qualifying = |selector: &LineSelector| -> Vec<usize> {
        targeted
            .iter()
            .copied()
            .filter(|&i| matches(selector, &lines[i]))
            .collect()
    };
    let mut buy = qualifying(buy_selector);
    let mut get = qualifying(get_selector);
    buy.sort_by(|&a, &b| value(b, a).then_with(|| by_id(lines, a, b)));
    get.sort_by(|&a, &b| value(a, b).then_with(|| by_id(lines, a, b)));

    let mut available = vec![0i128; lines.len()];
    for &i in targeted {
        available[i] = lines[i].quantity();
    }
    let mut rewarded = vec![0i128; lines.len()];
    let limit = max_applications.map_or(i128::MAX, i128::from);
    let (mut applications, mut b, mut g) = (0i128, 0usize, 0usize);
    while applications < limit {
        while b < buy.len() && available[buy[b]] == 0 {
            b += 1;
        }
        while g < get.len() && available[get[g]] == 0 {
            g += 1;
        }
        if b == buy.len() || g == get.len() {
            break;
        }
        let (x, y) = (buy[b], get[g]);
        // Whole applications that fit in the two front lines at once.
        let bulk = if x == y {
            available[x] / (buy_quantity + get_quantity)
        } else {
            (available[x] / buy_quantity).min(available[y] / get_quantity)
        }
        .min(limit - applications);
        if bulk > 0 {
            available[x] -= bulk * buy_quantity;
            available[y] -= bulk * get_quantity;
            rewarded[y] += bulk * get_quantity;
            applications += bulk;
            continue;
        }
        // One application spanning several lines, undone if it cannot be completed.
        let mut taken: Vec<(usize, i128, bool)> = Vec::new();
        let mut take = |order: &[usize], mut need: i128, is_get: bool| {
            for &line in order {
                if need == 0 {
                    break;
                }
                let units = available[line].min(need);
                if units > 0 {
                    available[line] -= units;
                    taken.push((line, units, is_get));
                    need -= units;
                }
            }
            need == 0
        };
        let complete = take(&buy[b..], buy_quantity, false) && take(&get[g..], get_quantity, true);
        if !complete {
            for (line, units, _) in taken {
                available[line] += units;
            }
            break;
        }
        for (line, units, is_get) in taken {
            if is_get {
                rewarded[line] += units;
            }
        }
        applications += 1;
    }
    (applications > 0).then(|| {
        rewarded
            .into_iter()
            .enumerate()
            .filter(|r| r.1 > 0)
            .collect()
    })
}

/// The decimal value of `minor` units of `currency`.
///
/// Built from its parts: amounts stay far below 2^96 minor units (see `MAX_AMOUNT_MINOR`), so
/// the magnitude always fits the 96-bit mantissa, and a currency's exponent is at most 4.
#[inline]
pub(crate) fn decimal(minor: i128, currency: Currency) -> rust_decimal::Decimal {
    debug_assert!(minor.unsigned_abs() < 1u128 << 96);
    let magnitude = minor.unsigned_abs();
    rust_decimal::Decimal::from_parts(
        magnitude as u32,
        (magnitude >> 32) as u32,
        (magnitude >> 64) as u32,
        minor < 0,
        currency.exponent(),
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use proptest::prelude::*;
    use rust_decimal::Decimal;

    use super::*;
    use crate::pricing::LineInput;

    fn input(id: u8) -> LineInput {
        LineInput {
            id: Arc::from(format!("line-{id}")),
            sku: Arc::from("SKU"),
            product_id: None,
            category_ids: Vec::new(),
            quantity: 1,
            unit_price: Decimal::ZERO,
            tiers: Vec::new(),
            tax_category: None,
            weight: None,
        }
    }

    proptest! {
        /// `spread` selects the units left over on remainders first and on ids only among
        /// ties; it must agree with the plain largest-remainder allocation, ties by line id.
        #[test]
        fn spread_agrees_with_largest_remainder_by_line_id(
            (lines, ids) in proptest::collection::vec(1i128..50, 1..30).prop_flat_map(|lines| {
                let ids: Vec<u8> = (0..lines.len() as u8).collect();
                (Just(lines), Just(ids).prop_shuffle())
            }),
            amount in 1i128..500,
        ) {
            // Unique ids in a random order, and small weights so that remainders often tie.
            let lines: Vec<(u8, i128)> = ids.into_iter().zip(lines).collect();
            let inputs: Vec<LineInput> = lines.iter().map(|&(id, _)| input(id)).collect();
            let priced: Vec<Line<'_>> = inputs
                .iter()
                .zip(&lines)
                .map(|(input, &(_, remaining))| Line::new(input, 1, remaining, 0..0))
                .collect();
            let targeted: Vec<usize> = (0..priced.len()).collect();
            let base: i128 = lines.iter().map(|l| l.1).sum();
            let amount = amount.min(base);
            let mut shares = Shares::new();
            Stack::default()
                .scratch
                .spread(&priced, &targeted, base, amount, None, &mut shares)
                .map_err(|_| TestCaseError::fail("nothing discounted"))?;
            let shares = shares.to_vec();
            let weights: Vec<i128> = lines.iter().map(|l| l.1).collect();
            let expected = allocate(amount, &weights, |a, b| by_id(&priced, a, b)).unwrap();
            let expected: Vec<(usize, i128)> =
                expected.into_iter().enumerate().filter(|p| p.1 != 0).collect();
            prop_assert_eq!(shares, expected);
        }
    }
}
