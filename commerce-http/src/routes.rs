//! The handlers: parse, call one service method, map the result. No domain rule lives here.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post, put};
use axum::{Json, Router};
use commerce_core::catalog::ProductStatus;
use commerce_core::payment::CaptureMethod;
use commerce_core::pricing::{PricingRequest, quote};
use commerce_core::store::Destination;
use commerce_core::{CheckoutRequest, Commerce, Currency, Error};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::problem::Problem;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The service.
    pub commerce: Commerce,
    /// The secret gateway webhooks are signed with; `None` turns the endpoint off.
    pub webhook_secret: Option<String>,
}

/// The router of the API.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/v1/quote", post(quote_request))
        .route(
            "/v1/products",
            get(list_products).post(crate::admin::create_product),
        )
        .route(
            "/v1/products/{id}",
            get(get_product).put(crate::admin::put_product),
        )
        .route(
            "/v1/products/{id}/archive",
            post(crate::admin::archive_product),
        )
        .route("/v1/inventory/{sku}", get(crate::admin::stock))
        .route(
            "/v1/inventory/{sku}/adjustments",
            post(crate::admin::adjust_stock),
        )
        .route(
            "/v1/settings",
            get(crate::admin::settings).put(crate::admin::put_settings),
        )
        .route("/v1/carts", post(create_cart))
        .route("/v1/carts/{cart}", get(get_cart))
        .route("/v1/carts/{cart}/lines", post(add_line))
        .route(
            "/v1/carts/{cart}/lines/{line}",
            patch(set_quantity).delete(remove_line),
        )
        .route("/v1/carts/{cart}/coupons", post(apply_coupon))
        .route("/v1/carts/{cart}/coupons/{code}", delete(remove_coupon))
        .route("/v1/carts/{cart}/shipping", put(set_shipping))
        .route("/v1/carts/{cart}/quote", get(quote_cart))
        .route("/v1/carts/{cart}/pricing-request", get(pricing_request))
        .route("/v1/carts/{cart}/checkout", post(checkout))
        .route("/v1/orders/{id}", get(get_order))
        .route("/v1/orders/{id}/fulfil", post(crate::admin::fulfil))
        .route("/v1/orders/{id}/ship", post(crate::admin::ship))
        .route("/v1/orders/{id}/deliver", post(crate::admin::deliver))
        .route("/v1/orders/{id}/capture", post(crate::admin::capture))
        .route("/v1/orders/{id}/refund", post(crate::admin::refund))
        .route("/v1/orders/{id}/cancel", post(crate::admin::cancel))
        .route("/v1/payment-intents/{id}", get(get_intent))
        .route("/v1/webhooks/gateway", post(crate::webhook::receive))
        .fallback(|| async { Problem::new(StatusCode::NOT_FOUND, "not_found", "no such route") })
        .with_state(state)
}

pub(crate) type ApiResult<T = Response> = Result<T, Problem>;

/// A JSON body read strictly: malformed JSON, wrong types and unknown fields are
/// `400 invalid_request` problems, never axum's plain-text rejections.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|e| Problem::invalid_request(e.body_text()))?;
        serde_json::from_slice(&bytes)
            .map(ApiJson)
            .map_err(|e| Problem::invalid_request(e.to_string()))
    }
}

pub(crate) fn json(status: StatusCode, value: &impl serde::Serialize) -> Response {
    (status, Json(value)).into_response()
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> ApiResult {
    state.commerce.store().config().await?;
    Ok("ready".into_response())
}

async fn quote_request(body: Bytes) -> ApiResult {
    let text = std::str::from_utf8(&body).map_err(|e| Problem::invalid_request(e.to_string()))?;
    let request = PricingRequest::from_json(text)?;
    let quote = quote(&request)?;
    Ok(json(StatusCode::OK, &quote))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PageQuery {
    after: Option<String>,
    limit: Option<usize>,
}

/// A query string read strictly: unknown or malformed parameters are `400 invalid_request`
/// problems, never axum's plain-text rejections.
struct ApiQuery<T>(T);

impl<S: Send + Sync, T: DeserializeOwned> axum::extract::FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Problem> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| ApiQuery(value))
            .map_err(|e| Problem::invalid_request(e.body_text()))
    }
}

