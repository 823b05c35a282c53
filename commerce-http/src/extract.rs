//! What every handler shares: strict JSON bodies and query strings, responses, the
//! `Idempotency-Key` header.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Query, Request};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::problem::Problem;

pub(crate) type ApiResult<T = Response> = Result<T, Problem>;

/// A JSON body read strictly: malformed JSON, wrong types and unknown fields are
/// `400 invalid_request` problems, never axum's plain-text rejections.
pub struct ApiJson<T>(pub T);

/// The body's bytes, a body over the limit being `413` and any other failure `400`, as problems.
async fn body_bytes<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, Problem> {
    Bytes::from_request(request, state)
        .await
        .map_err(|e| match e.status() {
            StatusCode::PAYLOAD_TOO_LARGE => Problem::for_status(StatusCode::PAYLOAD_TOO_LARGE),
            _ => Problem::invalid_request(e.body_text()),
        })
}

/// As every wrapper reads JSON ([`commerce_core::json::from_json`]): a mistake names its
/// field's path.
fn read_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    commerce_core::json::from_json(bytes).map_err(Problem::from)
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        read_json(&body_bytes(request, state).await?).map(ApiJson)
    }
}

/// A JSON body that may be left out (an empty body is `None`), read as strictly as
/// [`ApiJson`] when it is there.
pub struct OptionalJson<T>(pub Option<T>);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for OptionalJson<T> {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        let bytes = body_bytes(request, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(None));
        }
        read_json(&bytes).map(|value| OptionalJson(Some(value)))
    }
}

/// A query string read strictly: unknown or malformed parameters are `400 invalid_request`
/// problems, never axum's plain-text rejections.
pub(crate) struct ApiQuery<T>(pub T);

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

pub(crate) fn json(status: StatusCode, value: &impl serde::Serialize) -> Response {
    (status, Json(value)).into_response()
}

/// The `Idempotency-Key` header: required where money or stock moves, 1 to 255 visible ASCII
/// characters, quoted (as the IETF draft writes it) or not.
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
