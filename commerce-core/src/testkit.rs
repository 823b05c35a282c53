//! The storage conformance suite, written once and run against every store.
//!
//! Each check takes a fresh, empty store and panics (with a message naming the broken rule) if
//! the store breaks it. [`run_all`] runs them all; a store's test file only builds stores:
//!
//! ```
//! use std::sync::Arc;
//! use commerce_core::store::{MemoryStore, Store};
//!
//! futures::executor::block_on(commerce_core::testkit::run_all(|| async {
//!     Arc::new(MemoryStore::new()) as Arc<dyn Store>
//! }));
//! ```
//!
//! Concurrency is exercised with many futures polled together ([`futures::future::join_all`]):
//! on a store that does real I/O (a connection pool) they are really in flight at once.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use futures::future::join_all;

use crate::access::Session;
use crate::cart::Cart;
use crate::cart::StoredCart;
use crate::catalog::{Product, ProductStatus, Variant, VariantPrice};
use crate::clock::ManualClock;
use crate::customer::Customer;
use crate::error::ErrorKind;
use crate::events::{DomainEvent, EventKind};
use crate::gateway::TestGateway;
use crate::ids::SequentialIds;
use crate::inventory::{DEFAULT_LOCATION, MovementKind, ReservationRequest, ReservationStatus};
use crate::money::{Currency, Money};
use crate::order::{FulfillmentStatus, Order, OrderStatus, PaymentStatus};
use crate::payment::{CaptureMethod, IntentStatus};
use crate::pricing::{Benefit, Promotion, Target};
use crate::service::{CheckoutRequest, Commerce, IdempotencyKey};
use crate::settings::ShopConfig;
use crate::store::{
    Changes, IdempotencyBegin, IdempotencyCompletion, OrderFilter, ProductFilter, Store, Versioned,
};
use crate::time::Timestamp;

/// The instant every check starts at.
pub const START: Timestamp = Timestamp::from_unix_millis(1_800_000_000_000);

