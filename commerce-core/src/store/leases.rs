//! Leases: which worker runs a job that must run once at a time, across processes. A lease is
//! a row with a holder and an expiry, taken by a guarded write (no advisory locks, which do not
//! hold on PostgreSQL-compatible distributed databases); a holder that stops loses it when it
//! runs out.

use async_trait::async_trait;

use crate::error::Result;
use crate::time::Timestamp;

/// Named leases.
#[async_trait]
pub trait LeaseStore: Send + Sync {
    /// Takes the lease `name` for `holder` until `until`, if it is free at `now` (never taken,
    /// run out, or `holder`'s already, which extends it): whether it did.
    async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        until: Timestamp,
        now: Timestamp,
    ) -> Result<bool>;
    /// Gives the lease back early, if `holder` has it.
    async fn release_lease(&self, name: &str, holder: &str) -> Result<()>;
}
