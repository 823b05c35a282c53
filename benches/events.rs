//! Events out of the shop: deliveries per second from the outbox to NATS JetStream and to
//! RabbitMQ, each beside a bare loop that publishes the same envelopes straight to the broker
//! and waits for each acknowledgement (the limit a one-at-a-time, in-order delivery can reach);
//! and the checkout rate with a worker delivering beside it against without.
//!
//! Run: `cargo bench -p commerce-benches --bench events` (PostgreSQL from
//! `COMMERCE_BENCH_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/test`; NATS at
//! 127.0.0.1:4222 and RabbitMQ at 127.0.0.1:5672; a missing one is skipped). Under
//! `cargo test` it runs a few orders on SQLite, as a smoke test.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use commerce_core::delivery::{Envelope, Outcome};
use commerce_core::gateway::TestGateway;
use commerce_core::store::Store;
use commerce_core::worker::{Destination, Destinations};
use commerce_core::{CheckoutRequest, Commerce, Currency, SequentialIds, SystemClock};
use commerce_events::{AmqpDestination, NatsDestination};

const NATS: &str = "nats://127.0.0.1:4222";
const AMQP: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

async fn reachable(addr: &str) -> bool {
    matches!(
        tokio::time::timeout(Duration::from_secs(1), tokio::net::TcpStream::connect(addr)).await,
        Ok(Ok(_))
    )
}

async fn shop(store: Arc<dyn Store>, name: &str) -> Commerce {
    let commerce = Commerce::new(
        store,
        Arc::new(TestGateway::new()),
        Arc::new(SystemClock),
        Arc::new(SequentialIds::prefixed(name)),
    );
    for i in 0..50 {
        let sku = format!("SKU-{i:02}");
        commerce
            .put_product(commerce_core::testkit::product(
                &format!("p-{sku}"),
                &sku,
                "9.99",
            ))
            .await
            .expect("a product");
        commerce
            .adjust_stock(&sku, 1_000_000_000, None)
            .await
            .expect("stock");
    }
    commerce
}

async fn checkout(commerce: &Commerce, n: u64) {
    let cart = commerce
        .create_cart(Currency::USD, None)
        .await
        .expect("a cart");
    commerce
        .add_to_cart(&cart.id, &format!("SKU-{:02}", n % 50), 1, BTreeMap::new())
        .await
        .expect("a line");
    commerce
        .checkout(&CheckoutRequest {
            cart_id: cart.id,
            payment_method: "tok_visa".into(),
            capture_method: Default::default(),
            idempotency_key: None,
            idempotency_scope: String::new(),
            contact: commerce_core::testkit::sample_contact(),
        })
        .await
        .expect("a checkout");
}

/// Delivers everything due to `destinations`; deliveries per second, and the envelopes sent.
async fn drain(commerce: &Commerce, destinations: &Destinations) -> (f64, usize) {
    let start = Instant::now();
    let mut delivered = 0;
    loop {
        commerce.route_events(destinations).await.expect("routing");
        let report = commerce
            .deliver_due(destinations)
            .await
            .expect("delivering");
        delivered += report.delivered;
        assert_eq!(
            report.failed + report.dead,
            0,
            "a broker refused: {report:?}"
        );
        if report.delivered == 0
            && commerce
                .delivery_stats()
                .await
                .expect("stats")
                .unrouted_events
                == 0
        {
            break;
        }
    }
    (delivered as f64 / start.elapsed().as_secs_f64(), delivered)
}

/// Publishes `count` envelopes straight to `destination`, one at a time, each acknowledged:
/// per second.
async fn bare(destination: &dyn Destination, count: usize, run: &str) -> f64 {
    let start = Instant::now();
    for n in 0..count {
        let envelope: Envelope = serde_json::from_value(serde_json::json!({
            "id": format!("bench-{run}-{n}"), "type": "order_placed", "version": 1,
            "occurred_at": "2026-12-03T10:00:00Z", "aggregate_id": format!("ord_{n}"),
            "order_id": format!("ord_{n}"), "sequence": n,
            "data": {"cart_id": "cart_1", "grand_total": {"amount": "9.99", "currency": "USD"}}
        }))
        .expect("an envelope");
        assert_eq!(destination.deliver(&envelope).await, Outcome::Delivered);
    }
    count as f64 / start.elapsed().as_secs_f64()
}