/// Runs every check, each on a fresh store from `new_store`.
pub async fn run_all<F, Fut>(mut new_store: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Arc<dyn Store>>,
{
    reservation_is_all_or_nothing(new_store().await).await;
    bundle_lines_on_one_sku_are_summed(new_store().await).await;
    concurrent_last_units_never_oversell(new_store().await).await;
    expired_holds_never_block_a_buyer(new_store().await).await;
    sweep_releases_expired_reservations(new_store().await).await;
    commit_release_and_the_ledger(new_store().await).await;
    backorders_only_when_flagged(new_store().await).await;
    stock_never_goes_negative(new_store().await).await;
    compare_and_set_has_one_winner(new_store().await).await;
    idempotency_keys(new_store().await).await;
    gateway_events_apply_once(new_store().await).await;
    outbox_delivers_every_event(new_store().await).await;
    catalog_customers_and_carts(new_store().await).await;
    checkout_sells_stock_and_confirms(new_store().await).await;
    idempotent_checkout_charges_once(new_store().await).await;
    declined_payment_restores_stock_exactly(new_store().await).await;
    expired_checkout_fails_cleanly(new_store().await).await;
    concurrent_captures_and_refunds_stay_in_bounds(new_store().await).await;
    cancelling_releases_stock_and_refunds(new_store().await).await;
    api_keys_are_kept_and_revoked(new_store().await).await;
    accounts_and_sessions(new_store().await).await;
    product_listings_filter_and_page(new_store().await).await;
    order_listings_filter_and_page(new_store().await).await;
    a_stuck_payment_is_confirmed_later(new_store().await).await;
    stock_adjustments_apply_once(new_store().await).await;
}

/// Defines one `#[test]` per conformance check for a store:
///
/// ```text
/// commerce_core::store_conformance_tests!(
///     block_on = futures::executor::block_on,
///     new_store = || async { std::sync::Arc::new(MemoryStore::new()) as Arc<dyn Store> },
/// );
/// ```
///
/// `block_on` runs a future to completion (a runtime's `block_on` for stores that need one);
/// `new_store` is an async closure that returns a fresh, empty store.
#[macro_export]
macro_rules! store_conformance_tests {
    (block_on = $block_on:expr, new_store = $new_store:expr $(,)?) => {
        $crate::store_conformance_tests!(@each $block_on, $new_store, reservation_is_all_or_nothing, bundle_lines_on_one_sku_are_summed, concurrent_last_units_never_oversell, expired_holds_never_block_a_buyer, sweep_releases_expired_reservations, commit_release_and_the_ledger, backorders_only_when_flagged, stock_never_goes_negative, compare_and_set_has_one_winner, idempotency_keys, gateway_events_apply_once, outbox_delivers_every_event, catalog_customers_and_carts, checkout_sells_stock_and_confirms, idempotent_checkout_charges_once, declined_payment_restores_stock_exactly, expired_checkout_fails_cleanly, concurrent_captures_and_refunds_stay_in_bounds, cancelling_releases_stock_and_refunds, api_keys_are_kept_and_revoked, accounts_and_sessions, product_listings_filter_and_page, order_listings_filter_and_page, a_stuck_payment_is_confirmed_later, stock_adjustments_apply_once);
    };
    (@each $block_on:expr, $new_store:expr, $($check:ident),*) => {
        $(
            #[test]
            fn $check() {
                let new_store = $new_store;
                $block_on(async move { $crate::testkit::$check(new_store().await).await });
            }
        )*
    };
}

fn request(id: &str, items: &[(&str, i64)], expires_at: Timestamp) -> ReservationRequest {
    ReservationRequest {
        id: id.to_string(),
        items: items.iter().map(|(s, q)| (s.to_string(), *q)).collect(),
        location: DEFAULT_LOCATION.to_string(),
        expires_at,
        reference: None,
    }
}

async fn reserve(
    store: &dyn Store,
    request: ReservationRequest,
    now: Timestamp,
) -> crate::Result<()> {
    store
        .apply(Changes {
            now,
            reserve: Some(request),
            ..Changes::default()
        })
        .await
        .map(|_| ())
}

async fn level(store: &dyn Store, sku: &str) -> (i64, i64) {
    let levels = store.stock(sku).await.expect("stock");
    let level = levels
        .iter()
        .find(|l| l.location == DEFAULT_LOCATION)
        .expect("a stock level");
    assert!(
        level.on_hand >= 0 || level.allow_backorder,
        "{sku}: negative on_hand"
    );
    assert!(level.reserved >= 0, "{sku}: negative reserved");
    (level.on_hand, level.reserved)
}

/// A cart that needs two SKUs, one short, reserves neither.
pub async fn reservation_is_all_or_nothing(store: Arc<dyn Store>) {
    store
        .adjust_stock("A", DEFAULT_LOCATION, 5, None, START)
        .await
        .unwrap();
    store
        .adjust_stock("B", DEFAULT_LOCATION, 1, None, START)
        .await
        .unwrap();
    let later = START.plus_millis(60_000);
    let err = reserve(&*store, request("r1", &[("A", 2), ("B", 2)], later), START)
        .await
        .unwrap_err();
    assert!(err.is_insufficient_stock(), "{err}");
    assert!(matches!(err.kind(), ErrorKind::InsufficientStock { sku, .. } if sku == "B"));
    assert_eq!(
        level(&*store, "A").await,
        (5, 0),
        "A must not be held by a failed reservation"
    );
    assert_eq!(level(&*store, "B").await, (1, 0));
    assert!(store.reservation("r1").await.unwrap().is_none());
    reserve(&*store, request("r2", &[("A", 2), ("B", 1)], later), START)
        .await
        .unwrap();
    assert_eq!(level(&*store, "A").await, (5, 2));
    assert_eq!(level(&*store, "B").await, (1, 1));
}

/// Two lines on one SKU draw on the same stock: their demand is summed.
pub async fn bundle_lines_on_one_sku_are_summed(store: Arc<dyn Store>) {
    store
        .adjust_stock("A", DEFAULT_LOCATION, 3, None, START)
        .await
        .unwrap();
    let later = START.plus_millis(60_000);
    let err = reserve(&*store, request("r1", &[("A", 2), ("A", 2)], later), START)
        .await
        .unwrap_err();
    assert!(
        err.is_insufficient_stock(),
        "2 + 2 of a SKU with 3 must be refused: {err}"
    );
    assert_eq!(level(&*store, "A").await, (3, 0));
    reserve(&*store, request("r2", &[("A", 1), ("A", 2)], later), START)
        .await
        .unwrap();
    assert_eq!(level(&*store, "A").await, (3, 3));
}

/// 32 buyers at once for the last K units, over several rounds: exactly K succeed.
pub async fn concurrent_last_units_never_oversell(store: Arc<dyn Store>) {
    const BUYERS: usize = 32;
    for (round, units) in [1i64, 5, 7, 16].into_iter().enumerate() {
        let sku = format!("HOT-{round}");
        store
            .adjust_stock(&sku, DEFAULT_LOCATION, units, None, START)
            .await
            .unwrap();
        let later = START.plus_millis(60_000);
        let attempts = (0..BUYERS).map(|buyer| {
            let store = store.clone();
            let request = request(&format!("r{round}-{buyer}"), &[(sku.as_str(), 1)], later);
            async move { reserve(&*store, request, START).await }
        });
        let results = join_all(attempts).await;
        let won = results.iter().filter(|r| r.is_ok()).count();
        for result in &results {
            if let Err(err) = result {
                assert!(
                    err.is_insufficient_stock(),
                    "a losing buyer must get insufficient_stock, not {err}"
                );
            }
        }
        assert_eq!(
            won as i64, units,
            "round {round}: exactly {units} of {BUYERS} buyers may win"
        );
        assert_eq!(level(&*store, &sku).await, (units, units));
    }
}

/// A hold past its expiry never blocks a buyer, swept or not; the late holder then fails.
pub async fn expired_holds_never_block_a_buyer(store: Arc<dyn Store>) {
    store
        .adjust_stock("A", DEFAULT_LOCATION, 2, None, START)
        .await
        .unwrap();
    reserve(
        &*store,
        request("old", &[("A", 2)], START.plus_millis(1_000)),
        START,
    )
    .await
    .unwrap();
    let now = START.plus_millis(1_000);
    reserve(
        &*store,
        request("new", &[("A", 2)], now.plus_millis(60_000)),
        now,
    )
    .await
    .expect("an expired hold must not block a buyer");
    let old = store.reservation("old").await.unwrap().unwrap();
    assert_eq!(old.status, ReservationStatus::Expired);
    assert_eq!(level(&*store, "A").await, (2, 2));
    let err = store
        .apply(Changes {
            now,
            commit_reservation: Some("old".to_string()),
            ..Changes::default()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::ReservationExpired { .. }),
        "committing an expired hold is reservation_expired: {err}"
    );
    assert_eq!(level(&*store, "A").await, (2, 2));
}

/// The sweep releases expired holds and nothing else.
pub async fn sweep_releases_expired_reservations(store: Arc<dyn Store>) {
    store
        .adjust_stock("A", DEFAULT_LOCATION, 10, None, START)
        .await
        .unwrap();
    reserve(
        &*store,
        request("short", &[("A", 3)], START.plus_millis(1_000)),
        START,
    )
    .await
    .unwrap();
    reserve(
        &*store,
        request("long", &[("A", 4)], START.plus_millis(9_000)),
        START,
    )
    .await
    .unwrap();
    assert_eq!(
        store
            .expire_reservations(START.plus_millis(999))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .expire_reservations(START.plus_millis(1_000))
            .await
            .unwrap(),
        1
    );
    assert_eq!(level(&*store, "A").await, (10, 4));
    let extended = store
        .extend_reservation("long", START.plus_millis(20_000), START.plus_millis(5_000))
        .await
        .unwrap();
    assert_eq!(extended.expires_at, START.plus_millis(20_000));
    assert_eq!(
        store
            .expire_reservations(START.plus_millis(10_000))
            .await
            .unwrap(),
        0
    );
    let err = store
        .extend_reservation("short", START.plus_millis(30_000), START.plus_millis(5_000))
        .await
        .unwrap_err();
    assert!(err.is_invalid_transition(), "{err}");
}

/// Commit sells, release gives back, and every change is in the ledger.
pub async fn commit_release_and_the_ledger(store: Arc<dyn Store>) {
    store
        .adjust_stock("A", DEFAULT_LOCATION, 10, None, START)
        .await
        .unwrap();
    let later = START.plus_millis(60_000);
    reserve(&*store, request("sold", &[("A", 3)], later), START)
        .await
        .unwrap();
    reserve(&*store, request("kept", &[("A", 2)], later), START)
        .await
        .unwrap();
    store
        .apply(Changes {
            now: START,
            commit_reservation: Some("sold".into()),
            release_reservation: Some("kept".into()),
            ..Changes::default()
        })
        .await
        .unwrap();
    assert_eq!(level(&*store, "A").await, (7, 0));
    assert_eq!(
        store.reservation("sold").await.unwrap().unwrap().status,
        ReservationStatus::Committed
    );
    // Releasing again is a no-op; committing a released reservation is refused.
    store
        .apply(Changes {
            now: START,
            release_reservation: Some("kept".into()),
            ..Changes::default()
        })
        .await
        .unwrap();
    let err = store
        .apply(Changes {
            now: START,
            commit_reservation: Some("kept".into()),
            ..Changes::default()
        })
        .await
        .unwrap_err();
    assert!(err.is_invalid_transition(), "{err}");
    let kinds: Vec<(MovementKind, i64)> = store
        .movements("A")
        .await
        .unwrap()
        .iter()
        .map(|m| (m.kind, m.quantity))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (MovementKind::Adjustment, 10),
            (MovementKind::Reservation, 3),
            (MovementKind::Reservation, 2),
            (MovementKind::Sale, 3),
            (MovementKind::Release, 2),
        ]
    );
}

