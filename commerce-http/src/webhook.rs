//! The payment gateway's webhook: events arrive signed, are verified on the raw body, applied
//! once (the store deduplicates by event id) and never move an intent backwards (the core's
//! rule).
//!
//! The signature header is `Commerce-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]`, where each
//! `v1` is HMAC-SHA256 of `"{t}.{raw body}"` under a shared secret; several `v1` values allow a
//! secret to be rotated. A timestamp more than five minutes from the server's clock is refused,
//! so a captured delivery cannot be replayed later.

use axum::http::StatusCode;
use commerce_stripe::webhooks::Refusal;

use crate::problem::Problem;

/// How far a signature's timestamp may be from the server's clock: 5 minutes.
pub const TOLERANCE_SECONDS: i64 = commerce_stripe::webhooks::TOLERANCE_SECONDS;

pub(crate) fn refuse(detail: &str) -> Problem {
    Problem::new(StatusCode::BAD_REQUEST, "invalid_signature", detail)
}

/// Checks a `Commerce-Signature` header for `body` at `now` (Unix seconds). The scheme is
/// Stripe's, so both webhooks share one verifier ([`commerce_stripe::webhooks::verify`]).
///
/// # Errors
///
/// A `400 invalid_signature` problem saying what is wrong.
pub fn verify(secret: &[u8], header: &str, body: &[u8], now: i64) -> Result<(), Problem> {
    commerce_stripe::webhooks::verify(secret, header, body, now).map_err(|refusal| match refusal {
        Refusal::Malformed => refuse("the signature has no timestamp or no v1"),
        Refusal::Stale => refuse("the signature's timestamp is outside the tolerance"),
        Refusal::NoMatch | Refusal::NotAnEvent(_) => refuse("no signature matches"),
    })
}

/// Signs `body` at `timestamp`: the value of a `Commerce-Signature` header (for gateways and
/// tests).
pub fn sign(secret: &[u8], body: &[u8], timestamp: i64) -> String {
    commerce_stripe::webhooks::sign(secret, body, timestamp)
}
