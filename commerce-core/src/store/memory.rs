//! An in-memory store: every trait, safe under concurrent use, std only.
//!
//! One mutex guards the whole state, so every method is atomic; [`OrderStore::apply`] checks
//! every precondition before changing anything, so a unit of work is all or nothing. For tests,
//! examples and small embedded uses; nothing survives the process.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use super::{
    AccessStore, Applied, CartStore, CatalogStore, Changes, ClaimedEvent, ConfigStore,
    CustomerStore, IDEMPOTENCY_LOCK_MILLIS, IdempotencyBegin, IdempotencyStore, InventoryStore,
    OrderFilter, OrderStore, OutboxStore, Page, ProductFilter,
};

use crate::access::{ApiKey, Session};

use crate::settings::ShopConfig;

use crate::cart::StoredCart;
use crate::catalog::{Category, Product};
use crate::customer::Customer;
use crate::error::{Error, ErrorKind, Result};
use crate::events::{DomainEvent, EventKind};
use crate::inventory::{
    Movement, MovementKind, Reservation, ReservationLine, ReservationRequest, ReservationStatus,
    StockAdjustment, StockLevel,
};
use crate::order::Order;
use crate::payment::PaymentIntent;
use crate::time::Timestamp;

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
    outbox_ids: HashSet<String>,
    idempotency: HashMap<(String, String), IdempotencyEntry>,
    config: ShopConfig,
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

impl State {
    /// The stock level an adjustment would leave, or why it is refused.
    fn check_adjustment(&self, adjustment: &StockAdjustment) -> Result<StockLevel> {
        let key = (adjustment.sku.clone(), adjustment.location.clone());
        let mut level = self.stock.get(&key).cloned().unwrap_or(StockLevel {
            sku: adjustment.sku.clone(),
            location: adjustment.location.clone(),
            on_hand: 0,
            reserved: 0,
            allow_backorder: false,
        });
        let on_hand = level
            .on_hand
            .checked_add(adjustment.delta)
            .ok_or_else(|| Error::overflow("on_hand"))?;
        if let Some(flag) = adjustment.allow_backorder {
            level.allow_backorder = flag;
        }
        if on_hand < 0 || (!level.allow_backorder && on_hand < level.reserved) {
            return Err(Error::new(ErrorKind::InsufficientStock {
                sku: adjustment.sku.clone(),
                requested: -adjustment.delta,
                available: level.available().max(0),
            }));
        }
        level.on_hand = on_hand;
        Ok(level)
    }

    /// Stores the level a checked adjustment leaves, and its ledger entry.
    fn do_adjustment(
        &mut self,
        adjustment: &StockAdjustment,
        level: StockLevel,
        now: Timestamp,
    ) -> StockLevel {
        let key = (adjustment.sku.clone(), adjustment.location.clone());
        self.stock.insert(key, level.clone());
        if adjustment.delta != 0 {
            self.movement(
                &adjustment.sku,
                &adjustment.location,
                MovementKind::Adjustment,
                adjustment.delta,
                now,
                None,
            );
        }
        level
    }

    fn movement(
        &mut self,
        sku: &str,
        location: &str,
        kind: MovementKind,
        quantity: i64,
        at: Timestamp,
        reference: Option<&str>,
    ) {
        self.movements.push(Movement {
            sku: sku.to_string(),
            location: location.to_string(),
            kind,
            quantity,
            at,
            reference: reference.map(str::to_string),
        });
    }

    /// Gives a reservation's units back and marks it `status`.
    fn release(&mut self, id: &str, status: ReservationStatus, now: Timestamp) {
        let Some(reservation) = self.reservations.get_mut(id) else {
            return;
        };
        if reservation.status != ReservationStatus::Active {
            return;
        }
        reservation.status = status;
        let lines = reservation.lines.clone();
        for line in &lines {
            if let Some(level) = self
                .stock
                .get_mut(&(line.sku.clone(), line.location.clone()))
            {
                level.reserved -= line.quantity;
            }
            self.movement(
                &line.sku,
                &line.location,
                MovementKind::Release,
                line.quantity,
                now,
                Some(id),
            );
        }
    }

