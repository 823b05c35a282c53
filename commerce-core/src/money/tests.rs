//! Laws of money, as property tests.

use proptest::prelude::*;
use rust_decimal::Decimal;

use super::*;

fn currency() -> impl Strategy<Value = Currency> {
    prop_oneof![
        Just(Currency::JPY),
        Just(Currency::USD),
        Just(Currency::EUR),
        Just(Currency::KWD)
    ]
}

fn rounding_mode() -> impl Strategy<Value = RoundingMode> {
    proptest::sample::select(RoundingMode::ALL.to_vec())
}

proptest! {
    #[test]
    fn allocation_parts_sum_to_the_whole_and_stay_within_one_unit(
        currency in currency(),
        minor in -10_000_000_000i64..10_000_000_000,
        weights in proptest::collection::vec(0u32..100_000, 1..40),
    ) {
        prop_assume!(weights.iter().any(|&w| w > 0));
        let total = Money::from_minor(minor, currency);
        let decimals: Vec<Decimal> = weights.iter().map(|&w| Decimal::new(i64::from(w), 2)).collect();
        let parts = total.allocate(&decimals).unwrap();
        let sum: i128 = parts.iter().map(|p| p.minor()).sum();
        prop_assert_eq!(sum, i128::from(minor));
        let weight_sum: i128 = weights.iter().map(|&w| i128::from(w)).sum();
        for (part, &weight) in parts.iter().zip(&weights) {
            // |part × Σw − total × w| < Σw  ⇔  the part is within one unit of its exact share.
            let error = part.minor() * weight_sum - i128::from(minor) * i128::from(weight);
            prop_assert!(error.abs() < weight_sum, "part {} weight {}", part, weight);
            prop_assert_eq!(part.currency(), currency);
        }
    }

    #[test]
    fn even_split_sums_and_differs_by_at_most_one_unit(
        minor in -1_000_000i64..1_000_000,
        parts in 1usize..50,
    ) {
        let split = Money::from_minor(minor, Currency::USD).split(parts).unwrap();
        prop_assert_eq!(split.iter().map(|p| p.minor()).sum::<i128>(), i128::from(minor));
        let max = split.iter().map(|p| p.minor()).max().unwrap();
        let min = split.iter().map(|p| p.minor()).min().unwrap();
        prop_assert!(max - min <= 1);
    }

    #[test]
    fn mixed_currencies_are_always_rejected(a in -1_000_000i64..1_000_000, b in -1_000_000i64..1_000_000) {
        let usd = Money::from_minor(a, Currency::USD);
        let eur = Money::from_minor(b, Currency::EUR);
        prop_assert!(usd.checked_add(&eur).unwrap_err().is_currency_mismatch());
        prop_assert!(usd.checked_sub(&eur).unwrap_err().is_currency_mismatch());
        prop_assert!(usd.checked_cmp(&eur).unwrap_err().is_currency_mismatch());
    }

    #[test]
    fn parse_and_display_round_trip(currency in currency(), minor in any::<i64>()) {
        let money = Money::from_minor(minor, currency);
        let text = money.amount().to_string();
        prop_assert_eq!(Money::parse(&text, currency).unwrap(), money);
    }

    #[test]
    fn rounding_lands_on_a_neighbouring_minor_unit(
        currency in currency(),
        mode in rounding_mode(),
        mantissa in -1_000_000_000_000i64..1_000_000_000_000,
        extra in 0u32..6,
    ) {
        let value = Decimal::new(mantissa, currency.exponent() + extra);
        let rounded = Money::from_decimal_rounded(value, currency, mode);
        prop_assert!((rounded.amount() - value).abs() < Decimal::new(1, currency.exponent()));
        prop_assert_eq!(rounded.amount().scale(), currency.exponent());
    }
}

#[test]
fn arithmetic_overflow_is_an_error_not_a_panic() {
    let huge = Money::from_minor_i128(i128::from(i64::MAX) * 1_000_000_000, Currency::USD).unwrap();
    assert!(huge.checked_mul(1_000_000_000).unwrap_err().is_overflow());
    assert!(huge.checked_add(&huge).is_ok());
    assert!(
        Money::from_minor_i128(i128::MAX, Currency::USD)
            .unwrap_err()
            .is_overflow()
    );
}

#[test]
fn strict_parsing_refuses_anything_but_plain_decimals() {
    for input in [
        "", "-", ".5", "5.", "+5", " 5", "5 ", "1e3", "1,000.00", "0x10", "NaN", "inf", "--5",
    ] {
        assert_eq!(
            Money::parse(input, Currency::USD).unwrap_err().code(),
            "invalid_amount",
            "{input:?}"
        );
    }
    assert_eq!(
        Money::parse("5.000", Currency::USD).unwrap_err().code(),
        "too_many_decimals"
    );
    assert_eq!(
        Money::parse("5.0", Currency::JPY).unwrap_err().code(),
        "too_many_decimals"
    );
    assert_eq!(
        Money::parse("1.2345", Currency::KWD).unwrap_err().code(),
        "too_many_decimals"
    );
    assert_eq!(
        Money::parse("1.234", Currency::KWD)
            .unwrap()
            .to_minor()
            .unwrap(),
        1234
    );
    assert_eq!(
        Money::parse("-0.5", Currency::USD)
            .unwrap()
            .to_minor()
            .unwrap(),
        -50
    );
}

#[test]
fn json_carries_amounts_as_decimal_strings_and_refuses_floats() {
    let money = Money::parse("19.9", Currency::USD).unwrap();
    let json = serde_json::to_string(&money).unwrap();
    assert_eq!(json, r#"{"amount":"19.90","currency":"USD"}"#);
    assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), money);
    assert!(serde_json::from_str::<Money>(r#"{"amount":19.9,"currency":"USD"}"#).is_err());
    assert!(serde_json::from_str::<Money>(r#"{"amount":"19.999","currency":"USD"}"#).is_err());
    assert!(serde_json::from_str::<Money>(r#"{"amount":"1","currency":"XTS"}"#).is_err());
}

#[test]
fn rounding_modes_at_half_minor_units() {
    let cases = [
        (
            "0.125",
            ["0.12", "0.13", "0.12", "0.13", "0.12", "0.13", "0.12"],
        ),
        (
            "0.135",
            ["0.14", "0.14", "0.13", "0.14", "0.13", "0.14", "0.13"],
        ),
        (
            "-0.125",
            [
                "-0.12", "-0.13", "-0.12", "-0.13", "-0.12", "-0.12", "-0.13",
            ],
        ),
    ];
    for (input, expected) in cases {
        for (mode, want) in RoundingMode::ALL.into_iter().zip(expected) {
            let got = Money::parse_rounded(input, Currency::USD, mode).unwrap();
            assert_eq!(got.amount().to_string(), want, "{input} {mode}");
        }
    }
}

#[test]
fn powers_of_ten_are_looked_up_then_checked() {
    for exponent in 0..=40 {
        assert_eq!(
            super::power_of_ten(exponent),
            10i128.checked_pow(exponent),
            "10^{exponent}"
        );
    }
}
