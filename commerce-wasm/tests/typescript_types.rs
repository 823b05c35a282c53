//! Generates `js/types.d.ts`, the TypeScript types of every request and quote field, from the
//! Rust types' JSON Schemas (commerce-core's `schema` feature), and fails if the committed file
//! differs: the types cannot drift from the Rust types. `UPDATE_TYPES=1 cargo test -p
//! commerce-wasm --test typescript_types` rewrites it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use commerce_core::cart::{Cart, CatalogItem, PricingContext};
use commerce_core::pricing::{PricingRequest, Quote};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

fn collect<T: ToSchema>(out: &mut BTreeMap<String, Value>) {
    let mut nested: Vec<(String, RefOr<Schema>)> = Vec::new();
    T::schemas(&mut nested);
    nested.push((T::name().into_owned(), T::schema()));
    for (name, schema) in nested {
        let json = serde_json::to_value(&schema).expect("a schema serialises");
        out.insert(name, json);
    }
}

/// The TypeScript name of a schema: `Quote<'r>` is `Quote`.
fn type_name(name: &str) -> String {
    name.split('<').next().unwrap_or(name).to_string()
}

fn reference(value: &Value) -> Option<String> {
    value
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.rsplit('/').next())
        .map(type_name)
}

/// A JSON Schema (the subset utoipa writes) as a TypeScript type.
fn ts(schema: &Value, indent: usize) -> String {
    if let Some(name) = reference(schema) {
        return name;
    }
    for (key, joiner) in [("oneOf", " | "), ("anyOf", " | "), ("allOf", " & ")] {
        if let Some(options) = schema.get(key).and_then(Value::as_array) {
            let parts: Vec<String> = options.iter().map(|o| ts(o, indent)).collect();
            let joined = parts.join(joiner);
            return if parts.len() > 1 && joiner == " & " {
                format!("({joined})")
            } else {
                joined
            };
        }
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return values
            .iter()
            .map(|v| v.to_string().replace('"', "'"))
            .collect::<Vec<_>>()
            .join(" | ");
    }
    if let Some(value) = schema.get("const") {
        return value.to_string().replace('"', "'");
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if types.is_empty() {
        return "unknown".to_string();
    }
    types
        .iter()
        .map(|t| match *t {
            "string" => "string".to_string(),
            "integer" | "number" => "number".to_string(),
            "boolean" => "boolean".to_string(),
            "null" => "null".to_string(),
            "array" => {
                let item = schema
                    .get("items")
                    .map_or("unknown".into(), |i| ts(i, indent));
                if item.contains(' ') {
                    format!("({item})[]")
                } else {
                    format!("{item}[]")
                }
            }
            "object" => object(schema, indent),
            other => panic!("no TypeScript for JSON Schema type {other}"),
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

fn object(schema: &Value, indent: usize) -> String {
    let properties = schema.get("properties").and_then(Value::as_object);
    let Some(properties) = properties.filter(|p| !p.is_empty()) else {
        let value = schema
            .get("additionalProperties")
            .map_or("unknown".into(), |v| ts(v, indent));
        return format!("Record<string, {value}>");
    };
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let pad = "  ".repeat(indent + 1);
    let mut out = String::from("{\n");
    for (name, property) in properties {
        if let Some(doc) = property.get("description").and_then(Value::as_str) {
            let _ = writeln!(out, "{pad}/** {} */", comment(doc));
        }
        let optional = if required.contains(&name.as_str()) {
            ""
        } else {
            "?"
        };
        let _ = writeln!(out, "{pad}{name}{optional}: {};", ts(property, indent + 1));
    }
    out.push_str(&"  ".repeat(indent));
    out.push('}');
    out
}

/// The first paragraph of a Rust doc comment, on one line (examples and details stay in Rust).
fn comment(doc: &str) -> String {
    let first = doc.split("\n\n").next().unwrap_or(doc);
    first
        .replace("*/", "* /")
        .replace('\n', " ")
        .trim()
        .to_string()
}

fn generate() -> String {
    let mut schemas = BTreeMap::new();
    collect::<PricingRequest>(&mut schemas);
    collect::<Quote<'static>>(&mut schemas);
    collect::<CatalogItem>(&mut schemas);
    collect::<PricingContext>(&mut schemas);
    collect::<Cart>(&mut schemas);
    let mut out = String::from(
        "// Generated from the Rust types of commerce-core by commerce-wasm/tests/typescript_types.rs;\n\
         // do not edit. Amounts, rates and percentages are decimal strings, never numbers.\n",
    );
    let by_name: BTreeMap<String, &Value> = schemas
        .iter()
        .map(|(name, schema)| (type_name(name), schema))
        .collect();
    for (name, schema) in by_name {
        out.push('\n');
        if let Some(doc) = schema.get("description").and_then(Value::as_str) {
            let _ = writeln!(out, "/** {} */", comment(doc));
        }
        let body = ts(schema, 0);
        let is_union = ["oneOf", "anyOf", "allOf"]
            .iter()
            .any(|key| schema.get(*key).is_some());
        if body.starts_with('{') && !is_union {
            let _ = writeln!(out, "export interface {name} {body}");
        } else {
            let _ = writeln!(out, "export type {name} = {body};");
        }
    }
    out
}

#[test]
fn typescript_types_are_generated_from_the_rust_types() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("js/types.d.ts");
    let generated = generate();
    for vague in [": unknown", "<string, unknown>", "unknown[]", "| unknown"] {
        assert!(
            !generated.contains(vague),
            "every field has a type:\n{generated}"
        );
    }
    if std::env::var_os("UPDATE_TYPES").is_some() {
        std::fs::write(&path, &generated).expect("js/types.d.ts is writable");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "js/types.d.ts is stale: run UPDATE_TYPES=1 cargo test -p commerce-wasm --test typescript_types"
    );
}