/// Without the flag, short stock is refused; with it, the reservation goes through.
pub async fn backorders_only_when_flagged(store: Arc<dyn Store>) {
    store
        .adjust_stock("PRE", DEFAULT_LOCATION, 1, None, START)
        .await
        .unwrap();
    let later = START.plus_millis(60_000);
    assert!(
        reserve(&*store, request("r1", &[("PRE", 3)], later), START)
            .await
            .is_err()
    );
    store
        .adjust_stock("PRE", DEFAULT_LOCATION, 0, Some(true), START)
        .await
        .unwrap();
    reserve(&*store, request("r2", &[("PRE", 3)], later), START)
        .await
        .unwrap();
    assert_eq!(level(&*store, "PRE").await, (1, 3));
    // A SKU the store has never seen has no stock.
    let err = reserve(&*store, request("r3", &[("GHOST", 1)], later), START)
        .await
        .unwrap_err();
    assert!(err.is_insufficient_stock(), "{err}");
}

/// Adjustments can neither take stock below zero nor below what is held.
pub async fn stock_never_goes_negative(store: Arc<dyn Store>) {
    store
        .adjust_stock("A", DEFAULT_LOCATION, 5, None, START)
        .await
        .unwrap();
    assert!(
        store
            .adjust_stock("A", DEFAULT_LOCATION, -6, None, START)
            .await
            .is_err()
    );
    reserve(
        &*store,
        request("r", &[("A", 4)], START.plus_millis(60_000)),
        START,
    )
    .await
    .unwrap();
    assert!(
        store
            .adjust_stock("A", DEFAULT_LOCATION, -2, None, START)
            .await
            .is_err()
    );
    store
        .adjust_stock("A", DEFAULT_LOCATION, -1, None, START)
        .await
        .unwrap();
    assert_eq!(level(&*store, "A").await, (4, 4));
}

fn order(id: &str, cart: &str) -> Order {
    let request = crate::pricing::PricingRequest::from_json(
        r#"{"currency":"USD","now":"2026-01-01T00:00:00Z",
            "lines":[{"id":"l1","sku":"A","quantity":1,"unit_price":"10.00"}]}"#,
    )
    .expect("a valid request");
    let quote = crate::pricing::quote(&request)
        .expect("a quote")
        .into_owned();
    Order::from_quote(id.into(), Some(cart.into()), None, quote, START).expect("an order")
}

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
        matches!(err.kind(), ErrorKind::IdempotencyInFlight { .. }),
        "{err}"
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

/// An active product `id` with one variant `sku` at `price` USD, in category `all`.
pub fn product(id: &str, sku: &str, price: &str) -> Product {
    Product {
        id: id.into(),
        name: id.into(),
        description: String::new(),
        status: ProductStatus::Active,
        category_ids: vec!["all".into()],
        tax_category: None,
        variants: vec![Variant {
            sku: sku.into(),
            options: BTreeMap::new(),
            weight: None,
            prices: vec![VariantPrice {
                price_list: "default".into(),
                amount: Money::parse(price, Currency::USD).expect("a price"),
                tiers: vec![],
            }],
        }],
    }
}

/// SKUs and e-mail addresses are unique; carts are compare-and-set, and frozen once checked
/// out.
pub async fn catalog_customers_and_carts(store: Arc<dyn Store>) {
    store
        .put_product(&product("p1", "A", "1.00"))
        .await
        .unwrap();
    let err = store
        .put_product(&product("p2", "A", "1.00"))
        .await
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::DuplicateId { .. }), "{err}");
    store
        .put_product(&product("p1", "A2", "2.00"))
        .await
        .unwrap();
    assert!(
        store.product_by_sku("A").await.unwrap().is_none(),
        "a replaced product frees its old SKUs"
    );
    store
        .put_product(&product("p2", "A", "1.00"))
        .await
        .unwrap();
    let all = ProductFilter::default();
    let page = store.products(&all, None, 1).await.unwrap();
    assert_eq!(page.items.len(), 1);
    let next = store
        .products(&all, page.next_cursor.as_deref(), 1)
        .await
        .unwrap();
    assert_eq!(next.items[0].id, "p2");
    assert!(next.next_cursor.is_none());

    let ada = Customer {
        id: "c1".into(),
        email: "Ada@Example.com".into(),
        name: "Ada".into(),
        group: None,
        addresses: vec![],
    };
    store.put_customer(&ada).await.unwrap();
    let twin = Customer {
        id: "c2".into(),
        ..ada.clone()
    };
    assert!(store.put_customer(&twin).await.is_err());
    assert_eq!(
        store
            .customer_by_email("ada@example.com")
            .await
            .unwrap()
            .unwrap()
            .id,
        "c1"
    );

    let cart = StoredCart {
        id: "cart".into(),
        customer_id: None,
        destination: None,
        cart: Cart::new(Currency::USD),
        version: 1,
        updated_at: START,
    };
    store.put_cart(&cart, None).await.unwrap();
    assert!(store.put_cart(&cart, None).await.unwrap_err().is_conflict());
    let newer = StoredCart {
        version: 2,
        ..cart.clone()
    };
    store.put_cart(&newer, Some(1)).await.unwrap();
    assert!(
        store
            .put_cart(&newer, Some(1))
            .await
            .unwrap_err()
            .is_conflict()
    );
    // Once an order is placed from it, the cart is frozen.
    store
        .apply(Changes {
            now: START,
            orders: vec![Versioned {
                value: order("o-cart", "cart"),
                expected_version: None,
            }],
            ..Changes::default()
        })
        .await
        .unwrap();
    let after = StoredCart {
        version: 3,
        ..newer.clone()
    };
    assert!(
        store
            .put_cart(&after, Some(2))
            .await
            .unwrap_err()
            .is_conflict(),
        "a checked-out cart cannot change"
    );
}

