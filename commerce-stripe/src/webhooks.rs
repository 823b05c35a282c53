//! Stripe's webhooks: the `Stripe-Signature` header checked on the raw body, and Stripe's events
//! mapped onto the core's [`GatewayEvent`]s.
//!
//! `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]`, each `v1` an HMAC-SHA256 of
//! `"{t}.{body}"` under the endpoint's secret (several while a secret rolls). A timestamp more
//! than [`TOLERANCE_SECONDS`] from the clock is refused, so a captured delivery cannot be
//! replayed later; the core applies each event id once, and never moves a payment backwards.
//!
//! | Stripe event | core event |
//! | --- | --- |
//! | `payment_intent.succeeded`, `payment_intent.amount_capturable_updated` | `payment_succeeded` |
//! | `payment_intent.payment_failed` | `payment_failed` with the decline code |
//! | anything else, or an intent without `metadata.commerce_intent_id` | none (acknowledged) |
//!
//! Refunds and voids are the core's own moves, settled from Stripe's answers, so their events
//! need nothing applied.

use commerce_core::payment::{GatewayEvent, GatewayEventKind};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// How far a signature's timestamp may be from the clock: 5 minutes, as Stripe's libraries.
pub const TOLERANCE_SECONDS: i64 = 300;

/// The Stripe event types this gateway applies; register these at Stripe.
pub const EVENT_TYPES: &[&str] = &[
    "payment_intent.succeeded",
    "payment_intent.amount_capturable_updated",
    "payment_intent.payment_failed",
];

/// Why a webhook was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The header is missing a timestamp or a signature.
    Malformed,
    /// The timestamp is outside the tolerance.
    Stale,
    /// No signature matches the secret.
    NoMatch,
    /// The body is not a Stripe event.
    NotAnEvent(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Malformed => write!(f, "the Stripe-Signature header has no t= or no v1="),
            Refusal::Stale => write!(f, "the signature's timestamp is outside the tolerance"),
            Refusal::NoMatch => write!(f, "no signature matches the webhook secret"),
            Refusal::NotAnEvent(why) => write!(f, "the body is not a Stripe event: {why}"),
        }
    }
}

impl std::error::Error for Refusal {}

/// Checks a `Stripe-Signature` header for `body` at `now` (Unix seconds).
///
/// # Errors
///
/// The [`Refusal`].
pub fn verify(
    secret: impl AsRef<[u8]>,
    header: &str,
    body: &[u8],
    now: i64,
) -> Result<(), Refusal> {
    let secret = secret.as_ref();
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => signatures.push(value),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(Refusal::Malformed)?;
    if signatures.is_empty() {
        return Err(Refusal::Malformed);
    }
    if (now - timestamp).abs() > TOLERANCE_SECONDS {
        return Err(Refusal::Stale);
    }
    for signature in signatures {
        let Some(expected) = decode_hex(signature) else {
            continue;
        };
        let mut mac =
            Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        // Constant-time comparison.
        if mac.verify_slice(&expected).is_ok() {
            return Ok(());
        }
    }
    Err(Refusal::NoMatch)
}

/// A `Stripe-Signature` header for `body` at `timestamp`, as Stripe signs it (for tests, and
/// for gateways that sign the same way).
pub fn sign(secret: impl AsRef<[u8]>, body: &[u8], timestamp: i64) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_ref()).expect("HMAC takes keys of any length");
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

