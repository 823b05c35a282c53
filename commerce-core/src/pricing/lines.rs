//! Step 1 and 2: checking lines and resolving their unit prices.

use std::borrow::Cow;
use std::ops::Range;

use rust_decimal::Decimal;
use smallvec::SmallVec;

use super::quote::PriceSource;
use super::request::{LineInput, PriceList, PricingRequest};
use super::tax::Rates;
use super::validate::{
    FxHashMap, MAX_AMOUNT_MINOR, MAX_QUANTITY, ascending, first_duplicate, minor_units,
};
use crate::error::{Error, ErrorKind, Result};
use crate::money::Currency;
use crate::time::Timestamp;

/// A line being priced.
///
/// Kept small (64 bytes), because a large cart's lines are walked once per step: amounts are
/// held in 64 bits (every checked amount is below 10^18) and read as `i128` for arithmetic.
pub(crate) struct Line<'r> {
    pub input: &'r LineInput,
    unit_price: i64,
    /// `unit_price × quantity`, or `i64::MAX` when that is above it (such a cart is rejected).
    subtotal: i64,
    /// What is left to discount and to tax: the subtotal minus the discounts so far.
    remaining: i64,
    quantity: u32,
    /// The tax rates covering the line's category (see [`Rates::indices`]).
    rates: (u32, u32),
    source: Source<'r>,
}

/// Where a line's unit price came from: [`PriceSource`], without the copy of the list's id.
#[derive(Clone, Copy)]
enum Source<'r> {
    Base,
    Tier(u32),
    PriceList(&'r PriceList, u32),
}

impl<'r> Line<'r> {
    /// A line of `quantity` units priced at `unit_price` each, with its tax rates.
    #[cfg(test)]
    pub(crate) fn new(
        input: &'r LineInput,
        quantity: u32,
        unit_price: i128,
        rates: Range<usize>,
    ) -> Line<'r> {
        Line::resolved(input, quantity, unit_price, Source::Base, rates)
    }

    fn resolved(
        input: &'r LineInput,
        quantity: u32,
        unit_price: i128,
        source: Source<'r>,
        rates: Range<usize>,
    ) -> Line<'r> {
        debug_assert!((0..=MAX_AMOUNT_MINOR).contains(&unit_price));
        let subtotal = i64::try_from(unit_price * i128::from(quantity)).unwrap_or(i64::MAX);
        Line {
            input,
            unit_price: unit_price as i64,
            subtotal,
            remaining: subtotal,
            quantity,
            // A request holds few rates: their indices fit in 32 bits.
            rates: (rates.start as u32, rates.end as u32),
            source,
        }
    }

    /// The number of units.
    #[inline]
    pub(crate) fn quantity(&self) -> i128 {
        i128::from(self.quantity)
    }

    /// The resolved unit price.
    #[inline]
    pub(crate) fn unit_price(&self) -> i128 {
        i128::from(self.unit_price)
    }

    /// `unit_price × quantity`.
    #[inline]
    pub(crate) fn subtotal(&self) -> i128 {
        i128::from(self.subtotal)
    }

    /// The subtotal minus the discounts taken so far.
    #[inline]
    pub(crate) fn remaining(&self) -> i128 {
        i128::from(self.remaining)
    }

    /// Takes `amount` (at most what remains) off the line.
    #[inline]
    pub(crate) fn discount(&mut self, amount: i128) {
        debug_assert!((0..=self.remaining()).contains(&amount));
        self.remaining -= amount as i64;
    }

    /// The tax rates covering the line's category (see [`Rates::indices`]).
    #[inline]
    pub(crate) fn rates(&self) -> Range<usize> {
        self.rates.0 as usize..self.rates.1 as usize
    }

    /// Where the unit price came from, as the quote shows it.
    pub(crate) fn source(&self) -> PriceSource<'r> {
        match self.source {
            Source::Base => PriceSource::Base,
            Source::Tier(min_quantity) => PriceSource::Tier { min_quantity },
            Source::PriceList(list, min_quantity) => PriceSource::PriceList {
                price_list: Cow::Borrowed(&list.id),
                min_quantity,
            },
        }
    }
}

