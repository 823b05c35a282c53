//! Input checks shared by the pricing steps: amounts to minor units, fractions, limits.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use rust_decimal::Decimal;

use crate::error::{Error, ErrorKind, Result};
use crate::money::{Currency, power_of_ten, to_minor};

/// The most lines a request may hold.
pub const MAX_LINES: usize = 100_000;
/// The largest quantity of one line.
pub const MAX_QUANTITY: u32 = 1_000_000;
/// The largest amount, in minor units, of any single input amount and of the merchandise
/// subtotal. Keeping every amount below 10¹⁸ lets every intermediate product stay exact in
/// 128-bit integers.
pub const MAX_AMOUNT_MINOR: i128 = 1_000_000_000_000_000_000;
/// The most decimal places of a tax rate or a percentage.
pub const MAX_FRACTION_DECIMALS: u32 = 9;
/// The largest tax rate (10 = 1000 %).
pub const MAX_TAX_RATE: i64 = 10;

/// Converts an input amount to minor units: zero or more, at most the currency's decimals
/// (as written: `"5.000"` is refused for USD), at most [`MAX_AMOUNT_MINOR`].
pub(crate) fn minor_units(value: Decimal, currency: Currency) -> Result<i128> {
    if value.is_sign_negative() && !value.is_zero() {
        return Err(Error::new(ErrorKind::NegativeAmount {
            input: value.to_string(),
        }));
    }
    if value.scale() > currency.exponent() {
        return Err(Error::new(ErrorKind::TooManyDecimals {
            input: value.to_string(),
            currency: currency.code().to_string(),
            max: currency.exponent(),
        }));
    }
    match to_minor(value, currency) {
        Some(minor) if minor <= MAX_AMOUNT_MINOR => Ok(minor),
        _ => Err(Error::invalid(format!(
            "{value} is above the largest supported amount (10^18 minor units)"
        ))),
    }
}

/// Checks an amount as pricing will read it: zero or more, at most the currency's decimals,
/// at most [`MAX_AMOUNT_MINOR`] minor units. What stores a price (the catalog) checks it this
/// way, so that a stored price can always be quoted.
///
/// # Errors
///
/// `negative_amount`, `too_many_decimals`, or `invalid_input` above the largest amount.
///
/// # Example
///
/// ```
/// use commerce_core::Currency;
/// use commerce_core::pricing::check_amount;
///
/// assert!(check_amount("12.50".parse().unwrap(), Currency::USD).is_ok());
/// let huge = "10000000000000000000000000.00".parse().unwrap();
/// assert_eq!(check_amount(huge, Currency::USD).unwrap_err().code(), "invalid_input");
/// ```
pub fn check_amount(value: Decimal, currency: Currency) -> Result<()> {
    minor_units(value, currency).map(|_| ())
}

/// An exact non-negative decimal as the ratio `numerator / denominator` (`denominator` = 10^scale).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fraction {
    pub numerator: i128,
    pub denominator: i128,
}

impl Fraction {
    /// A decimal in `0..=max`, with at most [`MAX_FRACTION_DECIMALS`] decimals.
    pub(crate) fn checked(value: Decimal, max: i64, what: &str) -> Result<Fraction> {
        let out_of_range =
            || Error::invalid(format!("{what} must be between 0 and {max}, not {value}"));
        if value.is_sign_negative() && !value.is_zero() {
            return Err(out_of_range());
        }
        if value.scale() > MAX_FRACTION_DECIMALS {
            // Reported as out of range first when it is, as a comparison of the values would.
            if value > Decimal::from(max) {
                return Err(out_of_range());
            }
            return Err(Error::invalid(format!(
                "{what} may have at most {MAX_FRACTION_DECIMALS} decimal places, not {value}"
            )));
        }
        // Compared as integers: value ≤ max ⇔ mantissa ≤ max × 10^scale, exact for scale ≤ 9.
        let Some(denominator) = power_of_ten(value.scale()) else {
            return Err(out_of_range());
        };
        if value.mantissa() > i128::from(max) * denominator {
            return Err(out_of_range());
        }
        Ok(Fraction {
            numerator: value.mantissa(),
            denominator,
        })
    }

