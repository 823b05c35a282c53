//! Checks of the outbox.

use std::sync::Arc;

use futures::future::join_all;

use crate::events::{DomainEvent, EventKind};
use crate::store::{Changes, Store};

use super::START;

/// Every event written is claimed, leased, redelivered after its lease, and acknowledged once.
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

    // The relay: a publisher that fails the first time backs off, then delivers.
    let publisher = FlakyPublisher::default();
    let now = lease.plus_millis(60_000);
    let first = crate::outbox::relay_once(&*store, &publisher, 100, now)
        .await
        .unwrap();
    assert_eq!((first.delivered, first.failed), (0, 12));
    let early = crate::outbox::relay_once(&*store, &publisher, 100, now.plus_millis(1))
        .await
        .unwrap();
    assert_eq!(
        (early.delivered, early.failed),
        (0, 0),
        "failed events wait for their backoff"
    );
    let later = now.plus_millis(crate::outbox::backoff_millis(3));
    let second = crate::outbox::relay_once(&*store, &publisher, 100, later)
        .await
        .unwrap();
    assert_eq!((second.delivered, second.failed), (12, 0));
    let mut published = publisher.published();
    published.sort();
    assert_eq!(
        published, expected,
        "delivered at least once, each acknowledged once"
    );
    assert!(
        store
            .claim_events(100, later.plus_millis(1), later.plus_millis(10_000_000))
            .await
            .unwrap()
            .is_empty()
    );
}

/// Fails each event's first publication, accepts the second.
#[derive(Default)]
struct FlakyPublisher {
    seen: std::sync::Mutex<Vec<String>>,
    published: std::sync::Mutex<Vec<String>>,
}

impl FlakyPublisher {
    fn published(&self) -> Vec<String> {
        self.published.lock().expect("a lock").clone()
    }
}

#[async_trait::async_trait]
impl crate::outbox::EventPublisher for FlakyPublisher {
    async fn publish(&self, event: &DomainEvent) -> crate::Result<()> {
        let mut seen = self.seen.lock().expect("a lock");
        if seen.contains(&event.id) {
            self.published
                .lock()
                .expect("a lock")
                .push(event.id.clone());
            Ok(())
        } else {
            seen.push(event.id.clone());
            Err(crate::Error::invalid("the broker is down"))
        }
    }
}
