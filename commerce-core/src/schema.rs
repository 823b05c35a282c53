//! JSON Schemas of the wire types (feature `schema`): the TypeScript types of the browser
//! module and the server's OpenAPI document are generated from them, so they cannot drift from
//! the Rust types. Types with hand-written serde get hand-written schemas here.

use std::borrow::Cow;

use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr, SchemaFormat};
use utoipa::{PartialSchema, ToSchema};

use crate::money::{Currency, Money};
use crate::time::Timestamp;

fn reference<T: ToSchema>() -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(T::name()))
}

fn string(description: &str, example: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .examples([serde_json::Value::String(example.to_string())])
        .into()
}

/// A decimal number written as a string (`"19.99"`), never a JSON number.
pub struct Decimal;

impl PartialSchema for Decimal {
    fn schema() -> RefOr<Schema> {
        string(
            "A decimal number written as a string: \"19.99\", \"0.20\", \"1000\".",
            "19.99",
        )
    }
}

impl ToSchema for Decimal {}

/// Amounts keyed by currency code.
pub struct PerCurrency;

impl PartialSchema for PerCurrency {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "Amounts keyed by currency: { \"USD\": \"5.00\", \"JPY\": \"700\" }.",
            ))
            .additional_properties(Some(reference::<Decimal>()))
            .into()
    }
}

impl ToSchema for PerCurrency {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((Decimal::name().into_owned(), Decimal::schema()));
    }
}

impl PartialSchema for Currency {
    fn schema() -> RefOr<Schema> {
        string(
            "An ISO 4217 code of an active currency: \"USD\", \"JPY\", \"KWD\".",
            "USD",
        )
    }
}

impl ToSchema for Currency {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("CurrencyCode")
    }
}

impl PartialSchema for Timestamp {
    fn schema() -> RefOr<Schema> {
        let mut schema = ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("An RFC 3339 instant: \"2026-11-22T09:30:00Z\"."));
        schema = schema.format(Some(SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::DateTime,
        )));
        schema.into()
    }
}

impl ToSchema for Timestamp {}

impl PartialSchema for Money {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some("An exact amount of money in one currency."))
            .property("amount", reference::<Decimal>())
            .property("currency", reference::<Currency>())
            .required("amount")
            .required("currency")
            .into()
    }
}

impl ToSchema for Money {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((Decimal::name().into_owned(), Decimal::schema()));
        schemas.push((Currency::name().into_owned(), Currency::schema()));
    }
}
