//! Leases on SQL: a row per lease, taken by a guarded upsert.
//!
//! Stamped for each backend by `impl_store!` (`stamp.rs`), inside the block that imports the
//! names it uses; SQL both databases accept as is.

/// Takes `$1` for `$2` until `$3` if it is free at `$4` (absent, run out, or `$2`'s).
pub(crate) const TAKE_LEASE: &str = "INSERT INTO commerce_leases (name, holder, expires_at) VALUES ($1, $2, $3) \
     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
     WHERE commerce_leases.holder = excluded.holder OR commerce_leases.expires_at <= $4";
pub(crate) const RELEASE_LEASE: &str =
    "DELETE FROM commerce_leases WHERE name = $1 AND holder = $2";

macro_rules! impl_leases {
    ($store:ty, $dialect:ident) => {
        #[async_trait]
        impl LeaseStore for $store {
            async fn take_lease(
                &self,
                name: &str,
                holder: &str,
                until: Timestamp,
                now: Timestamp,
            ) -> Result<bool> {
                let done = sqlx::query(TAKE_LEASE)
                    .bind(name)
                    .bind(holder)
                    .bind(millis(until))
                    .bind(millis(now))
                    .execute(&mut *self.writing().await?)
                    .await
                    .map_err(db)?;
                Ok(done.rows_affected() == 1)
            }

            async fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
                sqlx::query(RELEASE_LEASE)
                    .bind(name)
                    .bind(holder)
                    .execute(&mut *self.writing().await?)
                    .await
                    .map_err(db)?;
                Ok(())
            }
        }
    };
}

pub(crate) use impl_leases;
