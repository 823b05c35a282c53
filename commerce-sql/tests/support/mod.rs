//! Fresh stores for tests: a new SQLite file, or a new PostgreSQL schema.

#![allow(dead_code)]

pub mod races;
pub mod round_trips;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use commerce_core::store::Store;
use commerce_sql::{PgStore, SqliteStore};

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// Runs a future on a multi-threaded runtime.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(future)
}

/// A path for a new SQLite file, removed first if a previous run left it.
pub fn sqlite_path(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join("commerce-sql-tests");
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    let path = dir.join(format!("{name}-{}-{n}.db", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    path
}

/// A store on a new SQLite file (WAL) named after `name`.
pub async fn sqlite_file(name: &str) -> SqliteStore {
    let path = sqlite_path(name);
    SqliteStore::open(&format!("sqlite://{}", path.display()))
        .await
        .expect("SQLite opens")
}

/// A store on a new SQLite file (WAL).
pub async fn sqlite() -> Arc<dyn Store> {
    Arc::new(sqlite_file("store").await)
}

/// The PostgreSQL URL the tests use.
pub fn postgres_url() -> String {
    std::env::var("COMMERCE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// A connection to a new, empty schema of the test database (`pool` connections).
pub async fn postgres_store(pool: u32) -> PgStore {
    use sqlx::postgres::PgConnectOptions;
    use std::str::FromStr;

    let url = postgres_url();
    let admin = sqlx::PgPool::connect(&url).await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is not reachable at {url} ({e}). Start it, or point \
             COMMERCE_TEST_POSTGRES_URL at one; scripts/test skips these tests only outside CI."
        )
    });
    let schema = format!(
        "commerce_t_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    // Schemas left by earlier runs (other process ids) are dropped.
    let stale: Vec<String> = sqlx::query_scalar(
        "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'commerce\\_t\\_%' AND nspname NOT LIKE $1",
    )
    .bind(format!("commerce\\_t\\_{}\\_%", std::process::id()))
    .fetch_all(&admin)
    .await
    .expect("list schemas");
    for old in stale {
        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA IF EXISTS {old} CASCADE"
        )))
        .execute(&admin)
        .await;
    }
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&admin)
        .await
        .expect("create a schema");
    admin.close().await;
    let options = PgConnectOptions::from_str(&url)
        .expect("a PostgreSQL URL")
        .options([("search_path", schema.as_str())]);
    PgStore::connect_options(options, pool)
        .await
        .expect("PostgreSQL store")
}

/// A store on a new PostgreSQL schema.
pub async fn postgres() -> Arc<dyn Store> {
    Arc::new(postgres_store(16).await)
}
