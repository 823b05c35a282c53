//! Rates on a real database: reservations and checkouts per second on a SQLite file and on
//! PostgreSQL, with 1 and 16 concurrent tasks, spread over many SKUs and on one hot SKU; and,
//! in the same run on the same database, a bare single-statement `UPDATE` loop as the ceiling.
//!
//! Run: `cargo bench -p commerce-benches --bench sql` (PostgreSQL from
//! `COMMERCE_BENCH_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/test`; skipped if
//! unreachable). Under `cargo test` it runs a few milliseconds per case on SQLite, as a smoke
//! test.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use commerce_core::SystemClock;
use commerce_core::gateway::TestGateway;
use commerce_core::inventory::{DEFAULT_LOCATION, ReservationRequest};
use commerce_core::store::{Changes, Store};
use commerce_core::{CheckoutRequest, Commerce, Currency, SequentialIds};

const SKUS: usize = 200;

/// Reservation ids, unique across every case of the run.
static RESERVATION: AtomicU64 = AtomicU64::new(0);

/// The bare single-statement `UPDATE` loop on a pool: the ceiling on PostgreSQL, whose store
/// uses the same pool.
macro_rules! ceiling {
    ($pool:expr) => {{
        let pool = $pool;
        move |tasks: usize, duration: Duration| -> futures::future::BoxFuture<'static, f64> {
            let pool = pool.clone();
            Box::pin(rate(tasks, duration, move |_| {
                let pool = pool.clone();
                async move {
                    sqlx::query("UPDATE bench_counter SET n = n + 1 WHERE id = 1")
                        .execute(&pool)
                        .await
                        .expect("update");
                }
            }))
        }
    }};
}

/// The bare single-statement `UPDATE` loop on SQLite, the better of two ways: on one connection
/// held by the loop (the tasks take turns), as the store holds its writing connection; and on
/// sqlx's pool of eight, where several connections overlap their hand-offs. Prints both.
fn sqlite_ceiling(
    connection: sqlx::SqliteConnection,
    pool: sqlx::SqlitePool,
) -> impl Fn(usize, Duration) -> futures::future::BoxFuture<'static, f64> {
    let connection = Arc::new(tokio::sync::Mutex::new(connection));
    let on_pool = ceiling!(pool);
    move |tasks: usize, duration: Duration| -> futures::future::BoxFuture<'static, f64> {
        let connection = connection.clone();
        let pooled = on_pool(tasks, duration);
        Box::pin(async move {
            let held = rate(tasks, duration, move |_| {
                let connection = connection.clone();
                async move {
                    let mut connection = connection.lock().await;
                    sqlx::query("UPDATE bench_counter SET n = n + 1 WHERE id = 1")
                        .execute(&mut *connection)
                        .await
                        .expect("update");
                }
            })
            .await;
            let pooled = pooled.await;
            for (way, rate) in [("one held connection", held), ("sqlx pool of 8", pooled)] {
                println!("{:<34} {:>12.0}", format!("  bare UPDATE, {way}"), rate);
            }
            held.max(pooled)
        })
    }
}

/// Runs `op` from `tasks` concurrent tasks for `duration`; returns operations per second.
async fn rate<F, Fut>(tasks: usize, duration: Duration, op: F) -> f64
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let op = Arc::new(op);
    let counter = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let (op, counter) = (op.clone(), counter.clone());
            tokio::spawn(async move {
                while start.elapsed() < duration {
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    op(n).await;
                }
            })
        })
        .collect();
    for handle in handles {
        handle.await.expect("a bench task");
    }
    counter.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