    /// A percentage (`0 < p ≤ 100`) as the fraction `p / 100`.
    pub(crate) fn percent(value: Decimal) -> Result<Fraction> {
        if value.is_zero() {
            return Err(Error::invalid(
                "percent must be greater than 0 and at most 100, not 0",
            ));
        }
        let fraction = Fraction::checked(value, 100, "percent")?;
        Ok(Fraction {
            numerator: fraction.numerator,
            denominator: fraction.denominator * 100,
        })
    }
}

/// The FxHash function (as used inside rustc): fast, deterministic, fine for trusted-size keys.
/// Only used for lookups; nothing observable depends on iteration order.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().unwrap_or_default()));
        }
        let mut tail = [0u8; 8];
        let rest = chunks.remainder();
        tail[..rest.len()].copy_from_slice(rest);
        self.add(u64::from_le_bytes(tail) ^ rest.len() as u64);
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

pub(crate) type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Normalises a coupon code: surrounding spaces removed, ASCII letters upper-cased.
pub(crate) fn normalize_code(code: &str) -> String {
    code.trim().to_ascii_uppercase()
}

/// True if id `a` comes strictly before id `b` in the order [`first_duplicate`] recognises as
/// unique: shortest first, then by bytes.
#[inline]
pub(crate) fn ascending(a: &str, b: &str) -> bool {
    (a.len(), a.as_bytes()) < (b.len(), b.as_bytes())
}

/// Returns the first id that occurs twice, with the index of its second occurrence.
///
/// Ids that come in ascending order (shortest first, then by bytes: `line-9` before `line-10`,
/// as carts and generated ids usually number their lines) are unique without further work.
/// Otherwise small inputs are compared pairwise (no allocation) and large ones go through a hash
/// set.
pub(crate) fn first_duplicate<'a>(
    ids: impl ExactSizeIterator<Item = &'a str> + Clone,
) -> Option<(usize, &'a str)> {
    const PAIRWISE_UP_TO: usize = 24;
    if ids
        .clone()
        .zip(ids.clone().skip(1))
        .all(|(a, b)| ascending(a, b))
    {
        return None;
    }
    if ids.len() <= PAIRWISE_UP_TO {
        for (j, id) in ids.clone().enumerate() {
            if ids.clone().take(j).any(|earlier| earlier == id) {
                return Some((j, id));
            }
        }
        return None;
    }
    let mut seen: FxHashMap<&str, ()> = FxHashMap::default();
    seen.reserve(ids.len());
    ids.enumerate()
        .find(|(_, id)| seen.insert(id, ()).is_some())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::first_duplicate;

    /// The first id seen before, by comparing each with every earlier one.
    fn naive(ids: &[String]) -> Option<(usize, &str)> {
        (0..ids.len())
            .find(|&j| ids[..j].contains(&ids[j]))
            .map(|j| (j, ids[j].as_str()))
    }

    proptest! {
        #[test]
        fn first_duplicate_agrees_with_comparing_every_pair(
            mut ids in prop::collection::vec("[ab]{0,3}", 0..60),
            sort in any::<bool>(),
        ) {
            if sort {
                // Ascending input takes the fast path; with duplicates it must not.
                ids.sort_by(|a, b| (a.len(), a).cmp(&(b.len(), b)));
            }
            prop_assert_eq!(first_duplicate(ids.iter().map(String::as_str)), naive(&ids));
        }
    }

    #[test]
    fn duplicates_are_found_in_small_and_large_inputs() {
        for n in [3usize, 30, 3000] {
            let mut ids: Vec<String> = (0..n).map(|i| format!("id-{i}")).collect();
            assert_eq!(first_duplicate(ids.iter().map(String::as_str)), None);
            ids.push(format!("id-{}", n / 2));
            ids.push("id-1".to_string());
            assert_eq!(
                first_duplicate(ids.iter().map(String::as_str)),
                Some((n, &*format!("id-{}", n / 2)))
            );
        }
    }
}