/// The core's event for a verified Stripe event body, or `None` for one that changes nothing.
///
/// # Errors
///
/// [`Refusal::NotAnEvent`] when the body is not a Stripe event (no `id`, `type` or object).
///
/// ```
/// use commerce_core::payment::GatewayEventKind;
///
/// let body = br#"{"id": "evt_1", "type": "payment_intent.succeeded",
///     "data": {"object": {"id": "pi_1", "metadata": {"commerce_intent_id": "pay_1"}}}}"#;
/// let event = commerce_stripe::webhooks::event(body)?.unwrap();
/// assert_eq!(event.intent_id, "pay_1");
/// assert_eq!(event.kind, GatewayEventKind::PaymentSucceeded);
/// # Ok::<(), commerce_stripe::webhooks::Refusal>(())
/// ```
pub fn event(body: &[u8]) -> Result<Option<GatewayEvent>, Refusal> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| Refusal::NotAnEvent(e.to_string()))?;
    let (Some(id), Some(kind), Some(object)) = (
        value["id"].as_str(),
        value["type"].as_str(),
        value.pointer("/data/object"),
    ) else {
        return Err(Refusal::NotAnEvent(
            "it needs id, type and data.object".into(),
        ));
    };
    let Some(intent_id) = object
        .pointer("/metadata/commerce_intent_id")
        .and_then(Value::as_str)
    else {
        return Ok(None);
    };
    let kind = match kind {
        "payment_intent.succeeded" | "payment_intent.amount_capturable_updated" => {
            GatewayEventKind::PaymentSucceeded
        }
        "payment_intent.payment_failed" => GatewayEventKind::PaymentFailed {
            reason: object
                .pointer("/last_payment_error/decline_code")
                .or_else(|| object.pointer("/last_payment_error/code"))
                .and_then(Value::as_str)
                .unwrap_or("payment_failed")
                .to_string(),
        },
        _ => return Ok(None),
    };
    Ok(Some(GatewayEvent {
        id: id.to_string(),
        intent_id: intent_id.to_string(),
        kind,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test";

    #[test]
    fn a_signed_body_verifies_within_the_tolerance_and_not_after() {
        let body = br#"{"id":"evt_1"}"#;
        let header = sign(SECRET, body, 1_000);
        assert_eq!(verify(SECRET, &header, body, 1_000), Ok(()));
        assert_eq!(verify(SECRET, &header, body, 1_300), Ok(()));
        assert_eq!(verify(SECRET, &header, body, 1_301), Err(Refusal::Stale));
        assert_eq!(verify(SECRET, &header, body, 699), Err(Refusal::Stale));
        assert_eq!(
            verify(SECRET, &header, br#"{"id":"evt_2"}"#, 1_000),
            Err(Refusal::NoMatch)
        );
        assert_eq!(
            verify("whsec_other", &header, body, 1_000),
            Err(Refusal::NoMatch)
        );
    }

    #[test]
    fn any_of_several_signatures_may_match() {
        let body = b"{}";
        let good = sign(SECRET, body, 5);
        let v1 = good.split_once(",v1=").unwrap().1;
        let header = format!("t=5,v1={},v1={v1},v0=ignored", "00".repeat(32));
        assert_eq!(verify(SECRET, &header, body, 5), Ok(()));
        assert_eq!(verify(SECRET, "v1=abcd", body, 5), Err(Refusal::Malformed));
        assert_eq!(verify(SECRET, "t=5", body, 5), Err(Refusal::Malformed));
        assert_eq!(verify(SECRET, "t=5,v1=zz", body, 5), Err(Refusal::NoMatch));
    }

    #[test]
    fn events_map_onto_the_cores() {
        let failed = br#"{"id":"evt_2","type":"payment_intent.payment_failed","data":{"object":{
            "id":"pi_2","metadata":{"commerce_intent_id":"pay_2"},
            "last_payment_error":{"code":"card_declined","decline_code":"insufficient_funds"}}}}"#;
        assert_eq!(
            event(failed).unwrap().unwrap().kind,
            GatewayEventKind::PaymentFailed {
                reason: "insufficient_funds".into()
            }
        );
        let foreign = br#"{"id":"evt_3","type":"payment_intent.succeeded","data":{"object":{"id":"pi_3","metadata":{}}}}"#;
        assert_eq!(event(foreign).unwrap(), None, "not one of ours");
        let refunded = br#"{"id":"evt_4","type":"charge.refunded","data":{"object":{"id":"ch_4","metadata":{"commerce_intent_id":"pay_4"}}}}"#;
        assert_eq!(event(refunded).unwrap(), None, "our own move");
        assert!(matches!(event(b"[]"), Err(Refusal::NotAnEvent(_))));
        assert!(matches!(event(b"not json"), Err(Refusal::NotAnEvent(_))));
    }
}
