//! Checks of the outbox.

use std::sync::Arc;

use futures::future::join_all;

use crate::events::{DomainEvent, EventKind};
use crate::store::{Changes, Store};

use super::START;

/// Every event written is claimed, leased, claimed again after its lease, and acknowledged
/// once.
pub async fn outbox_delivers_every_event(store: Arc<dyn Store>) {
    let writers = (0..20).map(|i| {
        let store = store.clone();
        async move {
            store
                .apply(Changes {
                    now: START,
                    events: vec![DomainEvent::new(
                        EventKind::OrderPlaced,
                        &format!("o{i}"),
                        1,
                        START,
                        serde_json::json!({"i": i}),
                    )],
                    ..Changes::default()
                })
                .await
                .unwrap();
        }
    });
    join_all(writers).await;
    let lease = START.plus_millis(30_000);
    let first = store.claim_events(8, lease, START).await.unwrap();
    assert_eq!(first.len(), 8);
    let rest = store.claim_events(100, lease, START).await.unwrap();
    assert_eq!(rest.len(), 12, "leased events are not claimed twice");
    store
        .ack_events(&first.iter().map(|e| e.event.id.clone()).collect::<Vec<_>>())
        .await
        .unwrap();
    // The unacknowledged ones come back once their lease runs out; the delivered never do.
    let again = store
        .claim_events(100, lease.plus_millis(30_000), lease)
        .await
        .unwrap();
    let mut ids: Vec<String> = again.iter().map(|e| e.event.id.clone()).collect();
    let mut expected: Vec<String> = rest.iter().map(|e| e.event.id.clone()).collect();
    ids.sort();
    expected.sort();
    assert_eq!(ids, expected);
    let mut all: Vec<String> = first
        .iter()
        .chain(&rest)
        .map(|e| e.event.id.clone())
        .collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 20, "every event exactly once");
    assert!(
        again.iter().all(|c| c.attempts == 2),
        "a reclaimed event counts its attempts"
    );

    let sequences: Vec<u64> = first.iter().chain(&rest).map(|c| c.sequence).collect();
    let mut sorted = sequences.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(
        sequences, sorted,
        "claimed in outbox order, each its own sequence"
    );
    store
        .ack_events(&again.iter().map(|e| e.event.id.clone()).collect::<Vec<_>>())
        .await
        .unwrap();
    assert!(
        store
            .claim_events(100, lease.plus_millis(1), lease.plus_millis(10_000_000))
            .await
            .unwrap()
            .is_empty(),
        "acknowledged events are never claimed again"
    );
}