    /// Ids of active reservations past their expiry that hold any of `skus` at `location`.
    fn expired_holding(&self, skus: &[&str], location: &str, now: Timestamp) -> Vec<String> {
        let mut ids: Vec<String> = self
            .reservations
            .values()
            .filter(|r| r.status == ReservationStatus::Active && r.expires_at <= now)
            .filter(|r| {
                r.lines
                    .iter()
                    .any(|l| l.location == location && skus.contains(&l.sku.as_str()))
            })
            .map(|r| r.id.clone())
            .collect();
        ids.sort();
        ids
    }

    fn check_reserve(
        &self,
        request: &ReservationRequest,
        now: Timestamp,
    ) -> Result<Vec<(String, i64)>> {
        request.validate()?;
        if self.reservations.contains_key(&request.id) {
            return Err(Error::conflict("reservation", request.id.clone()));
        }
        let demand = request.demand();
        let skus: Vec<&str> = demand.iter().map(|(s, _)| s.as_str()).collect();
        let expiring = self.expired_holding(&skus, &request.location, now);
        for (sku, quantity) in &demand {
            let key = (sku.clone(), request.location.clone());
            let level = self.stock.get(&key);
            let freed: i64 = expiring
                .iter()
                .filter_map(|id| self.reservations.get(id))
                .flat_map(|r| r.lines.iter())
                .filter(|l| &l.sku == sku && l.location == request.location)
                .map(|l| l.quantity)
                .sum();
            let available = level.map_or(0, |l| l.available()) + freed;
            let backorder = level.is_some_and(|l| l.allow_backorder);
            if available < *quantity && !backorder {
                return Err(Error::new(ErrorKind::InsufficientStock {
                    sku: sku.clone(),
                    requested: *quantity,
                    available: available.max(0),
                }));
            }
        }
        Ok(demand)
    }

    fn do_reserve(
        &mut self,
        request: &ReservationRequest,
        demand: Vec<(String, i64)>,
        now: Timestamp,
    ) -> Vec<DomainEvent> {
        let skus: Vec<&str> = demand.iter().map(|(s, _)| s.as_str()).collect();
        for id in self.expired_holding(&skus, &request.location, now) {
            self.release(&id, ReservationStatus::Expired, now);
        }
        let threshold = self.config.low_stock_threshold;
        let mut events = Vec::new();
        let mut lines = Vec::with_capacity(demand.len());
        for (sku, quantity) in demand {
            let key = (sku.clone(), request.location.clone());
            let level = self.stock.entry(key).or_insert_with(|| StockLevel {
                sku: sku.clone(),
                location: request.location.clone(),
                on_hand: 0,
                reserved: 0,
                allow_backorder: false,
            });
            level.reserved += quantity;
            let available = level.available();
            if available <= threshold {
                events.push(DomainEvent::new(
                    EventKind::StockLow,
                    &sku,
                    &request.id,
                    now,
                    serde_json::json!({"location": request.location, "available": available}),
                ));
            }
            self.movement(
                &sku,
                &request.location,
                MovementKind::Reservation,
                quantity,
                now,
                Some(&request.id),
            );
            lines.push(ReservationLine {
                sku,
                location: request.location.clone(),
                quantity,
            });
        }
        self.reservations.insert(
            request.id.clone(),
            Reservation {
                id: request.id.clone(),
                lines,
                status: ReservationStatus::Active,
                created_at: now,
                expires_at: request.expires_at,
                reference: request.reference.clone(),
            },
        );
        events
    }

    fn push_event(&mut self, event: DomainEvent) {
        if self.outbox_ids.insert(event.id.clone()) {
            self.outbox.push(OutboxEntry {
                event,
                delivered: false,
                lease_until: Timestamp::EPOCH,
                attempts: 0,
            });
        }
    }
}

