//! Delivering the outbox: at least once, in order per claim, with backoff on failure.

use async_trait::async_trait;

use crate::error::Result;
use crate::events::DomainEvent;
use crate::store::OutboxStore;
use crate::time::Timestamp;

/// Where events go: a message broker, a webhook, an in-process channel. Consumers must
/// deduplicate by [`DomainEvent::id`]: delivery is at least once.
#[async_trait]
pub trait EventPublisher: Send + Sync {
    /// Publishes one event; an error leaves it for a later retry.
    ///
    /// # Errors
    ///
    /// Whatever the destination reports.
    async fn publish(&self, event: &DomainEvent) -> Result<()>;
}

/// How long a claimed batch is leased before another relay may take it: 30 seconds.
pub const LEASE_MILLIS: i64 = 30_000;

/// The backoff after a failed delivery: 1 s, doubling per attempt, at most one hour.
pub fn backoff_millis(attempts: u32) -> i64 {
    let exponent = attempts.saturating_sub(1).min(12);
    (1_000i64 << exponent).min(3_600_000)
}

/// What one relay pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RelayReport {
    /// Events published and acknowledged.
    pub delivered: usize,
    /// Events whose publication failed; they come back after their backoff.
    pub failed: usize,
}

/// Claims up to `batch` events and publishes them in order; delivered ones are acknowledged,
/// failed ones wait for their backoff. Several relays (processes) can run at once: a claimed
/// batch is leased to one of them.
///
/// # Errors
///
/// Storage errors only; a failing publisher is reported in [`RelayReport::failed`].
pub async fn relay_once(
    store: &dyn OutboxStore,
    publisher: &dyn EventPublisher,
    batch: usize,
    now: Timestamp,
) -> Result<RelayReport> {
    let claimed = store
        .claim_events(batch, now.plus_millis(LEASE_MILLIS), now)
        .await?;
    let mut delivered = Vec::new();
    let mut report = RelayReport::default();
    for claim in claimed {
        match publisher.publish(&claim.event).await {
            Ok(()) => delivered.push(claim.event.id),
            Err(_) => {
                report.failed += 1;
                store
                    .retry_events(
                        &[claim.event.id],
                        now.plus_millis(backoff_millis(claim.attempts)),
                    )
                    .await?;
            }
        }
    }
    report.delivered = delivered.len();
    store.ack_events(&delivered).await?;
    Ok(report)
}
