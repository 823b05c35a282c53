//! An in-memory store: every trait, safe under concurrent use, std only.
//!
//! One mutex guards the whole state, so every method is atomic; [`OrderStore::apply`] checks
//! every precondition before changing anything, so a unit of work is all or nothing. For tests,
//! examples and small embedded uses; nothing survives the process.

mod access;
mod carts;
mod catalog;
mod config;
mod customers;
mod deliveries;
mod idempotency;
mod inventory;
mod leases;
mod orders;
mod outbox;
mod usage;
mod webhooks;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use super::Page;
use crate::access::{ApiKey, Session};
use crate::cart::StoredCart;
use crate::catalog::{Category, Product};
use crate::customer::Customer;
use crate::delivery::Delivery;
use crate::events::DomainEvent;
use crate::inventory::{Movement, Reservation, StockLevel};
use crate::order::Order;
use crate::payment::PaymentIntent;
use crate::settings::ShopConfig;
use crate::time::Timestamp;
use crate::webhooks::WebhookEndpoint;

/// The in-memory store.
///
/// # Example
///
/// ```
/// use commerce_core::store::{InventoryStore, MemoryStore};
/// use commerce_core::Timestamp;
///
/// let store = MemoryStore::new();
/// let level = futures::executor::block_on(
///     store.adjust_stock("MUG", "default", 10, None, Timestamp::EPOCH),
/// )?;
/// assert_eq!(level.available(), 10);
/// # Ok::<(), commerce_core::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    api_keys: BTreeMap<String, ApiKey>,
    password_hashes: HashMap<String, String>,
    sessions: HashMap<String, Session>,
    products: BTreeMap<String, Product>,
    catalog_version: u64,
    sku_owner: HashMap<String, String>,
    categories: BTreeMap<String, Category>,
    customers: HashMap<String, Customer>,
    emails: HashMap<String, String>,
    carts: HashMap<String, StoredCart>,
    stock: BTreeMap<(String, String), StockLevel>,
    reservations: HashMap<String, Reservation>,
    movements: Vec<Movement>,
    orders: HashMap<String, Order>,
    order_by_cart: HashMap<String, String>,
    intents: HashMap<String, PaymentIntent>,
    gateway_events: HashSet<String>,
    outbox: Vec<OutboxEntry>,
    /// Each event's place in `outbox`.
    outbox_ids: HashMap<String, usize>,
    idempotency: HashMap<(String, String), IdempotencyEntry>,
    config: ShopConfig,
    /// Promotion uses by (promotion, counter scope).
    promotion_uses: HashMap<(String, String), u64>,
    /// Deliveries by (event, destination).
    deliveries: BTreeMap<(String, String), Delivery>,
    webhook_endpoints: BTreeMap<String, WebhookEndpoint>,
    /// Leases by name: holder and expiry.
    leases: HashMap<String, (String, Timestamp)>,
}

#[derive(Debug)]
struct OutboxEntry {
    event: DomainEvent,
    delivered: bool,
    lease_until: Timestamp,
    attempts: u32,
}

#[derive(Debug)]
struct IdempotencyEntry {
    fingerprint: String,
    response: Option<String>,
    started_at: Timestamp,
}

impl super::Store for MemoryStore {}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every method checks before it changes, so a panic cannot leave half a change behind.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The first `limit` (at least 1) items and, if more follow, the cursor of the last one.
fn page<'a, T: Clone + 'a>(
    mut items: impl Iterator<Item = &'a T>,
    limit: usize,
    cursor: impl Fn(&T) -> String,
) -> Page<T> {
    let limit = limit.max(1);
    let taken: Vec<T> = items.by_ref().take(limit).cloned().collect();
    let next_cursor = if items.next().is_some() {
        taken.last().map(cursor)
    } else {
        None
    };
    Page {
        items: taken,
        next_cursor,
    }
}
