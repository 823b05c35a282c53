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
