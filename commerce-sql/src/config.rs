//! The shop settings on SQL: one document, compare-and-set on its version.
//!
//! Stamped for each backend by `impl_store!` (`stamp.rs`), inside the block that imports the
//! names it uses; SQL both databases accept as is.

pub(crate) const SELECT_CONFIG: &str = "SELECT version, body FROM commerce_config WHERE id = 1";
pub(crate) const INSERT_CONFIG: &str = "INSERT INTO commerce_config (id, version, body) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING";
pub(crate) const UPDATE_CONFIG: &str =
    "UPDATE commerce_config SET version = $1, body = $2 WHERE id = 1 AND version = $3";

macro_rules! impl_config {
    ($store:ty, $dialect:ident) => {
        #[async_trait]
        impl ConfigStore for $store {
            async fn config(&self) -> Result<ShopConfig> {
                let row = sqlx::query(SELECT_CONFIG)
                    .fetch_optional(&mut *self.reading().await?)
                    .await
                    .map_err(db)?;
                match row {
                    None => Ok(ShopConfig::default()),
                    Some(row) => {
                        let mut config: ShopConfig =
                            from_json(&row.try_get::<String, _>("body").map_err(db)?)?;
                        config.version =
                            u64::try_from(row.try_get::<i64, _>("version").map_err(db)?)
                                .unwrap_or_default();
                        Ok(config)
                    }
                }
            }

            async fn put_config(&self, config: &ShopConfig, expected_version: u64) -> Result<()> {
                let mut stored = config.clone();
                stored.version = expected_version + 1;
                let body = to_json(&stored)?;
                let new_version =
                    i64::try_from(stored.version).map_err(|_| Error::overflow("version"))?;
                let expected =
                    i64::try_from(expected_version).map_err(|_| Error::overflow("version"))?;
                // The settings are part of what a process keeps in memory: their write moves
                // the catalog's version, in the same transaction.
                self.write(move |tx| {
                    let body = body.clone();
                    Box::pin(async move {
                        let written = if expected_version == 0 {
                            sqlx::query(INSERT_CONFIG)
                                .bind(new_version)
                                .bind(&body)
                                .execute(&mut **tx)
                                .await
                        } else {
                            sqlx::query(UPDATE_CONFIG)
                                .bind(new_version)
                                .bind(&body)
                                .bind(expected)
                                .execute(&mut **tx)
                                .await
                        }
                        .map_err($dialect::failure)?;
                        if written.rows_affected() != 1 {
                            return Err(Failure::Error(Error::conflict("config", "shop")));
                        }
                        sqlx::query(crate::catalog::BUMP_CATALOG_VERSION)
                            .execute(&mut **tx)
                            .await
                            .map_err($dialect::failure)?;
                        Ok(())
                    })
                })
                .await
            }
        }
    };
}

pub(crate) use impl_config;
