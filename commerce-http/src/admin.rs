//! Admin API keys and the admin routes.
//!
//! A key is `ck_<id>_<secret>`: a 64-bit public id, by which the store finds it, and a 256-bit
//! secret, of which only a SHA-256 hash is stored. A slow password hash (Argon2) would add
//! nothing here: nobody can search 2^256 secrets, and every admin request checks its key. The
//! hashes are compared in constant time. `commerce-server admin create-key` prints a new key
//! once; it cannot be shown again.

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use commerce_core::catalog::Product;
use commerce_core::order::FulfillmentStatus;
use commerce_core::service::IdempotencyKey;
use commerce_core::store::{ApiKey, ShopConfig};
use commerce_core::{Commerce, Error, ErrorKind, Money};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::problem::Problem;
use crate::routes::{ApiJson, ApiResult, AppState, idempotency_key, json};

const PREFIX: &str = "ck_";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn random_hex(bytes: usize) -> Result<String, Error> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer)
        .map_err(|e| Error::storage(format!("no randomness for a key: {e}")))?;
    Ok(hex(&buffer))
}

fn hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Issues a new admin key named `name`, stores its hash and returns the key, which is shown
/// only this once.
///
/// # Errors
///
/// Storage errors.
pub async fn create_key(commerce: &Commerce, name: &str) -> Result<String, Error> {
    let id = random_hex(8)?;
    let secret = random_hex(32)?;
    commerce
        .store()
        .put_api_key(&ApiKey {
            id: id.clone(),
            name: name.to_string(),
            secret_hash: hash(&secret),
            created_at: commerce.now(),
            revoked_at: None,
        })
        .await?;
    Ok(format!("{PREFIX}{id}_{secret}"))
}

/// Revokes an admin key by its id (the part after `ck_`, before the second `_`).
///
/// # Errors
///
/// `not_found`; storage errors.
pub async fn revoke_key(commerce: &Commerce, id: &str) -> Result<(), Error> {
    commerce.store().revoke_api_key(id, commerce.now()).await
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// An authenticated admin: the handler runs only with a valid, unrevoked key.
pub struct Admin {
    /// The key's id, for logs and idempotency scopes.
    pub key_id: String,
}

fn unauthorized() -> Response {
    let mut response = Problem::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "an admin API key is required: Authorization: Bearer ck_…",
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(unauthorized)?;
        let (id, secret) = token
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split_once('_'))
            .ok_or_else(unauthorized)?;
        let key = state
            .commerce
            .store()
            .api_key(id)
            .await
            .map_err(|e| Problem::from(e).into_response())?
            .filter(|k| k.revoked_at.is_none())
            .ok_or_else(unauthorized)?;
        if !constant_time_eq(hash(secret).as_bytes(), key.secret_hash.as_bytes()) {
            return Err(unauthorized());
        }
        Ok(Admin { key_id: key.id })
    }
}

fn scoped(admin: &Admin, headers: &HeaderMap) -> ApiResult<IdempotencyKey> {
    Ok(IdempotencyKey {
        scope: format!("admin:{}", admin.key_id),
        key: idempotency_key(headers)?,
    })
}

// ---------------------------------------------------------------------- catalog and stock

/// `POST /v1/products`: creates a product (`422 duplicate_id` if the id exists).
pub(crate) async fn create_product(
    _admin: Admin,
    State(state): State<AppState>,
    ApiJson(product): ApiJson<Product>,
) -> ApiResult {
    if state.commerce.store().product(&product.id).await?.is_some() {
        return Err(Error::new(ErrorKind::DuplicateId { id: product.id }).into());
    }
    let product = state.commerce.put_product(product).await?;
    Ok(json(StatusCode::CREATED, &product))
}

/// `PUT /v1/products/{id}`: creates or replaces a product.
pub(crate) async fn put_product(
    _admin: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(product): ApiJson<Product>,
) -> ApiResult {
    if product.id != id {
        return Err(Error::invalid(format!(
            "the body's id `{}` is not the path's `{id}`",
            product.id
        ))
        .at("id")
        .into());
    }
    Ok(json(
        StatusCode::OK,
        &state.commerce.put_product(product).await?,
    ))
}

