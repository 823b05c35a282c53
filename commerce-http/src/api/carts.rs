//! Carts and checkout. A guest cart opens to whoever holds its id (an unguessable 128-bit
//! token); a signed-in customer's cart opens to that customer only, and admins.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use commerce_core::cart::Destination;
use commerce_core::payment::CaptureMethod;
use commerce_core::{CheckoutRequest, Currency};
use serde::Deserialize;

use crate::api::Shared;
use crate::auth::Authenticated;
use crate::extract::{ApiJson, ApiResult, idempotency_key, json};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewCart {
    currency: Currency,
}

/// `POST /v1/carts`: a signed-in customer's own cart, or a guest cart.
pub(crate) async fn create_cart(
    Authenticated(caller): Authenticated,
    State(state): State<Shared>,
    ApiJson(body): ApiJson<NewCart>,
) -> ApiResult {
    let owner = caller.customer_id().map(str::to_string);
    let cart = state.commerce.create_cart(body.currency, owner).await?;
    Ok(json(StatusCode::CREATED, &cart))
}

/// `GET /v1/carts/{cart}`.
pub(crate) async fn get_cart(
    Authenticated(caller): Authenticated,
    State(state): State<Shared>,
    Path(cart): Path<String>,
) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &state.commerce.open_cart(&caller, &cart).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewLine {
    sku: String,
    quantity: u32,
    #[serde(default)]
    options: BTreeMap<String, String>,
}

/// `POST /v1/carts/{cart}/lines`.
pub(crate) async fn add_line(
    Authenticated(caller): Authenticated,
    State(state): State<Shared>,
    Path(cart): Path<String>,
    ApiJson(body): ApiJson<NewLine>,
) -> ApiResult {
    let opened = state.commerce.open_cart(&caller, &cart).await?;
    let cart = state
        .commerce
        .add_to_opened_cart(opened, &body.sku, body.quantity, body.options)
        .await?;
    Ok(json(StatusCode::OK, &cart))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Quantity {
    quantity: u32,
}

/// `PATCH /v1/carts/{cart}/lines/{line}`.
pub(crate) async fn set_quantity(
    Authenticated(caller): Authenticated,
    State(state): State<Shared>,
    Path((cart, line)): Path<(String, String)>,
    ApiJson(body): ApiJson<Quantity>,
) -> ApiResult {
    state.commerce.open_cart(&caller, &cart).await?;
    let cart = state
        .commerce
        .set_cart_quantity(&cart, &line, body.quantity)
        .await?;
    Ok(json(StatusCode::OK, &cart))
}

/// `DELETE /v1/carts/{cart}/lines/{line}`.
pub(crate) async fn remove_line(
    Authenticated(caller): Authenticated,
    State(state): State<Shared>,
    Path((cart, line)): Path<(String, String)>,
) -> ApiResult {
    state.commerce.open_cart(&caller, &cart).await?;
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

/// `POST /v1/carts/{cart}/coupons`.
pub(crate) async fn apply_coupon(
    Authenticated(caller): Authenticated,
    State(state): State<Shared>,
    Path(cart): Path<String>,
    ApiJson(body): ApiJson<Coupon>,
) -> ApiResult {
    state.commerce.open_cart(&caller, &cart).await?;
    Ok(json(
        StatusCode::OK,
        &state.commerce.apply_coupon(&cart, &body.code).await?,
    ))
}

/// `DELETE /v1/carts/{cart}/coupons/{code}`.
pub(crate) async fn remove_coupon(
    Authenticated(caller): Authenticated,
    State(state): State<Shared>,
    Path((cart, code)): Path<(String, String)>,
) -> ApiResult {
    state.commerce.open_cart(&caller, &cart).await?;
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

/// `PUT /v1/carts/{cart}/shipping`: where the cart ships and how.
pub(crate) async fn set_shipping(
    Authenticated(caller): Authenticated,
    State(state): State<Shared>,
    Path(cart): Path<String>,
    ApiJson(body): ApiJson<Shipping>,
) -> ApiResult {
    state.commerce.open_cart(&caller, &cart).await?;
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

/// `GET /v1/carts/{cart}/pricing-request`: the request the shop prices the cart with, for the
/// browser module to price it itself.
pub(crate) async fn pricing_request(
    Authenticated(caller): Authenticated,
    State(state): State<Shared>,
    Path(cart): Path<String>,
) -> ApiResult {
    state.commerce.open_cart(&caller, &cart).await?;
    Ok(json(
        StatusCode::OK,
        &state.commerce.pricing_request(&cart).await?,
    ))
}

/// `GET /v1/carts/{cart}/quote`: the live quote.
pub(crate) async fn quote_cart(
    Authenticated(caller): Authenticated,
    State(state): State<Shared>,
    Path(cart): Path<String>,
) -> ApiResult {
    state.commerce.open_cart(&caller, &cart).await?;
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

/// `POST /v1/carts/{cart}/checkout` (with `Idempotency-Key`): the order and its payment.
pub(crate) async fn checkout(
    Authenticated(caller): Authenticated,
    State(state): State<Shared>,
    Path(cart): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Pay>,
) -> ApiResult {
    let key = idempotency_key(&headers)?;
    state.commerce.open_cart(&caller, &cart).await?;
    let request = CheckoutRequest {
        // Keys are scoped to the cart: only who may open it can use them.
        idempotency_scope: format!("cart:{cart}"),
        cart_id: cart,
        payment_method: body.payment_method,
        capture_method: body.capture_method,
        idempotency_key: Some(key),
    };
    let checkout = state.commerce.checkout(&request).await?;
    Ok(json(StatusCode::CREATED, &checkout))
}

/// `GET /v1/carts/{cart}/order`: the order placed from the cart and its payment: how a guest,
/// who holds only the cart's token, follows their order.
pub(crate) async fn cart_order(
    Authenticated(caller): Authenticated,
    State(state): State<Shared>,
    Path(cart): Path<String>,
) -> ApiResult {
    state.commerce.open_cart(&caller, &cart).await?;
    let checkout = state.commerce.checkout_of_cart(&cart).await?;
    Ok(json(StatusCode::OK, &checkout))
}