/// A shop with one product (10.00 USD, stock `stock`) and a service over `store`.
pub async fn shop(
    store: Arc<dyn Store>,
    stock: i64,
) -> (Commerce, Arc<TestGateway>, Arc<ManualClock>) {
    let gateway = Arc::new(TestGateway::new());
    let clock = Arc::new(ManualClock::new(START));
    let commerce = Commerce::new(
        store,
        gateway.clone(),
        clock.clone(),
        Arc::new(SequentialIds::default()),
    );
    commerce
        .put_product(product("mug", "MUG", "10.00"))
        .await
        .unwrap();
    commerce.adjust_stock("MUG", stock, None).await.unwrap();
    let mut config = ShopConfig::default();
    config.promotions.push({
        let mut p = Promotion::new(
            "five-off",
            Benefit::FixedAmountOff {
                amounts: [(Currency::USD, "5.00".parse().expect("an amount"))].into(),
                target: Target::Order,
            },
        );
        p.coupon_codes = vec!["FIVE".into()];
        p
    });
    commerce.put_config(config).await.unwrap();
    (commerce, gateway, clock)
}

/// The events a relay claims at `now` (up to 100, leased for a millisecond).
async fn claimed(store: &dyn Store, now: Timestamp) -> Vec<DomainEvent> {
    store
        .claim_events(100, now.plus_millis(1), now)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect()
}

async fn cart_with(commerce: &Commerce, quantity: u32) -> String {
    let cart = commerce.create_cart(Currency::USD, None).await.unwrap();
    commerce
        .add_to_cart(&cart.id, "MUG", quantity, BTreeMap::new())
        .await
        .unwrap();
    cart.id
}

fn checkout_request(cart: &str, token: &str, key: Option<&str>) -> CheckoutRequest {
    CheckoutRequest {
        cart_id: cart.into(),
        payment_method: token.into(),
        capture_method: CaptureMethod::Automatic,
        idempotency_key: key.map(str::to_string),
        idempotency_scope: "tester".into(),
    }
}

/// A paid checkout sells the stock, confirms the order and writes its events.
pub async fn checkout_sells_stock_and_confirms(store: Arc<dyn Store>) {
    let (commerce, _, _) = shop(store.clone(), 5).await;
    let cart = cart_with(&commerce, 2).await;
    // The request a client may price itself hides coupon promotions it has not unlocked...
    let request = commerce.pricing_request(&cart).await.unwrap();
    assert!(
        request.promotions.is_empty(),
        "no unentered code is revealed"
    );
    commerce.apply_coupon(&cart, "five").await.unwrap();
    // ...and prices exactly as the shop does once they are unlocked.
    let request = commerce.pricing_request(&cart).await.unwrap();
    assert_eq!(request.promotions.len(), 1);
    let client = crate::pricing::quote(&request).unwrap();
    let server = commerce.quote_cart(&cart).await.unwrap();
    assert_eq!(client.totals, server.totals);
    let checkout = commerce
        .checkout(&checkout_request(&cart, "tok_visa", None))
        .await
        .unwrap();
    assert_eq!(checkout.order.status, OrderStatus::Confirmed);
    assert_eq!(checkout.order.payment_status, PaymentStatus::Paid);
    assert_eq!(checkout.payment_intent.status, IntentStatus::Succeeded);
    assert_eq!(
        checkout.payment_intent.amount_received.to_string(),
        "15.00 USD"
    );
    assert_eq!(level(&*store, "MUG").await, (3, 0));
    let kinds: Vec<EventKind> = claimed(&*store, START)
        .await
        .iter()
        .map(|e| e.kind)
        .collect();
    for kind in [
        EventKind::OrderPlaced,
        EventKind::StockReserved,
        EventKind::PaymentAuthorized,
        EventKind::PaymentCaptured,
        EventKind::OrderConfirmed,
    ] {
        assert!(kinds.contains(&kind), "missing {kind} in {kinds:?}");
    }
    // Fulfilment, shipping and delivery each say what happened.
    for line in &checkout.order.lines {
        commerce
            .fulfil(&checkout.order.id, &line.id, line.quantity)
            .await
            .unwrap();
    }
    for to in [FulfillmentStatus::Shipped, FulfillmentStatus::Delivered] {
        commerce
            .advance_fulfillment(&checkout.order.id, to)
            .await
            .unwrap();
    }
    let later = START.plus_millis(10);
    let kinds: Vec<EventKind> = claimed(&*store, later)
        .await
        .iter()
        .filter(|e| e.aggregate_id == checkout.order.id)
        .map(|e| e.kind)
        .collect();
    for kind in [
        EventKind::OrderFulfilled,
        EventKind::OrderShipped,
        EventKind::OrderDelivered,
    ] {
        assert_eq!(
            kinds.iter().filter(|&&k| k == kind).count(),
            1,
            "{kind} once in {kinds:?}"
        );
    }
    // The cart is frozen, and checking it out again returns the same order.
    assert!(
        commerce
            .add_to_cart(&cart, "MUG", 1, BTreeMap::new())
            .await
            .is_err()
    );
    let again = commerce
        .checkout(&checkout_request(&cart, "tok_visa", None))
        .await
        .unwrap();
    assert_eq!(again.order.id, checkout.order.id);
}

