//! Amounts in Stripe's own minor units, which are not always ISO 4217's.
//!
//! Stripe takes every amount as an integer of the currency's smallest unit *as Stripe counts
//! it* (<https://docs.stripe.com/currencies>, checked December 2026):
//!
//! | currencies | Stripe's decimals | rule |
//! | --- | --- | --- |
//! | BIF, CLP, DJF, GNF, JPY, KMF, KRW, MGA, PYG, RWF, UGX, VND, VUV, XAF, XOF, XPF | 0 | whole units (MGA has 2 decimals in ISO 4217) |
//! | ISK | 2 (ISO: 0) | whole krónur only: the amount is a multiple of 100 |
//! | BHD, JOD, KWD, OMR, TND | 3 | the last digit is 0 (whole hundredths) |
//! | HUF, TWD | 2 | — (whole units are needed for payouts only) |
//! | every other currency in [`SUPPORTED`] | 2 | — |
//!
//! An amount Stripe cannot represent exactly is refused, never rounded, and a currency Stripe
//! does not take is refused before any call.

use commerce_core::{Currency, Error, ErrorKind, Money};
use rust_decimal::Decimal;

/// Stripe's zero-decimal currencies.
const ZERO_DECIMAL: &[&str] = &[
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV",
    "XAF", "XOF", "XPF",
];

/// Stripe's three-decimal currencies, whose last digit must be 0.
const THREE_DECIMAL: &[&str] = &["BHD", "JOD", "KWD", "OMR", "TND"];

/// Every presentment currency Stripe lists for card payments.
pub const SUPPORTED: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BHD",
    "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF", "CLP",
    "CNY", "COP", "CRC", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ETB", "EUR", "FJD",
    "FKP", "GBP", "GEL", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR",
    "ILS", "INR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KRW", "KWD", "KYD",
    "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP",
    "MUR", "MVR", "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR",
    "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR",
    "SBD", "SCR", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SZL", "THB", "TJS", "TND", "TOP",
    "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS", "VND", "VUV", "WST", "XAF",
    "XCD", "XOF", "XPF", "YER", "ZAR", "ZMW",
];

/// How many decimals Stripe counts a currency in, and the multiple its amounts must be of.
fn rule(code: &str) -> Option<(u32, i64)> {
    if !SUPPORTED.contains(&code) {
        return None;
    }
    Some(if ZERO_DECIMAL.contains(&code) {
        (0, 1)
    } else if THREE_DECIMAL.contains(&code) {
        (3, 10)
    } else if code == "ISK" {
        (2, 100)
    } else {
        (2, 1)
    })
}

fn refused(message: String) -> Error {
    Error::new(ErrorKind::InvalidInput { message })
}

/// The amount Stripe is sent for `money`, with the currency code it is sent in (lower case).
///
/// # Errors
///
/// `invalid_input` for a currency Stripe does not take, or an amount it cannot represent
/// (fractions of an ISK, a three-decimal amount whose last digit is not 0, more decimals than
/// Stripe counts, a negative amount).
///
/// ```
/// use commerce_core::{Currency, Money};
/// use commerce_stripe::amounts::to_stripe;
///
/// assert_eq!(to_stripe(Money::parse("10.50", Currency::USD)?)?, (1050, "usd".to_string()));
/// assert_eq!(to_stripe(Money::parse("500", Currency::JPY)?)?, (500, "jpy".to_string()));
/// assert_eq!(to_stripe(Money::parse("1.230", Currency::KWD)?)?, (1230, "kwd".to_string()));
/// assert!(to_stripe(Money::parse("1.234", Currency::KWD)?).is_err());
/// # Ok::<(), commerce_core::Error>(())
/// ```
pub fn to_stripe(money: Money) -> Result<(i64, String), Error> {
    let code = money.currency().code();
    let (decimals, multiple) = rule(code).ok_or_else(|| {
        refused(format!(
            "Stripe does not take payments in {code}; choose another currency or gateway"
        ))
    })?;
    let amount = money.amount();
    if amount.is_sign_negative() && !amount.is_zero() {
        return Err(refused(format!("{money:?} is negative")));
    }
    let scaled = amount * Decimal::from(10_i64.pow(decimals));
    if scaled.fract() != Decimal::ZERO {
        return Err(refused(format!(
            "{} {code} has more decimals than Stripe counts ({decimals})",
            amount
        )));
    }
    let units = i64::try_from(scaled.trunc())
        .map_err(|_| refused(format!("{amount} {code} is too large for Stripe")))?;
    if units % multiple != 0 {
        return Err(refused(format!(
            "Stripe takes {code} amounts only in multiples of {}",
            Decimal::new(multiple, decimals)
        )));
    }
    Ok((units, code.to_ascii_lowercase()))
}

