//! A child process running checkouts on a SQLite file is killed with SIGKILL, three times; after
//! each kill the file is reopened and must hold a consistent shop: no half-written order, every
//! reservation committed, released or still live with its TTL, stock conserved.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use commerce_core::inventory::ReservationStatus;
use commerce_core::order::OrderStatus;
use commerce_core::store::{InventoryStore, OrderStore};
use commerce_core::{CheckoutRequest, Currency};
use commerce_sql::SqliteStore;
use sqlx::Row;
use support::races;

const SKUS: [&str; 3] = ["S0", "S1", "S2"];
const STOCK: i64 = 100_000;

/// The workload the child runs until it is killed (a no-op in a normal test run).
#[test]
fn crash_worker() {
    let Ok(path) = std::env::var("COMMERCE_CRASH_DB") else {
        return;
    };
    let prefix = std::env::var("COMMERCE_CRASH_PREFIX").unwrap_or_default();
    support::block_on(async move {
        let store = Arc::new(
            SqliteStore::open(&format!("sqlite://{path}"))
                .await
                .unwrap(),
        );
        let shop = races::commerce(store, &prefix);
        let tokens = ["tok_visa", "tok_decline", "tok_requires_action", "tok_visa"];
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        let mut n = 0usize;
        while std::time::Instant::now() < deadline {
            let tasks = (0..4).map(|i| {
                let shop = shop.clone();
                let k = n * 4 + i;
                async move {
                    let cart = shop.create_cart(Currency::USD, None).await?;
                    shop.add_to_cart(&cart.id, SKUS[k % 3], 1 + (k % 3) as u32, BTreeMap::new())
                        .await?;
                    shop.add_to_cart(&cart.id, SKUS[(k + 1) % 3], 1, BTreeMap::new())
                        .await?;
                    let request = CheckoutRequest {
                        cart_id: cart.id,
                        payment_method: tokens[k % tokens.len()].into(),
                        capture_method: Default::default(),
                        idempotency_key: Some(format!("k{k}")),
                        idempotency_scope: prefix_scope(),
                        contact: commerce_core::testkit::sample_contact(),
                    };
                    shop.checkout(&request).await.map(|_| ())
                }
            });
            let _ = futures::future::join_all(tasks).await;
            n += 1;
        }
    });
}

fn prefix_scope() -> String {
    std::env::var("COMMERCE_CRASH_PREFIX").unwrap_or_default()
}

#[test]
fn sigkill_mid_checkout_leaves_a_consistent_shop() {
    if std::env::var("COMMERCE_CRASH_DB").is_ok() {
        return;
    }
    let path = support::sqlite_path("crash");
    let url = format!("sqlite://{}", path.display());
    support::block_on(async {
        let store = Arc::new(SqliteStore::open(&url).await.unwrap());
        let shop = races::commerce(store.clone(), "setup");
        for sku in SKUS {
            shop.put_product(races::product(sku)).await.unwrap();
            shop.adjust_stock(sku, STOCK, None).await.unwrap();
        }
        store.close().await;
    });
    for round in 0..3u64 {
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["crash_worker", "--exact", "--nocapture", "--test-threads=1"])
            .env("COMMERCE_CRASH_DB", &path)
            .env("COMMERCE_CRASH_PREFIX", format!("r{round}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(700 + 300 * round));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        support::block_on(check_consistent(&url, round));
    }
}

async fn check_consistent(url: &str, round: u64) {
    let store = SqliteStore::open(url)
        .await
        .expect("the file reopens after SIGKILL");
    let pool = store.pool();
    let orders: Vec<String> = sqlx::query("SELECT id FROM commerce_orders")
        .fetch_all(pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>(0))
        .collect();
    assert!(
        !orders.is_empty(),
        "round {round}: the child placed no order before it was killed; give it longer"
    );
    for id in &orders {
        let order = store.order(id).await.unwrap().unwrap();
        let intent_id = order
            .payment_intent_id
            .clone()
            .expect("an order always has its intent");
        let intent = store.payment_intent(&intent_id).await.unwrap();
        assert!(
            intent.is_some(),
            "round {round}: order {id} without its payment intent (half-written)"
        );
        let reservation_id = order
            .reservation_id
            .clone()
            .expect("an order always has its reservation");
        let reservation = store
            .reservation(&reservation_id)
            .await
            .unwrap()
            .expect("the order's reservation");
        let consistent = match order.status {
            OrderStatus::Confirmed | OrderStatus::Completed => {
                reservation.status == ReservationStatus::Committed
            }
            OrderStatus::Cancelled => matches!(
                reservation.status,
                ReservationStatus::Released | ReservationStatus::Expired
            ),
            // Pending: the hold is live until its TTL, already expired, or released by a
            // decline (the order waits for another payment method).
            OrderStatus::PendingPayment => matches!(
                reservation.status,
                ReservationStatus::Active
                    | ReservationStatus::Expired
                    | ReservationStatus::Released
            ),
        };
        assert!(
            consistent,
            "round {round}: order {id} is {} but its reservation is {:?}",
            order.status, reservation.status
        );
    }
    let intents_without_orders: i64 = sqlx::query("SELECT COUNT(*) FROM commerce_payment_intents i WHERE NOT EXISTS (SELECT 1 FROM commerce_orders o WHERE o.id = i.order_id)")
        .fetch_one(pool)
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        intents_without_orders, 0,
        "round {round}: an intent without its order"
    );
    let live: Vec<String> = sqlx::query("SELECT id FROM commerce_reservations")
        .fetch_all(pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>(0))
        .collect();
    for sku in SKUS {
        races::assert_conserved(&store, sku, STOCK, &live).await;
    }
    store.close().await;
}
