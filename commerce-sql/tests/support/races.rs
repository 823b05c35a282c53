//! Races and invariants shared by the SQLite and PostgreSQL tests.

use std::collections::BTreeMap;
use std::sync::Arc;

use commerce_core::catalog::Product;
use commerce_core::gateway::TestGateway;
use commerce_core::inventory::{
    DEFAULT_LOCATION, MovementKind, ReservationRequest, ReservationStatus,
};
use commerce_core::order::OrderStatus;
use commerce_core::store::{Changes, Store};
use commerce_core::{CheckoutRequest, Commerce, Currency, ManualClock, SequentialIds, Timestamp};
use futures::future::join_all;

pub const START: Timestamp = Timestamp::from_unix_millis(1_800_000_000_000);

pub fn commerce(store: Arc<dyn Store>, instance: &str) -> Commerce {
    Commerce::new(
        store,
        Arc::new(TestGateway::new()),
        Arc::new(ManualClock::new(START)),
        Arc::new(SequentialIds::prefixed(instance)),
    )
}

pub fn product(sku: &str) -> Product {
    commerce_core::testkit::product(&format!("p-{sku}"), sku, "4.99")
}

/// Stock is conserved: what is on hand plus what was sold is what was put in, and what is
/// reserved is exactly what active reservations hold. Never negative.
pub async fn assert_conserved(store: &dyn Store, sku: &str, put_in: i64, live: &[String]) {
    let level = store
        .stock(sku)
        .await
        .unwrap()
        .into_iter()
        .find(|l| l.location == DEFAULT_LOCATION)
        .unwrap();
    assert!(
        level.on_hand >= 0 && level.reserved >= 0,
        "{sku}: negative stock {level:?}"
    );
    assert!(level.on_hand >= level.reserved, "{sku}: oversold {level:?}");
    let movements = store.movements(sku).await.unwrap();
    let sum = |kind: MovementKind| -> i64 {
        movements
            .iter()
            .filter(|m| m.kind == kind)
            .map(|m| m.quantity)
            .sum()
    };
    let sold = sum(MovementKind::Sale);
    assert_eq!(
        sum(MovementKind::Adjustment),
        put_in,
        "{sku}: the ledger records what was put in"
    );
    assert_eq!(
        level.on_hand + sold,
        put_in + sum(MovementKind::Return),
        "{sku}: on_hand + sold must equal what came in"
    );
    assert_eq!(
        level.reserved,
        sum(MovementKind::Reservation) - sum(MovementKind::Release) - sold,
        "{sku}: the ledger explains what is reserved"
    );
    let mut held = 0;
    for id in live {
        if let Some(r) = store.reservation(id).await.unwrap()
            && r.status == ReservationStatus::Active
        {
            held += r
                .lines
                .iter()
                .filter(|l| l.sku == sku)
                .map(|l| l.quantity)
                .sum::<i64>();
        }
    }
    if !live.is_empty() {
        assert_eq!(
            level.reserved, held,
            "{sku}: reserved equals the active holds"
        );
    }
}

/// `buyers` checkouts at once for `units` units, `rounds` times, spread over `shops` (service
/// instances, possibly on different pools): exactly `units` orders each round, the others a clean
/// `insufficient_stock`, never another error.
pub async fn last_units_through_checkout(
    shops: &[Commerce],
    rounds: usize,
    buyers: usize,
    units: i64,
) {
    for round in 0..rounds {
        let sku = format!("HOT-{round}");
        shops[0].put_product(product(&sku)).await.unwrap();
        shops[0].adjust_stock(&sku, units, None).await.unwrap();
        let mut carts = Vec::new();
        for buyer in 0..buyers {
            let shop = &shops[buyer % shops.len()];
            let cart = shop.create_cart(Currency::USD, None).await.unwrap();
            shop.add_to_cart(&cart.id, &sku, 1, BTreeMap::new())
                .await
                .unwrap();
            carts.push((buyer % shops.len(), cart.id));
        }
        let attempts = carts.iter().map(|(shop, cart)| {
            let shop = shops[*shop].clone();
            let request = CheckoutRequest {
                cart_id: cart.clone(),
                payment_method: "tok_visa".into(),
                capture_method: Default::default(),
                idempotency_key: None,
                idempotency_scope: String::new(),
                contact: commerce_core::testkit::sample_contact(),
            };
            async move { shop.checkout(&request).await }
        });
        let results = join_all(attempts).await;
        let mut confirmed = 0;
        for result in &results {
            match result {
                Ok(checkout) => {
                    assert_eq!(checkout.order.status, OrderStatus::Confirmed);
                    confirmed += 1;
                }
                Err(err) => assert!(
                    err.is_insufficient_stock(),
                    "round {round}: a loser must get insufficient_stock, got {err}"
                ),
            }
        }
        assert_eq!(
            confirmed, units,
            "round {round}: exactly {units} of {buyers} checkouts"
        );
        let store = shops[0].store();
        assert_conserved(&**store, &sku, units, &[]).await;
        let level = &store.stock(&sku).await.unwrap()[0];
        assert_eq!((level.on_hand, level.reserved), (0, 0), "round {round}");
    }
}

/// Carts that want the same two SKUs, listed in opposite orders, reserve at once: SKUs are
/// locked in a fixed order, so no deadlock ever reaches a caller.
pub async fn opposite_orders_never_deadlock(store: Arc<dyn Store>, tasks: usize, stock: i64) {
    store
        .adjust_stock("A", DEFAULT_LOCATION, stock, None, START)
        .await
        .unwrap();
    store
        .adjust_stock("B", DEFAULT_LOCATION, stock, None, START)
        .await
        .unwrap();
    let attempts = (0..tasks).map(|i| {
        let store = store.clone();
        let items = if i % 2 == 0 {
            vec![("A".to_string(), 1), ("B".to_string(), 1)]
        } else {
            vec![("B".to_string(), 1), ("A".to_string(), 1)]
        };
        async move {
            store
                .apply(Changes {
                    now: START,
                    reserve: Some(ReservationRequest {
                        id: format!("r{i}"),
                        items,
                        location: DEFAULT_LOCATION.into(),
                        expires_at: START.plus_millis(60_000),
                        reference: None,
                    }),
                    ..Changes::default()
                })
                .await
        }
    });
    let results = join_all(attempts).await;
    let won = results.iter().filter(|r| r.is_ok()).count() as i64;
    for result in &results {
        if let Err(err) = result {
            assert!(
                err.is_insufficient_stock(),
                "no deadlock or timeout may reach a caller: {err}"
            );
        }
    }
    assert_eq!(won, stock.min(tasks as i64));
    let ids: Vec<String> = (0..tasks).map(|i| format!("r{i}")).collect();
    assert_conserved(&*store, "A", stock, &ids).await;
    assert_conserved(&*store, "B", stock, &ids).await;
}
