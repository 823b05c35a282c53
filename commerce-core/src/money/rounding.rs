//! Rounding modes, and exact rounding of ratios of integers.

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// How a value that falls between two minor units is rounded.
///
/// The examples round to whole units:
///
/// | mode | 2.5 | 3.5 | −2.5 | 2.4 | 2.6 | −2.4 |
/// | --- | --- | --- | --- | --- | --- | --- |
/// | `HalfEven` (default, "banker's") | 2 | 4 | −2 | 2 | 3 | −2 |
/// | `HalfUp` (half away from zero) | 3 | 4 | −3 | 2 | 3 | −2 |
/// | `HalfDown` (half toward zero) | 2 | 3 | −2 | 2 | 3 | −2 |
/// | `Up` (away from zero) | 3 | 4 | −3 | 3 | 3 | −3 |
/// | `Down` (toward zero, truncate) | 2 | 3 | −2 | 2 | 2 | −2 |
/// | `Ceiling` (toward +∞) | 3 | 4 | −2 | 3 | 3 | −2 |
/// | `Floor` (toward −∞) | 2 | 3 | −3 | 2 | 2 | −3 |
///
/// In JSON a mode is its snake-case name: `"half_even"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RoundingMode {
    /// Ties go to the even neighbour. The default: unbiased over many roundings.
    #[default]
    HalfEven,
    /// Ties go away from zero (what most people learn at school).
    HalfUp,
    /// Ties go toward zero.
    HalfDown,
    /// Any fraction goes away from zero.
    Up,
    /// Any fraction is dropped (toward zero).
    Down,
    /// Any fraction goes toward positive infinity.
    Ceiling,
    /// Any fraction goes toward negative infinity.
    Floor,
}

impl RoundingMode {
    /// Every mode, in declaration order.
    pub const ALL: [RoundingMode; 7] = [
        RoundingMode::HalfEven,
        RoundingMode::HalfUp,
        RoundingMode::HalfDown,
        RoundingMode::Up,
        RoundingMode::Down,
        RoundingMode::Ceiling,
        RoundingMode::Floor,
    ];

    /// The snake-case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            RoundingMode::HalfEven => "half_even",
            RoundingMode::HalfUp => "half_up",
            RoundingMode::HalfDown => "half_down",
            RoundingMode::Up => "up",
            RoundingMode::Down => "down",
            RoundingMode::Ceiling => "ceiling",
            RoundingMode::Floor => "floor",
        }
    }

    pub(crate) fn strategy(self) -> RoundingStrategy {
        match self {
            RoundingMode::HalfEven => RoundingStrategy::MidpointNearestEven,
            RoundingMode::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            RoundingMode::HalfDown => RoundingStrategy::MidpointTowardZero,
            RoundingMode::Up => RoundingStrategy::AwayFromZero,
            RoundingMode::Down => RoundingStrategy::ToZero,
            RoundingMode::Ceiling => RoundingStrategy::ToPositiveInfinity,
            RoundingMode::Floor => RoundingStrategy::ToNegativeInfinity,
        }
    }

    /// Rounds the exact ratio `numerator / denominator` to an integer with this mode.
    ///
    /// This is the single rounding primitive of the pricing engine: every rounded quantity is
    /// first expressed as an exact ratio of integers (minor units times rates), so no precision is
    /// lost before the one named rounding step. `denominator` must be positive.
    pub(crate) fn round_ratio(self, numerator: i128, denominator: i128) -> i128 {
        debug_assert!(denominator > 0);
        if denominator == 1 {
            return numerator;
        }
        let (floor, remainder) =
            if let (Ok(n), Ok(d)) = (u64::try_from(numerator), u64::try_from(denominator)) {
                // 64-bit division is several times faster than 128-bit, and most amounts fit;
                // for the usual non-negative amount one unsigned division gives both parts.
                (i128::from(n / d), i128::from(n % d))
            } else if let (Ok(n), Ok(d)) = (i64::try_from(numerator), i64::try_from(denominator)) {
                (i128::from(n.div_euclid(d)), i128::from(n.rem_euclid(d)))
            } else {
                (
                    numerator.div_euclid(denominator),
                    numerator.rem_euclid(denominator),
                )
            };
        if remainder == 0 {
            return floor;
        }
        let ceil = floor + 1;
        let positive = numerator > 0;
        let twice = remainder * 2;
        match self {
            RoundingMode::Floor => floor,
            RoundingMode::Ceiling => ceil,
            RoundingMode::Down => {
                if positive {
                    floor
                } else {
                    ceil
                }
            }
            RoundingMode::Up => {
                if positive {
                    ceil
                } else {
                    floor
                }
            }
            _ if twice < denominator => floor,
            _ if twice > denominator => ceil,
            RoundingMode::HalfUp => {
                if positive {
                    ceil
                } else {
                    floor
                }
            }
            RoundingMode::HalfDown => {
                if positive {
                    floor
                } else {
                    ceil
                }
            }
            RoundingMode::HalfEven => {
                if floor % 2 == 0 {
                    floor
                } else {
                    ceil
                }
            }
        }
    }

    /// Rounds a decimal to `places` decimal places with this mode.
    ///
    /// # Example
    ///
    /// ```
    /// use commerce_core::RoundingMode;
    /// use rust_decimal::Decimal;
    ///
    /// let x: Decimal = "0.125".parse().unwrap();
    /// assert_eq!(RoundingMode::HalfEven.round(x, 2).to_string(), "0.12");
    /// assert_eq!(RoundingMode::HalfUp.round(x, 2).to_string(), "0.13");
    /// ```
    pub fn round(self, value: Decimal, places: u32) -> Decimal {
        let mut rounded = value.round_dp_with_strategy(places, self.strategy());
        // Always carry exactly `places` decimals, so that "5" at 2 places prints as "5.00".
        rounded.rescale(places);
        rounded
    }
}

