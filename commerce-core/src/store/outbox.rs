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
}

/// The transactional outbox: events written by [`OrderStore::apply`], delivered at least once.
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
    /// Marks events delivered.
    async fn ack_events(&self, ids: &[String]) -> Result<()>;
    /// Leaves undelivered events alone until `not_before` (a failed delivery's backoff).
    async fn retry_events(&self, ids: &[String], not_before: Timestamp) -> Result<()>;
}
