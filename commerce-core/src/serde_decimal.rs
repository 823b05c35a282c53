//! Decimals in JSON are strings (`"19.99"`), never numbers: a JSON number is a float to most
//! parsers, and a float is never money. These helpers refuse numbers on input.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::money::{Currency, parse_decimal};

struct StrictDecimal;

impl Visitor<'_> for StrictDecimal {
    type Value = Decimal;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a decimal number written as a string, such as \"19.99\"")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Decimal, E> {
        parse_decimal(value).map_err(E::custom)
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Decimal, E> {
        Err(E::custom(format_args!(
            "{value} is a JSON number; write decimals as strings, such as \"{value}\", so that no float ever touches money"
        )))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Decimal, E> {
        Err(E::custom(format_args!(
            "{value} is a JSON number; write decimals as strings, such as \"{value}\""
        )))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Decimal, E> {
        self.visit_i64(value as i64)
    }
}

/// The name decimals are serialized under: a newtype struct around their string form. JSON
/// serializers see through newtypes, so the JSON is `"19.99"`; a serializer that builds another
/// language's values (the Python module) recognises the name and makes a native decimal, so
/// that no amount has to be guessed from a string's shape.
pub const DECIMAL_NEWTYPE_NAME: &str = "$commerce::Decimal";

/// `#[serde(with = "serde_decimal")]` for a `Decimal`.
pub(crate) fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
    let mut buffer = [0u8; 48];
    serializer.serialize_newtype_struct(DECIMAL_NEWTYPE_NAME, format(value, &mut buffer))
}

/// Writes a decimal as `Display` does (every digit of its scale, a `-` for negatives), from its
/// mantissa, into a stack buffer: quotes hold hundreds of amounts, and the general formatter is
/// the largest cost of writing one.
pub(crate) fn format<'b>(value: &Decimal, buffer: &'b mut [u8; 48]) -> &'b str {
    let scale = value.scale() as usize;
    let mantissa = value.mantissa();
    let mut rest = mantissa.unsigned_abs();
    let mut position = buffer.len();
    let mut written = 0;
    loop {
        if written == scale && scale > 0 {
            position -= 1;
            buffer[position] = b'.';
        }
        position -= 1;
        buffer[position] = b'0' + (rest % 10) as u8;
        rest /= 10;
        written += 1;
        if rest == 0 && written > scale {
            break;
        }
    }
    if mantissa < 0 {
        position -= 1;
        buffer[position] = b'-';
    }
    // Only ASCII digits, '.' and '-' were written.
    std::str::from_utf8(&buffer[position..]).unwrap_or("0")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    proptest! {
        #[test]
        fn format_matches_display(mantissa in any::<i64>(), wide in any::<i128>(), scale in 0u32..=28) {
            for m in [i128::from(mantissa), wide >> 32] {
                let value = Decimal::from_i128_with_scale(m, scale);
                let mut buffer = [0u8; 48];
                prop_assert_eq!(super::format(&value, &mut buffer), value.to_string());
            }
        }
    }
}

/// `#[serde(with = "serde_decimal")]` for a `Decimal`.
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    deserializer.deserialize_any(StrictDecimal)
}

#[derive(Serialize, Deserialize)]
#[serde(transparent)]
struct Wrapped(#[serde(with = "self")] Decimal);

/// `#[serde(with = "serde_decimal::option")]` for an `Option<Decimal>`.
pub(crate) mod option {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        value: &Option<Decimal>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        value.map(Wrapped).serialize(serializer)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Decimal>, D::Error> {
        Ok(Option::<Wrapped>::deserialize(deserializer)?.map(|w| w.0))
    }
}

/// `#[serde(with = "serde_decimal::per_currency")]` for amounts keyed by currency.
pub(crate) mod per_currency {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        value: &BTreeMap<Currency, Decimal>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_map(value.iter().map(|(c, d)| (c, Wrapped(*d))))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<BTreeMap<Currency, Decimal>, D::Error> {
        let map = BTreeMap::<Currency, Wrapped>::deserialize(deserializer)?;
        Ok(map.into_iter().map(|(c, w)| (c, w.0)).collect())
    }
}
