//! # commerce-sql
//!
//! The storage traits of `commerce-core` on SQLite (the embedded default, no server needed) and
//! PostgreSQL (for several server processes sharing one database), through sqlx.
//!
//! ```no_run
//! # async fn demo() -> Result<(), commerce_core::Error> {
//! let store = commerce_sql::connect("sqlite://shop.db").await?;      // a file, WAL
//! let store = commerce_sql::connect("sqlite::memory:").await?;       // private, in memory
//! let store = commerce_sql::connect("postgres://postgres@127.0.0.1/shop").await?;
//! # Ok(()) }
//! ```
//!
//! - **Two concrete stores**, [`SqliteStore`] and [`PgStore`], with the same logic: it is written
//!   once (one file per aggregate, `catalog.rs`, `inventory.rs`, ..., joined by `stamp.rs`) and stamped for each backend, whose module (`sqlite.rs`,
//!   `postgres.rs`) holds only what differs: how to open, how to start a write transaction, the
//!   SQL that differs, which errors are retried.
//! - **Migrations** per backend are embedded and applied on open (or by [`SqliteStore::migrate`] /
//!   [`PgStore::migrate`] for hosts that manage their own), recorded in `commerce_migrations`, a
//!   table of our own, so the library can live inside a host application's database.
//! - **Money** is stored as integer minor units plus a currency code, never floats or SQLite
//!   `NUMERIC`; frozen quotes and catalog documents are JSON with decimal strings.
//! - **Atomicity is in the database**: a reservation is one guarded `UPDATE … WHERE on_hand −
//!   reserved >= $q` per SKU, in ascending SKU order, rows-affected checked, all in one
//!   transaction; order and payment updates are compare-and-set on `version`; CHECK constraints
//!   are the last line of defence. SQLite write transactions start with `BEGIN IMMEDIATE` under
//!   a busy timeout, so `SQLITE_BUSY` never reaches a caller; PostgreSQL serialization failures
//!   and deadlocks are retried, bounded.
//! - **A unit of work is one round trip** in the common case: its statements go together,
//!   inside `BEGIN … COMMIT`, with the database checking every guard; anything the batch does
//!   not decide is rolled back and run statement by statement (`batch.rs`). On SQLite, units
//!   that wait for the one writer at the same time share one transaction (group commit,
//!   `group.rs`), and the store holds its connections itself (`held.rs`).

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod access;
mod batch;
mod carts;
mod catalog;
mod config;
mod customers;
mod deliveries;
mod group;
mod held;
mod idempotency;
mod inventory;
mod leases;
mod migrate;
mod orders;
mod outbox;
mod postgres;
mod rows;
mod sqlite;
mod stamp;
mod unit;
mod usage;
mod webhooks;

use std::sync::Arc;

use commerce_core::Error;
use commerce_core::store::Store;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// Opens the store a URL names: `sqlite://path` (created if missing), `sqlite::memory:`, or
/// `postgres://…` / `postgresql://…`. Migrations are applied.
///
/// # Errors
///
/// `invalid_input` for another scheme; `backend_error` if the database cannot be opened or
/// migrated.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, Error> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::open(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::connect(url).await?))
    } else {
        Err(Error::invalid(format!(
            "unsupported database URL `{}`: use sqlite://path, sqlite::memory: or postgres://…",
            url.split('@').next_back().unwrap_or_default()
        )))
    }
}
