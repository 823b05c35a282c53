//! Maintenance: what runs on a schedule rather than on a request.

use crate::error::Result;

use super::Commerce;

impl Commerce {
    /// Releases every reservation past its expiry, deletes idempotency keys older than the
    /// retention and sessions that ended; returns how many reservations it released. Reserving
    /// already treats expired holds as released, so the sweep only keeps stock figures tidy.
    ///
    /// # Errors
    ///
    /// Storage errors only.
    pub async fn sweep(&self) -> Result<u64> {
        let now = self.now();
        let released = self.store.expire_reservations(now).await?;
        self.store
            .purge_idempotency(now.plus_millis(-self.idempotency_retention_millis))
            .await?;
        self.store.purge_sessions(now).await?;
        Ok(released)
    }
}
