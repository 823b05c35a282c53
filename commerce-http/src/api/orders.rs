//! Orders and payment intents. A customer opens their own; admins open and move every one.
//! Guests follow theirs through the cart they checked out (`GET /v1/carts/{cart}/order`).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use commerce_core::Money;
use commerce_core::access::Caller;
use commerce_core::order::{FulfillmentStatus, OrderStatus};
use commerce_core::service::IdempotencyKey;
use commerce_core::store::OrderFilter;
use serde::Deserialize;

use crate::api::Shared;
use crate::auth::{Admin, Authenticated};
use crate::extract::{ApiJson, ApiQuery, ApiResult, idempotency_key, json, page_limit};
use crate::problem::Problem;

/// The caller's idempotency key for a money move: scoped to the caller, so that two callers'
/// keys never collide.
fn scoped(caller: &Caller, headers: &HeaderMap) -> ApiResult<IdempotencyKey> {
    Ok(IdempotencyKey {
        scope: caller.idempotency_scope(),
        key: idempotency_key(headers)?,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OrderQuery {
    after: Option<String>,
    limit: Option<usize>,
    status: Option<OrderStatus>,
    customer: Option<String>,
}

/// `GET /v1/orders`: a signed-in customer's orders, or (for admins) every order, newest first,
/// filtered by status and, for admins, customer.
pub(crate) async fn list_orders(
    Authenticated(caller): Authenticated,
    State(state): State<Shared>,
    ApiQuery(query): ApiQuery<OrderQuery>,
) -> ApiResult {
    let customer_id = match &caller {
        Caller::Admin { .. } => query.customer,
        Caller::Customer { id } if query.customer.as_ref().is_none_or(|c| c == id) => {
            Some(id.clone())
        }
        Caller::Customer { .. } => {
            return Err(Problem::forbidden(
                "only admins list other customers' orders",
            ));
        }
        Caller::Anonymous => {
            return Err(Problem::unauthorized(
                "sign in to list your orders; a guest follows an order through its cart",
            ));
        }
    };
    let filter = OrderFilter {
        customer_id,
        status: query.status,
    };
    let page = state
        .commerce
        .store()
        .orders(&filter, query.after.as_deref(), page_limit(query.limit))
        .await?;
    Ok(json(StatusCode::OK, &page))
}

/// `GET /v1/orders/{id}`.
pub(crate) async fn get_order(
    Authenticated(caller): Authenticated,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &state.commerce.open_order(&caller, &id).await?,
    ))
}

/// `POST /v1/orders/{id}/cancel` (with `Idempotency-Key`): the order's customer or an admin
/// cancels an order that has not shipped; stock is released, the payment voided or refunded.
pub(crate) async fn cancel(
    Authenticated(caller): Authenticated,
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let key = scoped(&caller, &headers)?;
    state.commerce.open_order(&caller, &id).await?;
    let done = state.commerce.cancel_order(&id, Some(&key)).await?;
    Ok(json(StatusCode::OK, &done))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Fulfilment {
    line_id: String,
    quantity: u32,
}

/// `POST /v1/orders/{id}/fulfil`: marks units of a line packed.
pub(crate) async fn fulfil(
    _admin: Admin,
    State(state): State<Shared>,
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
pub(crate) async fn ship(admin: Admin, state: State<Shared>, id: Path<String>) -> ApiResult {
    advance(admin, state, id, FulfillmentStatus::Shipped).await
}

/// `POST /v1/orders/{id}/deliver`.
pub(crate) async fn deliver(admin: Admin, state: State<Shared>, id: Path<String>) -> ApiResult {
    advance(admin, state, id, FulfillmentStatus::Delivered).await
}

async fn advance(
    _admin: Admin,
    State(state): State<Shared>,
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

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Refund {
    amount: Money,
}

/// `POST /v1/orders/{id}/capture` (with `Idempotency-Key`): takes authorized money.
pub(crate) async fn capture(
    admin: Admin,
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Capture>,
) -> ApiResult {
    let key = scoped(&admin.caller(), &headers)?;
    let done = state
        .commerce
        .capture(&id, body.amount, body.final_capture, Some(&key))
        .await?;
    Ok(json(StatusCode::OK, &done))
}

/// `POST /v1/orders/{id}/refund` (with `Idempotency-Key`): gives captured money back.
pub(crate) async fn refund(
    admin: Admin,
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Refund>,
) -> ApiResult {
    let key = scoped(&admin.caller(), &headers)?;
    let done = state.commerce.refund(&id, body.amount, Some(&key)).await?;
    Ok(json(StatusCode::OK, &done))
}

/// `GET /v1/payment-intents/{id}`.
pub(crate) async fn get_intent(
    Authenticated(caller): Authenticated,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &state.commerce.open_payment_intent(&caller, &id).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Confirmation {
    /// Another payment method to try; absent, the one given at checkout.
    #[serde(default)]
    payment_method: Option<String>,
}

/// `POST /v1/payment-intents/{id}/confirm` (with `Idempotency-Key`): the order's customer or an
/// admin finishes a payment the gateway never answered, with another payment method if given.
pub(crate) async fn confirm_intent(
    Authenticated(caller): Authenticated,
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Confirmation>,
) -> ApiResult {
    let key = scoped(&caller, &headers)?;
    state.commerce.open_payment_intent(&caller, &id).await?;
    let done = state
        .commerce
        .confirm_payment(&id, body.payment_method.as_deref(), Some(&key))
        .await?;
    Ok(json(StatusCode::OK, &done))
}

/// `POST /v1/payment-intents/{id}/capture` (with `Idempotency-Key`): as the order's capture.
pub(crate) async fn capture_intent(
    admin: Admin,
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: ApiJson<Capture>,
) -> ApiResult {
    let intent = state.commerce.payment_intent(&id).await?;
    capture(admin, State(state), Path(intent.order_id), headers, body).await
}

/// `POST /v1/payment-intents/{id}/refund` (with `Idempotency-Key`): as the order's refund.
pub(crate) async fn refund_intent(
    admin: Admin,
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: ApiJson<Refund>,
) -> ApiResult {
    let intent = state.commerce.payment_intent(&id).await?;
    refund(admin, State(state), Path(intent.order_id), headers, body).await
}

/// `POST /v1/payment-intents/{id}/cancel` (with `Idempotency-Key`): voids (or refunds) the
/// payment by cancelling the order it pays for, which also releases its stock.
pub(crate) async fn cancel_intent(
    admin: Admin,
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let intent = state.commerce.payment_intent(&id).await?;
    cancel(
        Authenticated(admin.caller()),
        State(state),
        Path(intent.order_id),
        headers,
    )
    .await
}
