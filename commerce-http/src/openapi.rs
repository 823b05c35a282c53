//! `/openapi.json` and `/docs`. Every schema comes from the Rust types (utoipa derives in the
//! core and here); the operations are the table below, which a test holds to the router.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use commerce_core::Checkout;
use commerce_core::cart::CatalogItem;
use commerce_core::catalog::{Category, Product};
use commerce_core::inventory::StockLevel;
use commerce_core::order::Order;
use commerce_core::payment::{GatewayEvent, PaymentIntent};
use commerce_core::pricing::{PricingRequest, Quote};
use commerce_core::store::{ShopConfig, StoredCart};
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use crate::admin::{Adjustment, Capture, Fulfilment, Refund};
use crate::routes::{Coupon, NewCart, NewLine, Pay, Quantity, Shipping};

/// Who may call an operation.
#[derive(Clone, Copy, PartialEq)]
enum Access {
    /// Anyone.
    Public,
    /// Whoever holds the cart's id (an unguessable 128-bit token).
    CartHolder,
    /// An admin API key.
    Admin,
}

/// One operation of the API.
struct Operation {
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    access: Access,
    body: Option<&'static str>,
    status: u16,
    response: Option<&'static str>,
    idempotent: bool,
}

const fn op(
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    access: Access,
    body: Option<&'static str>,
    status: u16,
    response: Option<&'static str>,
) -> Operation {
    Operation {
        method,
        path,
        summary,
        access,
        body,
        status,
        response,
        idempotent: false,
    }
}

const fn with_key(operation: Operation) -> Operation {
    Operation {
        idempotent: true,
        ..operation
    }
}

use Access::{Admin, CartHolder, Public};

/// Every operation the router serves under `/v1` and the health checks.
const OPERATIONS: &[Operation] = &[
    op(
        "get",
        "/healthz",
        "Liveness: the process answers.",
        Public,
        None,
        200,
        None,
    ),
    op(
        "get",
        "/readyz",
        "Readiness: the database answers.",
        Public,
        None,
        200,
        None,
    ),
    op(
        "post",
        "/v1/quote",
        "Prices a full pricing request, as the browser module does.",
        Public,
        Some("PricingRequest"),
        200,
        Some("Quote"),
    ),
    op(
        "get",
        "/v1/products",
        "Active products in id order, a page at a time (`after`, `limit`).",
        Public,
        None,
        200,
        Some("ProductPage"),
    ),
    op(
        "post",
        "/v1/products",
        "Creates a product.",
        Admin,
        Some("Product"),
        201,
        Some("Product"),
    ),
    op(
        "get",
        "/v1/products/{id}",
        "An active product.",
        Public,
        None,
        200,
        Some("Product"),
    ),
    op(
        "put",
        "/v1/products/{id}",
        "Creates or replaces a product.",
        Admin,
        Some("Product"),
        200,
        Some("Product"),
    ),
    op(
        "post",
        "/v1/products/{id}/archive",
        "Archives a product: no longer sold, kept on past orders.",
        Admin,
        None,
        200,
        Some("Product"),
    ),
    op(
        "get",
        "/v1/inventory/{sku}",
        "A SKU's stock levels by location.",
        Public,
        None,
        200,
        Some("StockLevels"),
    ),
    op(
        "post",
        "/v1/inventory/{sku}/adjustments",
        "Changes a SKU's stock on hand.",
        Admin,
        Some("Adjustment"),
        200,
        Some("StockLevel"),
    ),
    op(
        "get",
        "/v1/settings",
        "Tax zones, promotions, shipping methods and rounding, with their version.",
        Admin,
        None,
        200,
        Some("ShopConfig"),
    ),
    op(
        "put",
        "/v1/settings",
        "Replaces the settings if their version is still current.",
        Admin,
        Some("ShopConfig"),
        200,
        Some("ShopConfig"),
    ),
    op(
        "post",
        "/v1/carts",
        "Creates a guest cart; its id is the token that opens it.",
        Public,
        Some("NewCart"),
        201,
        Some("StoredCart"),
    ),
    op(
        "get",
        "/v1/carts/{cart}",
        "A cart.",
        CartHolder,
        None,
        200,
        Some("StoredCart"),
    ),
    op(
        "post",
        "/v1/carts/{cart}/lines",
        "Adds units of a SKU at the catalog's price.",
        CartHolder,
        Some("NewLine"),
        200,
        Some("StoredCart"),
    ),
    op(
        "patch",
        "/v1/carts/{cart}/lines/{line}",
        "Sets a line's quantity.",
        CartHolder,
        Some("Quantity"),
        200,
        Some("StoredCart"),
    ),
    op(
        "delete",
        "/v1/carts/{cart}/lines/{line}",
        "Removes a line.",
        CartHolder,
        None,
        200,
        Some("StoredCart"),
    ),
    op(
        "post",
        "/v1/carts/{cart}/coupons",
        "Enters a coupon code.",
        CartHolder,
        Some("Coupon"),
        200,
        Some("StoredCart"),
    ),
    op(
        "delete",
        "/v1/carts/{cart}/coupons/{code}",
        "Removes a coupon code.",
        CartHolder,
        None,
        200,
        Some("StoredCart"),
    ),
    op(
        "put",
        "/v1/carts/{cart}/shipping",
        "Sets the destination and shipping method.",
        CartHolder,
        Some("Shipping"),
        200,
        Some("StoredCart"),
    ),
    op(
        "get",
        "/v1/carts/{cart}/quote",
        "Prices the cart now.",
        CartHolder,
        None,
        200,
        Some("Quote"),
    ),
    op(
        "get",
        "/v1/carts/{cart}/pricing-request",
        "The pricing request the shop prices the cart with.",
        CartHolder,
        None,
        200,
        Some("PricingRequest"),
    ),
    with_key(op(
        "post",
        "/v1/carts/{cart}/checkout",
        "Reserves the stock, places the order and takes the payment.",
        CartHolder,
        Some("Pay"),
        201,
        Some("Checkout"),
    )),
    op(
        "get",
        "/v1/orders/{id}",
        "An order (its id is unguessable).",
        Public,
        None,
        200,
        Some("Order"),
    ),
    op(
        "post",
        "/v1/orders/{id}/fulfil",
        "Marks units of a line packed.",
        Admin,
        Some("Fulfilment"),
        200,
        Some("Order"),
    ),
    op(
        "post",
        "/v1/orders/{id}/ship",
        "Marks a fulfilled order shipped.",
        Admin,
        None,
        200,
        Some("Order"),
    ),
    op(
        "post",
        "/v1/orders/{id}/deliver",
        "Marks a shipped order delivered, completing it.",
        Admin,
        None,
        200,
        Some("Order"),
    ),
    with_key(op(
        "post",
        "/v1/orders/{id}/capture",
        "Captures authorized money (all of it if no amount).",
        Admin,
        Some("Capture"),
        200,
        Some("Checkout"),
    )),
    with_key(op(
        "post",
        "/v1/orders/{id}/refund",
        "Refunds captured money.",
        Admin,
        Some("Refund"),
        200,
        Some("Checkout"),
    )),
    with_key(op(
        "post",
        "/v1/orders/{id}/cancel",
        "Cancels an unshipped order: releases stock, voids or refunds.",
        Admin,
        None,
        200,
        Some("Checkout"),
    )),
    op(
        "get",
        "/v1/payment-intents/{id}",
        "A payment intent (its id is unguessable).",
        Public,
        None,
        200,
        Some("PaymentIntent"),
    ),
    op(
        "post",
        "/v1/webhooks/gateway",
        "A payment gateway event, signed: Commerce-Signature: t=…,v1=HMAC-SHA256(secret, t.body).",
        Public,
        Some("GatewayEvent"),
        200,
        Some("Checkout"),
    ),
];