/// The same key replays the same order; many concurrent retries still make one order, one charge.
pub async fn idempotent_checkout_charges_once(store: Arc<dyn Store>) {
    let (commerce, gateway, _) = shop(store.clone(), 5).await;
    let cart = cart_with(&commerce, 1).await;
    let attempts = (0..10).map(|_| {
        let commerce = commerce.clone();
        let request = checkout_request(&cart, "tok_visa", Some("key-1"));
        async move { commerce.checkout(&request).await }
    });
    let results = join_all(attempts).await;
    let orders: std::collections::BTreeSet<String> = results
        .iter()
        .filter_map(|r| r.as_ref().ok().map(|c| c.order.id.clone()))
        .collect();
    assert_eq!(orders.len(), 1, "one order, whatever the retries");
    for result in &results {
        if let Err(err) = result {
            assert!(
                matches!(
                    err.kind(),
                    ErrorKind::IdempotencyInFlight { .. } | ErrorKind::Conflict { .. }
                ),
                "{err}"
            );
        }
    }
    let replay = commerce
        .checkout(&checkout_request(&cart, "tok_visa", Some("key-1")))
        .await
        .unwrap();
    assert!(orders.contains(&replay.order.id));
    let err = commerce
        .checkout(&checkout_request(&cart, "tok_other", Some("key-1")))
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::IdempotencyMismatch { .. }),
        "{err}"
    );
    assert_eq!(gateway.charges().0, 1, "one authorization at the gateway");
    assert_eq!(level(&*store, "MUG").await, (4, 0));
}

/// A declined payment cancels the order and gives back exactly the stock it held.
pub async fn declined_payment_restores_stock_exactly(store: Arc<dyn Store>) {
    let (commerce, _, _) = shop(store.clone(), 5).await;
    let cart = cart_with(&commerce, 3).await;
    let err = commerce
        .checkout(&checkout_request(
            &cart,
            "tok_decline_insufficient_funds",
            Some("k"),
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::PaymentDeclined { reason } if reason == "insufficient_funds"),
        "{err}"
    );
    assert_eq!(
        level(&*store, "MUG").await,
        (5, 0),
        "compensation restores stock exactly"
    );
    let order = store.order_for_cart(&cart).await.unwrap().unwrap();
    assert_eq!(order.status, OrderStatus::Cancelled);
    // The replay gives the same answer.
    let again = commerce
        .checkout(&checkout_request(
            &cart,
            "tok_decline_insufficient_funds",
            Some("k"),
        ))
        .await
        .unwrap_err();
    assert_eq!(again.code(), "payment_declined");
    // Too little stock: nothing is reserved, nothing is created.
    let big = cart_with(&commerce, 6).await;
    let err = commerce
        .checkout(&checkout_request(&big, "tok_visa", None))
        .await
        .unwrap_err();
    assert!(err.is_insufficient_stock(), "{err}");
    assert!(store.order_for_cart(&big).await.unwrap().is_none());
    assert_eq!(level(&*store, "MUG").await, (5, 0));
}

/// A hold that expires while the customer authenticates frees the stock for the next buyer; the
/// first checkout then fails cleanly and its payment is given back.
pub async fn expired_checkout_fails_cleanly(store: Arc<dyn Store>) {
    let (commerce, gateway, clock) = shop(store.clone(), 1).await;
    let slow = cart_with(&commerce, 1).await;
    let first = commerce
        .checkout(&checkout_request(&slow, "tok_requires_action", None))
        .await
        .unwrap();
    assert_eq!(first.payment_intent.status, IntentStatus::RequiresAction);
    clock.advance_millis(crate::inventory::DEFAULT_RESERVATION_TTL_MILLIS);
    let fast = cart_with(&commerce, 1).await;
    let second = commerce
        .checkout(&checkout_request(&fast, "tok_visa", None))
        .await
        .unwrap();
    assert_eq!(second.order.status, OrderStatus::Confirmed);
    gateway.complete_action(&first.payment_intent.id);
    let event = gateway.take_events().pop().expect("an event");
    let err = commerce.handle_gateway_event(&event).await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::ReservationExpired { .. }),
        "{err}"
    );
    let order = commerce.order(&first.order.id).await.unwrap();
    assert_eq!(order.status, OrderStatus::Cancelled);
    let intent = commerce
        .payment_intent(&first.payment_intent.id)
        .await
        .unwrap();
    assert_eq!(
        intent.amount_refunded, intent.amount_received,
        "the late payment is refunded"
    );
    assert_eq!(level(&*store, "MUG").await, (0, 0), "never oversold");
    // The same event again changes nothing.
    commerce.handle_gateway_event(&event).await.unwrap();
}

