//! `Money`: an exact amount in one currency, always a whole number of minor units.

use std::cmp::Ordering;
use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::allocation;
use super::{Currency, RoundingMode};
use crate::error::{Error, ErrorKind, Result};

/// Parses a plain decimal string strictly: an optional `-`, digits, and an optional `.` followed
/// by digits. No exponent, no `+`, no spaces, no thousands separators: what a client sends must
/// be what it means.
///
/// ```
/// use commerce_core::money::parse_decimal;
/// assert_eq!(parse_decimal("19.990").unwrap().to_string(), "19.990");
/// assert_eq!(parse_decimal("1e3").unwrap_err().code(), "invalid_amount");
/// ```
///
/// # Errors
///
/// `invalid_amount` for anything else; `overflow` beyond 28 significant digits.
pub fn parse_decimal(input: &str) -> Result<Decimal> {
    let invalid = || {
        Error::new(ErrorKind::InvalidAmount {
            input: input.chars().take(64).collect(),
        })
    };
    let digits = input.strip_prefix('-').unwrap_or(input);
    let (whole, fraction) = match digits.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (digits, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || fraction.is_some_and(|f| !all_digits(f)) {
        return Err(invalid());
    }
    Decimal::from_str_exact(input).map_err(|_| {
        if input.len() > 30 {
            Error::overflow(format!("the amount `{}`", invalid_prefix(input)))
        } else {
            invalid()
        }
    })
}

fn invalid_prefix(input: &str) -> String {
    input.chars().take(40).collect()
}

/// 10^`exponent`: a lookup up to 10^18 (every scale a currency, a rate or a percentage may
/// have), checked beyond.
#[inline]
pub(crate) fn power_of_ten(exponent: u32) -> Option<i128> {
    const POWERS: [i64; 19] = [
        1,
        10,
        100,
        1_000,
        10_000,
        100_000,
        1_000_000,
        10_000_000,
        100_000_000,
        1_000_000_000,
        10_000_000_000,
        100_000_000_000,
        1_000_000_000_000,
        10_000_000_000_000,
        100_000_000_000_000,
        1_000_000_000_000_000,
        10_000_000_000_000_000,
        100_000_000_000_000_000,
        1_000_000_000_000_000_000,
    ];
    match POWERS.get(exponent as usize) {
        Some(&power) => Some(i128::from(power)),
        None => 10i128.checked_pow(exponent),
    }
}

/// Converts a decimal that is known to be a whole number of minor units of `currency` into them.
#[inline]
pub(crate) fn to_minor(value: Decimal, currency: Currency) -> Option<i128> {
    let exponent = currency.exponent();
    let scale = value.scale();
    let mantissa = value.mantissa();
    if scale > exponent {
        let factor = power_of_ten(scale - exponent)?;
        (mantissa % factor == 0).then(|| mantissa / factor)
    } else {
        let factor = power_of_ten(exponent - scale)?;
        // Currencies have at most 4 decimals, and a 96-bit mantissa times at most 10^4 cannot
        // overflow 128 bits: the check is needed only beyond.
        if exponent - scale <= 4 {
            Some(mantissa * factor)
        } else {
            mantissa.checked_mul(factor)
        }
    }
}

/// An exact amount of money in one currency.
///
/// A `Money` always holds a whole number of the currency's minor units (cents for USD, yen for
/// JPY, fils for KWD); there is no way to build one that holds a fraction of a cent. Arithmetic
/// is checked: combining two currencies is a [`currency_mismatch`](ErrorKind::CurrencyMismatch)
/// error and overflow is an [`overflow`](ErrorKind::Overflow) error, never a panic and never a
/// silent mix. There are deliberately no `+`/`-` operators, because they could only panic.
///
/// In JSON a `Money` is `{"amount": "19.99", "currency": "USD"}`; the amount is a decimal string
/// with exactly the currency's number of decimals, never a float.
///
/// # Example
///
/// ```
/// use commerce_core::{Currency, Money, RoundingMode};
///
/// let price = Money::parse("19.99", Currency::USD)?;
/// let total = price.checked_mul(3)?;
/// assert_eq!(total.to_string(), "59.97 USD");
///
/// // More decimals than the currency has is an error unless rounding is asked for.
/// assert!(Money::parse("0.125", Currency::USD).is_err());
/// let rounded = Money::parse_rounded("0.125", Currency::USD, RoundingMode::HalfUp)?;
/// assert_eq!(rounded.amount().to_string(), "0.13");
///
/// // Never a silent mix of currencies.
/// let yen = Money::parse("500", Currency::JPY)?;
/// assert!(price.checked_add(&yen).unwrap_err().is_currency_mismatch());
/// # Ok::<(), commerce_core::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

impl Money {
    /// Zero in `currency`.
    pub fn zero(currency: Currency) -> Money {
        Money::from_minor(0, currency)
    }

    /// An amount given in minor units: `from_minor(1999, USD)` is 19.99 USD.
    ///
    /// # Example
    ///
    /// ```
    /// use commerce_core::{Currency, Money};
    ///
    /// assert_eq!(Money::from_minor(1999, Currency::USD).to_string(), "19.99 USD");
    /// assert_eq!(Money::from_minor(500, Currency::JPY).to_string(), "500 JPY");
    /// assert_eq!(Money::from_minor(1250, Currency::KWD).to_string(), "1.250 KWD");
    /// ```
    pub fn from_minor(minor: i64, currency: Currency) -> Money {
        Money {
            amount: Decimal::new(minor, currency.exponent()),
            currency,
        }
    }

    /// An amount given in minor units as `i128`, for sums that may exceed `i64`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Overflow`] beyond 96 bits (about 7.9 × 10²⁸ minor units).
    pub fn from_minor_i128(minor: i128, currency: Currency) -> Result<Money> {
        Decimal::try_from_i128_with_scale(minor, currency.exponent())
            .map(|amount| Money { amount, currency })
            .map_err(|_| Error::overflow("the amount"))
    }

    /// Parses a decimal string exactly.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidAmount`] if `input` is not a plain decimal (`"19.99"`, `"-5"`;
    /// not `"1e3"`, `"+5"` or `" 5"`), and [`ErrorKind::TooManyDecimals`] if it has more decimal
    /// places than the currency's minor unit. Trailing zeros count: `"5.000"` is refused for USD.
    ///
    /// # Example
    ///
    /// ```
    /// use commerce_core::{Currency, Money};
    ///
    /// assert_eq!(Money::parse("5", Currency::USD)?.amount().to_string(), "5.00");
    /// assert_eq!(Money::parse("5.5", Currency::JPY).unwrap_err().code(), "too_many_decimals");
    /// assert_eq!(Money::parse("1e3", Currency::USD).unwrap_err().code(), "invalid_amount");
    /// # Ok::<(), commerce_core::Error>(())
    /// ```
    pub fn parse(input: &str, currency: Currency) -> Result<Money> {
        let value = parse_decimal(input)?;
        if value.scale() > currency.exponent() {
            return Err(Error::new(ErrorKind::TooManyDecimals {
                input: input.to_string(),
                currency: currency.code().to_string(),
                max: currency.exponent(),
            }));
        }
        Money::from_decimal(value, currency)
    }

    /// Parses a decimal string and rounds it to the currency's minor unit with `mode`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidAmount`] if `input` is not a plain decimal.
    pub fn parse_rounded(input: &str, currency: Currency, mode: RoundingMode) -> Result<Money> {
        Ok(Money::from_decimal_rounded(
            parse_decimal(input)?,
            currency,
            mode,
        ))
    }

    /// An exact decimal amount. Unlike [`Money::parse`], trailing zeros beyond the minor unit
    /// are accepted here (`15.000` is 15.00 USD), since computed decimals often carry them.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TooManyDecimals`] if `amount` is not a whole number of minor units.
    pub fn from_decimal(amount: Decimal, currency: Currency) -> Result<Money> {
        match to_minor(amount, currency) {
            Some(_) => {
                let mut amount = amount;
                amount.rescale(currency.exponent());
                Ok(Money { amount, currency })
            }
            None if amount.scale() > currency.exponent() => {
                Err(Error::new(ErrorKind::TooManyDecimals {
                    input: amount.to_string(),
                    currency: currency.code().to_string(),
                    max: currency.exponent(),
                }))
            }
            None => Err(Error::overflow("the amount")),
        }
    }

    /// A decimal amount rounded to the currency's minor unit with `mode`.
    pub fn from_decimal_rounded(amount: Decimal, currency: Currency, mode: RoundingMode) -> Money {
        Money {
            amount: mode.round(amount, currency.exponent()),
            currency,
        }
    }

    /// The amount, with exactly [`Currency::exponent`] decimal places.
    pub fn amount(&self) -> Decimal {
        self.amount
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The amount in minor units: 19.99 USD is 1999.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Overflow`] if it does not fit in an `i64`.
    pub fn to_minor(&self) -> Result<i64> {
        i64::try_from(self.minor()).map_err(|_| Error::overflow("the amount in minor units"))
    }

    pub(crate) fn minor(&self) -> i128 {
        // `amount` always has scale == exponent, so its mantissa is the minor units.
        self.amount.mantissa()
    }

    /// True if the amount is zero.
    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    /// True if the amount is below zero.
    pub fn is_negative(&self) -> bool {
        self.amount.is_sign_negative() && !self.amount.is_zero()
    }

    fn same_currency(&self, other: &Money) -> Result<()> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(Error::new(ErrorKind::CurrencyMismatch {
                left: self.currency.code().to_string(),
                right: other.currency.code().to_string(),
            }))
        }
    }

    /// `self + other`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::CurrencyMismatch`] for different currencies, [`ErrorKind::Overflow`].
    pub fn checked_add(&self, other: &Money) -> Result<Money> {
        self.same_currency(other)?;
        Money::from_minor_i128(self.minor() + other.minor(), self.currency)
    }

    /// `self - other`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::CurrencyMismatch`] for different currencies, [`ErrorKind::Overflow`].
    pub fn checked_sub(&self, other: &Money) -> Result<Money> {
        self.same_currency(other)?;
        Money::from_minor_i128(self.minor() - other.minor(), self.currency)
    }

    /// `self × quantity`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Overflow`].
    pub fn checked_mul(&self, quantity: i64) -> Result<Money> {
        let product = self
            .minor()
            .checked_mul(i128::from(quantity))
            .ok_or_else(|| Error::overflow("the product"))?;
        Money::from_minor_i128(product, self.currency)
    }

    /// `-self`.
    pub fn negated(&self) -> Money {
        Money {
            amount: -self.amount,
            currency: self.currency,
        }
    }

    /// Compares two amounts of the same currency.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::CurrencyMismatch`] for different currencies.
    pub fn checked_cmp(&self, other: &Money) -> Result<Ordering> {
        self.same_currency(other)?;
        Ok(self.amount.cmp(&other.amount))
    }

    /// `percent` % of this amount, rounded to the minor unit with `mode`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Overflow`].
    ///
    /// # Example
    ///
    /// ```
    /// use commerce_core::{Currency, Money, RoundingMode};
    /// use rust_decimal::Decimal;
    ///
    /// let price = Money::parse("1.25", Currency::USD)?;
    /// let ten = Decimal::from(10);
    /// assert_eq!(price.percentage(ten, RoundingMode::HalfEven)?.to_string(), "0.12 USD");
    /// assert_eq!(price.percentage(ten, RoundingMode::HalfUp)?.to_string(), "0.13 USD");
    /// # Ok::<(), commerce_core::Error>(())
    /// ```
    pub fn percentage(&self, percent: Decimal, mode: RoundingMode) -> Result<Money> {
        let overflow = || Error::overflow("the percentage");
        let numerator = self
            .minor()
            .checked_mul(percent.mantissa())
            .ok_or_else(overflow)?;
        let denominator = 10i128
            .checked_pow(percent.scale())
            .and_then(|p| p.checked_mul(100))
            .ok_or_else(overflow)?;
        Money::from_minor_i128(mode.round_ratio(numerator, denominator), self.currency)
    }

    /// Splits this amount into parts proportional to `weights`, by largest remainder.
    ///
    /// Each part is first the proportional share rounded toward zero to a minor unit; the minor
    /// units left over go, one each, to the parts whose dropped fractions were largest, and among
    /// equal fractions to the earlier part. The parts always add up to exactly `self`, and each
    /// differs from its exact share by less than one minor unit. Negative amounts are split like
    /// their absolute value, then negated.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidAllocation`] if `weights` is empty, has a negative weight, or sums to
    /// zero; [`ErrorKind::Overflow`] for weights too large to combine exactly.
    ///
    /// # Example
    ///
    /// ```
    /// use commerce_core::{Currency, Money};
    /// use rust_decimal::Decimal;
    ///
    /// let ten = Money::parse("10.00", Currency::USD)?;
    /// let parts = ten.allocate(&[Decimal::ONE, Decimal::ONE, Decimal::ONE])?;
    /// let shown: Vec<String> = parts.iter().map(|m| m.amount().to_string()).collect();
    /// assert_eq!(shown, ["3.34", "3.33", "3.33"]);
    /// # Ok::<(), commerce_core::Error>(())
    /// ```
    pub fn allocate(&self, weights: &[Decimal]) -> Result<Vec<Money>> {
        let integer_weights = allocation::integer_weights(weights)?;
        let parts = allocation::allocate(self.minor(), &integer_weights, |a, b| a.cmp(&b))?;
        parts
            .into_iter()
            .map(|minor| Money::from_minor_i128(minor, self.currency))
            .collect()
    }

    /// Splits this amount into `parts` equal parts; the leftover minor units go to the first
    /// parts. The parts add up to exactly `self`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidAllocation`] if `parts` is zero.
    ///
    /// # Example
    ///
    /// ```
    /// use commerce_core::{Currency, Money};
    ///
    /// let parts = Money::parse("100", Currency::JPY)?.split(3)?;
    /// let shown: Vec<String> = parts.iter().map(|m| m.amount().to_string()).collect();
    /// assert_eq!(shown, ["34", "33", "33"]);
    /// # Ok::<(), commerce_core::Error>(())
    /// ```
    pub fn split(&self, parts: usize) -> Result<Vec<Money>> {
        if parts == 0 {
            return Err(Error::new(ErrorKind::InvalidAllocation {
                reason: "cannot split into zero parts".to_string(),
            }));
        }
        self.allocate(&vec![Decimal::ONE; parts])
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

impl Money {
    /// The amount as a person reads it, for receipts and email: the currency's symbol where
    /// one is unambiguous (`$` USD, `€` EUR, `£` GBP, `¥` JPY) else the amount then the code,
    /// thousands grouped by commas, and exactly the currency's decimals.
    ///
    /// ```
    /// use commerce_core::{Currency, Money};
    ///
    /// assert_eq!(Money::parse("1234.5", Currency::USD)?.for_people(), "$1,234.50");
    /// assert_eq!(Money::parse("-5", Currency::EUR)?.for_people(), "-€5.00");
    /// assert_eq!(Money::parse("1500", Currency::JPY)?.for_people(), "¥1,500");
    /// assert_eq!(Money::parse("12.345", Currency::KWD)?.for_people(), "12.345 KWD");
    /// # Ok::<(), commerce_core::Error>(())
    /// ```
    pub fn for_people(&self) -> String {
        let exponent = self.currency.exponent();
        let scaled = self.amount.abs().round_dp(exponent);
        let text = format!("{scaled:.prec$}", prec = exponent as usize);
        let (whole, fraction) = match text.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (text.as_str(), None),
        };
        let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
        for (i, digit) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        if let Some(fraction) = fraction {
            grouped.push('.');
            grouped.push_str(fraction);
        }
        let sign = if self.amount.is_sign_negative() && !self.amount.is_zero() {
            "-"
        } else {
            ""
        };
        match self.currency.code() {
            "USD" => format!("{sign}${grouped}"),
            "EUR" => format!("{sign}€{grouped}"),
            "GBP" => format!("{sign}£{grouped}"),
            "JPY" => format!("{sign}¥{grouped}"),
            code => format!("{sign}{grouped} {code}"),
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MoneyRepr<'a> {
    #[serde(borrow)]
    amount: std::borrow::Cow<'a, str>,
    currency: Currency,
}

#[derive(Serialize)]
struct MoneyOut {
    #[serde(with = "crate::serde_decimal")]
    amount: Decimal,
    currency: Currency,
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        MoneyOut {
            amount: self.amount,
            currency: self.currency,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let repr = MoneyRepr::deserialize(deserializer)?;
        Money::parse(&repr.amount, repr.currency).map_err(serde::de::Error::custom)
    }
}