/// The amount `units` (Stripe's integer) stands for in `currency`.
///
/// # Errors
///
/// `invalid_input` for a currency Stripe does not take, or an amount with more decimals than the
/// currency has in ISO 4217.
pub fn from_stripe(units: i64, currency: Currency) -> Result<Money, Error> {
    let code = currency.code();
    let (decimals, _) =
        rule(code).ok_or_else(|| refused(format!("Stripe does not take payments in {code}")))?;
    Money::from_decimal(Decimal::new(units, decimals), currency)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stripe(amount: &str, code: &str) -> Result<i64, Error> {
        let currency = Currency::from_code(code)?;
        to_stripe(Money::parse(amount, currency)?).map(|(units, sent)| {
            assert_eq!(sent, code.to_ascii_lowercase());
            units
        })
    }

    #[test]
    fn every_listed_currency_converts_both_ways() {
        for code in SUPPORTED {
            let currency = Currency::from_code(code).unwrap_or_else(|e| panic!("{code}: {e}"));
            let (decimals, multiple) = rule(code).unwrap();
            let units = 1_000 * multiple;
            let money = from_stripe(units, currency).unwrap_or_else(|e| panic!("{code}: {e}"));
            assert_eq!(to_stripe(money).unwrap().0, units, "{code}");
            assert_eq!(
                money.amount(),
                Decimal::new(units, decimals),
                "{code}: {units} is {money:?}"
            );
        }
    }

    #[test]
    fn zero_decimal_currencies_are_sent_in_whole_units() {
        for code in ZERO_DECIMAL {
            assert_eq!(stripe("500", code).unwrap(), 500, "{code}");
        }
        assert_eq!(stripe("1234", "JPY").unwrap(), 1234);
    }

    #[test]
    fn mga_has_two_decimals_in_iso_and_none_at_stripe() {
        assert_eq!(stripe("500", "MGA").unwrap(), 500);
        let err = stripe("500.50", "MGA").unwrap_err();
        assert!(err.to_string().contains("more decimals"), "{err}");
    }

    #[test]
    fn isk_is_sent_with_two_decimals_in_whole_kronur() {
        // ISO 4217 gives ISK no decimals; Stripe counts it in hundredths.
        assert_eq!(stripe("5", "ISK").unwrap(), 500);
        assert_eq!(stripe("1999", "ISK").unwrap(), 199_900);
    }

    #[test]
    fn three_decimal_currencies_end_in_zero() {
        assert_eq!(stripe("5.120", "KWD").unwrap(), 5120);
        assert_eq!(stripe("0.010", "BHD").unwrap(), 10);
        let err = stripe("5.124", "KWD").unwrap_err();
        assert!(err.to_string().contains("multiples of 0.010"), "{err}");
        assert!(stripe("1.001", "JOD").is_err());
    }

    #[test]
    fn huf_and_twd_take_two_decimals() {
        assert_eq!(stripe("10.45", "HUF").unwrap(), 1045);
        assert_eq!(stripe("99.99", "TWD").unwrap(), 9999);
        assert_eq!(stripe("10.50", "USD").unwrap(), 1050);
    }

    #[test]
    fn currencies_stripe_does_not_take_are_refused_before_any_call() {
        for code in ["IRR", "KPW", "SYP", "CUP"] {
            let err = stripe("1", code).unwrap_err();
            assert!(err.to_string().contains("does not take"), "{code}: {err}");
        }
    }
}