async fn list_products(
    State(state): State<AppState>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult {
    let limit = page.limit.unwrap_or(20).clamp(1, 100);
    let mut page = state
        .commerce
        .store()
        .products(&Default::default(), page.after.as_deref(), limit)
        .await?;
    page.items.retain(|p| p.status == ProductStatus::Active);
    Ok(json(StatusCode::OK, &page))
}

async fn get_product(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let product = state
        .commerce
        .store()
        .product(&id)
        .await?
        .filter(|p| p.status == ProductStatus::Active)
        .ok_or_else(|| Error::not_found("product", id))?;
    Ok(json(StatusCode::OK, &product))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewCart {
    currency: Currency,
}

async fn create_cart(State(state): State<AppState>, ApiJson(body): ApiJson<NewCart>) -> ApiResult {
    let cart = state.commerce.create_cart(body.currency, None).await?;
    Ok(json(StatusCode::CREATED, &cart))
}

async fn get_cart(State(state): State<AppState>, Path(cart): Path<String>) -> ApiResult {
    Ok(json(StatusCode::OK, &state.commerce.cart(&cart).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewLine {
    sku: String,
    quantity: u32,
    #[serde(default)]
    options: BTreeMap<String, String>,
}

async fn add_line(
    State(state): State<AppState>,
    Path(cart): Path<String>,
    ApiJson(body): ApiJson<NewLine>,
) -> ApiResult {
    let cart = state
        .commerce
        .add_to_cart(&cart, &body.sku, body.quantity, body.options)
        .await?;
    Ok(json(StatusCode::OK, &cart))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Quantity {
    quantity: u32,
}

async fn set_quantity(
    State(state): State<AppState>,
    Path((cart, line)): Path<(String, String)>,
    ApiJson(body): ApiJson<Quantity>,
) -> ApiResult {
    let cart = state
        .commerce
        .set_cart_quantity(&cart, &line, body.quantity)
        .await?;
    Ok(json(StatusCode::OK, &cart))
}

async fn remove_line(
    State(state): State<AppState>,
    Path((cart, line)): Path<(String, String)>,
) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &state.commerce.remove_cart_line(&cart, &line).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Coupon {
    code: String,
}

async fn apply_coupon(
    State(state): State<AppState>,
    Path(cart): Path<String>,
    ApiJson(body): ApiJson<Coupon>,
) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &state.commerce.apply_coupon(&cart, &body.code).await?,
    ))
}

async fn remove_coupon(
    State(state): State<AppState>,
    Path((cart, code)): Path<(String, String)>,
) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &state.commerce.remove_coupon(&cart, &code).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Shipping {
    country: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    method: Option<String>,
}

async fn set_shipping(
    State(state): State<AppState>,
    Path(cart): Path<String>,
    ApiJson(body): ApiJson<Shipping>,
) -> ApiResult {
    let destination = Destination {
        country: body.country,
        region: body.region,
    };
    let cart = state
        .commerce
        .set_shipping(&cart, Some(destination), body.method.as_deref())
        .await?;
    Ok(json(StatusCode::OK, &cart))
}

/// The request the shop prices the cart with, for the browser module to price it itself.
async fn pricing_request(State(state): State<AppState>, Path(cart): Path<String>) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &state.commerce.pricing_request(&cart).await?,
    ))
}

async fn quote_cart(State(state): State<AppState>, Path(cart): Path<String>) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &state.commerce.quote_cart(&cart).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Pay {
    payment_method: String,
    #[serde(default)]
    capture_method: CaptureMethod,
}

/// The `Idempotency-Key` header: required on a checkout, 1 to 255 visible ASCII characters,
/// quoted (as the IETF draft writes it) or not.
pub(crate) fn idempotency_key(headers: &HeaderMap) -> ApiResult<String> {
    let value = headers
        .get("idempotency-key")
        .ok_or_else(|| Problem::invalid_request("the Idempotency-Key header is required"))?
        .to_str()
        .map_err(|_| Problem::invalid_request("the Idempotency-Key header must be ASCII"))?;
    let key = value.trim().trim_matches('"');
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Problem::invalid_request(
            "the Idempotency-Key header must have 1 to 255 visible characters",
        ));
    }
    Ok(key.to_string())
}

async fn checkout(
    State(state): State<AppState>,
    Path(cart): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Pay>,
) -> ApiResult {
    let key = idempotency_key(&headers)?;
    let request = CheckoutRequest {
        // Keys are scoped to the cart: only the holder of its token can use them.
        idempotency_scope: format!("cart:{cart}"),
        cart_id: cart,
        payment_method: body.payment_method,
        capture_method: body.capture_method,
        idempotency_key: Some(key),
    };
    let checkout = state.commerce.checkout(&request).await?;
    Ok(json(StatusCode::CREATED, &checkout))
}

async fn get_order(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult {
    Ok(json(StatusCode::OK, &state.commerce.order(&id).await?))
}

async fn get_intent(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &state.commerce.payment_intent(&id).await?,
    ))
}
