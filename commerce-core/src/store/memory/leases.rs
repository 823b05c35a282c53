//! Leases in memory.

use async_trait::async_trait;

use super::MemoryStore;
use crate::error::Result;
use crate::store::LeaseStore;
use crate::time::Timestamp;

#[async_trait]
impl LeaseStore for MemoryStore {
    async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        until: Timestamp,
        now: Timestamp,
    ) -> Result<bool> {
        let mut state = self.lock();
        let free = match state.leases.get(name) {
            None => true,
            Some((held_by, expires)) => held_by == holder || *expires <= now,
        };
        if free {
            state
                .leases
                .insert(name.to_string(), (holder.to_string(), until));
        }
        Ok(free)
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        let mut state = self.lock();
        if state.leases.get(name).is_some_and(|(h, _)| h == holder) {
            state.leases.remove(name);
        }
        Ok(())
    }
}
