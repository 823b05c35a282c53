//! Step 6: tax, computed once on each line's and shipping's amount after discounts.

use std::ops::Range;

use smallvec::SmallVec;

use super::request::{TaxLevel, TaxRate};
use super::validate::{Fraction, MAX_TAX_RATE, first_duplicate};
use crate::error::{Error, ErrorKind, Result};
use crate::money::{RoundingMode, allocate};

/// Checks a set of tax rates as a quote would: unique ids, each rate between 0 and 10 with at
/// most 9 decimals.
///
/// # Errors
///
/// [`ErrorKind::DuplicateId`] or [`ErrorKind::InvalidInput`], naming the field.
///
/// # Example
///
/// ```
/// use commerce_core::pricing::{TaxRate, check_tax_rates};
///
/// let vat = TaxRate::new("vat", "0.20".parse()?, &["standard"]);
/// assert!(check_tax_rates(&[vat.clone()]).is_ok());
/// assert_eq!(check_tax_rates(&[vat.clone(), vat]).unwrap_err().code(), "duplicate_id");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_tax_rates(rates: &[TaxRate]) -> Result<()> {
    Rates::new().fill(rates)
}

/// The request's tax rates, checked, with the rates of each category.
///
/// Held inline: a request names a handful of rates, and a quote of one line should not pay for
/// allocations it does not need.
pub(crate) struct Rates<'r> {
    pub rates: SmallVec<[Rate<'r>; 4]>,
    /// `(category, rate index)`, sorted by category then rate index, so that the rates of one
    /// category form a contiguous run in request order.
    by_category: SmallVec<[(&'r str, usize); 8]>,
}

pub(crate) struct Rate<'r> {
    pub input: &'r TaxRate,
    pub fraction: Fraction,
}

impl<'r> Rates<'r> {
    /// No rates yet: [`Rates::fill`] checks and adds them.
    pub(crate) fn new() -> Rates<'r> {
        Rates {
            rates: SmallVec::new(),
            by_category: SmallVec::new(),
        }
    }

    /// Checks `inputs` and adds them. Filled in place, because the rates are held inline and
    /// returning them would copy them.
    pub(crate) fn fill(&mut self, inputs: &'r [TaxRate]) -> Result<()> {
        if let Some((index, id)) = first_duplicate(inputs.iter().map(|r| &*r.id)) {
            return Err(Error::new(ErrorKind::DuplicateId { id: id.to_string() })
                .at("id")
                .at(format_args!("[{index}]"))
                .at("tax_rates"));
        }
        for (index, input) in inputs.iter().enumerate() {
            let fraction = Fraction::checked(input.rate, MAX_TAX_RATE, "a tax rate")
                .map_err(|e| e.at("rate").at(format_args!("[{index}]")).at("tax_rates"))?;
            self.by_category
                .extend(input.categories.iter().map(|c| (&**c, index)));
            self.rates.push(Rate { input, fraction });
        }
        self.by_category.sort_unstable();
        self.by_category.dedup();
        Ok(())
    }

    /// The rates of a tax category: none for `None` (exempt).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::UnknownTaxCategory`] when no rate covers the category.
    pub(crate) fn for_category(&self, category: Option<&str>) -> Result<Range<usize>> {
        let Some(category) = category else {
            return Ok(0..0);
        };
        // A request names a handful of categories: a scan comparing for equality (lengths
        // first) is cheaper than a binary search comparing for order.
        let start = self
            .by_category
            .iter()
            .position(|&(c, _)| c == category)
            .unwrap_or(self.by_category.len());
        let end = start
            + self.by_category[start..]
                .iter()
                .take_while(|&&(c, _)| c == category)
                .count();
        if start == end {
            return Err(Error::new(ErrorKind::UnknownTaxCategory {
                category: category.to_string(),
            }));
        }
        Ok(start..end)
    }

    /// The `(category, rate index)` pairs of a range returned by [`Rates::for_category`].
    pub(crate) fn indices(&self, range: Range<usize>) -> &[(&'r str, usize)] {
        &self.by_category[range]
    }
}

/// How tax is computed for a request.
pub(crate) struct TaxRule {
    pub inclusive: bool,
    pub level: TaxLevel,
    pub mode: RoundingMode,
}

impl TaxRule {
    /// Taxes `amount` (the line's amount after discounts: gross when prices include tax, net
    /// otherwise) of `quantity` units at `rates`. Pushes `(rate index, tax)` for each rate onto
    /// `taxes` and returns the net amount.
    ///
    /// Exclusive prices: each rate is charged on the net amount and rounded on its own:
    /// `round(net × r)` per line, or `q × round(net × r / q)` per unit.
    ///
    /// Inclusive prices: the tax inside the gross amount is taken out once for all the line's
    /// rates together, `T = round(gross × R / (1 + R))` (per unit: `q × round(gross × R /
    /// ((1 + R) × q))`, never more than `gross`) with `R` the sum of the rates; `T` is split
    /// between the rates by largest remainder in proportion to them; net = gross − T.
    pub(crate) fn apply(
        &self,
        amount: i128,
        quantity: i128,
        line_rates: &[(&str, usize)],
        rates: &Rates<'_>,
        taxes: &mut SmallVec<[(usize, i128); 4]>,
    ) -> Result<i128> {
        let per = match self.level {
            TaxLevel::Line => 1,
            TaxLevel::Unit => quantity,
        };
        if !self.inclusive {
            for &(_, r) in line_rates {
                let f = rates.rates[r].fraction;
                let tax = per
                    * self
                        .mode
                        .round_ratio(amount * f.numerator, f.denominator * per);
                taxes.push((r, tax));
            }
            return Ok(amount);
        }
        if line_rates.is_empty() {
            return Ok(amount);
        }
        // Bring the rates to one denominator so that their sum is exact.
        let denominator = line_rates
            .iter()
            .map(|&(_, r)| rates.rates[r].fraction.denominator)
            .max()
            .unwrap_or(1);
        let scaled = |r: usize| {
            let f = rates.rates[r].fraction;
            f.numerator * (denominator / f.denominator)
        };
        let sum: i128 = line_rates.iter().map(|&(_, r)| scaled(r)).sum();
        let total = if sum == 0 {
            0
        } else {
            let exact_denominator = (denominator + sum) * per;
            (per * self.mode.round_ratio(amount * sum, exact_denominator)).min(amount)
        };
        if let [(_, only)] = line_rates {
            taxes.push((*only, total));
        } else if sum == 0 {
            taxes.extend(line_rates.iter().map(|&(_, r)| (r, 0)));
        } else {
            let weights: Vec<i128> = line_rates.iter().map(|&(_, r)| scaled(r)).collect();
            let parts = allocate(total, &weights, |a, b| a.cmp(&b))?;
            taxes.extend(line_rates.iter().map(|&(_, r)| r).zip(parts));
        }
        Ok(amount - total)
    }
}
