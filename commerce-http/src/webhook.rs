//! The payment gateway's webhook: events arrive signed, are verified on the raw body, applied
//! once (the store deduplicates by event id) and never move an intent backwards (the core's
//! rule).
//!
//! The signature header is `Commerce-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]`, where each
//! `v1` is HMAC-SHA256 of `"{t}.{raw body}"` under a shared secret; several `v1` values allow a
//! secret to be rotated. A timestamp more than five minutes from the server's clock is refused,
//! so a captured delivery cannot be replayed later.

use axum::http::StatusCode;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::problem::Problem;

/// How far a signature's timestamp may be from the server's clock: 5 minutes.
pub const TOLERANCE_SECONDS: i64 = 300;

pub(crate) fn refuse(detail: &str) -> Problem {
    Problem::new(StatusCode::BAD_REQUEST, "invalid_signature", detail)
}

/// Checks a `Commerce-Signature` header for `body` at `now` (Unix seconds).
///
/// # Errors
///
/// A `400 invalid_signature` problem saying what is wrong.
pub fn verify(secret: &[u8], header: &str, body: &[u8], now: i64) -> Result<(), Problem> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => signatures.push(value),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or_else(|| refuse("the signature has no timestamp"))?;
    if (now - timestamp).abs() > TOLERANCE_SECONDS {
        return Err(refuse("the signature's timestamp is outside the tolerance"));
    }
    for signature in signatures {
        let Some(expected) = decode_hex(signature) else {
            continue;
        };
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
            break;
        };
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        // Constant-time comparison.
        if mac.verify_slice(&expected).is_ok() {
            return Ok(());
        }
    }
    Err(refuse("no signature matches"))
}

/// Signs `body` at `timestamp`: the value of a `Commerce-Signature` header (for gateways and
/// tests).
pub fn sign(secret: &[u8], body: &[u8], timestamp: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let signature = commerce_core::ids::hex(&mac.finalize().into_bytes());
    format!("t={timestamp},v1={signature}")
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}
