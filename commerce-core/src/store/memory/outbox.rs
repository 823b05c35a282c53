//! The outbox in memory.

use std::collections::HashSet;

use async_trait::async_trait;

use super::{MemoryStore, OutboxEntry, State};
use crate::error::Result;
use crate::events::DomainEvent;
use crate::store::{ClaimedEvent, OutboxStore};
use crate::time::Timestamp;

impl State {
    pub(super) fn push_event(&mut self, event: DomainEvent) {
        if !self.outbox_ids.contains_key(&event.id) {
            self.outbox_ids.insert(event.id.clone(), self.outbox.len());
            self.outbox.push(OutboxEntry {
                event,
                delivered: false,
                lease_until: Timestamp::EPOCH,
                attempts: 0,
            });
        }
    }
}

/// The sequence of the event at `index` in the outbox: its place, from 1.
pub(super) fn sequence_at(index: usize) -> u64 {
    u64::try_from(index).unwrap_or(u64::MAX).saturating_add(1)
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
        for (index, entry) in state.outbox.iter_mut().enumerate() {
            if claimed.len() >= limit {
                break;
            }
            if !entry.delivered && entry.lease_until <= now {
                entry.lease_until = lease_until;
                entry.attempts += 1;
                claimed.push(ClaimedEvent {
                    event: entry.event.clone(),
                    attempts: entry.attempts,
                    sequence: sequence_at(index),
                });
            }
        }
        Ok(claimed)
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
