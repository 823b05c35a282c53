//! Every error as RFC 9457 problem+json, with the core's stable code. Internals never leak.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use commerce_core::{Error, ErrorKind};
use serde_json::json;

/// An error answered as `application/problem+json`.
#[derive(Debug)]
pub struct Problem {
    status: StatusCode,
    code: &'static str,
    detail: String,
    field: Option<String>,
    /// Whether to ask for credentials (`WWW-Authenticate: Bearer`), as a `401` must.
    challenge: bool,
    /// What went wrong inside, for the log: never sent.
    internal: Option<String>,
    /// For a gateway failure: whether the gateway may have done what it was asked.
    outcome_unknown: Option<bool>,
    /// Seconds after which a retry may succeed (`Retry-After`).
    retry_after: Option<u64>,
}

/// A server-side failure behind a response, put in the response's extensions for the log
/// layer (`middleware.rs`), which writes it with the request's id.
#[derive(Debug, Clone)]
pub(crate) struct Failure(pub(crate) String);

impl Problem {
    /// A problem with an explicit status and code.
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Problem {
        Problem {
            status,
            code,
            detail: detail.into(),
            field: None,
            challenge: false,
            internal: None,
            outcome_unknown: None,
            retry_after: None,
        }
    }

    /// `401 unauthorized`, asking for a bearer credential.
    pub fn unauthorized(detail: impl Into<String>) -> Problem {
        Problem {
            challenge: true,
            ..Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
        }
    }

    /// `403 forbidden`: the caller is known, and may not do this.
    pub fn forbidden(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// `429 rate_limited`, with the whole seconds to wait (at least one) in `Retry-After`.
    pub fn rate_limited(detail: impl Into<String>, wait_seconds: u64) -> Problem {
        Problem {
            retry_after: Some(wait_seconds.max(1)),
            ..Problem::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", detail)
        }
    }

    /// `400 invalid_request`: the request could not be read.
    pub fn invalid_request(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, "invalid_request", detail)
    }

    /// The problem of a bare HTTP status (a method not allowed, a timeout, a body too large),
    /// with a stable code for each.
    pub fn for_status(status: StatusCode) -> Problem {
        let (code, detail) = match status.as_u16() {
            400 => ("invalid_request", "the request could not be read"),
            401 => ("unauthorized", "credentials are needed"),
            403 => ("forbidden", "not allowed"),
            404 => ("not_found", "no such route"),
            405 => (
                "method_not_allowed",
                "this route does not answer this method; see Allow",
            ),
            408 => ("request_timeout", "the request took too long; retry it"),
            413 => ("payload_too_large", "the request body is too large"),
            415 => ("unsupported_media_type", "send application/json"),
            429 => ("rate_limited", "too many requests; see Retry-After"),
            503 => ("unavailable", "the service is unavailable; retry later"),
            402..=499 => ("invalid_request", "the request was refused"),
            _ => ("internal_error", "an internal error occurred; retry later"),
        };
        Problem {
            challenge: status == StatusCode::UNAUTHORIZED,
            ..Problem::new(status, code, detail)
        }
    }
}

/// The HTTP status of each core error kind: the caller's mistakes are 4xx, never 500.
fn status(error: &Error) -> StatusCode {
    match error.kind() {
        ErrorKind::InvalidRequest { .. } => StatusCode::BAD_REQUEST,
        ErrorKind::NotFound { .. } | ErrorKind::LineNotFound { .. } => StatusCode::NOT_FOUND,
        ErrorKind::InsufficientStock { .. }
        | ErrorKind::Conflict { .. }
        | ErrorKind::InvalidTransition { .. }
        | ErrorKind::IdempotencyInFlight { .. }
        | ErrorKind::ReservationExpired { .. }
        | ErrorKind::TooManyUnpaidHolds { .. }
        | ErrorKind::PromotionUsedUp { .. } => StatusCode::CONFLICT,
        ErrorKind::PaymentDeclined { .. } => StatusCode::PAYMENT_REQUIRED,
        ErrorKind::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden { .. } => StatusCode::FORBIDDEN,
        ErrorKind::Gateway { .. } => StatusCode::BAD_GATEWAY,
        ErrorKind::GatewayCircuitOpen { .. } | ErrorKind::PaymentsNotConfigured => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        ErrorKind::Storage { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

impl From<Error> for Problem {
    fn from(error: Error) -> Problem {
        let status = status(&error);
        // Failures of the gateway or the store are logged, not shown.
        let (detail, internal) = if status == StatusCode::BAD_GATEWAY {
            let detail = if error.is_outcome_unknown() {
                "the payment gateway did not answer; what it was asked is recorded and will be \
                 settled: retry with the same Idempotency-Key to learn the outcome"
            } else {
                "the payment gateway could not be reached; retry with the same Idempotency-Key"
            };
            (detail.to_string(), Some(error.to_string()))
        } else if status == StatusCode::SERVICE_UNAVAILABLE {
            // Nothing was sent to the gateway; the order waits for its payment.
            (
                format!("{error}; nothing was sent to the gateway, so retrying later is safe"),
                None,
            )
        } else if status.is_server_error() {
            (
                "an internal error occurred; retry later".to_string(),
                Some(error.to_string()),
            )
        } else {
            (error.to_string(), None)
        };
        Problem {
            status,
            code: error.code(),
            detail,
            field: error.field().map(str::to_string),
            challenge: status == StatusCode::UNAUTHORIZED,
            internal,
            outcome_unknown: error
                .is_gateway_failure()
                .then(|| error.is_outcome_unknown()),
            retry_after: match error.kind() {
                ErrorKind::IdempotencyInFlight {
                    retry_after_millis, ..
                }
                | ErrorKind::GatewayCircuitOpen {
                    retry_after_millis, ..
                } => Some(u64::try_from(((retry_after_millis + 999) / 1000).max(1)).unwrap_or(1)),
                _ => None,
            },
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut body = json!({
            "type": format!("/problems/{}", self.code),
            "title": self.status.canonical_reason().unwrap_or("Error"),
            "status": self.status.as_u16(),
            "detail": self.detail,
            "code": self.code,
        });
        if let Some(unknown) = self.outcome_unknown {
            body["outcome_unknown"] = json!(unknown);
        }
        if let Some(field) = self.field {
            body["errors"] = json!([{"field": field, "code": self.code}]);
        }
        let mut response = (self.status, axum::Json(body)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(internal) = self.internal {
            response.extensions_mut().insert(Failure(internal));
        }
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.challenge {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gateway_failure_is_a_502_that_says_whether_the_outcome_is_known() {
        for (error, unknown) in [
            (Error::gateway_outcome_unknown("timed out"), true),
            (Error::gateway_unavailable("refused"), false),
        ] {
            let problem = Problem::from(error);
            assert_eq!(problem.status, StatusCode::BAD_GATEWAY);
            assert_eq!(problem.code, "gateway_error");
            assert_eq!(problem.outcome_unknown, Some(unknown));
            assert!(problem.internal.is_some(), "logged, not shown");
        }
        let storage = Problem::from(Error::storage("disk"));
        assert_eq!(storage.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!storage.detail.contains("disk"));
    }
}
