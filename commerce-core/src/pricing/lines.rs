//! Step 1 and 2: checking lines and resolving their unit prices.

use std::borrow::Cow;
use std::ops::Range;

use rust_decimal::Decimal;

use super::quote::PriceSource;
use super::request::{LineInput, PriceList, PricingRequest};
use super::tax::Rates;
use super::validate::{FxHashMap, MAX_AMOUNT_MINOR, MAX_QUANTITY, first_duplicate, minor_units};
use crate::error::{Error, ErrorKind, Result};
use crate::money::Currency;
use crate::time::Timestamp;

/// A line being priced.
pub(crate) struct Line<'r> {
    pub input: &'r LineInput,
    pub quantity: i128,
    pub unit_price: i128,
    pub source: PriceSource<'r>,
    pub subtotal: i128,
    /// What is left to discount and to tax: the subtotal minus the discounts so far.
    pub remaining: i128,
    /// The tax rates covering the line's category (see [`Rates::indices`]).
    pub rates: Range<usize>,
}

/// Checks every line and resolves its unit price.
pub(crate) fn resolve<'r>(request: &'r PricingRequest, rates: &Rates<'_>) -> Result<Vec<Line<'r>>> {
    let currency = request.currency;
    if let Some((index, id)) = first_duplicate(request.lines.iter().map(|l| &*l.id)) {
        return Err(Error::duplicate_id(id)
            .at("id")
            .at(format_args!("[{index}]"))
            .at("lines"));
    }
    let price_lists = PriceIndex::new(request)?;
    let mut lines = Vec::with_capacity(request.lines.len());
    let mut subtotal = 0i128;
    // Neighbouring lines usually share a tax category: remember the last one looked up.
    let mut last_category: Option<(&str, Range<usize>)> = None;
    for (index, input) in request.lines.iter().enumerate() {
        let line = resolve_line(input, currency, &price_lists, rates, &mut last_category)
            .map_err(|err| err.at(format_args!("[{index}]")).at("lines"))?;
        subtotal += line.subtotal;
        lines.push(line);
    }
    if subtotal > MAX_AMOUNT_MINOR {
        return Err(Error::invalid(
            "the merchandise subtotal is above the largest supported amount (10^18 minor units)",
        )
        .at("lines"));
    }
    Ok(lines)
}

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
    let quantity = i128::from(input.quantity);
    let base = minor_units(input.unit_price, currency).map_err(|e| e.at("unit_price"))?;
    let (mut unit_price, mut source) = (base, PriceSource::Base);
    for (t, tier) in input.tiers.iter().enumerate() {
        let at = |e: Error| e.at(format_args!("tiers[{t}]"));
        let price = minor_units(tier.unit_price, currency).map_err(|e| at(e.at("unit_price")))?;
        if tier.min_quantity == 0 {
            return Err(at(
                Error::invalid("min_quantity must be at least 1").at("min_quantity")
            ));
        }
        if tier.min_quantity <= input.quantity && price < unit_price {
            unit_price = price;
            source = PriceSource::Tier {
                min_quantity: tier.min_quantity,
            };
        }
    }
    if let Some((price, list, min_quantity)) = price_lists.best(&input.sku, input.quantity) {
        if price < unit_price {
            unit_price = price;
            source = PriceSource::PriceList {
                price_list: Cow::Borrowed(&list.id),
                min_quantity,
            };
        }
    }
    let subtotal = unit_price * quantity;
    Ok(Line {
        input,
        quantity,
        unit_price,
        source,
        subtotal,
        remaining: subtotal,
        rates,
    })
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
                if entry.min_quantity == 0 {
                    return Err(at(
                        Error::invalid("min_quantity must be at least 1").at("min_quantity")
                    ));
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
