//! The outbox's storage.

use async_trait::async_trait;

use crate::error::Result;
use crate::events::DomainEvent;
use crate::time::Timestamp;

/// An event claimed from the outbox, with how many times it has been claimed (this one
/// included), for backoff.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedEvent {
    /// The event.
    pub event: DomainEvent,
    /// How many times it has been claimed, this time included.
    pub attempts: u32,
    /// Its place in the outbox: events written later have greater sequences, and one
    /// order's events are in the order they happened.
    pub sequence: u64,
}

/// The transactional outbox: events written by [`OrderStore::apply`], routed to their
/// destinations once each (see [`crate::delivery`]).
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Claims up to `limit` undelivered events whose lease has run out, in the order they were
    /// written, and leases them until `lease_until`. An event whose transaction committed late
    /// is still claimed: claiming looks at delivery state, never at a high-water mark.
    async fn claim_events(
        &self,
        limit: usize,
        lease_until: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<ClaimedEvent>>;
    /// Marks events delivered (routed), without deliveries: for a host that relays the outbox
    /// itself. The worker routes events with [`DeliveryStore::route_events`] instead.
    ///
    /// [`DeliveryStore::route_events`]: super::DeliveryStore::route_events
    async fn ack_events(&self, ids: &[String]) -> Result<()>;
}