#[async_trait]
impl CatalogStore for MemoryStore {
    async fn put_product(&self, product: &Product) -> Result<()> {
        let mut state = self.lock();
        for variant in &product.variants {
            if let Some(owner) = state.sku_owner.get(&variant.sku) {
                if *owner != product.id {
                    return Err(Error::new(ErrorKind::DuplicateId {
                        id: variant.sku.clone(),
                    }));
                }
            }
        }
        if let Some(old) = state.products.remove(&product.id) {
            for variant in &old.variants {
                state.sku_owner.remove(&variant.sku);
            }
        }
        for variant in &product.variants {
            state
                .sku_owner
                .insert(variant.sku.clone(), product.id.clone());
        }
        state.products.insert(product.id.clone(), product.clone());
        Ok(())
    }

    async fn product(&self, id: &str) -> Result<Option<Product>> {
        Ok(self.lock().products.get(id).cloned())
    }

    async fn product_by_sku(&self, sku: &str) -> Result<Option<Product>> {
        let state = self.lock();
        Ok(state
            .sku_owner
            .get(sku)
            .and_then(|id| state.products.get(id))
            .cloned())
    }

    async fn products(
        &self,
        filter: &ProductFilter,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<Product>> {
        let state = self.lock();
        let range = match after {
            Some(after) => state
                .products
                .range::<str, _>((std::ops::Bound::Excluded(after), std::ops::Bound::Unbounded)),
            None => state.products.range::<str, _>(..),
        };
        let matching = range.map(|(_, p)| p).filter(|p| filter.matches(p));
        Ok(page(matching, limit, |p| p.id.clone()))
    }

    async fn put_category(&self, category: &Category) -> Result<()> {
        self.lock()
            .categories
            .insert(category.id.clone(), category.clone());
        Ok(())
    }

    async fn categories(&self) -> Result<Vec<Category>> {
        Ok(self.lock().categories.values().cloned().collect())
    }

    async fn category(&self, id: &str) -> Result<Option<Category>> {
        Ok(self.lock().categories.get(id).cloned())
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

#[async_trait]
impl CustomerStore for MemoryStore {
    async fn put_customer(&self, customer: &Customer) -> Result<()> {
        let mut state = self.lock();
        let email = customer.email.to_lowercase();
        if let Some(owner) = state.emails.get(&email) {
            if *owner != customer.id {
                return Err(Error::new(ErrorKind::DuplicateId { id: email }));
            }
        }
        if let Some(old) = state.customers.get(&customer.id) {
            let old_email = old.email.to_lowercase();
            state.emails.remove(&old_email);
        }
        state.emails.insert(email, customer.id.clone());
        state
            .customers
            .insert(customer.id.clone(), customer.clone());
        Ok(())
    }

    async fn customer(&self, id: &str) -> Result<Option<Customer>> {
        Ok(self.lock().customers.get(id).cloned())
    }

    async fn customer_by_email(&self, email: &str) -> Result<Option<Customer>> {
        let state = self.lock();
        Ok(state
            .emails
            .get(&email.to_lowercase())
            .and_then(|id| state.customers.get(id))
            .cloned())
    }
}

#[async_trait]
impl CartStore for MemoryStore {
    async fn put_cart(&self, cart: &StoredCart, expected_version: Option<u64>) -> Result<()> {
        let mut state = self.lock();
        let current = state.carts.get(&cart.id).map(|c| c.version);
        let frozen = state.order_by_cart.contains_key(&cart.id);
        if current != expected_version || (expected_version.is_some() && frozen) {
            return Err(Error::conflict("cart", cart.id.clone()));
        }
        state.carts.insert(cart.id.clone(), cart.clone());
        Ok(())
    }

    async fn cart(&self, id: &str) -> Result<Option<StoredCart>> {
        Ok(self.lock().carts.get(id).cloned())
    }
}

#[async_trait]
impl InventoryStore for MemoryStore {
    async fn adjust_stock(
        &self,
        sku: &str,
        location: &str,
        delta: i64,
        allow_backorder: Option<bool>,
        now: Timestamp,
    ) -> Result<StockLevel> {
        let mut state = self.lock();
        let adjustment = StockAdjustment {
            sku: sku.to_string(),
            location: location.to_string(),
            delta,
            allow_backorder,
        };
        let level = state.check_adjustment(&adjustment)?;
        Ok(state.do_adjustment(&adjustment, level, now))
    }

    async fn stock(&self, sku: &str) -> Result<Vec<StockLevel>> {
        Ok(self
            .lock()
            .stock
            .values()
            .filter(|l| l.sku == sku)
            .cloned()
            .collect())
    }

    async fn reservation(&self, id: &str) -> Result<Option<Reservation>> {
        Ok(self.lock().reservations.get(id).cloned())
    }

    async fn extend_reservation(
        &self,
        id: &str,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<Reservation> {
        let mut state = self.lock();
        let reservation = state
            .reservations
            .get(id)
            .cloned()
            .ok_or_else(|| Error::not_found("reservation", id))?;
        if reservation.status != ReservationStatus::Active {
            return Err(Error::transition(
                "reservation",
                reservation.status.as_str(),
                "active",
            ));
        }
        if reservation.expires_at <= now {
            state.release(id, ReservationStatus::Expired, now);
            return Err(Error::new(ErrorKind::ReservationExpired {
                id: id.to_string(),
            }));
        }
        let stored = state
            .reservations
            .get_mut(id)
            .ok_or_else(|| Error::not_found("reservation", id))?;
        stored.expires_at = expires_at;
        Ok(stored.clone())
    }

    async fn expire_reservations(&self, now: Timestamp) -> Result<u64> {
        let mut state = self.lock();
        let mut expired: Vec<String> = state
            .reservations
            .values()
            .filter(|r| r.status == ReservationStatus::Active && r.expires_at <= now)
            .map(|r| r.id.clone())
            .collect();
        expired.sort();
        for id in &expired {
            state.release(id, ReservationStatus::Expired, now);
        }
        Ok(expired.len() as u64)
    }

    async fn movements(&self, sku: &str) -> Result<Vec<Movement>> {
        Ok(self
            .lock()
            .movements
            .iter()
            .filter(|m| m.sku == sku)
            .cloned()
            .collect())
    }
}

#[async_trait]
impl OrderStore for MemoryStore {
    async fn apply(&self, changes: Changes) -> Result<Applied> {
        let mut state = self.lock();
        let now = changes.now;
        if let Some(event) = &changes.gateway_event_id {
            if state.gateway_events.contains(event) {
                return Ok(Applied::DuplicateGatewayEvent);
            }
        }
        // 1. Check everything.
        let demand = match &changes.reserve {
            Some(request) => Some(state.check_reserve(request, now)?),
            None => None,
        };
        if let Some(id) = &changes.commit_reservation {
            let reservation = state
                .reservations
                .get(id)
                .ok_or_else(|| Error::not_found("reservation", id.clone()))?;
            if reservation.status == ReservationStatus::Expired {
                return Err(Error::new(ErrorKind::ReservationExpired { id: id.clone() }));
            }
            if reservation.status != ReservationStatus::Active {
                return Err(Error::transition(
                    "reservation",
                    reservation.status.as_str(),
                    "committed",
                ));
            }
            if reservation.expires_at <= now {
                // Give the stock back in its own unit; the caller's changes are not applied.
                state.release(id, ReservationStatus::Expired, now);
                return Err(Error::new(ErrorKind::ReservationExpired { id: id.clone() }));
            }
        }
        if let Some(id) = &changes.release_reservation {
            if !state.reservations.contains_key(id)
                && changes.reserve.as_ref().is_none_or(|r| &r.id != id)
            {
                return Err(Error::not_found("reservation", id.clone()));
            }
        }
        for order in &changes.orders {
            let current = state.orders.get(&order.value.id).map(|o| o.version);
            if current != order.expected_version {
                return Err(Error::conflict("order", order.value.id.clone()));
            }
            if order.expected_version.is_none() {
                if let Some(cart) = &order.value.cart_id {
                    if state.order_by_cart.contains_key(cart) {
                        return Err(Error::conflict("order for cart", cart.clone()));
                    }
                }
            }
        }
        for intent in &changes.intents {
            let current = state.intents.get(&intent.value.id).map(|i| i.version);
            if current != intent.expected_version {
                return Err(Error::conflict("payment_intent", intent.value.id.clone()));
            }
            if !intent.value.amounts_are_consistent() {
                return Err(Error::storage(format!(
                    "payment intent `{}` breaks its amount invariants",
                    intent.value.id
                )));
            }
        }
        // Restocking comes first in the unit, so an adjustment is judged after it.
        let adjusted = match &changes.adjustment {
            Some(adjustment) if changes.restock.is_empty() => {
                Some(state.check_adjustment(adjustment)?)
            }
            Some(_) => {
                return Err(Error::invalid(
                    "a unit of work adjusts stock or restocks it, not both",
                ));
            }
            None => None,
        };
        // 2. Change everything.
        let mut events = Vec::new();
        if let (Some(request), Some(demand)) = (&changes.reserve, demand) {
            events = state.do_reserve(request, demand, now);
        }
        if let Some(id) = &changes.commit_reservation {
            let lines = state.reservations[id].lines.clone();
            for line in &lines {
                if let Some(level) = state
                    .stock
                    .get_mut(&(line.sku.clone(), line.location.clone()))
                {
                    level.reserved -= line.quantity;
                    level.on_hand -= line.quantity;
                }
                state.movement(
                    &line.sku,
                    &line.location,
                    MovementKind::Sale,
                    line.quantity,
                    now,
                    Some(id),
                );
            }
            if let Some(r) = state.reservations.get_mut(id) {
                r.status = ReservationStatus::Committed;
            }
        }
        if let Some(id) = &changes.release_reservation {
            state.release(id, ReservationStatus::Released, now);
        }
        for (sku, location, quantity) in &changes.restock {
            let level = state
                .stock
                .entry((sku.clone(), location.clone()))
                .or_insert_with(|| StockLevel {
                    sku: sku.clone(),
                    location: location.clone(),
                    on_hand: 0,
                    reserved: 0,
                    allow_backorder: false,
                });
            level.on_hand += quantity;
            state.movement(sku, location, MovementKind::Return, *quantity, now, None);
        }
        if let (Some(adjustment), Some(level)) = (&changes.adjustment, adjusted) {
            state.do_adjustment(adjustment, level, now);
        }
        for order in changes.orders {
            if let Some(cart) = &order.value.cart_id {
                state
                    .order_by_cart
                    .insert(cart.clone(), order.value.id.clone());
            }
            state.orders.insert(order.value.id.clone(), order.value);
        }
        for intent in changes.intents {
            state.intents.insert(intent.value.id.clone(), intent.value);
        }
        if let Some(event) = changes.gateway_event_id {
            state.gateway_events.insert(event);
        }
        for event in changes.events.into_iter().chain(events) {
            state.push_event(event);
        }
        if let Some(done) = changes.idempotency {
            let entry =
                state
                    .idempotency
                    .entry((done.scope, done.key))
                    .or_insert(IdempotencyEntry {
                        fingerprint: String::new(),
                        response: None,
                        started_at: now,
                    });
            entry.response = Some(done.response);
        }
        Ok(Applied::Done)
    }

    async fn order(&self, id: &str) -> Result<Option<Order>> {
        Ok(self.lock().orders.get(id).cloned())
    }

    async fn order_for_cart(&self, cart_id: &str) -> Result<Option<Order>> {
        let state = self.lock();
        Ok(state
            .order_by_cart
            .get(cart_id)
            .and_then(|id| state.orders.get(id))
            .cloned())
    }

    async fn orders(
        &self,
        filter: &OrderFilter,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<Order>> {
        let state = self.lock();
        let mut orders: Vec<&Order> = state
            .orders
            .values()
            .filter(|o| filter.matches(o))
            .collect();
        // Newest first; ids break ties so that the order is total.
        orders.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        // An unknown cursor gives an empty page, as in the SQL stores.
        let start = match after.map(|after| state.orders.get(after)) {
            Some(Some(cursor)) => orders
                .iter()
                .position(|o| (o.created_at, &o.id) < (cursor.created_at, &cursor.id))
                .unwrap_or(orders.len()),
            Some(None) => orders.len(),
            None => 0,
        };
        Ok(page(orders[start..].iter().copied(), limit, |o| {
            o.id.clone()
        }))
    }

    async fn payment_intent(&self, id: &str) -> Result<Option<PaymentIntent>> {
        Ok(self.lock().intents.get(id).cloned())
    }
}

#[async_trait]
impl IdempotencyStore for MemoryStore {
    async fn begin_idempotent(
        &self,
        scope: &str,
        key: &str,
        fingerprint: &str,
        now: Timestamp,
    ) -> Result<IdempotencyBegin> {
        let mut state = self.lock();
        let id = (scope.to_string(), key.to_string());
        match state.idempotency.get_mut(&id) {
            None => {
                state.idempotency.insert(
                    id,
                    IdempotencyEntry {
                        fingerprint: fingerprint.to_string(),
                        response: None,
                        started_at: now,
                    },
                );
                Ok(IdempotencyBegin::Started)
            }
            Some(entry) if entry.fingerprint != fingerprint && !entry.fingerprint.is_empty() => {
                Err(Error::new(ErrorKind::IdempotencyMismatch {
                    key: key.to_string(),
                }))
            }
            Some(entry) => match &entry.response {
                Some(response) => Ok(IdempotencyBegin::Replay(response.clone())),
                None if now.unix_millis() - entry.started_at.unix_millis()
                    < IDEMPOTENCY_LOCK_MILLIS =>
                {
                    Err(Error::new(ErrorKind::IdempotencyInFlight {
                        key: key.to_string(),
                    }))
                }
                None => {
                    entry.started_at = now;
                    entry.fingerprint = fingerprint.to_string();
                    Ok(IdempotencyBegin::Started)
                }
            },
        }
    }

    async fn abandon_idempotent(&self, scope: &str, key: &str) -> Result<()> {
        let mut state = self.lock();
        let id = (scope.to_string(), key.to_string());
        if state
            .idempotency
            .get(&id)
            .is_some_and(|e| e.response.is_none())
        {
            state.idempotency.remove(&id);
        }
        Ok(())
    }

    async fn purge_idempotency(&self, before: Timestamp) -> Result<u64> {
        let mut state = self.lock();
        let count = state.idempotency.len();
        state.idempotency.retain(|_, e| e.started_at >= before);
        Ok((count - state.idempotency.len()) as u64)
    }
}

#[async_trait]
impl OutboxStore for MemoryStore {
    async fn claim_events(
        &self,
        limit: usize,
        lease_until: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<ClaimedEvent>> {
        let mut state = self.lock();
        let mut claimed = Vec::new();
        for entry in state.outbox.iter_mut() {
            if claimed.len() >= limit {
                break;
            }
            if !entry.delivered && entry.lease_until <= now {
                entry.lease_until = lease_until;
                entry.attempts += 1;
                claimed.push(ClaimedEvent {
                    event: entry.event.clone(),
                    attempts: entry.attempts,
                });
            }
        }
        Ok(claimed)
    }

    async fn retry_events(&self, ids: &[String], not_before: Timestamp) -> Result<()> {
        let mut state = self.lock();
        let ids: HashSet<&String> = ids.iter().collect();
        for entry in state.outbox.iter_mut() {
            if ids.contains(&entry.event.id) && !entry.delivered {
                entry.lease_until = not_before;
            }
        }
        Ok(())
    }

    async fn ack_events(&self, ids: &[String]) -> Result<()> {
        let mut state = self.lock();
        let ids: HashSet<&String> = ids.iter().collect();
        for entry in state.outbox.iter_mut() {
            if ids.contains(&entry.event.id) {
                entry.delivered = true;
            }
        }
        Ok(())
    }
}

#[async_trait]
impl AccessStore for MemoryStore {
    async fn put_api_key(&self, key: &ApiKey) -> Result<()> {
        let mut state = self.lock();
        if state.api_keys.contains_key(&key.id) {
            return Err(Error::new(ErrorKind::DuplicateId { id: key.id.clone() }));
        }
        state.api_keys.insert(key.id.clone(), key.clone());
        Ok(())
    }

    async fn api_key(&self, id: &str) -> Result<Option<ApiKey>> {
        Ok(self.lock().api_keys.get(id).cloned())
    }

    async fn api_keys(&self) -> Result<Vec<ApiKey>> {
        Ok(self.lock().api_keys.values().cloned().collect())
    }

    async fn revoke_api_key(&self, id: &str, now: Timestamp) -> Result<()> {
        let mut state = self.lock();
        let key = state
            .api_keys
            .get_mut(id)
            .ok_or_else(|| Error::not_found("api_key", id))?;
        key.revoked_at.get_or_insert(now);
        Ok(())
    }

    async fn create_account(&self, customer: &Customer, password_hash: &str) -> Result<()> {
        let mut state = self.lock();
        let email = customer.email.to_lowercase();
        if state.customers.contains_key(&customer.id) {
            return Err(Error::new(ErrorKind::DuplicateId {
                id: customer.id.clone(),
            }));
        }
        if state.emails.contains_key(&email) {
            return Err(Error::new(ErrorKind::DuplicateId { id: email }));
        }
        state.emails.insert(email, customer.id.clone());
        state
            .customers
            .insert(customer.id.clone(), customer.clone());
        state
            .password_hashes
            .insert(customer.id.clone(), password_hash.to_string());
        Ok(())
    }

    async fn password_hash(&self, customer_id: &str) -> Result<Option<String>> {
        Ok(self.lock().password_hashes.get(customer_id).cloned())
    }

    async fn set_password_hash(&self, customer_id: &str, password_hash: &str) -> Result<()> {
        let mut state = self.lock();
        let hash = state
            .password_hashes
            .get_mut(customer_id)
            .ok_or_else(|| Error::not_found("account", customer_id))?;
        *hash = password_hash.to_string();
        Ok(())
    }

    async fn put_session(&self, session: &Session) -> Result<()> {
        let mut state = self.lock();
        if state.sessions.contains_key(&session.id) {
            return Err(Error::new(ErrorKind::DuplicateId {
                id: session.id.clone(),
            }));
        }
        state.sessions.insert(session.id.clone(), session.clone());
        Ok(())
    }

    async fn session(&self, id: &str) -> Result<Option<Session>> {
        Ok(self.lock().sessions.get(id).cloned())
    }

    async fn revoke_session(&self, id: &str, now: Timestamp) -> Result<()> {
        if let Some(session) = self.lock().sessions.get_mut(id) {
            session.revoked_at.get_or_insert(now);
        }
        Ok(())
    }

    async fn revoke_sessions_of(&self, customer_id: &str, now: Timestamp) -> Result<u64> {
        let mut state = self.lock();
        let mut ended = 0;
        for session in state.sessions.values_mut() {
            if session.customer_id == customer_id && session.is_live(now) {
                session.revoked_at = Some(now);
                ended += 1;
            }
        }
        Ok(ended)
    }

    async fn purge_sessions(&self, before: Timestamp) -> Result<u64> {
        let mut state = self.lock();
        let count = state.sessions.len();
        state
            .sessions
            .retain(|_, s| s.expires_at >= before && s.revoked_at.is_none_or(|r| r >= before));
        Ok((count - state.sessions.len()) as u64)
    }
}

#[async_trait]
impl ConfigStore for MemoryStore {
    async fn config(&self) -> Result<ShopConfig> {
        Ok(self.lock().config.clone())
    }

    async fn put_config(&self, config: &ShopConfig, expected_version: u64) -> Result<()> {
        let mut state = self.lock();
        if state.config.version != expected_version {
            return Err(Error::conflict("config", "shop"));
        }
        let mut config = config.clone();
        config.version = expected_version + 1;
        state.config = config;
        Ok(())
    }
}
