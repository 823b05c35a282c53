//! Webhook endpoints on SQL: one document each, compare-and-set on its version.
//!
//! Stamped for each backend by `impl_store!` (`stamp.rs`), inside the block that imports the
//! names it uses; SQL both databases accept as is.

pub(crate) const INSERT_ENDPOINT: &str = "INSERT INTO commerce_webhook_endpoints (id, version, body) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING";
pub(crate) const UPDATE_ENDPOINT: &str =
    "UPDATE commerce_webhook_endpoints SET version = $2, body = $3 WHERE id = $1 AND version = $4";
pub(crate) const SELECT_ENDPOINT: &str =
    "SELECT body FROM commerce_webhook_endpoints WHERE id = $1";
pub(crate) const SELECT_ENDPOINTS: &str = "SELECT body FROM commerce_webhook_endpoints ORDER BY id";
pub(crate) const DELETE_ENDPOINT: &str = "DELETE FROM commerce_webhook_endpoints WHERE id = $1";

macro_rules! impl_webhooks {
    ($store:ty, $dialect:ident) => {
        #[async_trait]
        impl WebhookStore for $store {
            async fn put_webhook_endpoint(
                &self,
                endpoint: &WebhookEndpoint,
                expected_version: u64,
            ) -> Result<()> {
                let body = to_json(endpoint)?;
                let version =
                    i64::try_from(endpoint.version).map_err(|_| Error::overflow("version"))?;
                let expected =
                    i64::try_from(expected_version).map_err(|_| Error::overflow("version"))?;
                let written = if expected == 0 {
                    sqlx::query(INSERT_ENDPOINT)
                        .bind(&endpoint.id)
                        .bind(version)
                        .bind(&body)
                        .execute(&mut *self.writing().await?)
                        .await
                } else {
                    sqlx::query(UPDATE_ENDPOINT)
                        .bind(&endpoint.id)
                        .bind(version)
                        .bind(&body)
                        .bind(expected)
                        .execute(&mut *self.writing().await?)
                        .await
                }
                .map_err(db)?;
                if written.rows_affected() == 1 {
                    Ok(())
                } else {
                    Err(Error::conflict("webhook_endpoint", &endpoint.id))
                }
            }

            async fn webhook_endpoint(&self, id: &str) -> Result<Option<WebhookEndpoint>> {
                self.fetch_body(SELECT_ENDPOINT, id)
                    .await?
                    .map(|b| from_json(&b))
                    .transpose()
            }

            async fn webhook_endpoints(&self) -> Result<Vec<WebhookEndpoint>> {
                let rows = sqlx::query(SELECT_ENDPOINTS)
                    .fetch_all(&mut *self.reading().await?)
                    .await
                    .map_err(db)?;
                rows.iter()
                    .map(|row| from_json(&row.try_get::<String, _>("body").map_err(db)?))
                    .collect()
            }

            async fn remove_webhook_endpoint(&self, id: &str) -> Result<bool> {
                let done = sqlx::query(DELETE_ENDPOINT)
                    .bind(id)
                    .execute(&mut *self.writing().await?)
                    .await
                    .map_err(db)?;
                Ok(done.rows_affected() > 0)
            }
        }
    };
}

pub(crate) use impl_webhooks;