/// `POST /v1/products/{id}/archive`.
pub(crate) async fn archive_product(
    _admin: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &state.commerce.archive_product(&id).await?,
    ))
}

/// `GET /v1/inventory/{sku}`: stock levels by location.
pub(crate) async fn stock(State(state): State<AppState>, Path(sku): Path<String>) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &state.commerce.store().stock(&sku).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Adjustment {
    delta: i64,
    #[serde(default)]
    allow_backorder: Option<bool>,
}

/// `POST /v1/inventory/{sku}/adjustments`: changes stock on hand.
pub(crate) async fn adjust_stock(
    _admin: Admin,
    State(state): State<AppState>,
    Path(sku): Path<String>,
    ApiJson(adjustment): ApiJson<Adjustment>,
) -> ApiResult {
    if adjustment.delta.unsigned_abs() > 1_000_000_000 {
        return Err(Error::invalid("delta must be within ±1,000,000,000")
            .at("delta")
            .into());
    }
    let level = state
        .commerce
        .adjust_stock(&sku, adjustment.delta, adjustment.allow_backorder)
        .await?;
    Ok(json(StatusCode::OK, &level))
}

/// `GET /v1/settings`: tax zones, promotions, shipping methods, rounding, with their version.
pub(crate) async fn settings(_admin: Admin, State(state): State<AppState>) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &state.commerce.store().config().await?,
    ))
}

/// `PUT /v1/settings`: replaces the settings if `version` is still current (else `409`).
pub(crate) async fn put_settings(
    _admin: Admin,
    State(state): State<AppState>,
    ApiJson(config): ApiJson<ShopConfig>,
) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &state.commerce.put_config(config).await?,
    ))
}

// ---------------------------------------------------------------------- orders and money

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Fulfilment {
    line_id: String,
    quantity: u32,
}

/// `POST /v1/orders/{id}/fulfil`: marks units of a line packed.
pub(crate) async fn fulfil(
    _admin: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Fulfilment>,
) -> ApiResult {
    let order = state
        .commerce
        .fulfil(&id, &body.line_id, body.quantity)
        .await?;
    Ok(json(StatusCode::OK, &order))
}

/// `POST /v1/orders/{id}/ship`.
pub(crate) async fn ship(admin: Admin, state: State<AppState>, id: Path<String>) -> ApiResult {
    advance(admin, state, id, FulfillmentStatus::Shipped).await
}

/// `POST /v1/orders/{id}/deliver`.
pub(crate) async fn deliver(admin: Admin, state: State<AppState>, id: Path<String>) -> ApiResult {
    advance(admin, state, id, FulfillmentStatus::Delivered).await
}

async fn advance(
    _admin: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    to: FulfillmentStatus,
) -> ApiResult {
    let order = state.commerce.advance_fulfillment(&id, to).await?;
    Ok(json(StatusCode::OK, &order))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Capture {
    #[serde(default)]
    amount: Option<Money>,
    #[serde(default = "yes", rename = "final")]
    final_capture: bool,
}

fn yes() -> bool {
    true
}

/// `POST /v1/orders/{id}/capture` (with `Idempotency-Key`): takes authorized money.
pub(crate) async fn capture(
    admin: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Capture>,
) -> ApiResult {
    let key = scoped(&admin, &headers)?;
    let done = state
        .commerce
        .capture(&id, body.amount, body.final_capture, Some(&key))
        .await?;
    Ok(json(StatusCode::OK, &done))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Refund {
    amount: Money,
}

/// `POST /v1/orders/{id}/refund` (with `Idempotency-Key`): gives captured money back.
pub(crate) async fn refund(
    admin: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Refund>,
) -> ApiResult {
    let key = scoped(&admin, &headers)?;
    let done = state.commerce.refund(&id, body.amount, Some(&key)).await?;
    Ok(json(StatusCode::OK, &done))
}

/// `POST /v1/orders/{id}/cancel` (with `Idempotency-Key`): releases stock, voids or refunds.
pub(crate) async fn cancel(
    admin: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let key = scoped(&admin, &headers)?;
    let done = state.commerce.cancel_order(&id, Some(&key)).await?;
    Ok(json(StatusCode::OK, &done))
}