/// Concurrent captures never exceed the authorization, nor refunds what was captured.
pub async fn concurrent_captures_and_refunds_stay_in_bounds(store: Arc<dyn Store>) {
    let (commerce, gateway, _) = shop(store.clone(), 5).await;
    let cart = cart_with(&commerce, 1).await;
    let mut request = checkout_request(&cart, "tok_visa", None);
    request.capture_method = CaptureMethod::Manual;
    let placed = commerce.checkout(&request).await.unwrap();
    assert_eq!(placed.order.payment_status, PaymentStatus::Authorized);
    let order_id = placed.order.id.clone();
    let six = Money::parse("6.00", Currency::USD).unwrap();
    let captures = (0..8).map(|_| {
        let commerce = commerce.clone();
        let order_id = order_id.clone();
        async move { commerce.capture(&order_id, Some(six), false, None).await }
    });
    let results = join_all(captures).await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "6.00 fits once into 10.00"
    );
    let intent = commerce
        .payment_intent(&placed.payment_intent.id)
        .await
        .unwrap();
    assert_eq!(intent.amount_received, six);
    commerce.capture(&order_id, None, true, None).await.unwrap();
    let intent = commerce
        .payment_intent(&placed.payment_intent.id)
        .await
        .unwrap();
    assert_eq!(intent.amount_received.to_string(), "10.00 USD");
    assert_eq!(intent.status, IntentStatus::Succeeded);
    let refunds = (0..8).map(|_| {
        let commerce = commerce.clone();
        let order_id = order_id.clone();
        async move { commerce.refund(&order_id, six, None).await }
    });
    let results = join_all(refunds).await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "6.00 fits once into 10.00"
    );
    let err = commerce
        .refund(
            &order_id,
            Money::parse("4.01", Currency::USD).unwrap(),
            None,
        )
        .await
        .unwrap_err();
    assert!(err.is_amount_exceeded(), "{err}");
    // The same key refunds once, however often it is sent.
    let key = IdempotencyKey {
        scope: "admin".into(),
        key: "refund-rest".into(),
    };
    let four = Money::parse("4.00", Currency::USD).unwrap();
    commerce.refund(&order_id, four, Some(&key)).await.unwrap();
    let replayed = commerce.refund(&order_id, four, Some(&key)).await.unwrap();
    assert_eq!(
        replayed.payment_intent.amount_refunded.to_string(),
        "10.00 USD"
    );
    let other = commerce
        .refund(&order_id, six, Some(&key))
        .await
        .unwrap_err();
    assert!(
        matches!(other.kind(), ErrorKind::IdempotencyMismatch { .. }),
        "{other}"
    );
    let order = commerce.order(&order_id).await.unwrap();
    assert_eq!(order.payment_status, PaymentStatus::Refunded);
    let (_, captured, refunded) = gateway.charges();
    assert_eq!((captured, refunded), (2, 2));
}

/// Cancelling a paid order puts its stock back and refunds it.
pub async fn cancelling_releases_stock_and_refunds(store: Arc<dyn Store>) {
    let (commerce, _, _) = shop(store.clone(), 5).await;
    let cart = cart_with(&commerce, 2).await;
    let placed = commerce
        .checkout(&checkout_request(&cart, "tok_visa", None))
        .await
        .unwrap();
    assert_eq!(level(&*store, "MUG").await, (3, 0));
    let cancelled = commerce.cancel_order(&placed.order.id, None).await.unwrap();
    assert_eq!(cancelled.order.status, OrderStatus::Cancelled);
    assert_eq!(cancelled.order.payment_status, PaymentStatus::Refunded);
    assert_eq!(level(&*store, "MUG").await, (5, 0));
    assert!(
        commerce
            .cancel_order(&placed.order.id, None)
            .await
            .unwrap_err()
            .is_invalid_transition()
    );
}

/// API keys: stored once per id, found by id, revoked for good (the first time is kept).
pub async fn api_keys_are_kept_and_revoked(store: Arc<dyn Store>) {
    use crate::access::ApiKey;
    let key = |id: &str| ApiKey {
        id: id.to_string(),
        name: format!("key {id}"),
        secret_hash: format!("hash-{id}"),
        created_at: START,
        revoked_at: None,
    };
    store.put_api_key(&key("b")).await.unwrap();
    store.put_api_key(&key("a")).await.unwrap();
    let err = store.put_api_key(&key("a")).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::DuplicateId { .. }), "{err}");
    assert_eq!(store.api_key("a").await.unwrap(), Some(key("a")));
    assert_eq!(store.api_key("zzz").await.unwrap(), None);
    let ids: Vec<String> = store
        .api_keys()
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.id)
        .collect();
    assert_eq!(ids, ["a", "b"]);
    let first = START.plus_millis(1_000);
    store.revoke_api_key("a", first).await.unwrap();
    store
        .revoke_api_key("a", first.plus_millis(1_000))
        .await
        .unwrap();
    assert_eq!(
        store.api_key("a").await.unwrap().unwrap().revoked_at,
        Some(first)
    );
    assert_eq!(store.api_key("b").await.unwrap().unwrap().revoked_at, None);
    let err = store.revoke_api_key("zzz", first).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
}

/// Accounts are created whole or not at all, with unique ids and e-mail addresses; sessions
/// are kept, ended for good, ended together, and purged once over.
pub async fn accounts_and_sessions(store: Arc<dyn Store>) {
    let ada = Customer {
        id: "c1".into(),
        email: "Ada@Example.com".into(),
        name: "Ada".into(),
        group: None,
        addresses: vec![],
    };
    store.create_account(&ada, "hash-1").await.unwrap();
    let twin = Customer {
        id: "c2".into(),
        email: "ADA@example.COM".into(),
        ..ada.clone()
    };
    let err = store.create_account(&twin, "hash-2").await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::DuplicateId { .. }), "{err}");
    assert!(
        store.customer("c2").await.unwrap().is_none()
            && store.password_hash("c2").await.unwrap().is_none(),
        "a refused account leaves nothing behind"
    );
    let same_id = Customer {
        email: "other@example.com".into(),
        ..ada.clone()
    };
    let err = store.create_account(&same_id, "hash-3").await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::DuplicateId { .. }), "{err}");
    assert_eq!(store.customer("c1").await.unwrap(), Some(ada.clone()));
    assert_eq!(
        store
            .customer_by_email("ada@example.com")
            .await
            .unwrap()
            .map(|c| c.id),
        Some("c1".to_string())
    );
    assert_eq!(
        store.password_hash("c1").await.unwrap().as_deref(),
        Some("hash-1")
    );
    store.set_password_hash("c1", "hash-4").await.unwrap();
    assert_eq!(
        store.password_hash("c1").await.unwrap().as_deref(),
        Some("hash-4")
    );
    let err = store.set_password_hash("nobody", "x").await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    // A customer saved without an account has no password.
    let guest = Customer {
        id: "c3".into(),
        email: "guest@example.com".into(),
        ..ada.clone()
    };
    store.put_customer(&guest).await.unwrap();
    assert_eq!(store.password_hash("c3").await.unwrap(), None);

    let session = |id: &str, customer: &str, expires: i64| Session {
        id: id.into(),
        customer_id: customer.into(),
        secret_hash: format!("secret-{id}"),
        created_at: START,
        expires_at: START.plus_millis(expires),
        revoked_at: None,
    };
    store
        .put_session(&session("s1", "c1", 10_000))
        .await
        .unwrap();
    store
        .put_session(&session("s2", "c1", 10_000))
        .await
        .unwrap();
    store
        .put_session(&session("s3", "c3", 1_000))
        .await
        .unwrap();
    let err = store
        .put_session(&session("s1", "c3", 1))
        .await
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::DuplicateId { .. }), "{err}");
    assert_eq!(
        store.session("s1").await.unwrap(),
        Some(session("s1", "c1", 10_000))
    );
    assert_eq!(store.session("nope").await.unwrap(), None);
    let first = START.plus_millis(100);
    store.revoke_session("s1", first).await.unwrap();
    store
        .revoke_session("s1", first.plus_millis(50))
        .await
        .unwrap();
    store.revoke_session("nope", first).await.unwrap();
    let s1 = store.session("s1").await.unwrap().unwrap();
    assert_eq!(s1.revoked_at, Some(first), "the first end is kept");
    assert!(!s1.is_live(first));
    // Ending all of c1's sessions ends s2 only (s1 was already ended); c3's is untouched.
    assert_eq!(
        store
            .revoke_sessions_of("c1", first.plus_millis(100))
            .await
            .unwrap(),
        1
    );
    assert!(
        !store
            .session("s2")
            .await
            .unwrap()
            .unwrap()
            .is_live(first.plus_millis(100))
    );
    assert!(store.session("s3").await.unwrap().unwrap().is_live(first));
    // Purging before START+150 removes s1 (ended at +100) only; s2 ended at +200.
    assert_eq!(
        store.purge_sessions(START.plus_millis(150)).await.unwrap(),
        1
    );
    assert!(store.session("s1").await.unwrap().is_none());
    assert!(store.session("s2").await.unwrap().is_some());
    // Past s3's expiry (+1,000) and s2's end, both go.
    assert_eq!(
        store
            .purge_sessions(START.plus_millis(2_000))
            .await
            .unwrap(),
        2
    );
    assert!(store.session("s3").await.unwrap().is_none());
}