/// Checkouts per second from `tasks` tasks for `duration`.
async fn checkout_rate(commerce: &Commerce, tasks: usize, duration: Duration) -> f64 {
    let counter = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let (commerce, counter) = (commerce.clone(), counter.clone());
            tokio::spawn(async move {
                while start.elapsed() < duration {
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    checkout(&commerce, n).await;
                }
            })
        })
        .collect();
    for handle in handles {
        handle.await.expect("a task");
    }
    counter.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

async fn measure(label: &str, store: Arc<dyn Store>, orders: u64, duration: Duration) {
    println!("\n{label}");
    let nats_here = reachable("127.0.0.1:4222").await;
    let amqp_here = reachable("127.0.0.1:5672").await;
    let run = format!("{}-{}", std::process::id(), label.len());
    let mut brokers: Vec<(&str, Arc<dyn Destination>)> = Vec::new();
    if nats_here {
        brokers.push((
            "NATS JetStream",
            Arc::new(NatsDestination::new("nats", NATS)),
        ));
    } else {
        println!("  NATS: not reachable; skipped");
    }
    // RabbitMQ returns an event no queue is bound to (and the delivery is tried again), so a
    // consumer's queue is bound for the run, as a shop's consumers would be.
    let _queue = if amqp_here {
        Some(commerce_events::testkit::AmqpQueue::bind(AMQP).await)
    } else {
        None
    };
    if amqp_here {
        brokers.push(("RabbitMQ", Arc::new(AmqpDestination::new("amqp", AMQP))));
    } else {
        println!("  RabbitMQ: not reachable; skipped");
    }
    println!("{:<44} {:>12} {:>10}", "case", "per second", "ratio");
    for (name, destination) in &brokers {
        let commerce = shop(store.clone(), &format!("{}{run}", &name[..1])).await;
        for n in 0..orders {
            checkout(&commerce, n).await;
        }
        // Events routed before (another case's) are not routed again: this destination gets
        // this case's orders' events.
        let destinations = Destinations::new().with(destination.clone());
        let (rate, delivered) = drain(&commerce, &destinations).await;
        let limit = bare(
            &**destination,
            delivered.clamp(1, 5_000),
            &format!("{name}{run}"),
        )
        .await;
        println!(
            "{:<44} {:>12.0} {:>10}",
            format!("{name}: bare publish, acknowledged"),
            limit,
            "1.00"
        );
        println!(
            "{:<44} {:>12.0} {:>10.2}",
            format!("{name}: deliveries from the outbox ({delivered})"),
            rate,
            rate / limit
        );
    }

    // Checkouts with a worker delivering to every broker beside them, against without.
    let commerce = shop(store.clone(), &format!("w{run}")).await;
    let mut destinations = Destinations::new();
    for (_, destination) in &brokers {
        destinations = destinations.with(destination.clone());
    }
    for tasks in [1usize, 16] {
        let without = checkout_rate(&commerce, tasks, duration).await;
        let _ = drain(&commerce, &destinations).await;
        let stop = Arc::new(AtomicBool::new(false));
        let worker = {
            let (commerce, destinations, stop) =
                (commerce.clone(), destinations.clone(), stop.clone());
            tokio::spawn(commerce_events::run_worker(
                commerce,
                destinations,
                "bench-worker".into(),
                async move {
                    while !stop.load(Ordering::Relaxed) {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                },
            ))
        };
        let with = checkout_rate(&commerce, tasks, duration).await;
        stop.store(true, Ordering::Relaxed);
        worker.await.expect("the worker");
        println!(
            "{:<44} {:>12.0} {:>10}",
            format!("checkouts, {tasks} task(s), no worker"),
            without,
            "1.00"
        );
        println!(
            "{:<44} {:>12.0} {:>10.2}",
            format!("checkouts, {tasks} task(s), worker delivering"),
            with,
            with / without
        );
    }
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let (orders, duration) = if benching {
        (2_000, Duration::from_secs(5))
    } else {
        (3, Duration::from_millis(30))
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async move {
        if !benching {
            let dir = std::env::temp_dir().join("commerce-bench");
            std::fs::create_dir_all(&dir).expect("a directory");
            let path = dir.join(format!("events-{}.db", std::process::id()));
            let url = format!("sqlite://{}", path.display());
            let store = Arc::new(commerce_sql::SqliteStore::open(&url).await.expect("SQLite"));
            measure("SQLite file (WAL)", store, orders, duration).await;
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
            return;
        }
        let Some((store, schema)) = commerce_benches::postgres_store("events").await else {
            return;
        };
        measure("PostgreSQL", store, orders, duration).await;
        schema.drop().await;
    });
}
