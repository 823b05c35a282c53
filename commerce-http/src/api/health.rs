//! Health checks, and pricing a whole request as the browser module does.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use commerce_core::pricing::{PricingRequest, quote};

use crate::api::{Access, Api, Method, Operation, Shared};
use crate::extract::{ApiResult, json};
use crate::problem::Problem;

/// The health checks and the quote.
#[rustfmt::skip]
pub(crate) fn api() -> Api {
    use Access::Public;
    use Method::{Get, Post};
    Api::new()
        .at(Operation::new(Get, "/healthz", "Liveness: the process answers.", Public), healthz)
        .at(Operation::new(Get, "/readyz", "Readiness: the database answers; the payment gateway's breaker state is reported.", Public), readyz)
        .at(Operation::new(Post, "/v1/quote", "Prices a full pricing request, as the browser module does.", Public).body("PricingRequest").returns(200, "Quote"), quote_request)
}

async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the database answers. The gateway's breaker is reported and does not make the
/// server unready: every server shares the gateway, so taking them out of a load balancer would
/// only turn a paused payment into a refused page.
async fn readyz(State(state): State<Shared>) -> ApiResult {
    state.commerce.config().await?;
    let body = serde_json::json!({
        "status": "ready",
        "database": "ok",
        "gateway": state
            .commerce
            .gateway_health()
            .map_or_else(|| serde_json::json!({"gateway": "none"}), |h| serde_json::json!(h)),
    });
    Ok(json(StatusCode::OK, &body))
}

async fn quote_request(body: Bytes) -> ApiResult {
    let text = std::str::from_utf8(&body).map_err(|e| Problem::invalid_request(e.to_string()))?;
    let request = PricingRequest::from_json(text)?;
    let quote = quote(&request)?;
    Ok(json(StatusCode::OK, &quote))
}
