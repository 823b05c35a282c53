//! `/openapi.json` and `/docs`. Every schema comes from the Rust types (utoipa derives in the
//! core and here); the operations are the API's own tables ([`crate::api`]), the ones the
//! router serves.

use axum::Router;
use axum::http::header;
use axum::routing::get;
use commerce_core::Checkout;
use commerce_core::cart::CatalogItem;
use commerce_core::cart::StoredCart;
use commerce_core::catalog::{Category, Product};
use commerce_core::customer::Address;
use commerce_core::inventory::StockLevel;
use commerce_core::order::Order;
use commerce_core::payment::{GatewayEvent, PaymentIntent};
use commerce_core::pricing::Promotion;
use commerce_core::pricing::{PricingRequest, Quote};
use commerce_core::pricing::{ShippingOption, TaxZone};
use commerce_core::settings::ShopConfig;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use crate::api::accounts::{
    AddressInput, CustomerChange, PasswordChange, Profile, Registration, SessionToken, SignIn,
};
use crate::api::carts::{Coupon, NewCart, NewLine, Pay, Quantity, Shipping};
use crate::api::catalog::{Adjustment, VariantOf};
use crate::api::events::{
    NewWebhookEndpoint, WebhookEndpointPatch, WebhookEndpointView, WebhookEndpointWithSecret,
};
use crate::api::orders::{Capture, Confirmation, Fulfilment, Refund};
use crate::api::settings::{UsageLimit, ZoneRates};
use crate::api::{self, Access, Method, Operation};
use crate::pages::{DOCS_POLICY, asset, page};

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
    add::<commerce_core::service::SearchResults>(&mut schemas);
    add::<commerce_core::service::Suggestion>(&mut schemas);
    add::<commerce_core::service::ShippingOffer>(&mut schemas);
    add::<StockLevel>(&mut schemas);
    add::<ShopConfig>(&mut schemas);
    add::<StoredCart>(&mut schemas);
    add::<Order>(&mut schemas);
    add::<commerce_core::shipment::Shipment>(&mut schemas);
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
    add::<commerce_core::customer::Customer>(&mut schemas);
    add::<Address>(&mut schemas);
    add::<Promotion>(&mut schemas);
    add::<TaxZone>(&mut schemas);
    add::<ShippingOption>(&mut schemas);
    add::<VariantOf>(&mut schemas);
    add::<SessionToken>(&mut schemas);
    add::<Registration>(&mut schemas);
    add::<SignIn>(&mut schemas);
    add::<Profile>(&mut schemas);
    add::<PasswordChange>(&mut schemas);
    add::<AddressInput>(&mut schemas);
    add::<CustomerChange>(&mut schemas);
    add::<ZoneRates>(&mut schemas);
    add::<UsageLimit>(&mut schemas);
    add::<commerce_core::usage::PromotionLimit>(&mut schemas);
    add::<commerce_core::usage::PromotionUsage>(&mut schemas);
    add::<Confirmation>(&mut schemas);
    add::<WebhookEndpointView>(&mut schemas);
    add::<WebhookEndpointWithSecret>(&mut schemas);
    add::<NewWebhookEndpoint>(&mut schemas);
    add::<WebhookEndpointPatch>(&mut schemas);
    add::<commerce_core::delivery::Delivery>(&mut schemas);
    add::<commerce_core::delivery::DeliveryStatus>(&mut schemas);
    for (name, item) in [
        ("Categories", "Category"),
        ("Promotions", "Promotion"),
        ("TaxZones", "TaxZone"),
        ("ShippingOptions", "ShippingOption"),
        ("Addresses", "Address"),
        ("WebhookEndpointViews", "WebhookEndpointView"),
        ("ShippingOffers", "ShippingOffer"),
        ("Suggestions", "Suggestion"),
    ] {
        schemas.insert(
            name.into(),
            json!({"type": "array", "items": reference(item)}),
        );
    }
    schemas.insert(
        "OrderPage".into(),
        json!({
            "type": "object",
            "required": ["items", "next_cursor"],
            "properties": {
                "items": {"type": "array", "items": reference("Order")},
                "next_cursor": {"type": ["string", "null"], "description": "Pass as `after` for the next page."}
            }
        }),
    );
    schemas.insert(
        "DeliveryPage".into(),
        json!({
            "type": "object",
            "required": ["items", "next_cursor"],
            "properties": {
                "items": {"type": "array", "items": reference("Delivery")},
                "next_cursor": {"type": ["string", "null"], "description": "Pass as `after` for the next page."}
            }
        }),
    );
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
        "StripeWebhookAnswer".into(),
        json!({
            "type": "object",
            "required": ["received", "applied"],
            "properties": {
                "received": {"type": "boolean"},
                "applied": {"type": "boolean", "description": "Whether the event changed a payment of this shop; other events are acknowledged and ignored."},
                "order_id": {"type": "string"},
                "payment_status": {"type": "string"}
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
                "outcome_unknown": {"type": "boolean", "description": "For `gateway_error`: whether the gateway may have done what it was asked (it did not answer). A money move is recorded either way and settled when the gateway answers; retrying with the same Idempotency-Key learns the outcome."},
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
            "adminKey": {"type": "http", "scheme": "bearer", "description": "An admin API key, `ck_…`, from `commerce-server admin create-key`."},
            "customerSession": {"type": "http", "scheme": "bearer", "description": "A customer session token, `cs_…`, from `POST /v1/sessions` or `POST /v1/customers`."}
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
    for param in op.query.iter().flat_map(|params| params.iter()) {
        let schema: Value = serde_json::from_str(param.schema).unwrap_or(Value::Null);
        parameters.push(json!({
            "name": param.name, "in": "query", "required": false,
            "schema": schema, "description": param.description,
        }));
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
    if op.path == "/v1/webhooks/stripe" {
        responses.insert(
            "404".into(),
            problem("Stripe webhooks are not configured (no STRIPE_WEBHOOK_SECRET)."),
        );
    }
    if op.method != Method::Get && op.access != Access::Public {
        responses.insert(
            "409".into(),
            problem(
                "A conflict: the state does not allow it, stock ran short, or a version changed.",
            ),
        );
    }
    if op.path == "/v1/sessions" {
        responses.insert(
            "401".into(),
            problem("The e-mail address or the password is wrong."),
        );
    }
    if op.access != Access::Public {
        responses.insert(
            "401".into(),
            problem(match op.access {
                Access::Admin => "No valid admin API key.",
                Access::Customer => "Not signed in: no valid session token.",
                Access::Owner => "No valid credential (a listing needs one).",
                _ => "A credential was sent and is not valid.",
            }),
        );
    }
    if matches!(op.access, Access::Admin | Access::Anyone | Access::Owner) {
        responses.insert(
            "403".into(),
            problem("Known caller, not allowed: a customer where an admin is needed."),
        );
    }
    if op.calls_gateway {
        responses.insert(
            "502".into(),
            problem("The payment gateway could not be reached; retry with the same key."),
        );
        responses.insert(
            "503".into(),
            problem("Payments are paused (`gateway_circuit_open`, after repeated gateway failures; see Retry-After) or not configured (`payments_not_configured`); nothing was sent to the gateway."),
        );
    }
    responses.insert("429".into(), problem("Too many requests; see Retry-After."));
    let mut operation = json!({
        "summary": op.summary,
        "operationId": format!("{} {}", op.method.as_str(), op.path),
        "parameters": parameters,
        "responses": responses,
    });
    if let Some(body) = op.body {
        operation["requestBody"] = json!({
            "required": !op.body_optional,
            "content": {"application/json": {"schema": reference(body)}}
        });
    }
    operation["security"] = match op.access {
        Access::Public => json!([]),
        Access::Admin => json!([{"adminKey": []}]),
        Access::Customer => json!([{"customerSession": []}]),
        Access::Owner => json!([{"customerSession": []}, {"adminKey": []}]),
        Access::Anyone | Access::CartHolder => {
            json!([{}, {"customerSession": []}, {"adminKey": []}])
        }
    };
    operation
}

/// The OpenAPI 3.1 document of the API.
pub fn document() -> Value {
    let mut paths = Map::new();
    for op in api::api().operations() {
        let item = paths
            .entry(op.path.to_string())
            .or_insert_with(|| json!({}));
        item[op.method.as_str()] = operation(op);
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
            get(|| async { page(DOCS_POLICY, include_str!("../docs/index.html")) }),
        )
        .route(
            "/docs/docs.js",
            get(|| async {
                asset(
                    "text/javascript; charset=utf-8",
                    include_str!("../docs/docs.js"),
                )
            }),
        )
        .route(
            "/docs/docs.css",
            get(|| async { asset("text/css; charset=utf-8", include_str!("../docs/docs.css")) }),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No two operations share a method and a path (the router would refuse the second).
    #[test]
    fn every_operation_is_one_route() {
        let mut seen: Vec<(Method, &str)> = Vec::new();
        for op in api::api().operations() {
            assert!(
                !seen.contains(&(op.method, op.path)),
                "{} {} is listed twice",
                op.method.as_str(),
                op.path
            );
            seen.push((op.method, op.path));
        }
    }

    /// The middleware's stricter limit names routes that exist, with their methods.
    #[test]
    fn every_password_route_is_routed() {
        for (method, path) in crate::middleware::PASSWORD_ROUTES {
            assert!(
                api::api()
                    .operations()
                    .any(|op| op.method.as_str().eq_ignore_ascii_case(method) && op.path == path),
                "{method} {path} is not a route"
            );
        }
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
