//! Checks of the unit of work on orders and payment intents.

use std::sync::Arc;

use futures::future::join_all;

use crate::events::{DomainEvent, EventKind};
use crate::inventory::DEFAULT_LOCATION;
use crate::order::OrderStatus;
use crate::store::{Changes, Store, Versioned};

use super::{START, level, order, request};

/// Two writers with the same expected version: exactly one wins, the other gets `conflict`.
pub async fn compare_and_set_has_one_winner(store: Arc<dyn Store>) {
    let placed = order("o1", "c1");
    store
        .apply(Changes {
            now: START,
            orders: vec![Versioned {
                value: placed.clone(),
                expected_version: None,
            }],
            ..Changes::default()
        })
        .await
        .unwrap();
    let writers = [OrderStatus::Confirmed, OrderStatus::Cancelled].map(|to| {
        let store = store.clone();
        let mut next = placed.clone();
        next.transition(to, START).unwrap();
        async move {
            store
                .apply(Changes {
                    now: START,
                    orders: vec![Versioned {
                        value: next,
                        expected_version: Some(1),
                    }],
                    ..Changes::default()
                })
                .await
        }
    });
    let results = join_all(writers).await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "exactly one writer may win"
    );
    assert!(
        results
            .iter()
            .any(|r| r.as_ref().is_err_and(|e| e.is_conflict()))
    );
    assert_eq!(store.order("o1").await.unwrap().unwrap().version, 2);
    // A second order for the same cart is a conflict; so is inserting an existing order.
    let twin = order("o2", "c1");
    let err = store
        .apply(Changes {
            now: START,
            orders: vec![Versioned {
                value: twin,
                expected_version: None,
            }],
            ..Changes::default()
        })
        .await
        .unwrap_err();
    assert!(err.is_conflict(), "{err}");
    assert_eq!(store.order_for_cart("c1").await.unwrap().unwrap().id, "o1");
    // A failing unit of work changes nothing, not even its earlier parts.
    store
        .adjust_stock("A", DEFAULT_LOCATION, 1, None, START)
        .await
        .unwrap();
    let stale = Changes {
        now: START,
        reserve: Some(request("r", &[("A", 1)], START.plus_millis(1_000))),
        orders: vec![Versioned {
            value: placed.clone(),
            expected_version: Some(1),
        }],
        events: vec![DomainEvent::new(
            EventKind::OrderPlaced,
            "o1",
            9,
            START,
            serde_json::json!({}),
        )],
        ..Changes::default()
    };
    assert!(store.apply(stale).await.is_err());
    assert_eq!(level(&*store, "A").await, (1, 0));
    assert!(store.reservation("r").await.unwrap().is_none());
    assert!(
        store
            .claim_events(10, START.plus_millis(1), START)
            .await
            .unwrap()
            .is_empty()
    );
}
