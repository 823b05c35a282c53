//! Storage traits: what the [`Commerce`](crate::service::Commerce) service needs from a
//! database, and the atomicity each method promises.
//!
//! There are two kinds of writes:
//!
//! - **Single-record writes** (`put_product`, `put_customer`, `put_cart`, `adjust_stock`, ...),
//!   each atomic on its own.
//! - **The unit of work**, [`OrderStore::apply`]: a [`Changes`] value that reserves, commits or
//!   releases stock, inserts or updates orders and payment intents, records a gateway event id,
//!   appends domain events to the outbox and completes an idempotency key, **all or nothing**.
//!   Updates are compare-and-set on the record's `version`: if another writer changed the
//!   record since it was read, `apply` fails with [`conflict`](crate::ErrorKind::Conflict) and
//!   changes nothing, so two concurrent callers can never both succeed.
//!
//! Every implementation runs the same conformance suite (`commerce_core::testkit`, feature
//! `testkit`): the in-memory store here, SQLite and PostgreSQL in `commerce-sql`.
mod access;
mod carts;
mod catalog;
mod config;
mod customers;
mod deliveries;
mod idempotency;
mod inventory;
mod leases;
mod memory;
mod orders;
mod outbox;
mod usage;
mod webhooks;

pub use access::AccessStore;
pub use carts::CartStore;
pub use catalog::{CatalogStore, ProductFilter};
pub use config::ConfigStore;
pub use customers::CustomerStore;
pub use deliveries::{
    ClaimedDelivery, DeliveryStore, DeliveryUpdate, delivery_cursor, parse_delivery_cursor,
};
pub use idempotency::{
    IDEMPOTENCY_LOCK_MILLIS, IDEMPOTENCY_RETENTION_MILLIS, IdempotencyBegin, IdempotencyCompletion,
    IdempotencyStore,
};
pub use inventory::InventoryStore;
pub use leases::LeaseStore;
pub use memory::MemoryStore;
pub use orders::{Applied, Changes, OrderFilter, OrderStore, Versioned};
pub use outbox::{ClaimedEvent, OutboxStore};
pub use usage::UsageStore;
pub use webhooks::WebhookStore;

use serde::{Deserialize, Serialize};

/// How many items a page holds when the caller does not say.
pub const DEFAULT_PAGE_SIZE: usize = 20;

/// The most items a page holds, whatever the caller asks for.
pub const MAX_PAGE_SIZE: usize = 100;

/// The page size a listing uses when `asked` for one: [`DEFAULT_PAGE_SIZE`] if not, clamped to
/// `1..=`[`MAX_PAGE_SIZE`].
///
/// ```
/// use commerce_core::store::page_size;
/// assert_eq!((page_size(None), page_size(Some(0)), page_size(Some(1_000))), (20, 1, 100));
/// ```
pub fn page_size(asked: Option<usize>) -> usize {
    asked.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE)
}

/// A page of results and the cursor of the next page, if any.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass as `after` to get the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// Everything the service needs, in one trait object: the transactional core, which every
/// store implements whole.
///
/// Contexts beyond it (search documents, reviews, deliveries, ...) come as traits of their
/// own, reached from here through accessors that default to `None`, as object_store does with
/// its optional operations: a store gains a context by overriding one accessor, without every
/// other store having to follow at once. Each store says it is one explicitly:
/// `impl Store for MemoryStore {}`.
pub trait Store:
    AccessStore
    + CatalogStore
    + CustomerStore
    + CartStore
    + InventoryStore
    + OrderStore
    + IdempotencyStore
    + OutboxStore
    + ConfigStore
    + UsageStore
    + DeliveryStore
    + WebhookStore
    + LeaseStore
{
}
