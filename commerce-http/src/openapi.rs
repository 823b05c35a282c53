//! `/openapi.json` and `/docs`. Every schema comes from the Rust types (utoipa derives in the
//! core and here); the operations are the table below, which a test holds to the router.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
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
use crate::api::orders::{Capture, Confirmation, Fulfilment, Refund};
use crate::api::settings::ZoneRates;

/// Who may call an operation.
#[derive(Clone, Copy, PartialEq)]
enum Access {
    /// Anyone; credentials are not read.
    Public,
    /// Anyone; a credential, if sent, must be valid, and an admin sees more.
    Anyone,
    /// Whoever holds the cart's id (an unguessable 128-bit token); a customer's cart needs
    /// that customer's session (or an admin key).
    CartHolder,
    /// A signed-in customer (a session token).
    Customer,
    /// The order's customer, or an admin.
    Owner,
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

use Access::{Admin, Anyone, CartHolder, Customer, Owner, Public};

/// Every operation the router serves under `/v1` and the health checks.
#[rustfmt::skip]
const OPERATIONS: &[Operation] = &[
    op("get", "/healthz", "Liveness: the process answers.", Public, None, 200, None),
    op("get", "/readyz", "Readiness: the database answers.", Public, None, 200, None),
    op("post", "/v1/quote", "Prices a full pricing request, as the browser module does.", Public, Some("PricingRequest"), 200, Some("Quote")),
    op("get", "/v1/products", "Products in id order, a page at a time (`after`, `limit`), by `category` and text (`q`); active ones only, unless an admin asks for a `status`.", Anyone, None, 200, Some("ProductPage")),
    op("post", "/v1/products", "Creates a product.", Admin, Some("Product"), 201, Some("Product")),
    op("get", "/v1/products/{id}", "An active product (any, for admins).", Anyone, None, 200, Some("Product")),
    op("put", "/v1/products/{id}", "Creates or replaces a product.", Admin, Some("Product"), 200, Some("Product")),
    op("post", "/v1/products/{id}/archive", "Archives a product: no longer sold, kept on past orders.", Admin, None, 200, Some("Product")),
    op("get", "/v1/variants/{sku}", "A variant of an active product, by SKU, with its product's id and name.", Anyone, None, 200, Some("VariantOf")),
    op("get", "/v1/categories", "Every category.", Public, None, 200, Some("Categories")),
    op("get", "/v1/categories/{id}", "A category.", Public, None, 200, Some("Category")),
    op("put", "/v1/categories/{id}", "Creates or replaces a category.", Admin, Some("Category"), 200, Some("Category")),
    op("get", "/v1/inventory/{sku}", "A SKU's stock levels by location.", Public, None, 200, Some("StockLevels")),
    with_key(op("post", "/v1/inventory/{sku}/adjustments", "Changes a SKU's stock on hand, once per key (a replay answers with the level as it is now).", Admin, Some("Adjustment"), 200, Some("StockLevel"))),
    op("get", "/v1/settings", "Tax zones, promotions, shipping methods and rounding, with their version.", Admin, None, 200, Some("ShopConfig")),
    op("put", "/v1/settings", "Replaces the settings if their version is still current.", Admin, Some("ShopConfig"), 200, Some("ShopConfig")),
    op("get", "/v1/promotions", "Every promotion.", Admin, None, 200, Some("Promotions")),
    op("post", "/v1/promotions", "Adds a promotion.", Admin, Some("Promotion"), 201, Some("Promotion")),
    op("get", "/v1/promotions/{id}", "A promotion.", Admin, None, 200, Some("Promotion")),
    op("put", "/v1/promotions/{id}", "Adds or replaces a promotion.", Admin, Some("Promotion"), 200, Some("Promotion")),
    op("delete", "/v1/promotions/{id}", "Removes a promotion.", Admin, None, 204, None),
    op("get", "/v1/tax-zones", "Every tax zone and its rates.", Admin, None, 200, Some("TaxZones")),
    op("put", "/v1/tax-zones/{zone}", "Sets the rates of a zone: a country (`US`), a subdivision (`US-CA`) or `*` for everywhere else.", Admin, Some("ZoneRates"), 200, Some("TaxZone")),
    op("delete", "/v1/tax-zones/{zone}", "Removes a tax zone.", Admin, None, 204, None),
    op("get", "/v1/shipping-methods", "Every shipping method and where it ships.", Admin, None, 200, Some("ShippingOptions")),
    op("post", "/v1/shipping-methods", "Adds a shipping method.", Admin, Some("ShippingOption"), 201, Some("ShippingOption")),
    op("put", "/v1/shipping-methods/{id}", "Adds or replaces a shipping method.", Admin, Some("ShippingOption"), 200, Some("ShippingOption")),
    op("delete", "/v1/shipping-methods/{id}", "Removes a shipping method.", Admin, None, 204, None),
    op("post", "/v1/customers", "Registers a customer (password: 8 to 256 characters) and signs them in.", Public, Some("Registration"), 201, Some("SessionToken")),
    op("post", "/v1/sessions", "Signs a customer in: a session token for `Authorization: Bearer`.", Public, Some("SignIn"), 201, Some("SessionToken")),
    op("delete", "/v1/sessions/current", "Signs out: the session's token stops working.", Customer, None, 204, None),
    op("get", "/v1/customers/me", "The signed-in customer.", Customer, None, 200, Some("Customer")),
    op("patch", "/v1/customers/me", "Changes the signed-in customer's name.", Customer, Some("Profile"), 200, Some("Customer")),
    op("put", "/v1/customers/me/password", "Changes the password, ends every session and starts a new one.", Customer, Some("PasswordChange"), 200, Some("SessionToken")),
    op("get", "/v1/customers/me/addresses", "The address book.", Customer, None, 200, Some("Addresses")),
    op("post", "/v1/customers/me/addresses", "Adds an address.", Customer, Some("AddressInput"), 201, Some("Address")),
    op("put", "/v1/customers/me/addresses/{id}", "Replaces an address.", Customer, Some("AddressInput"), 200, Some("Address")),
    op("delete", "/v1/customers/me/addresses/{id}", "Removes an address.", Customer, None, 204, None),
    op("get", "/v1/customers/{id}", "A customer.", Admin, None, 200, Some("Customer")),
    op("patch", "/v1/customers/{id}", "Changes a customer's name or group.", Admin, Some("CustomerChange"), 200, Some("Customer")),
    op("post", "/v1/carts", "Creates a cart: the signed-in customer's, or a guest cart whose id is the token that opens it.", Anyone, Some("NewCart"), 201, Some("StoredCart")),
    op("get", "/v1/carts/{cart}", "A cart.", CartHolder, None, 200, Some("StoredCart")),
    op("post", "/v1/carts/{cart}/lines", "Adds units of a SKU at the catalog's price.", CartHolder, Some("NewLine"), 200, Some("StoredCart")),
    op("patch", "/v1/carts/{cart}/lines/{line}", "Sets a line's quantity.", CartHolder, Some("Quantity"), 200, Some("StoredCart")),
    op("delete", "/v1/carts/{cart}/lines/{line}", "Removes a line.", CartHolder, None, 200, Some("StoredCart")),
    op("post", "/v1/carts/{cart}/coupons", "Enters a coupon code.", CartHolder, Some("Coupon"), 200, Some("StoredCart")),
    op("delete", "/v1/carts/{cart}/coupons/{code}", "Removes a coupon code.", CartHolder, None, 200, Some("StoredCart")),
    op("put", "/v1/carts/{cart}/shipping", "Sets the destination and shipping method.", CartHolder, Some("Shipping"), 200, Some("StoredCart")),
    op("get", "/v1/carts/{cart}/quote", "Prices the cart now.", CartHolder, None, 200, Some("Quote")),
    op("get", "/v1/carts/{cart}/pricing-request", "The pricing request the shop prices the cart with.", CartHolder, None, 200, Some("PricingRequest")),
    with_key(op("post", "/v1/carts/{cart}/checkout", "Reserves the stock, places the order and takes the payment.", CartHolder, Some("Pay"), 201, Some("Checkout"))),
    op("get", "/v1/carts/{cart}/order", "The order placed from the cart, with its payment: how a guest follows an order.", CartHolder, None, 200, Some("Checkout")),
    op("get", "/v1/orders", "The signed-in customer's orders (every order, for admins), newest first, by `status` (and `customer`, for admins).", Owner, None, 200, Some("OrderPage")),
    op("get", "/v1/orders/{id}", "An order.", Owner, None, 200, Some("Order")),
    with_key(op("post", "/v1/orders/{id}/cancel", "Cancels an unshipped order: releases stock, voids or refunds.", Owner, None, 200, Some("Checkout"))),
    op("post", "/v1/orders/{id}/fulfil", "Marks units of a line packed.", Admin, Some("Fulfilment"), 200, Some("Order")),
    op("post", "/v1/orders/{id}/ship", "Marks a fulfilled order shipped.", Admin, None, 200, Some("Order")),
    op("post", "/v1/orders/{id}/deliver", "Marks a shipped order delivered, completing it.", Admin, None, 200, Some("Order")),
    with_key(op("post", "/v1/orders/{id}/capture", "Captures authorized money (all of it if no amount).", Admin, Some("Capture"), 200, Some("Checkout"))),
    with_key(op("post", "/v1/orders/{id}/refund", "Refunds captured money.", Admin, Some("Refund"), 200, Some("Checkout"))),
    op("get", "/v1/payment-intents/{id}", "A payment intent.", Owner, None, 200, Some("PaymentIntent")),
    with_key(op("post", "/v1/payment-intents/{id}/confirm", "Finishes a payment the gateway never answered, with another payment method if given.", Owner, Some("Confirmation"), 200, Some("Checkout"))),
    with_key(op("post", "/v1/payment-intents/{id}/capture", "Captures authorized money, as the order's capture.", Admin, Some("Capture"), 200, Some("Checkout"))),
    with_key(op("post", "/v1/payment-intents/{id}/refund", "Refunds captured money, as the order's refund.", Admin, Some("Refund"), 200, Some("Checkout"))),
    with_key(op("post", "/v1/payment-intents/{id}/cancel", "Voids or refunds the payment by cancelling its order.", Admin, None, 200, Some("Checkout"))),
    op("post", "/v1/webhooks/gateway", "A payment gateway event, signed: Commerce-Signature: t=…,v1=HMAC-SHA256(secret, t.body).", Public, Some("GatewayEvent"), 200, Some("Checkout")),
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
    add::<Confirmation>(&mut schemas);
    for (name, item) in [
        ("Categories", "Category"),
        ("Promotions", "Promotion"),
        ("TaxZones", "TaxZone"),
        ("ShippingOptions", "ShippingOption"),
        ("Addresses", "Address"),
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
    let query = |name: &str, schema: Value, description: &str| json!({"name": name, "in": "query", "required": false, "schema": schema, "description": description});
    let listing = op.method == "get" && matches!(op.path, "/v1/products" | "/v1/orders");
    if listing {
        parameters.push(query(
            "after",
            json!({"type": "string"}),
            "The `next_cursor` of the previous page.",
        ));
        parameters.push(query(
            "limit",
            json!({"type": "integer", "default": 20}),
            "Items per page, clamped to 1..100.",
        ));
    }
    if listing && op.path == "/v1/products" {
        parameters.push(query(
            "category",
            json!({"type": "string"}),
            "Only products in this category.",
        ));
        parameters.push(query(
            "q",
            json!({"type": "string", "maxLength": 200}),
            "Only products whose name, description or SKUs contain this text, ignoring case.",
        ));
        parameters.push(query("status", json!({"type": "string", "enum": ["draft", "active", "archived", "any"], "default": "active"}), "Admins only, for other than `active`."));
    }
    if listing && op.path == "/v1/orders" {
        parameters.push(query(
            "status",
            reference("OrderStatus"),
            "Only orders with this status.",
        ));
        parameters.push(query(
            "customer",
            json!({"type": "string"}),
            "Only this customer's orders (admins; a customer may name only themselves).",
        ));
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
    if op.path == "/v1/sessions" {
        responses.insert(
            "401".into(),
            problem("The e-mail address or the password is wrong."),
        );
    }
    if op.access != Public {
        responses.insert(
            "401".into(),
            problem(match op.access {
                Admin => "No valid admin API key.",
                Customer => "Not signed in: no valid session token.",
                Owner => "No valid credential (a listing needs one).",
                _ => "A credential was sent and is not valid.",
            }),
        );
    }
    if matches!(op.access, Admin | Anyone | Owner) {
        responses.insert(
            "403".into(),
            problem("Known caller, not allowed: a customer where an admin is needed."),
        );
    }
    let calls_gateway = op.path.ends_with("/checkout")
        || op.path.starts_with("/v1/payment-intents/") && op.method == "post"
        || matches!(
            op.path.rsplit('/').next(),
            Some("capture" | "refund" | "cancel")
        );
    if calls_gateway {
        responses.insert(
            "502".into(),
            problem("The payment gateway could not be reached; retry with the same key."),
        );
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
    operation["security"] = match op.access {
        Public => json!([]),
        Admin => json!([{"adminKey": []}]),
        Customer => json!([{"customerSession": []}]),
        Owner => json!([{"customerSession": []}, {"adminKey": []}]),
        Anyone | CartHolder => json!([{}, {"customerSession": []}, {"adminKey": []}]),
    };
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
        let source = include_str!("api/mod.rs");
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

    /// The middleware's stricter limit names routes that exist, with their methods.
    #[test]
    fn every_password_route_is_routed() {
        for (method, path) in crate::middleware::PASSWORD_ROUTES {
            assert!(
                OPERATIONS
                    .iter()
                    .any(|op| op.method.eq_ignore_ascii_case(method) && op.path == path),
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
