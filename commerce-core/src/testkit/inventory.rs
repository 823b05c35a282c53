//! Checks of stock: reservations, holds, the ledger and adjustments.

use std::sync::Arc;

use futures::future::join_all;

use crate::error::ErrorKind;
use crate::events::{DomainEvent, EventKind};
use crate::inventory::{DEFAULT_LOCATION, MovementKind, ReservationStatus, stock_low_event};
use crate::service::IdempotencyKey;
use crate::settings::ShopConfig;
use crate::store::{Changes, Store};

use super::{START, claimed, level, request, reserve, shop};

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

/// A reservation that leaves a SKU at or below the shop's low-stock threshold writes exactly
/// the event [`stock_low_event`] defines, once per reservation and SKU, and one that leaves
/// more writes none: on the common path, and on the path that first releases an expired hold.
pub async fn low_stock_is_reported_as_the_core_defines(store: Arc<dyn Store>) {
    let config = ShopConfig {
        low_stock_threshold: 3,
        ..ShopConfig::default()
    };
    store.put_config(&config, 0).await.unwrap();
    for (sku, on_hand) in [("A", 5), ("B", 10), ("C", 2)] {
        store
            .adjust_stock(sku, DEFAULT_LOCATION, on_hand, None, START)
            .await
            .unwrap();
    }
    let later = START.plus_millis(60_000);
    reserve(&*store, request("r1", &[("A", 2), ("B", 1)], later), START)
        .await
        .unwrap();
    reserve(&*store, request("r2", &[("A", 1)], later), START)
        .await
        .unwrap();
    // C's only units are held by a hold that expires; the next buyer's unit of work releases
    // it first.
    reserve(
        &*store,
        request("r3", &[("C", 2)], START.plus_millis(1)),
        START,
    )
    .await
    .unwrap();
    let now = START.plus_millis(10);
    reserve(&*store, request("r4", &[("C", 2)], later), now)
        .await
        .unwrap();
    let reported: Vec<DomainEvent> = claimed(&*store, now)
        .await
        .into_iter()
        .filter(|e| e.kind == EventKind::StockLow)
        .collect();
    let expected: Vec<DomainEvent> = [
        ("A", "r1", 3, START),
        ("A", "r2", 2, START),
        ("C", "r3", 0, START),
        ("C", "r4", 0, now),
    ]
    .into_iter()
    .filter_map(|(sku, id, available, at)| {
        stock_low_event(sku, DEFAULT_LOCATION, id, available, 3, at)
    })
    .collect();
    assert_eq!(
        reported, expected,
        "stock_low events as the core defines them"
    );
}
