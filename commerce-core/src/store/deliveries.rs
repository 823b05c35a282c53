//! Deliveries' storage (see [`crate::delivery`]): one row per event and destination.

use async_trait::async_trait;

use super::Page;
use crate::delivery::{Delivery, DeliveryFilter, DeliveryStats, DeliveryStatus};
use crate::error::Result;
use crate::events::DomainEvent;
use crate::time::Timestamp;

/// A delivery claimed for an attempt, with its event.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedDelivery {
    /// The delivery, its attempt in flight counted.
    pub delivery: Delivery,
    /// The event to send.
    pub event: DomainEvent,
}

/// A change to a delivery, written only if the stored delivery is still as the changer read
/// it: in `expected_status`, with `expected_attempts` attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryUpdate {
    /// The delivery as it is to be stored.
    pub delivery: Delivery,
    /// The status it must still have.
    pub expected_status: DeliveryStatus,
    /// The attempts it must still have.
    pub expected_attempts: u32,
}

/// Deliveries of events to their destinations.
#[async_trait]
pub trait DeliveryStore: Send + Sync {
    /// Writes new deliveries (one that exists already, for the same event and destination,
    /// is left as it is) and marks the outbox events `routed` as routed, in one transaction:
    /// an event is routed once, however often routing is retried.
    async fn route_events(&self, deliveries: &[Delivery], routed: &[String]) -> Result<()>;

    /// Claims up to `limit` pending deliveries due at `now`, each the earliest pending
    /// delivery of its stream to its destination, in outbox order: counts an attempt on each
    /// and makes it due again only at `lease_until` (so that no other worker claims it while
    /// it is sent, and a worker that stops loses only its lease).
    async fn claim_deliveries(
        &self,
        limit: usize,
        lease_until: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<ClaimedDelivery>>;

    /// Writes each update whose delivery is still in its expected status with its expected
    /// attempts (a settled attempt that another worker has since claimed again is not
    /// written); returns how many were written.
    async fn update_deliveries(&self, updates: &[DeliveryUpdate]) -> Result<usize>;

    /// A delivery.
    async fn delivery(&self, event_id: &str, destination: &str) -> Result<Option<Delivery>>;

    /// Deliveries that match `filter`, newest event first, then by destination, after the
    /// cursor `after` (a `next_cursor`).
    async fn deliveries(
        &self,
        filter: &DeliveryFilter,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<Delivery>>;

    /// The outbox's backlog and the deliveries' counts.
    async fn delivery_stats(&self) -> Result<DeliveryStats>;
}

/// A delivery listing's cursor: the sequence and destination of the last one shown.
pub fn delivery_cursor(delivery: &Delivery) -> String {
    format!("{}:{}", delivery.sequence, delivery.destination)
}

/// The sequence and destination a cursor names, if it is one.
pub fn parse_delivery_cursor(cursor: &str) -> Option<(u64, &str)> {
    let (sequence, destination) = cursor.split_once(':')?;
    Some((sequence.parse().ok()?, destination))
}
