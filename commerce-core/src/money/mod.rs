//! Exact money: currencies, amounts, rounding and allocation.
//!
//! Amounts are [`rust_decimal::Decimal`] values that always hold a whole number of the
//! currency's minor units. Nothing here uses floating point, and nothing panics on bad input.

mod allocation;
mod amount;
mod currency;
mod rounding;

pub use amount::Money;
pub use currency::Currency;
pub use rounding::RoundingMode;

pub(crate) use allocation::allocate;
pub use amount::parse_decimal;
pub(crate) use amount::{power_of_ten, to_minor};

#[cfg(test)]
mod tests;