/// The ids of every page of a listing, following `next_cursor` from the start.
async fn every_page<F, Fut>(mut fetch: F) -> Vec<String>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = (Vec<String>, Option<String>)>,
{
    let mut ids = Vec::new();
    let mut after = None;
    loop {
        let (page, next) = fetch(after).await;
        ids.extend(page);
        match next {
            Some(cursor) => after = Some(cursor),
            None => return ids,
        }
    }
}

/// Listing products by status, category and text (case-insensitive, Unicode, `%` and `_`
/// taken literally), a page at a time in id order; categories by id.
pub async fn product_listings_filter_and_page(store: Arc<dyn Store>) {
    let mut items = Vec::new();
    for (id, name, status, categories) in [
        ("p1", "Blue Mug", ProductStatus::Active, vec!["kitchen"]),
        (
            "p2",
            "ÉCLAIR pan",
            ProductStatus::Active,
            vec!["kitchen", "bakery"],
        ),
        (
            "p3",
            "Garden hose 100%",
            ProductStatus::Draft,
            vec!["garden"],
        ),
        ("p4", "Red_mug", ProductStatus::Archived, vec!["kitchen"]),
        ("p5", "Tea towel", ProductStatus::Active, vec![]),
    ] {
        let mut product = product(id, &format!("SKU-{id}"), "1.00");
        product.name = name.into();
        product.status = status;
        product.category_ids = categories.into_iter().map(String::from).collect();
        store.put_product(&product).await.unwrap();
        items.push(product);
    }
    let ids = |page: crate::store::Page<Product>| -> Vec<String> {
        page.items.into_iter().map(|p| p.id).collect()
    };
    let with =
        |status: Option<ProductStatus>, category: Option<&str>, text: Option<&str>| ProductFilter {
            status,
            category_id: category.map(String::from),
            text: text.map(String::from),
        };
    let active = Some(ProductStatus::Active);
    let cases: Vec<(ProductFilter, Vec<&str>)> = vec![
        (with(None, None, None), vec!["p1", "p2", "p3", "p4", "p5"]),
        (with(active, None, None), vec!["p1", "p2", "p5"]),
        (with(None, Some("kitchen"), None), vec!["p1", "p2", "p4"]),
        (with(active, Some("kitchen"), None), vec!["p1", "p2"]),
        (with(None, None, Some("MUG")), vec!["p1", "p4"]),
        (with(None, None, Some("éclair")), vec!["p2"]),
        (with(None, None, Some("0%")), vec!["p3"]),
        (with(None, None, Some("d_m")), vec!["p4"]),
        (with(None, None, Some("e_m")), vec![]),
        (with(None, None, Some("sku-p5")), vec!["p5"]),
        (with(None, Some("none"), None), vec![]),
    ];
    for (filter, expected) in cases {
        let expected: Vec<String> = expected.into_iter().map(String::from).collect();
        assert_eq!(
            ids(store.products(&filter, None, 100).await.unwrap()),
            expected,
            "{filter:?}"
        );
        for p in &items {
            assert_eq!(
                filter.matches(p),
                expected.contains(&p.id),
                "{filter:?} on {}",
                p.id
            );
        }
        // The same list, one at a time.
        let paged = every_page(|after| {
            let (store, filter) = (store.clone(), filter.clone());
            async move {
                let page = store.products(&filter, after.as_deref(), 1).await.unwrap();
                (
                    page.items.into_iter().map(|p| p.id).collect(),
                    page.next_cursor,
                )
            }
        })
        .await;
        assert_eq!(paged, expected, "paged {filter:?}");
    }
    // Re-saving a product moves it between categories.
    let mut moved = items[0].clone();
    moved.category_ids = vec!["garden".into()];
    store.put_product(&moved).await.unwrap();
    let garden = ProductFilter {
        category_id: Some("garden".into()),
        ..ProductFilter::default()
    };
    assert_eq!(
        ids(store.products(&garden, None, 10).await.unwrap()),
        ["p1", "p3"]
    );

    let kitchen = crate::catalog::Category {
        id: "kitchen".into(),
        name: "Kitchen".into(),
        parent_id: None,
    };
    store.put_category(&kitchen).await.unwrap();
    assert_eq!(store.category("kitchen").await.unwrap(), Some(kitchen));
    assert_eq!(store.category("attic").await.unwrap(), None);
}

