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
