//! Checks of idempotency keys and gateway event ids.

use std::sync::Arc;

use crate::error::ErrorKind;
use crate::events::{DomainEvent, EventKind};
use crate::store::{Changes, IdempotencyBegin, IdempotencyCompletion, Store};

use super::START;

/// Begin, replay, mismatch, in flight, abandon, purge.
pub async fn idempotency_keys(store: Arc<dyn Store>) {
    let begin = |key: &'static str, fingerprint: &'static str, at: i64| {
        let store = store.clone();
        async move {
            store
                .begin_idempotent("caller-1", key, fingerprint, START.plus_millis(at))
                .await
        }
    };
    assert_eq!(
        begin("k1", "f1", 0).await.unwrap(),
        IdempotencyBegin::Started
    );
    let err = begin("k1", "f1", 10).await.unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::IdempotencyInFlight {
                retry_after_millis: 59_990,
                ..
            }
        ),
        "what is left of the claim: {err}"
    );
    let err = begin("k1", "other", 10).await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::IdempotencyMismatch { .. }),
        "{err}"
    );
    store
        .apply(Changes {
            now: START,
            idempotency: Some(IdempotencyCompletion {
                scope: "caller-1".into(),
                key: "k1".into(),
                response: "the response".into(),
            }),
            ..Changes::default()
        })
        .await
        .unwrap();
    assert_eq!(
        begin("k1", "f1", 20).await.unwrap(),
        IdempotencyBegin::Replay("the response".into())
    );
    // Another caller's key of the same name is unrelated.
    let theirs = store
        .begin_idempotent("caller-2", "k1", "f9", START)
        .await
        .unwrap();
    assert_eq!(theirs, IdempotencyBegin::Started);
    // An abandoned key can start again; a stale in-flight key can be taken over.
    assert_eq!(
        begin("k2", "f1", 0).await.unwrap(),
        IdempotencyBegin::Started
    );
    store.abandon_idempotent("caller-1", "k2").await.unwrap();
    assert_eq!(
        begin("k2", "f1", 1).await.unwrap(),
        IdempotencyBegin::Started
    );
    assert_eq!(
        begin("k2", "f1", 61_000).await.unwrap(),
        IdempotencyBegin::Started
    );
    assert!(store.purge_idempotency(START.plus_millis(1)).await.unwrap() >= 1);
    assert_eq!(
        begin("k1", "f1", 100_000).await.unwrap(),
        IdempotencyBegin::Started
    );
}

/// A gateway event id is applied once; a duplicate changes nothing.
pub async fn gateway_events_apply_once(store: Arc<dyn Store>) {
    let with_event = || Changes {
        now: START,
        gateway_event_id: Some("evt_1".into()),
        events: vec![DomainEvent::new(
            EventKind::PaymentCaptured,
            "pi",
            1,
            START,
            serde_json::json!({}),
        )],
        ..Changes::default()
    };
    assert_eq!(
        store.apply(with_event()).await.unwrap(),
        crate::store::Applied::Done
    );
    assert_eq!(
        store.apply(with_event()).await.unwrap(),
        crate::store::Applied::DuplicateGatewayEvent
    );
    assert_eq!(
        store
            .claim_events(10, START.plus_millis(10), START)
            .await
            .unwrap()
            .len(),
        1
    );
}