async fn shop(store: Arc<dyn Store>, name: &str) -> Commerce {
    let commerce = Commerce::new(
        store,
        Arc::new(TestGateway::new()),
        Arc::new(SystemClock),
        Arc::new(SequentialIds::prefixed(name)),
    );
    for i in 0..SKUS {
        let sku = format!("SKU-{i:03}");
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

async fn carts(commerce: &Commerce, count: usize, hot: bool) -> Arc<Vec<String>> {
    let mut ids = Vec::with_capacity(count);
    for i in 0..count {
        let cart = commerce
            .create_cart(Currency::USD, None)
            .await
            .expect("a cart");
        let sku = if hot {
            "SKU-000".to_string()
        } else {
            format!("SKU-{:03}", i % SKUS)
        };
        commerce
            .add_to_cart(&cart.id, &sku, 1, BTreeMap::new())
            .await
            .expect("a line");
        ids.push(cart.id);
    }
    Arc::new(ids)
}

async fn measure(
    label: &str,
    store: Arc<dyn Store>,
    ceiling: impl Fn(usize, Duration) -> futures::future::BoxFuture<'static, f64>,
    duration: Duration,
) {
    let commerce = shop(store.clone(), label).await;
    println!("\n{label}");
    println!(
        "{:<34} {:>12} {:>16}",
        "case", "per second", "ratio to ceiling"
    );
    for tasks in [1usize, 16] {
        let bare = ceiling(tasks, duration).await;
        println!(
            "{:<34} {:>12.0} {:>16}",
            format!("bare UPDATE loop, {tasks} task(s)"),
            bare,
            "1.00"
        );
        for hot in [false, true] {
            let where_ = if hot { "hot SKU" } else { "200 SKUs" };
            let reservations = {
                let store = store.clone();
                rate(tasks, duration, move |n| {
                    let store = store.clone();
                    async move {
                        let sku = if hot {
                            "SKU-000".to_string()
                        } else {
                            format!("SKU-{:03}", n as usize % SKUS)
                        };
                        let now = commerce_core::Timestamp::from_unix_millis(0);
                        store
                            .apply(Changes {
                                now,
                                reserve: Some(ReservationRequest {
                                    id: format!(
                                        "bench-r-{}",
                                        RESERVATION.fetch_add(1, Ordering::Relaxed)
                                    ),
                                    items: vec![(sku, 1)],
                                    location: DEFAULT_LOCATION.into(),
                                    expires_at: now.plus_millis(i64::MAX / 4),
                                    reference: None,
                                }),
                                ..Changes::default()
                            })
                            .await
                            .expect("a reservation");
                    }
                })
                .await
            };
            println!(
                "{:<34} {:>12.0} {:>16.2}",
                format!("reservations, {where_}, {tasks} task(s)"),
                reservations,
                reservations / bare
            );
            let expected = (duration.as_secs_f64() * 4_000.0) as usize + 64;
            let cart_ids = carts(&commerce, expected.min(20_000), hot).await;
            let checkouts = {
                let (commerce, cart_ids) = (commerce.clone(), cart_ids.clone());
                rate(tasks, duration, move |n| {
                    let (commerce, cart_ids) = (commerce.clone(), cart_ids.clone());
                    async move {
                        let Some(cart) = cart_ids.get(n as usize) else {
                            return;
                        };
                        let request = CheckoutRequest {
                            cart_id: cart.clone(),
                            payment_method: "tok_visa".into(),
                            capture_method: Default::default(),
                            idempotency_key: None,
                            idempotency_scope: String::new(),
                            contact: commerce_core::testkit::sample_contact(),
                        };
                        commerce.checkout(&request).await.expect("a checkout");
                    }
                })
                .await
            };
            println!(
                "{:<34} {:>12.0} {:>16.2}",
                format!("checkouts, {where_}, {tasks} task(s)"),
                checkouts,
                checkouts / bare
            );
        }
    }
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let duration = if benching {
        Duration::from_secs(3)
    } else {
        Duration::from_millis(30)
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async move {
        let dir = std::env::temp_dir().join("commerce-bench");
        std::fs::create_dir_all(&dir).expect("a directory");
        let path = dir.join(format!("bench-{}.db", std::process::id()));
        let url = format!("sqlite://{}", path.display());
        let store = Arc::new(commerce_sql::SqliteStore::open(&url).await.expect("SQLite"));
        let pool = store.pool().clone();
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS bench_counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)",
        )
        .execute(&pool)
        .await
        .expect("table");
        sqlx::query("INSERT OR IGNORE INTO bench_counter VALUES (1, 0)")
            .execute(&pool)
            .await
            .expect("row");
        let connection = sqlx::ConnectOptions::connect(&*pool.connect_options())
            .await
            .expect("a connection");
        measure(
            "SQLite file (WAL)",
            store,
            sqlite_ceiling(connection, pool),
            duration,
        )
        .await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }

        if !benching {
            return;
        }
        let Some((store, schema)) = commerce_benches::postgres_store("sql").await else {
            return;
        };
        let pool = store.pool().clone();
        sqlx::query("CREATE TABLE bench_counter (id INTEGER PRIMARY KEY, n BIGINT NOT NULL)")
            .execute(&pool)
            .await
            .expect("table");
        sqlx::query("INSERT INTO bench_counter VALUES (1, 0)")
            .execute(&pool)
            .await
            .expect("row");
        let ceiling = ceiling!(pool);
        measure("PostgreSQL", store, ceiling, duration).await;
        schema.drop().await;
    });
}