impl fmt::Display for RoundingMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::RoundingMode::{self, *};

    /// The table in the type's documentation, row by row.
    #[test]
    fn ratio_rounding_matches_the_documented_table() {
        let inputs = [(5, 2), (7, 2), (-5, 2), (12, 5), (13, 5), (-12, 5)];
        let table: [(RoundingMode, [i128; 6]); 7] = [
            (HalfEven, [2, 4, -2, 2, 3, -2]),
            (HalfUp, [3, 4, -3, 2, 3, -2]),
            (HalfDown, [2, 3, -2, 2, 3, -2]),
            (Up, [3, 4, -3, 3, 3, -3]),
            (Down, [2, 3, -2, 2, 2, -2]),
            (Ceiling, [3, 4, -2, 3, 3, -2]),
            (Floor, [2, 3, -3, 2, 2, -3]),
        ];
        for (mode, expected) in table {
            for ((n, d), want) in inputs.iter().zip(expected) {
                assert_eq!(mode.round_ratio(*n, *d), want, "{mode} {n}/{d}");
            }
        }
    }

    proptest::proptest! {
        /// Every width the ratio may take (unsigned 64-bit, signed 64-bit, 128-bit) rounds as
        /// the decimal would: `n / 10^k` is exact as a decimal.
        #[test]
        fn ratio_rounding_agrees_with_decimal_rounding_at_every_width(
            n in proptest::prop_oneof![
                -1_000_000i128..1_000_000,
                i128::from(i64::MIN)..=i128::from(i64::MAX),
                -(1i128 << 95)..(1i128 << 95),
            ],
            k in 1u32..=9,
        ) {
            for mode in RoundingMode::ALL {
                let value = rust_decimal::Decimal::from_i128_with_scale(n, k);
                let by_decimal = mode.round(value, 0);
                let by_ratio = mode.round_ratio(n, 10i128.pow(k));
                proptest::prop_assert_eq!(
                    by_decimal,
                    rust_decimal::Decimal::from_i128_with_scale(by_ratio, 0),
                    "{} {}", mode, value
                );
            }
        }
    }

    #[test]
    fn decimal_rounding_agrees_with_ratio_rounding() {
        for mode in RoundingMode::ALL {
            for n in -300i64..=300 {
                let value = rust_decimal::Decimal::new(n, 2);
                let by_decimal = mode.round(value, 1);
                let by_ratio = mode.round_ratio(i128::from(n), 10);
                assert_eq!(
                    by_decimal,
                    rust_decimal::Decimal::new(by_ratio as i64, 1),
                    "{mode} {value}"
                );
            }
        }
    }
}