/// The lines of a request being priced, inline for small carts.
pub(crate) type Lines<'r> = SmallVec<[Line<'r>; 3]>;

/// Checks every line and resolves its unit price, into `lines` (empty). Filled in place,
/// because small carts' lines are held inline and returning them would copy them.
pub(crate) fn resolve<'r>(
    request: &'r PricingRequest,
    rates: &Rates<'_>,
    lines: &mut Lines<'r>,
) -> Result<()> {
    let currency = request.currency;
    // Duplicate ids are reported before anything else. Ids in ascending order (the usual case)
    // are unique, and that is checked while the lines are read, so that a large cart is walked
    // once; the full check runs only when they are not, or before another error is reported.
    let duplicate = || match first_duplicate(request.lines.iter().map(|l| &*l.id)) {
        Some((index, id)) => Err(Error::duplicate_id(id)
            .at("id")
            .at(format_args!("[{index}]"))
            .at("lines")),
        None => Ok(()),
    };
    let price_lists = match PriceIndex::new(request) {
        Ok(price_lists) => price_lists,
        Err(err) => {
            duplicate()?;
            return Err(err);
        }
    };
    lines.reserve_exact(request.lines.len());
    let mut subtotal = 0i128;
    let mut in_order = true;
    let mut previous: Option<&str> = None;
    // Neighbouring lines usually share a tax category: remember the last one looked up.
    let mut last_category: Option<(&str, Range<usize>)> = None;
    for (index, input) in request.lines.iter().enumerate() {
        if in_order {
            in_order = previous.is_none_or(|p| ascending(p, &input.id));
            previous = Some(&input.id);
        }
        let line = match resolve_line(input, currency, &price_lists, rates, &mut last_category) {
            Ok(line) => line,
            Err(err) => {
                duplicate()?;
                return Err(err.at(format_args!("[{index}]")).at("lines"));
            }
        };
        subtotal += line.subtotal();
        lines.push(line);
    }
    if !in_order {
        duplicate()?;
    }
    if subtotal > MAX_AMOUNT_MINOR {
        return Err(Error::invalid(
            "the merchandise subtotal is above the largest supported amount (10^18 minor units)",
        )
        .at("lines"));
    }
    Ok(())
}

#[inline(always)]
fn resolve_line<'r>(
    input: &'r LineInput,
    currency: Currency,
    price_lists: &PriceIndex<'r>,
    rates: &Rates<'_>,
    last_category: &mut Option<(&'r str, Range<usize>)>,
) -> Result<Line<'r>> {
    if input.quantity == 0 || input.quantity > MAX_QUANTITY {
        return Err(Error::new(ErrorKind::QuantityOutOfRange {
            quantity: u64::from(input.quantity),
            min: 1,
            max: u64::from(MAX_QUANTITY),
        })
        .at("quantity"));
    }
    if input
        .weight
        .is_some_and(|w| w.is_sign_negative() && !w.is_zero())
    {
        return Err(Error::invalid("weight must not be negative").at("weight"));
    }
    let rates = match (input.tax_category.as_deref(), &*last_category) {
        (None, _) => 0..0,
        (Some(category), Some((last, range))) if *last == category => range.clone(),
        (Some(category), _) => {
            let range = rates
                .for_category(Some(category))
                .map_err(|e| e.at("tax_category"))?;
            *last_category = Some((category, range.clone()));
            range
        }
    };
    let base = minor_units(input.unit_price, currency).map_err(|e| e.at("unit_price"))?;
    let (mut unit_price, mut source) = (base, Source::Base);
    for (t, tier) in input.tiers.iter().enumerate() {
        let at = |e: Error| e.at(format_args!("tiers[{t}]"));
        let price = minor_units(tier.unit_price, currency).map_err(|e| at(e.at("unit_price")))?;
        if tier.min_quantity == 0 || tier.min_quantity > MAX_QUANTITY {
            return Err(at(min_quantity_out_of_range()));
        }
        if tier.min_quantity <= input.quantity && price < unit_price {
            unit_price = price;
            source = Source::Tier(tier.min_quantity);
        }
    }
    if let Some((price, list, min_quantity)) = price_lists.best(&input.sku, input.quantity)
        && price < unit_price
    {
        unit_price = price;
        source = Source::PriceList(list, min_quantity);
    }
    Ok(Line::resolved(
        input,
        input.quantity,
        unit_price,
        source,
        rates,
    ))
}

