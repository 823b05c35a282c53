//! Idempotency keys on SQL.
//!
//! Stamped for each backend by `impl_store!` (`stamp.rs`), inside the block that imports the
//! names it uses; SQL both databases accept as is.

pub(crate) const SELECT_IDEMPOTENCY: &str = "SELECT fingerprint, response, started_at FROM commerce_idempotency_keys WHERE scope = $1 AND key = $2";
pub(crate) const INSERT_IDEMPOTENCY: &str = "INSERT INTO commerce_idempotency_keys (scope, key, fingerprint, response, started_at) VALUES ($1, $2, $3, NULL, $4) ON CONFLICT (scope, key) DO NOTHING";
pub(crate) const RESTART_IDEMPOTENCY: &str = "UPDATE commerce_idempotency_keys SET fingerprint = $3, started_at = $4 WHERE scope = $1 AND key = $2 AND response IS NULL";
pub(crate) const COMPLETE_IDEMPOTENCY: &str = "INSERT INTO commerce_idempotency_keys (scope, key, fingerprint, response, started_at) VALUES ($1, $2, '', $3, $4) \
     ON CONFLICT (scope, key) DO UPDATE SET response = excluded.response";
pub(crate) const ABANDON_IDEMPOTENCY: &str =
    "DELETE FROM commerce_idempotency_keys WHERE scope = $1 AND key = $2 AND response IS NULL";
pub(crate) const PURGE_IDEMPOTENCY: &str =
    "DELETE FROM commerce_idempotency_keys WHERE started_at < $1";

macro_rules! impl_idempotency {
    ($store:ty, $dialect:ident) => {
        #[async_trait]
        impl IdempotencyStore for $store {
            async fn begin_idempotent(
                &self,
                scope: &str,
                key: &str,
                fingerprint: &str,
                now: Timestamp,
            ) -> Result<IdempotencyBegin> {
                // The common case, a new key, is one statement, atomic on its own.
                if $dialect::GROUP_COMMIT {
                    use $crate::batch::Bound::{Int, Text};
                    let claim = vec![
                        Text(scope.to_string()),
                        Text(key.to_string()),
                        Text(fingerprint.to_string()),
                        Int(millis(now)),
                    ];
                    if self.one_row_in_group(INSERT_IDEMPOTENCY, claim).await? {
                        return Ok(IdempotencyBegin::Started);
                    }
                }
                let claimed = sqlx::query(INSERT_IDEMPOTENCY)
                    .bind(scope)
                    .bind(key)
                    .bind(fingerprint)
                    .bind(millis(now))
                    .execute(&mut *self.writing().await?)
                    .await
                    .map_err(db)?
                    .rows_affected();
                if claimed == 1 {
                    return Ok(IdempotencyBegin::Started);
                }
                let (scope, key, fingerprint) =
                    (scope.to_string(), key.to_string(), fingerprint.to_string());
                self.write(move |tx| {
                    let (scope, key, fingerprint) =
                        (scope.clone(), key.clone(), fingerprint.clone());
                    Box::pin(async move {
                        let inserted = sqlx::query(INSERT_IDEMPOTENCY)
                            .bind(&scope)
                            .bind(&key)
                            .bind(&fingerprint)
                            .bind(millis(now))
                            .execute(&mut **tx)
                            .await
                            .map_err($dialect::failure)?
                            .rows_affected();
                        if inserted == 1 {
                            return Ok(IdempotencyBegin::Started);
                        }
                        let row = sqlx::query(SELECT_IDEMPOTENCY)
                            .bind(&scope)
                            .bind(&key)
                            .fetch_one(&mut **tx)
                            .await
                            .map_err($dialect::failure)?;
                        let stored: String =
                            row.try_get("fingerprint").map_err($dialect::failure)?;
                        let response: Option<String> =
                            row.try_get("response").map_err($dialect::failure)?;
                        let started: i64 = row.try_get("started_at").map_err($dialect::failure)?;
                        if stored != fingerprint && !stored.is_empty() {
                            return Err(Failure::Error(Error::new(
                                ErrorKind::IdempotencyMismatch { key },
                            )));
                        }
                        match response {
                            Some(response) => Ok(IdempotencyBegin::Replay(response)),
                            None if millis(now) - started < IDEMPOTENCY_LOCK_MILLIS => {
                                Err(Failure::Error(Error::new(ErrorKind::IdempotencyInFlight {
                                    key,
                                    retry_after_millis: IDEMPOTENCY_LOCK_MILLIS
                                        - (millis(now) - started),
                                })))
                            }
                            None => {
                                sqlx::query(RESTART_IDEMPOTENCY)
                                    .bind(&scope)
                                    .bind(&key)
                                    .bind(&fingerprint)
                                    .bind(millis(now))
                                    .execute(&mut **tx)
                                    .await
                                    .map_err($dialect::failure)?;
                                Ok(IdempotencyBegin::Started)
                            }
                        }
                    })
                })
                .await
            }

            async fn abandon_idempotent(&self, scope: &str, key: &str) -> Result<()> {
                sqlx::query(ABANDON_IDEMPOTENCY)
                    .bind(scope)
                    .bind(key)
                    .execute(&mut *self.writing().await?)
                    .await
                    .map_err(db)?;
                Ok(())
            }

            async fn purge_idempotency(&self, before: Timestamp) -> Result<u64> {
                Ok(sqlx::query(PURGE_IDEMPOTENCY)
                    .bind(millis(before))
                    .execute(&mut *self.writing().await?)
                    .await
                    .map_err(db)?
                    .rows_affected())
            }
        }
    };
}

pub(crate) use impl_idempotency;