fn add<T: ToSchema>(schemas: &mut Map<String, Value>) {
    let mut nested = Vec::new();
    T::schemas(&mut nested);
    nested.push((T::name().into_owned(), T::schema()));
    for (name, schema) in nested {
        let name = name.split('<').next().unwrap_or(&name).to_string();
        schemas.insert(name, serde_json::to_value(schema).unwrap_or(Value::Null));
    }
}

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn components() -> Value {
    let mut schemas = Map::new();
    add::<PricingRequest>(&mut schemas);
    add::<Quote<'static>>(&mut schemas);
    add::<CatalogItem>(&mut schemas);
    add::<Product>(&mut schemas);
    add::<Category>(&mut schemas);
    add::<StockLevel>(&mut schemas);
    add::<ShopConfig>(&mut schemas);
    add::<StoredCart>(&mut schemas);
    add::<Order>(&mut schemas);
    add::<PaymentIntent>(&mut schemas);
    add::<Checkout>(&mut schemas);
    add::<GatewayEvent>(&mut schemas);
    add::<NewCart>(&mut schemas);
    add::<NewLine>(&mut schemas);
    add::<Quantity>(&mut schemas);
    add::<Coupon>(&mut schemas);
    add::<Shipping>(&mut schemas);
    add::<Pay>(&mut schemas);
    add::<Adjustment>(&mut schemas);
    add::<Fulfilment>(&mut schemas);
    add::<Capture>(&mut schemas);
    add::<Refund>(&mut schemas);
    schemas.insert(
        "ProductPage".into(),
        json!({
            "type": "object",
            "required": ["items", "next_cursor"],
            "properties": {
                "items": {"type": "array", "items": reference("Product")},
                "next_cursor": {"type": ["string", "null"], "description": "Pass as `after` for the next page."}
            }
        }),
    );
    schemas.insert(
        "StockLevels".into(),
        json!({"type": "array", "items": reference("StockLevel")}),
    );
    schemas.insert(
        "Problem".into(),
        json!({
            "type": "object",
            "description": "An RFC 9457 problem: every error, with the core's stable code.",
            "required": ["type", "title", "status", "detail", "code"],
            "properties": {
                "type": {"type": "string", "description": "`/problems/{code}`."},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string", "description": "For people; never internals."},
                "code": {"type": "string", "description": "The stable, machine-readable code: `too_many_decimals`, `insufficient_stock`, ..."},
                "errors": {
                    "type": "array",
                    "description": "The field the error is about, when there is one.",
                    "items": {
                        "type": "object",
                        "required": ["field", "code"],
                        "properties": {"field": {"type": "string"}, "code": {"type": "string"}}
                    }
                }
            }
        }),
    );
    json!({
        "schemas": schemas,
        "securitySchemes": {
            "adminKey": {"type": "http", "scheme": "bearer", "description": "An admin API key, `ck_…`, from `commerce-server admin create-key`."}
        }
    })
}

