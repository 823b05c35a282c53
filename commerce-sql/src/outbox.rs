//! The outbox on SQL.
//!
//! Stamped for each backend by `impl_store!` (`stamp.rs`), inside the block that imports the
//! names it uses; SQL both databases accept as is.

pub(crate) const INSERT_EVENT: &str = "INSERT INTO commerce_outbox (id, kind, aggregate_id, occurred_at, data) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING";
pub(crate) const ACK_EVENT: &str = "UPDATE commerce_outbox SET delivered = TRUE WHERE id = $1";

macro_rules! impl_outbox {
    ($store:ty, $dialect:ident) => {
        #[async_trait]
        impl OutboxStore for $store {
            async fn claim_events(
                &self,
                limit: usize,
                lease_until: Timestamp,
                now: Timestamp,
            ) -> Result<Vec<ClaimedEvent>> {
                let limit = i64::try_from(limit).unwrap_or(i64::MAX);
                self.write(move |tx| {
                    Box::pin(async move {
                        let rows = sqlx::query($dialect::CLAIM_EVENTS)
                            .bind(millis(now))
                            .bind(millis(lease_until))
                            .bind(limit)
                            .fetch_all(&mut **tx)
                            .await
                            .map_err($dialect::failure)?;
                        let mut claimed: Vec<(i64, ClaimedEvent)> = Vec::with_capacity(rows.len());
                        for row in rows {
                            let kind: String = row.try_get("kind").map_err($dialect::failure)?;
                            let kind: EventKind = from_json(&format!("\"{kind}\""))?;
                            let data: String = row.try_get("data").map_err($dialect::failure)?;
                            let attempts: i64 =
                                row.try_get("attempts").map_err($dialect::failure)?;
                            claimed.push((
                                row.try_get("seq").map_err($dialect::failure)?,
                                ClaimedEvent {
                                    event: DomainEvent {
                                        id: row.try_get("id").map_err($dialect::failure)?,
                                        kind,
                                        aggregate_id: row
                                            .try_get("aggregate_id")
                                            .map_err($dialect::failure)?,
                                        occurred_at: instant(
                                            row.try_get("occurred_at")
                                                .map_err($dialect::failure)?,
                                        ),
                                        data: from_json(&data)?,
                                    },
                                    attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                                    sequence: 0,
                                },
                            ));
                        }
                        claimed.sort_by_key(|(seq, _)| *seq);
                        Ok(claimed
                            .into_iter()
                            .map(|(seq, e)| ClaimedEvent {
                                sequence: u64::try_from(seq).unwrap_or_default(),
                                ..e
                            })
                            .collect())
                    })
                })
                .await
            }

            async fn ack_events(&self, ids: &[String]) -> Result<()> {
                let ids = ids.to_vec();
                self.write(move |tx| {
                    let ids = ids.clone();
                    Box::pin(async move {
                        for id in &ids {
                            sqlx::query(ACK_EVENT)
                                .bind(id)
                                .execute(&mut **tx)
                                .await
                                .map_err($dialect::failure)?;
                        }
                        Ok(())
                    })
                })
                .await
            }
        }
    };
}

pub(crate) use impl_outbox;