/// The entries of every price list that applies now, to this customer, in this currency, by SKU.
struct PriceIndex<'r> {
    by_sku: FxHashMap<&'r str, Vec<(i128, &'r PriceList, u32)>>,
}

impl<'r> PriceIndex<'r> {
    fn new(request: &'r PricingRequest) -> Result<PriceIndex<'r>> {
        let mut by_sku: FxHashMap<&str, Vec<(i128, &PriceList, u32)>> = FxHashMap::default();
        if request.price_lists.is_empty() {
            return Ok(PriceIndex { by_sku });
        }
        if let Some((index, id)) = first_duplicate(request.price_lists.iter().map(|l| &*l.id)) {
            return Err(Error::duplicate_id(id)
                .at("id")
                .at(format_args!("[{index}]"))
                .at("price_lists"));
        }
        // Lists are visited by id so that ties never depend on the order they were sent in.
        let mut lists: Vec<(usize, &PriceList)> = request.price_lists.iter().enumerate().collect();
        lists.sort_by(|a, b| a.1.id.cmp(&b.1.id));
        for (index, list) in lists {
            let at = |e: Error| e.at(format_args!("[{index}]")).at("price_lists");
            let applies = applies(
                list,
                request.currency,
                request.customer.group.as_deref(),
                request.now,
            );
            for (e, entry) in list.prices.iter().enumerate() {
                let at = |err: Error| at(err.at(format_args!("prices[{e}]")));
                let price = minor_units(entry.unit_price, list.currency)
                    .map_err(|x| at(x.at("unit_price")))?;
                if entry.min_quantity == 0 || entry.min_quantity > MAX_QUANTITY {
                    return Err(at(min_quantity_out_of_range()));
                }
                if applies {
                    by_sku
                        .entry(&entry.sku)
                        .or_default()
                        .push((price, list, entry.min_quantity));
                }
            }
        }
        Ok(PriceIndex { by_sku })
    }

    /// The lowest applicable price for `quantity` units of `sku`; the first (by list id, then
    /// entry order) among equals.
    fn best(&self, sku: &str, quantity: u32) -> Option<(i128, &'r PriceList, u32)> {
        if self.by_sku.is_empty() {
            return None;
        }
        let mut best: Option<(i128, &PriceList, u32)> = None;
        for &(price, list, min_quantity) in self.by_sku.get(sku)? {
            if min_quantity <= quantity && best.is_none_or(|(p, _, _)| price < p) {
                best = Some((price, list, min_quantity));
            }
        }
        best
    }
}

fn applies(list: &PriceList, currency: Currency, group: Option<&str>, now: Timestamp) -> bool {
    list.currency == currency
        && list
            .customer_group
            .as_deref()
            .is_none_or(|g| Some(g) == group)
        && list.starts_at.is_none_or(|t| t <= now)
        && list.ends_at.is_none_or(|t| now < t)
}

/// The total weight of the cart: Σ unit weight × quantity.
pub(crate) fn total_weight(lines: &[Line<'_>]) -> Result<Decimal> {
    lines.iter().try_fold(Decimal::ZERO, |acc, line| {
        let weight = line.input.weight.unwrap_or_default();
        weight
            .checked_mul(Decimal::from(line.input.quantity))
            .and_then(|w| acc.checked_add(w))
            .ok_or_else(|| Error::overflow("the total weight"))
    })
}

/// A volume price's `min_quantity` must be a quantity a line can have: 1 to [`MAX_QUANTITY`]
/// (a tier no line can reach is a mistake in the catalog, not a price).
fn min_quantity_out_of_range() -> Error {
    Error::invalid(format!("min_quantity must be between 1 and {MAX_QUANTITY}")).at("min_quantity")
}
