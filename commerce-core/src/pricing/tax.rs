//! Step 6: tax, computed once on each line's and shipping's amount after discounts.

use rust_decimal::Decimal;

use super::request::{TaxLevel, TaxRate};
use super::validate::{Fraction, FxHashMap, MAX_TAX_RATE};
use crate::error::{Error, ErrorKind, Result};
use crate::money::{RoundingMode, allocate};

/// The request's tax rates, checked, with the rates of each category.
pub(crate) struct Rates<'r> {
    pub rates: Vec<Rate<'r>>,
    by_category: FxHashMap<&'r str, Vec<usize>>,
}

pub(crate) struct Rate<'r> {
    pub input: &'r TaxRate,
    pub fraction: Fraction,
}

impl<'r> Rates<'r> {
    pub(crate) fn new(inputs: &'r [TaxRate]) -> Result<Rates<'r>> {
        let mut rates = Vec::with_capacity(inputs.len());
        let mut by_category: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
        let mut ids: FxHashMap<&str, ()> = FxHashMap::default();
        for (index, input) in inputs.iter().enumerate() {
            let at = |e: Error| e.at(format_args!("[{index}]")).at("tax_rates");
            if ids.insert(&input.id, ()).is_some() {
                return Err(at(Error::new(ErrorKind::DuplicateId {
                    id: input.id.to_string(),
                })
                .at("id")));
            }
            let fraction = Fraction::checked(input.rate, Decimal::from(MAX_TAX_RATE), "a tax rate")
                .map_err(|e| at(e.at("rate")))?;
            for category in &input.categories {
                let list = by_category.entry(category).or_default();
                if !list.contains(&index) {
                    list.push(index);
                }
            }
            rates.push(Rate { input, fraction });
        }
        Ok(Rates { rates, by_category })
    }

    /// The rates of a tax category: none for `None` (exempt).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::UnknownTaxCategory`] when no rate covers the category.
    pub(crate) fn for_category(&self, category: Option<&str>) -> Result<&[usize]> {
        match category {
            None => Ok(&[]),
            Some(category) => self
                .by_category
                .get(category)
                .map(Vec::as_slice)
                .ok_or_else(|| {
                    Error::new(ErrorKind::UnknownTaxCategory {
                        category: category.to_string(),
                    })
                }),
        }
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
        line_rates: &[usize],
        rates: &Rates<'_>,
        taxes: &mut Vec<(usize, i128)>,
    ) -> Result<i128> {
        let per = match self.level {
            TaxLevel::Line => 1,
            TaxLevel::Unit => quantity,
        };
        if !self.inclusive {
            for &r in line_rates {
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
            .map(|&r| rates.rates[r].fraction.denominator)
            .max()
            .unwrap_or(1);
        let scaled = |r: usize| {
            let f = rates.rates[r].fraction;
            f.numerator * (denominator / f.denominator)
        };
        let sum: i128 = line_rates.iter().map(|&r| scaled(r)).sum();
        let total = if sum == 0 {
            0
        } else {
            let exact_denominator = (denominator + sum) * per;
            (per * self.mode.round_ratio(amount * sum, exact_denominator)).min(amount)
        };
        if let [only] = line_rates {
            taxes.push((*only, total));
        } else if sum == 0 {
            taxes.extend(line_rates.iter().map(|&r| (r, 0)));
        } else {
            let weights: Vec<i128> = line_rates.iter().map(|&r| scaled(r)).collect();
            let parts = allocate(total, &weights, |a, b| a.cmp(&b))?;
            taxes.extend(line_rates.iter().copied().zip(parts));
        }
        Ok(amount - total)
    }
}
