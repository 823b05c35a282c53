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

/// `#[serde(with = "serde_decimal")]` for a `Decimal`.
pub(crate) fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
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
