//! The payment gateway's webhook endpoint (the signature scheme is [`crate::webhook`]).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use commerce_core::payment::GatewayEvent;

use crate::api::{Access, Api, Method, Operation, Shared};
use crate::problem::Problem;
use crate::webhook::{refuse, verify};

/// The webhook: public, and signed.
#[rustfmt::skip]
pub(crate) fn api() -> Api {
    Api::new()
        .at(Operation::new(Method::Post, "/v1/webhooks/stripe", "A Stripe event, signed: Stripe-Signature: t=…,v1=…. Payment events are applied once and never move a payment backwards; others are acknowledged.", Access::Public).returns(200, "StripeWebhookAnswer"), receive_stripe)
        .at(Operation::new(Method::Post, "/v1/webhooks/gateway", "A payment gateway event, signed: Commerce-Signature: t=…,v1=HMAC-SHA256(secret, t.body).", Access::Public).body("GatewayEvent").returns(200, "Checkout"), receive)
}

/// `POST /v1/webhooks/gateway`.
pub(crate) async fn receive(
    State(state): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let Some(secret) = state.webhook_secret.as_deref() else {
        return Err(Problem::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "webhooks are not configured (start the server with --webhook-secret)",
        ));
    };
    let header = headers
        .get("commerce-signature")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| refuse("the Commerce-Signature header is missing"))?;
    let now = state.commerce.now().unix_millis() / 1000;
    verify(secret.as_bytes(), header, &body, now)?;
    let event: GatewayEvent =
        serde_json::from_slice(&body).map_err(|e| Problem::invalid_request(e.to_string()))?;
    let checkout = state.commerce.handle_gateway_event(&event).await?;
    Ok((StatusCode::OK, axum::Json(checkout)).into_response())
}

/// `POST /v1/webhooks/stripe`: verified on the raw body, mapped by
/// [`commerce_stripe::webhooks::event`], and applied as the gateway's events are.
pub(crate) async fn receive_stripe(
    State(state): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let Some(secret) = state.stripe_webhook_secret.as_deref() else {
        return Err(Problem::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Stripe webhooks are not configured (set STRIPE_WEBHOOK_SECRET with --gateway stripe)",
        ));
    };
    let header = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| refuse("the Stripe-Signature header is missing"))?;
    let now = state.commerce.now().unix_millis() / 1000;
    commerce_stripe::webhooks::verify(secret, header, &body, now)
        .map_err(|e| refuse(&e.to_string()))?;
    let event = commerce_stripe::webhooks::event(&body)
        .map_err(|e| Problem::invalid_request(e.to_string()))?;
    let Some(event) = event else {
        return Ok(
            axum::Json(serde_json::json!({"received": true, "applied": false})).into_response(),
        );
    };
    let checkout = match state.commerce.handle_gateway_event(&event).await {
        Ok(checkout) => checkout,
        // An intent of another shop on the same Stripe account, or one since purged: Stripe
        // must not retry it for days.
        Err(err) if err.code() == "not_found" => {
            return Ok(
                axum::Json(serde_json::json!({"received": true, "applied": false})).into_response(),
            );
        }
        Err(err) => return Err(err.into()),
    };
    Ok(axum::Json(serde_json::json!({
        "received": true,
        "applied": true,
        "order_id": checkout.order.id,
        "payment_status": checkout.payment_intent.status,
    }))
    .into_response())
}
