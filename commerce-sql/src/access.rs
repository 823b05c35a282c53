//! Credentials on SQL: admin API keys, password hashes and sessions.
//!
//! Stamped for each backend by `impl_store!` (`stamp.rs`), inside the block that imports the
//! names it uses; SQL both databases accept as is.

pub(crate) const INSERT_API_KEY: &str = "INSERT INTO commerce_api_keys (id, name, secret_hash, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING";
pub(crate) const SELECT_API_KEY: &str =
    "SELECT id, name, secret_hash, created_at, revoked_at FROM commerce_api_keys WHERE id = $1";
pub(crate) const SELECT_API_KEYS: &str =
    "SELECT id, name, secret_hash, created_at, revoked_at FROM commerce_api_keys ORDER BY id";
pub(crate) const REVOKE_API_KEY: &str =
    "UPDATE commerce_api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1";
pub(crate) const INSERT_CUSTOMER: &str = "INSERT INTO commerce_customers (id, email_key, body, version) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING";
pub(crate) const INSERT_CREDENTIAL: &str =
    "INSERT INTO commerce_credentials (customer_id, password_hash) VALUES ($1, $2)";
pub(crate) const SELECT_CREDENTIAL: &str =
    "SELECT password_hash FROM commerce_credentials WHERE customer_id = $1";
pub(crate) const UPDATE_CREDENTIAL: &str =
    "UPDATE commerce_credentials SET password_hash = $2 WHERE customer_id = $1";
pub(crate) const INSERT_SESSION: &str = "INSERT INTO commerce_sessions (id, customer_id, secret_hash, created_at, expires_at, revoked_at) \
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING";
pub(crate) const SELECT_SESSION: &str = "SELECT id, customer_id, secret_hash, created_at, expires_at, revoked_at FROM commerce_sessions WHERE id = $1";
pub(crate) const REVOKE_SESSION: &str =
    "UPDATE commerce_sessions SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1";
pub(crate) const REVOKE_SESSIONS_OF: &str = "UPDATE commerce_sessions SET revoked_at = $2 \
     WHERE customer_id = $1 AND revoked_at IS NULL AND expires_at > $2";
pub(crate) const PURGE_SESSIONS: &str =
    "DELETE FROM commerce_sessions WHERE expires_at < $1 OR revoked_at < $1";

