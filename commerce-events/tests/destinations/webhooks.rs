//! Webhooks against a receiver on this machine: signed in the Standard Webhooks format,
//! retried on its schedule, in order per order; no redirects; loopback and private addresses
//! refused unless allowed.

use std::sync::Arc;

use axum::http::HeaderMap;
use commerce_core::delivery::{Envelope, Outcome, WEBHOOK_RETRY_DELAYS_MILLIS};
use commerce_core::webhooks::{WebhookEndpoint, base64, secret_from_bytes, signing_key};
use commerce_core::worker::{Destinations, WebhookSender};
use commerce_core::{Timestamp, testkit::START};
use commerce_events::testkit::{Answer, receiver};
use commerce_events::{AddressPolicy, HttpWebhooks};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::{drain, order, shop};

fn secret() -> String {
    secret_from_bytes(b"0123456789abcdef01234567")
}

/// Checks a message's signature as a receiver's Standard Webhooks library does.
fn verify(secret: &str, headers: &HeaderMap, body: &[u8]) -> bool {
    let id = headers["webhook-id"].to_str().unwrap();
    let timestamp = headers["webhook-timestamp"].to_str().unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&signing_key(secret).unwrap()).unwrap();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    let expected = format!("v1,{}", base64(&mac.finalize().into_bytes()));
    headers["webhook-signature"]
        .to_str()
        .unwrap()
        .split(' ')
        .any(|signature| signature == expected)
}

#[tokio::test]
async fn webhooks_are_signed_retried_and_in_order() {
    let (receiver, url) = receiver(&[Answer::Status(500)]).await;
    let (commerce, clock) = shop().await;
    let endpoint = commerce
        .create_webhook_endpoint(&url, vec![], "tests", &secret())
        .await
        .unwrap();
    let destinations = Destinations::new().with_webhooks(Arc::new(
        HttpWebhooks::new(AddressPolicy::AnyAddress).unwrap(),
    ));
    let placed = order(&commerce, 2, None).await;
    assert_eq!(
        drain(&commerce, &destinations).await,
        0,
        "the first answer was 500"
    );
    assert_eq!(receiver.received().len(), 1, "the rest wait behind it");
    clock.advance_millis(WEBHOOK_RETRY_DELAYS_MILLIS[0]);
    let delivered = drain(&commerce, &destinations).await;
    assert!(delivered >= 3);
    let received = receiver.received();
    assert_eq!(received.len(), delivered + 1);
    let envelopes: Vec<Envelope> = received
        .iter()
        .map(|(_, body)| serde_json::from_slice(body).unwrap())
        .collect();
    assert_eq!(
        envelopes[0].id, envelopes[1].id,
        "the failed one first, again"
    );
    crate::once_each_in_order(&envelopes[1..], &[placed]);
    for ((headers, body), envelope) in received.iter().zip(&envelopes) {
        assert_eq!(headers["webhook-id"], envelope.id.as_str());
        assert_eq!(headers["content-type"], "application/json");
        assert!(
            verify(&endpoint.secret, headers, body),
            "signed with the secret"
        );
        let timestamp: i64 = headers["webhook-timestamp"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(timestamp >= START.unix_millis() / 1000);
    }
    // After a rotation both secrets sign, so that receivers can switch over.
    let rotated = commerce
        .rotate_webhook_secret(
            &endpoint.id,
            &secret_from_bytes(b"another key of 24 bytes!"),
        )
        .await
        .unwrap();
    let sender = HttpWebhooks::new(AddressPolicy::AnyAddress).unwrap();
    let now = clock_now(&clock);
    assert_eq!(
        sender.send(&rotated, &envelopes[0], now).await,
        Outcome::Delivered
    );
    let (headers, body) = receiver.received().last().unwrap().clone();
    assert!(
        verify(&endpoint.secret, &headers, &body),
        "the old secret still signs"
    );
    assert!(verify(&rotated.secret, &headers, &body), "and the new one");
}

fn clock_now(clock: &commerce_core::ManualClock) -> Timestamp {
    use commerce_core::Clock;
    clock.now()
}

fn endpoint_at(url: &str) -> WebhookEndpoint {
    WebhookEndpoint::new("wh_1".into(), url.into(), secret(), vec![], START)
}

fn envelope() -> Envelope {
    serde_json::from_value(serde_json::json!({
        "id": "ord_1:order_placed:1", "type": "order_placed", "version": 1,
        "occurred_at": "2027-01-15T08:00:00Z", "aggregate_id": "ord_1", "order_id": "ord_1",
        "sequence": 1, "data": {}
    }))
    .unwrap()
}

#[tokio::test]
async fn webhooks_go_nowhere_private_unless_allowed_and_follow_no_redirects() {
    let (receiver, url) = receiver(&[Answer::Status(307), Answer::Status(410)]).await;
    let public = HttpWebhooks::new(AddressPolicy::PublicOnly).unwrap();
    let port = url.split(':').nth(2).unwrap().split('/').next().unwrap();
    for private in [
        url.clone(),
        format!("http://localhost:{port}/hook"),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        "http://[::1]/hook".to_string(),
        "http://10.0.0.1/hook".to_string(),
    ] {
        let outcome = public
            .send(&endpoint_at(&private), &envelope(), START)
            .await;
        assert!(
            matches!(&outcome, Outcome::Failed(why) if why.contains("private")
                || why.contains("may not go")),
            "{private}: {outcome:?}"
        );
    }
    assert!(receiver.received().is_empty(), "nothing reached it");

    let any = HttpWebhooks::new(AddressPolicy::AnyAddress).unwrap();
    let redirected = any.send(&endpoint_at(&url), &envelope(), START).await;
    assert!(
        matches!(&redirected, Outcome::Failed(why) if why.contains("307")),
        "{redirected:?}"
    );
    assert_eq!(
        receiver.received().len(),
        1,
        "the redirect was not followed"
    );
    let gone = any.send(&endpoint_at(&url), &envelope(), START).await;
    assert!(
        matches!(gone, Outcome::Refused(_)),
        "410 Gone refuses for good: {gone:?}"
    );
    assert_eq!(
        any.send(&endpoint_at(&url), &envelope(), START).await,
        Outcome::Delivered
    );
}

#[tokio::test]
async fn a_webhook_that_does_not_answer_in_time_fails() {
    let (_receiver, url) = receiver(&[Answer::Hang]).await;
    let any = HttpWebhooks::new(AddressPolicy::AnyAddress).unwrap();
    let outcome = any.send(&endpoint_at(&url), &envelope(), START).await;
    assert!(
        matches!(&outcome, Outcome::Failed(why) if why.contains("in time")),
        "{outcome:?}"
    );
    let closed = format!("http://127.0.0.1:{}/hook", crate::free_port());
    let outcome = any.send(&endpoint_at(&closed), &envelope(), START).await;
    assert!(
        matches!(&outcome, Outcome::Failed(why) if why.contains("cannot reach")),
        "{outcome:?}"
    );
}