fn problem(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/problem+json": {"schema": reference("Problem")}}
    })
}

fn operation(op: &Operation) -> Value {
    let mut parameters: Vec<Value> = op
        .path
        .split('/')
        .filter_map(|part| part.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect();
    if op.path == "/v1/products" && op.method == "get" {
        parameters.push(json!({"name": "after", "in": "query", "required": false, "schema": {"type": "string"}, "description": "The `next_cursor` of the previous page."}));
        parameters.push(json!({"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "default": 20}, "description": "Products per page, clamped to 1..100."}));
    }
    if op.idempotent {
        parameters.push(json!({
            "name": "Idempotency-Key", "in": "header", "required": true,
            "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            "description": "The same key and body replay the first response; the same key with another body is 422; a retry while the first runs is 409. Kept at least 24 hours."
        }));
    }
    let success = match op.response {
        Some(schema) => json!({
            "description": "Done.",
            "content": {"application/json": {"schema": reference(schema)}}
        }),
        None => json!({"description": "Done."}),
    };
    let mut responses = Map::new();
    responses.insert(op.status.to_string(), success);
    if op.body.is_some() || op.idempotent || op.path.contains("/v1/") {
        responses.insert("400".into(), problem("The request could not be read."));
        responses.insert(
            "422".into(),
            problem("The request breaks a rule; `errors` names the field."),
        );
    }
    if op.path.contains('{') {
        responses.insert("404".into(), problem("No such resource (or not yours)."));
    }
    if op.path == "/v1/webhooks/gateway" {
        responses.insert(
            "404".into(),
            problem("Webhooks are not configured (no --webhook-secret)."),
        );
    }
    if op.method != "get" && op.access != Public {
        responses.insert(
            "409".into(),
            problem(
                "A conflict: the state does not allow it, stock ran short, or a version changed.",
            ),
        );
    }
    if op.access == Admin {
        responses.insert("401".into(), problem("No valid admin API key."));
    }
    responses.insert("429".into(), problem("Too many requests; see Retry-After."));
    let mut operation = json!({
        "summary": op.summary,
        "operationId": format!("{} {}", op.method, op.path),
        "parameters": parameters,
        "responses": responses,
    });
    if let Some(body) = op.body {
        operation["requestBody"] = json!({
            "required": true,
            "content": {"application/json": {"schema": reference(body)}}
        });
    }
    if op.access == Admin {
        operation["security"] = json!([{"adminKey": []}]);
    }
    operation
}

/// The OpenAPI 3.1 document of the API.
pub fn document() -> Value {
    let mut paths = Map::new();
    for op in OPERATIONS {
        let item = paths
            .entry(op.path.to_string())
            .or_insert_with(|| json!({}));
        item[op.method] = operation(op);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "commerce",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The commerce reference server: catalog, carts, checkout, orders and payments over one engine. Amounts are decimal strings; errors are application/problem+json with a stable code."
        },
        "paths": paths,
        "components": components(),
    })
}

/// The routes of the document and its page.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let document = std::sync::Arc::new(document().to_string());
    Router::new()
        .route(
            "/openapi.json",
            get(move || {
                let document = document.clone();
                async move {
                    (
                        [(header::CONTENT_TYPE, "application/json")],
                        (*document).clone(),
                    )
                }
            }),
        )
        .route(
            "/docs",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                    include_str!("../docs/index.html"),
                )
                    .into_response()
            }),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table and the router agree: every `.route(...)` in routes.rs is documented with the
    /// same methods, and nothing is documented that is not routed.
    #[test]
    fn every_route_is_documented() {
        let source = include_str!("routes.rs");
        let mut routed = Vec::new();
        for chunk in source.split(".route(").skip(1) {
            let path = chunk.split('"').nth(1).unwrap_or_default();
            let end = chunk.find("\n        .").unwrap_or(chunk.len());
            for method in ["get", "post", "put", "patch", "delete"] {
                if chunk[..end].contains(&format!("{method}(")) {
                    routed.push(format!("{method} {path}"));
                }
            }
        }
        let mut documented: Vec<String> = OPERATIONS
            .iter()
            .map(|op| format!("{} {}", op.method, op.path))
            .collect();
        routed.sort();
        documented.sort();
        assert_eq!(routed, documented);
    }

    #[test]
    fn every_reference_resolves() {
        let document = document();
        let text = document.to_string();
        let schemas = document["components"]["schemas"].as_object().unwrap();
        for piece in text.split("#/components/schemas/").skip(1) {
            let name = piece.split('"').next().unwrap();
            assert!(
                schemas.contains_key(name),
                "{name} is referenced but not defined"
            );
        }
    }
}
