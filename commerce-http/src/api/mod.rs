//! The API: its router, and one module per resource. Handlers parse, authorise, call one service
//! method and map the result; no domain rule lives here.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, get, patch, post, put};
use commerce_core::Commerce;
use commerce_core::pricing::{PricingRequest, quote};

use crate::extract::{ApiResult, json};
use crate::problem::Problem;

pub(crate) mod accounts;
pub(crate) mod carts;
pub(crate) mod catalog;
pub(crate) mod orders;
pub(crate) mod settings;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The service.
    pub commerce: Commerce,
    /// The secret gateway webhooks are signed with; `None` turns the endpoint off.
    pub webhook_secret: Option<String>,
}

/// The state handlers see: shared, so that a request clones one pointer rather than the service.
pub(crate) type Shared = std::sync::Arc<AppState>;

/// The router of the API.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/v1/quote", post(quote_request))
        .route(
            "/v1/products",
            get(catalog::list_products).post(catalog::create_product),
        )
        .route(
            "/v1/products/{id}",
            get(catalog::get_product).put(catalog::put_product),
        )
        .route("/v1/products/{id}/archive", post(catalog::archive_product))
        .route("/v1/variants/{sku}", get(catalog::get_variant))
        .route("/v1/categories", get(catalog::list_categories))
        .route(
            "/v1/categories/{id}",
            get(catalog::get_category).put(catalog::put_category),
        )
        .route("/v1/inventory/{sku}", get(catalog::stock))
        .route(
            "/v1/inventory/{sku}/adjustments",
            post(catalog::adjust_stock),
        )
        .route(
            "/v1/settings",
            get(settings::settings).put(settings::put_settings),
        )
        .route(
            "/v1/promotions",
            get(settings::promotions).post(settings::create_promotion),
        )
        .route(
            "/v1/promotions/{id}",
            get(settings::promotion)
                .put(settings::put_promotion)
                .delete(settings::remove_promotion),
        )
        .route("/v1/tax-zones", get(settings::tax_zones))
        .route(
            "/v1/tax-zones/{zone}",
            put(settings::put_tax_zone).delete(settings::remove_tax_zone),
        )
        .route(
            "/v1/shipping-methods",
            get(settings::shipping_methods).post(settings::create_shipping_method),
        )
        .route(
            "/v1/shipping-methods/{id}",
            put(settings::put_shipping_method).delete(settings::remove_shipping_method),
        )
        .route("/v1/customers", post(accounts::register))
        .route("/v1/sessions", post(accounts::sign_in))
        .route("/v1/sessions/current", delete(accounts::sign_out))
        .route(
            "/v1/customers/me",
            get(accounts::me).patch(accounts::update_me),
        )
        .route("/v1/customers/me/password", put(accounts::change_password))
        .route(
            "/v1/customers/me/addresses",
            get(accounts::addresses).post(accounts::add_address),
        )
        .route(
            "/v1/customers/me/addresses/{id}",
            put(accounts::replace_address).delete(accounts::remove_address),
        )
        .route(
            "/v1/customers/{id}",
            get(accounts::get_customer).patch(accounts::update_customer),
        )
        .route("/v1/carts", post(carts::create_cart))
        .route("/v1/carts/{cart}", get(carts::get_cart))
        .route("/v1/carts/{cart}/lines", post(carts::add_line))
        .route(
            "/v1/carts/{cart}/lines/{line}",
            patch(carts::set_quantity).delete(carts::remove_line),
        )
        .route("/v1/carts/{cart}/coupons", post(carts::apply_coupon))
        .route(
            "/v1/carts/{cart}/coupons/{code}",
            delete(carts::remove_coupon),
        )
        .route("/v1/carts/{cart}/shipping", put(carts::set_shipping))
        .route("/v1/carts/{cart}/quote", get(carts::quote_cart))
        .route(
            "/v1/carts/{cart}/pricing-request",
            get(carts::pricing_request),
        )
        .route("/v1/carts/{cart}/checkout", post(carts::checkout))
        .route("/v1/carts/{cart}/order", get(carts::cart_order))
        .route("/v1/orders", get(orders::list_orders))
        .route("/v1/orders/{id}", get(orders::get_order))
        .route("/v1/orders/{id}/cancel", post(orders::cancel))
        .route("/v1/orders/{id}/fulfil", post(orders::fulfil))
        .route("/v1/orders/{id}/ship", post(orders::ship))
        .route("/v1/orders/{id}/deliver", post(orders::deliver))
        .route("/v1/orders/{id}/capture", post(orders::capture))
        .route("/v1/orders/{id}/refund", post(orders::refund))
        .route("/v1/payment-intents/{id}", get(orders::get_intent))
        .route(
            "/v1/payment-intents/{id}/confirm",
            post(orders::confirm_intent),
        )
        .route(
            "/v1/payment-intents/{id}/capture",
            post(orders::capture_intent),
        )
        .route(
            "/v1/payment-intents/{id}/refund",
            post(orders::refund_intent),
        )
        .route(
            "/v1/payment-intents/{id}/cancel",
            post(orders::cancel_intent),
        )
        .route("/v1/webhooks/gateway", post(crate::webhook::receive))
        .fallback(|| async { Problem::new(StatusCode::NOT_FOUND, "not_found", "no such route") })
        .with_state(Shared::new(state))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<Shared>) -> ApiResult {
    state.commerce.store().config().await?;
    Ok("ready".into_response())
}

async fn quote_request(body: Bytes) -> ApiResult {
    let text = std::str::from_utf8(&body).map_err(|e| Problem::invalid_request(e.to_string()))?;
    let request = PricingRequest::from_json(text)?;
    let quote = quote(&request)?;
    Ok(json(StatusCode::OK, &quote))
}
