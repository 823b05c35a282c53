//! Deliveries in memory.

use std::collections::HashSet;

use async_trait::async_trait;

use super::{MemoryStore, page};
use crate::delivery::{Delivery, DeliveryFilter, DeliveryStats, DeliveryStatus};
use crate::error::Result;
use crate::store::{
    ClaimedDelivery, DeliveryStore, DeliveryUpdate, Page, delivery_cursor, parse_delivery_cursor,
};
use crate::time::Timestamp;

#[async_trait]
impl DeliveryStore for MemoryStore {
    async fn route_events(&self, deliveries: &[Delivery], routed: &[String]) -> Result<()> {
        let mut state = self.lock();
        for delivery in deliveries {
            state
                .deliveries
                .entry((delivery.event_id.clone(), delivery.destination.clone()))
                .or_insert_with(|| delivery.clone());
        }
        for id in routed {
            if let Some(&index) = state.outbox_ids.get(id) {
                state.outbox[index].delivered = true;
            }
        }
        Ok(())
    }

    async fn claim_deliveries(
        &self,
        limit: usize,
        lease_until: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<ClaimedDelivery>> {
        let mut state = self.lock();
        let mut pending: Vec<&Delivery> = state
            .deliveries
            .values()
            .filter(|d| d.status == DeliveryStatus::Pending)
            .collect();
        pending.sort_by(|a, b| (a.sequence, &a.destination).cmp(&(b.sequence, &b.destination)));
        // The earliest pending delivery of each stream to each destination is its head.
        let mut seen = HashSet::new();
        let mut due = Vec::new();
        for delivery in pending {
            if seen.insert((delivery.destination.clone(), delivery.stream.clone()))
                && delivery.next_attempt_at <= now
                && due.len() < limit
            {
                due.push((delivery.event_id.clone(), delivery.destination.clone()));
            }
        }
        let mut claimed = Vec::with_capacity(due.len());
        for key in due {
            let Some(delivery) = state.deliveries.get_mut(&key) else {
                continue;
            };
            delivery.attempts += 1;
            delivery.next_attempt_at = lease_until;
            let delivery = delivery.clone();
            let Some(&index) = state.outbox_ids.get(&delivery.event_id) else {
                continue;
            };
            claimed.push(ClaimedDelivery {
                event: state.outbox[index].event.clone(),
                delivery,
            });
        }
        Ok(claimed)
    }

    async fn update_deliveries(&self, updates: &[DeliveryUpdate]) -> Result<usize> {
        let mut state = self.lock();
        let mut written = 0;
        for update in updates {
            let key = (
                update.delivery.event_id.clone(),
                update.delivery.destination.clone(),
            );
            if let Some(stored) = state.deliveries.get_mut(&key)
                && stored.status == update.expected_status
                && stored.attempts == update.expected_attempts
            {
                *stored = update.delivery.clone();
                written += 1;
            }
        }
        Ok(written)
    }

    async fn delivery(&self, event_id: &str, destination: &str) -> Result<Option<Delivery>> {
        Ok(self
            .lock()
            .deliveries
            .get(&(event_id.to_string(), destination.to_string()))
            .cloned())
    }

    async fn deliveries(
        &self,
        filter: &DeliveryFilter,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<Delivery>> {
        let state = self.lock();
        let mut matching: Vec<&Delivery> = state
            .deliveries
            .values()
            .filter(|d| filter.matches(d))
            .collect();
        // Newest event first, then by destination.
        matching.sort_by(|a, b| {
            b.sequence
                .cmp(&a.sequence)
                .then_with(|| a.destination.cmp(&b.destination))
        });
        let after = after.and_then(parse_delivery_cursor);
        let rest = matching.into_iter().filter(|d| match after {
            None => true,
            Some((sequence, destination)) => {
                d.sequence < sequence
                    || (d.sequence == sequence && d.destination.as_str() > destination)
            }
        });
        Ok(page(rest, limit, delivery_cursor))
    }

    async fn delivery_stats(&self) -> Result<DeliveryStats> {
        let state = self.lock();
        let mut stats = DeliveryStats::default();
        let mut oldest: Option<Timestamp> = None;
        let mut older = |at: Timestamp| oldest = Some(oldest.map_or(at, |o| o.min(at)));
        for entry in state.outbox.iter().filter(|e| !e.delivered) {
            stats.unrouted_events += 1;
            older(entry.event.occurred_at);
        }
        let mut counts = std::collections::BTreeMap::new();
        for delivery in state.deliveries.values() {
            counts
                .entry((delivery.destination.clone(), delivery.status.as_str()))
                .or_insert((delivery.status, 0u64))
                .1 += 1;
            if delivery.status == DeliveryStatus::Pending
                && let Some(&index) = state.outbox_ids.get(&delivery.event_id)
            {
                older(state.outbox[index].event.occurred_at);
            }
        }
        stats.oldest_undelivered_at = oldest;
        stats.by_destination = counts
            .into_iter()
            .map(|((destination, _), (status, n))| (destination, status, n))
            .collect();
        Ok(stats)
    }
}