macro_rules! impl_access {
    ($store:ty, $dialect:ident) => {
        fn api_key_row(row: &<$dialect::Db as sqlx::Database>::Row) -> Result<ApiKey> {
            Ok(ApiKey {
                id: row.try_get("id").map_err(db)?,
                name: row.try_get("name").map_err(db)?,
                secret_hash: row.try_get("secret_hash").map_err(db)?,
                created_at: instant(row.try_get("created_at").map_err(db)?),
                revoked_at: row
                    .try_get::<Option<i64>, _>("revoked_at")
                    .map_err(db)?
                    .map(instant),
            })
        }

        #[async_trait]
        impl AccessStore for $store {
            async fn put_api_key(&self, key: &ApiKey) -> Result<()> {
                let inserted = sqlx::query(INSERT_API_KEY)
                    .bind(&key.id)
                    .bind(&key.name)
                    .bind(&key.secret_hash)
                    .bind(millis(key.created_at))
                    .bind(key.revoked_at.map(millis))
                    .execute(&mut *self.writing().await?)
                    .await
                    .map_err(db)?;
                if inserted.rows_affected() == 0 {
                    return Err(Error::new(ErrorKind::DuplicateId { id: key.id.clone() }));
                }
                Ok(())
            }

            async fn api_key(&self, id: &str) -> Result<Option<ApiKey>> {
                sqlx::query(SELECT_API_KEY)
                    .bind(id)
                    .fetch_optional(&mut *self.reading().await?)
                    .await
                    .map_err(db)?
                    .as_ref()
                    .map(api_key_row)
                    .transpose()
            }

            async fn api_keys(&self) -> Result<Vec<ApiKey>> {
                sqlx::query(SELECT_API_KEYS)
                    .fetch_all(&mut *self.reading().await?)
                    .await
                    .map_err(db)?
                    .iter()
                    .map(api_key_row)
                    .collect()
            }

            async fn revoke_api_key(&self, id: &str, now: Timestamp) -> Result<()> {
                let updated = sqlx::query(REVOKE_API_KEY)
                    .bind(id)
                    .bind(millis(now))
                    .execute(&mut *self.writing().await?)
                    .await
                    .map_err(db)?;
                if updated.rows_affected() == 0 {
                    return Err(Error::not_found("api_key", id));
                }
                Ok(())
            }

            async fn create_account(&self, customer: &Customer, password_hash: &str) -> Result<()> {
                let email = customer.email.to_lowercase();
                let body = to_json(customer)?;
                let (id, hash) = (customer.id.clone(), password_hash.to_string());
                let version =
                    i64::try_from(customer.version).map_err(|_| Error::overflow("version"))?;
                self.write(move |tx| {
                    let (email, body, id, hash) =
                        (email.clone(), body.clone(), id.clone(), hash.clone());
                    Box::pin(async move {
                        let owner = sqlx::query(SELECT_EMAIL_OWNER)
                            .bind(&email)
                            .fetch_optional(&mut **tx)
                            .await
                            .map_err($dialect::failure)?;
                        if owner.is_some() {
                            return Err(Failure::Error(Error::new(ErrorKind::DuplicateId {
                                id: email,
                            })));
                        }
                        let inserted = sqlx::query(INSERT_CUSTOMER)
                            .bind(&id)
                            .bind(&email)
                            .bind(&body)
                            .bind(version)
                            .execute(&mut **tx)
                            .await;
                        let inserted = match inserted {
                            // A concurrent registration of the same address.
                            Err(err) if $dialect::is_unique_violation(&err) => {
                                return Err(Failure::Error(Error::new(ErrorKind::DuplicateId {
                                    id: email,
                                })));
                            }
                            other => other.map_err($dialect::failure)?,
                        };
                        if inserted.rows_affected() == 0 {
                            return Err(Failure::Error(Error::new(ErrorKind::DuplicateId { id })));
                        }
                        sqlx::query(INSERT_CREDENTIAL)
                            .bind(&id)
                            .bind(&hash)
                            .execute(&mut **tx)
                            .await
                            .map_err($dialect::failure)?;
                        Ok(())
                    })
                })
                .await
            }

            async fn password_hash(&self, customer_id: &str) -> Result<Option<String>> {
                sqlx::query(SELECT_CREDENTIAL)
                    .bind(customer_id)
                    .fetch_optional(&mut *self.reading().await?)
                    .await
                    .map_err(db)?
                    .map(|row| row.try_get::<String, _>("password_hash").map_err(db))
                    .transpose()
            }

            async fn set_password_hash(
                &self,
                customer_id: &str,
                password_hash: &str,
            ) -> Result<()> {
                let updated = sqlx::query(UPDATE_CREDENTIAL)
                    .bind(customer_id)
                    .bind(password_hash)
                    .execute(&mut *self.writing().await?)
                    .await
                    .map_err(db)?;
                if updated.rows_affected() == 0 {
                    return Err(Error::not_found("account", customer_id));
                }
                Ok(())
            }

            async fn put_session(&self, session: &Session) -> Result<()> {
                let inserted = sqlx::query(INSERT_SESSION)
                    .bind(&session.id)
                    .bind(&session.customer_id)
                    .bind(&session.secret_hash)
                    .bind(millis(session.created_at))
                    .bind(millis(session.expires_at))
                    .bind(session.revoked_at.map(millis))
                    .execute(&mut *self.writing().await?)
                    .await
                    .map_err(db)?;
                if inserted.rows_affected() == 0 {
                    return Err(Error::new(ErrorKind::DuplicateId {
                        id: session.id.clone(),
                    }));
                }
                Ok(())
            }

            async fn session(&self, id: &str) -> Result<Option<Session>> {
                let Some(row) = sqlx::query(SELECT_SESSION)
                    .bind(id)
                    .fetch_optional(&mut *self.reading().await?)
                    .await
                    .map_err(db)?
                else {
                    return Ok(None);
                };
                Ok(Some(Session {
                    id: row.try_get("id").map_err(db)?,
                    customer_id: row.try_get("customer_id").map_err(db)?,
                    secret_hash: row.try_get("secret_hash").map_err(db)?,
                    created_at: instant(row.try_get("created_at").map_err(db)?),
                    expires_at: instant(row.try_get("expires_at").map_err(db)?),
                    revoked_at: row
                        .try_get::<Option<i64>, _>("revoked_at")
                        .map_err(db)?
                        .map(instant),
                }))
            }

            async fn revoke_session(&self, id: &str, now: Timestamp) -> Result<()> {
                sqlx::query(REVOKE_SESSION)
                    .bind(id)
                    .bind(millis(now))
                    .execute(&mut *self.writing().await?)
                    .await
                    .map_err(db)?;
                Ok(())
            }

            async fn revoke_sessions_of(&self, customer_id: &str, now: Timestamp) -> Result<u64> {
                Ok(sqlx::query(REVOKE_SESSIONS_OF)
                    .bind(customer_id)
                    .bind(millis(now))
                    .execute(&mut *self.writing().await?)
                    .await
                    .map_err(db)?
                    .rows_affected())
            }

            async fn purge_sessions(&self, before: Timestamp) -> Result<u64> {
                Ok(sqlx::query(PURGE_SESSIONS)
                    .bind(millis(before))
                    .execute(&mut *self.writing().await?)
                    .await
                    .map_err(db)?
                    .rows_affected())
            }
        }
    };
}

pub(crate) use impl_access;
