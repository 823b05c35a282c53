//! Orders and payment intents. A customer opens their own; admins open and move every one.
//! Guests follow theirs through the cart they checked out (`GET /v1/carts/{cart}/order`).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use commerce_core::Money;
use commerce_core::access::Caller;
use commerce_core::order::{FulfillmentStatus, OrderStatus};
use commerce_core::service::IdempotencyKey;
use commerce_core::shipment::Shipment;
use commerce_core::store::OrderFilter;
use serde::Deserialize;

use crate::api::{Access, Api, Method, Operation, PAGE_PARAMS, Param, Shared};
use crate::auth::{Admin, Authenticated};
use crate::extract::{ApiJson, ApiQuery, ApiResult, OptionalJson, idempotency_key, json};

const ORDER_PARAMS: [Param; 2] = [
    Param {
        name: "status",
        schema: r##"{"$ref": "#/components/schemas/OrderStatus"}"##,
        description: "Only orders with this status.",
    },
    Param {
        name: "customer",
        schema: r#"{"type": "string"}"#,
        description: "Only this customer's orders (admins; a customer may name only themselves).",
    },
];

/// The orders' and payment intents' operations.
#[rustfmt::skip]
pub(crate) fn api() -> Api {
    use Access::{Admin, Owner};
    use Method::{Get, Post};
    Api::new()
        .at(Operation::new(Get, "/v1/orders", "The signed-in customer's orders (every order, for admins), newest first, by `status` (and `customer`, for admins).", Owner).returns(200, "OrderPage").query(&[&PAGE_PARAMS, &ORDER_PARAMS]), list_orders)
        .at(Operation::new(Get, "/v1/orders/{id}", "An order.", Owner).returns(200, "Order"), get_order)
        .at(Operation::new(Post, "/v1/orders/{id}/cancel", "Cancels an unshipped order: releases stock, voids or refunds.", Owner).returns(200, "Checkout").keyed().calls_gateway(), cancel)
        .at(Operation::new(Post, "/v1/orders/{id}/fulfil", "Marks units of a line packed.", Admin).body("Fulfilment").returns(200, "Order"), fulfil)
        .at(Operation::new(Post, "/v1/orders/{id}/ship", "Marks a fulfilled order shipped, with its carrier and tracking number if the body gives them (the order, the shipped e-mail and the order_shipped event show them).", Admin).optional_body("Shipment").returns(200, "Order"), ship)
        .at(Operation::new(Post, "/v1/orders/{id}/deliver", "Marks a shipped order delivered, completing it.", Admin).returns(200, "Order"), deliver)
        .at(Operation::new(Post, "/v1/orders/{id}/capture", "Captures authorized money (all of it if no amount).", Admin).body("Capture").returns(200, "Checkout").keyed().calls_gateway(), capture)
        .at(Operation::new(Post, "/v1/orders/{id}/refund", "Refunds captured money.", Admin).body("Refund").returns(200, "Checkout").keyed().calls_gateway(), refund)
        .at(Operation::new(Get, "/v1/payment-intents/{id}", "A payment intent.", Owner).returns(200, "PaymentIntent"), get_intent)
        .at(Operation::new(Post, "/v1/payment-intents/{id}/confirm", "Finishes a payment the gateway never answered, with another payment method if given.", Owner).body("Confirmation").returns(200, "Checkout").keyed().calls_gateway(), confirm_intent)
        .at(Operation::new(Post, "/v1/payment-intents/{id}/capture", "Captures authorized money, as the order's capture.", Admin).body("Capture").returns(200, "Checkout").keyed().calls_gateway(), capture_intent)
        .at(Operation::new(Post, "/v1/payment-intents/{id}/refund", "Refunds captured money, as the order's refund.", Admin).body("Refund").returns(200, "Checkout").keyed().calls_gateway(), refund_intent)
        .at(Operation::new(Post, "/v1/payment-intents/{id}/cancel", "Voids or refunds the payment by cancelling its order.", Admin).returns(200, "Checkout").keyed().calls_gateway(), cancel_intent)
}

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
    auth: Authenticated,
    State(state): State<Shared>,
    ApiQuery(query): ApiQuery<OrderQuery>,
) -> ApiResult {
    let filter = OrderFilter {
        customer_id: query.customer,
        status: query.status,
        ..OrderFilter::default()
    };
    let page = state
        .commerce
        .orders(
            Some(&auth.caller),
            filter,
            query.after.as_deref(),
            query.limit,
        )
        .await?;
    Ok(json(StatusCode::OK, &page))
}

/// `GET /v1/orders/{id}`.
pub(crate) async fn get_order(
    auth: Authenticated,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &state.commerce.order(auth.caller.target(&id)).await?,
    ))
}

/// `POST /v1/orders/{id}/cancel` (with `Idempotency-Key`): the order's customer or an admin
/// cancels an order that has not shipped; stock is released, the payment voided or refunded.
pub(crate) async fn cancel(
    auth: Authenticated,
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let key = scoped(&auth.caller, &headers)?;
    let done = state
        .commerce
        .cancel_order(auth.caller.target(&id), Some(&key))
        .await?;
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

/// `POST /v1/orders/{id}/ship`, with an optional `{carrier, tracking_number, tracking_url}`.
pub(crate) async fn ship(
    _admin: Admin,
    State(state): State<Shared>,
    Path(id): Path<String>,
    OptionalJson(shipment): OptionalJson<Shipment>,
) -> ApiResult {
    let order = state.commerce.ship(&id, shipment).await?;
    Ok(json(StatusCode::OK, &order))
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
    auth: Authenticated,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &state
            .commerce
            .payment_intent(auth.caller.target(&id))
            .await?,
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
    auth: Authenticated,
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Confirmation>,
) -> ApiResult {
    let key = scoped(&auth.caller, &headers)?;
    let done = state
        .commerce
        .confirm_payment(
            auth.caller.target(&id),
            body.payment_method.as_deref(),
            Some(&key),
        )
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
    let intent = state.commerce.payment_intent(id.as_str()).await?;
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
    let intent = state.commerce.payment_intent(id.as_str()).await?;
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
    let intent = state.commerce.payment_intent(id.as_str()).await?;
    let auth = Authenticated {
        caller: admin.caller(),
        session_id: None,
    };
    cancel(auth, State(state), Path(intent.order_id), headers).await
}