/// Listing orders by customer and status, newest first, a page at a time.
pub async fn order_listings_filter_and_page(store: Arc<dyn Store>) {
    // (id, customer, minutes after START, cancelled)
    let specs = [
        ("o1", Some("ada"), 1, false),
        ("o2", Some("bob"), 2, false),
        ("o3", Some("ada"), 3, true),
        ("o4", None, 3, false),
        ("o5", Some("ada"), 3, false),
    ];
    for (id, customer, minutes, cancelled) in specs {
        let at = START.plus_millis(minutes * 60_000);
        let mut placed = order(id, &format!("cart-{id}"));
        placed.customer_id = customer.map(String::from);
        placed.created_at = at;
        if cancelled {
            placed.transition(OrderStatus::Cancelled, at).unwrap();
        }
        store
            .apply(Changes {
                now: at,
                orders: vec![Versioned {
                    value: placed,
                    expected_version: None,
                }],
                ..Changes::default()
            })
            .await
            .unwrap();
    }
    let filter = |customer: Option<&str>, status: Option<OrderStatus>| OrderFilter {
        customer_id: customer.map(String::from),
        status,
    };
    let cases = [
        (filter(None, None), vec!["o5", "o4", "o3", "o2", "o1"]),
        (filter(Some("ada"), None), vec!["o5", "o3", "o1"]),
        (
            filter(Some("ada"), Some(OrderStatus::PendingPayment)),
            vec!["o5", "o1"],
        ),
        (filter(None, Some(OrderStatus::Cancelled)), vec!["o3"]),
        (filter(Some("carol"), None), vec![]),
    ];
    for (filter, expected) in cases {
        let paged = every_page(|after| {
            let (store, filter) = (store.clone(), filter.clone());
            async move {
                let page = store.orders(&filter, after.as_deref(), 2).await.unwrap();
                assert!(page.items.len() <= 2);
                (
                    page.items.into_iter().map(|o| o.id).collect(),
                    page.next_cursor,
                )
            }
        })
        .await;
        assert_eq!(paged, expected, "{filter:?}");
    }
    let unknown = store
        .orders(&OrderFilter::default(), Some("o-nope"), 10)
        .await
        .unwrap();
    assert!(unknown.items.is_empty() && unknown.next_cursor.is_none());
}

/// A checkout whose gateway could not be reached keeps its order and its hold; confirming the
/// payment later, with another payment method, finishes it, once.
pub async fn a_stuck_payment_is_confirmed_later(store: Arc<dyn Store>) {
    let (commerce, gateway, _) = shop(store.clone(), 5).await;
    let cart = cart_with(&commerce, 2).await;
    let err = commerce
        .checkout(&checkout_request(&cart, "tok_gateway_down", Some("k1")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "backend_error", "{err}");
    let order = store
        .order_for_cart(&cart)
        .await
        .unwrap()
        .expect("the order was placed");
    assert_eq!(order.status, OrderStatus::PendingPayment);
    assert_eq!(level(&*store, "MUG").await, (5, 2), "the hold stays");
    let intent_id = order.payment_intent_id.clone().unwrap();

    let key = IdempotencyKey {
        scope: "tester".into(),
        key: "confirm-1".into(),
    };
    let done = commerce
        .confirm_payment(&intent_id, Some("tok_visa"), Some(&key))
        .await
        .unwrap();
    assert_eq!(done.order.status, OrderStatus::Confirmed);
    assert_eq!(done.payment_intent.status, IntentStatus::Succeeded);
    assert_eq!(
        done.payment_intent.payment_method.as_deref(),
        Some("tok_visa")
    );
    assert_eq!(level(&*store, "MUG").await, (3, 0), "sold");
    assert_eq!(gateway.charges().0, 1, "one authorization");
    let replay = commerce
        .confirm_payment(&intent_id, Some("tok_visa"), Some(&key))
        .await
        .unwrap();
    assert_eq!(replay.order.id, done.order.id);
    let again = commerce
        .confirm_payment(&intent_id, None, None)
        .await
        .unwrap_err();
    assert!(again.is_invalid_transition(), "{again}");
    // The first checkout's key, retried, now finds the order paid.
    let retried = commerce
        .checkout(&checkout_request(&cart, "tok_gateway_down", Some("k1")))
        .await
        .unwrap();
    assert_eq!(retried.order.status, OrderStatus::Confirmed);
    assert_eq!(gateway.charges().0, 1, "still one authorization");
}

/// A stock adjustment in a unit of work is guarded as `adjust_stock` is, and with an
/// idempotency key it is made once, however often it is retried.
pub async fn stock_adjustments_apply_once(store: Arc<dyn Store>) {
    let (commerce, _, _) = shop(store.clone(), 5).await;
    let key = |k: &str| IdempotencyKey {
        scope: "admin".into(),
        key: k.into(),
    };
    let delivery = commerce
        .adjust_stock_once("MUG", 10, None, &key("delivery-1"))
        .await
        .unwrap();
    assert_eq!(delivery.on_hand, 15);
    let retried = commerce
        .adjust_stock_once("MUG", 10, None, &key("delivery-1"))
        .await
        .unwrap();
    assert_eq!(retried.on_hand, 15, "a retry adds nothing");
    let err = commerce
        .adjust_stock_once("MUG", 11, None, &key("delivery-1"))
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::IdempotencyMismatch { .. }),
        "{err}"
    );
    let err = commerce
        .adjust_stock_once("MUG", -16, None, &key("write-off"))
        .await
        .unwrap_err();
    assert!(err.is_insufficient_stock(), "{err}");
    // The refused key is free again, and nothing was written.
    let fixed = commerce
        .adjust_stock_once("MUG", -15, Some(true), &key("write-off"))
        .await
        .unwrap();
    assert_eq!((fixed.on_hand, fixed.allow_backorder), (0, true));
    let ledger: Vec<i64> = store
        .movements("MUG")
        .await
        .unwrap()
        .iter()
        .filter(|m| m.kind == MovementKind::Adjustment)
        .map(|m| m.quantity)
        .collect();
    assert_eq!(ledger, [5, 10, -15]);
}
