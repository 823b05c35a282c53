//! Orders' and payment intents' storage, and the unit of work.

use async_trait::async_trait;

use super::{IdempotencyCompletion, Page};
use crate::error::Result;
use crate::events::DomainEvent;
use crate::inventory::{ReservationRequest, StockAdjustment};
use crate::order::{Order, OrderStatus, PaymentStatus};
use crate::payment::PaymentIntent;
use crate::time::Timestamp;
use crate::usage::PromotionUse;

/// Which orders a listing returns: every filter that is set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderFilter {
    /// Only this customer's orders.
    pub customer_id: Option<String>,
    /// Only orders with this status.
    pub status: Option<OrderStatus>,
    /// Only orders with this payment status.
    pub payment_status: Option<PaymentStatus>,
    /// Only orders placed before this instant.
    pub placed_before: Option<Timestamp>,
}

impl OrderFilter {
    /// Whether an order passes the filter: the definition every store implements.
    pub fn matches(&self, order: &Order) -> bool {
        self.customer_id
            .as_ref()
            .is_none_or(|c| order.customer_id.as_ref() == Some(c))
            && self.status.is_none_or(|s| s == order.status)
            && self
                .payment_status
                .is_none_or(|s| s == order.payment_status)
            && self.placed_before.is_none_or(|t| order.created_at < t)
    }
}

/// A record to insert (`expected_version` `None`) or to update if its stored version is
/// `expected_version`.
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned<T> {
    /// The new state (with its new version).
    pub value: T,
    /// The version read before the change, or `None` for an insert.
    pub expected_version: Option<u64>,
}

/// One unit of work, applied all or nothing by [`OrderStore::apply`], in this order: stock
/// (reserve, then commit, then release, restock, adjust), orders, payment intents, the gateway event id, the
/// events, the idempotency key.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    /// The instant of the change.
    pub now: Timestamp,
    /// Stock to reserve (all or nothing; expired holds on the same SKUs are released first).
    pub reserve: Option<ReservationRequest>,
    /// A live reservation to turn into a sale.
    pub commit_reservation: Option<String>,
    /// A reservation to release (a no-op if it is no longer active).
    pub release_reservation: Option<String>,
    /// Units to put back on hand: `(sku, location, quantity)` (a cancelled sale, a return).
    pub restock: Vec<(String, String, i64)>,
    /// A change of stock on hand, refused with
    /// [`insufficient_stock`](crate::ErrorKind::InsufficientStock) as
    /// [`InventoryStore::adjust_stock`] refuses it. A unit that restocks cannot also adjust
    /// (`invalid_input`).
    pub adjustment: Option<StockAdjustment>,
    /// Orders to insert or compare-and-set.
    pub orders: Vec<Versioned<Order>>,
    /// Payment intents to insert or compare-and-set.
    pub intents: Vec<Versioned<PaymentIntent>>,
    /// A gateway event id to record; if it was recorded before, nothing is applied and the
    /// result is [`Applied::DuplicateGatewayEvent`].
    pub gateway_event_id: Option<String>,
    /// Uses of limited promotions to take: each counts 1 against its limits, all or nothing
    /// with the unit, refused with
    /// [`promotion_used_up`](crate::ErrorKind::PromotionUsedUp) at a limit.
    pub promotion_uses: Vec<PromotionUse>,
    /// Uses to give back (a cancelled order's); a counter never goes below zero.
    pub promotion_returns: Vec<PromotionUse>,
    /// Events to append to the outbox.
    pub events: Vec<DomainEvent>,
    /// An idempotency key to complete with its response.
    pub idempotency: Option<IdempotencyCompletion>,
}

/// What [`OrderStore::apply`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// Everything was applied.
    Done,
    /// The gateway event had been applied before; nothing was changed.
    DuplicateGatewayEvent,
}

/// Orders and payment intents, and the unit of work.
#[async_trait]
pub trait OrderStore: Send + Sync {
    /// Applies a unit of work, all or nothing.
    ///
    /// # Errors
    ///
    /// [`insufficient_stock`](crate::ErrorKind::InsufficientStock) if the reservation cannot be
    /// covered; [`reservation_expired`](crate::ErrorKind::ReservationExpired) if the reservation
    /// to commit has expired, swept or not (an unswept one is released in its own unit);
    /// [`conflict`](crate::ErrorKind::Conflict) if a version does not match, or an inserted
    /// record exists; [`not_found`](crate::ErrorKind::NotFound) for an unknown reservation.
    /// On any error nothing is changed.
    async fn apply(&self, changes: Changes) -> Result<Applied>;
    /// An order by id.
    async fn order(&self, id: &str) -> Result<Option<Order>>;
    /// The order placed from a cart, if any (at most one per cart).
    async fn order_for_cart(&self, cart_id: &str) -> Result<Option<Order>>;
    /// The orders that pass `filter`, newest first (ties by descending id), after the cursor
    /// `after` (an order id), at most `limit`.
    async fn orders(
        &self,
        filter: &OrderFilter,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<Order>>;
    /// A payment intent by id.
    async fn payment_intent(&self, id: &str) -> Result<Option<PaymentIntent>>;
    /// Up to `limit` payment intents with a pending money move due at or before `now`
    /// ([`PaymentIntent::next_move_due`]), the longest due first (ties by id).
    async fn intents_with_moves_due(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<PaymentIntent>>;
}
