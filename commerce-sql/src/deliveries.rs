//! Deliveries on SQL (see [`commerce_core::delivery`]): one row per event and destination.
//!
//! Stamped for each backend by `impl_store!` (`stamp.rs`), inside the block that imports the
//! names it uses; SQL both databases accept as is, but for the claim (`CLAIM_DELIVERIES`,
//! which locks rows on PostgreSQL).

use commerce_core::delivery::DeliveryFilter;

pub(crate) const INSERT_DELIVERY: &str = "INSERT INTO commerce_deliveries (event_id, destination, kind, stream, seq, status, attempts, next_attempt_at, last_error, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (event_id, destination) DO NOTHING";
pub(crate) const MARK_ROUTED: &str = "UPDATE commerce_outbox SET delivered = TRUE WHERE id = $1";
/// Writes a delivery if it is still in status `$8` with `$9` attempts.
pub(crate) const UPDATE_DELIVERY: &str = "UPDATE commerce_deliveries SET status = $3, attempts = $4, next_attempt_at = $5, last_error = $6, updated_at = $7 \
     WHERE event_id = $1 AND destination = $2 AND status = $8 AND attempts = $9";
pub(crate) const DELIVERY_COLUMNS: &str = "event_id, destination, kind, stream, seq, status, attempts, next_attempt_at, last_error, updated_at";
pub(crate) const SELECT_DELIVERY: &str = "SELECT event_id, destination, kind, stream, seq, status, attempts, next_attempt_at, last_error, updated_at \
     FROM commerce_deliveries WHERE event_id = $1 AND destination = $2";
pub(crate) const SELECT_EVENT: &str =
    "SELECT id, kind, aggregate_id, occurred_at, data FROM commerce_outbox WHERE id = $1";
pub(crate) const UNROUTED_STATS: &str =
    "SELECT COUNT(*) AS n, MIN(occurred_at) AS oldest FROM commerce_outbox WHERE NOT delivered";
pub(crate) const PENDING_OLDEST: &str = "SELECT MIN(o.occurred_at) AS oldest FROM commerce_deliveries d \
     JOIN commerce_outbox o ON o.id = d.event_id WHERE d.status = 'pending'";
pub(crate) const DELIVERY_COUNTS: &str = "SELECT destination, status, COUNT(*) AS n FROM commerce_deliveries GROUP BY destination, status";

/// The SQL of a delivery listing, newest event first, then by destination: `$1`, `$2` the
/// cursor's sequence and destination if there is one, then one parameter per filter that is
/// set (status, destination), then the limit.
pub(crate) fn delivery_listing_sql(filter: &DeliveryFilter, after: bool) -> String {
    let mut sql = format!("SELECT {DELIVERY_COLUMNS} FROM commerce_deliveries WHERE TRUE");
    let mut n = 0;
    if after {
        n += 2;
        sql.push_str(" AND (seq < $1 OR (seq = $1 AND destination > $2))");
    }
    if filter.status.is_some() {
        n += 1;
        sql.push_str(&format!(" AND status = ${n}"));
    }
    if filter.destination.is_some() {
        n += 1;
        sql.push_str(&format!(" AND destination = ${n}"));
    }
    sql.push_str(&format!(
        " ORDER BY seq DESC, destination ASC LIMIT ${}",
        n + 1
    ));
    sql
}

macro_rules! impl_deliveries {
    ($store:ty, $dialect:ident) => {
        fn delivery_row(row: &<$dialect::Db as sqlx::Database>::Row) -> Result<Delivery> {
            let kind: String = row.try_get("kind").map_err(db)?;
            let status: String = row.try_get("status").map_err(db)?;
            Ok(Delivery {
                event_id: row.try_get("event_id").map_err(db)?,
                destination: row.try_get("destination").map_err(db)?,
                kind: DestinationKind::parse(&kind)
                    .ok_or_else(|| Error::storage(format!("unknown destination kind `{kind}`")))?,
                stream: row.try_get("stream").map_err(db)?,
                sequence: u64::try_from(row.try_get::<i64, _>("seq").map_err(db)?)
                    .unwrap_or_default(),
                status: DeliveryStatus::parse(&status)
                    .ok_or_else(|| Error::storage(format!("unknown delivery status `{status}`")))?,
                attempts: u32::try_from(row.try_get::<i64, _>("attempts").map_err(db)?)
                    .unwrap_or(u32::MAX),
                next_attempt_at: instant(row.try_get("next_attempt_at").map_err(db)?),
                last_error: row.try_get("last_error").map_err(db)?,
                updated_at: instant(row.try_get("updated_at").map_err(db)?),
            })
        }

        fn event_row(row: &<$dialect::Db as sqlx::Database>::Row) -> Result<DomainEvent> {
            let kind: String = row.try_get("kind").map_err(db)?;
            let data: String = row.try_get("data").map_err(db)?;
            Ok(DomainEvent {
                id: row.try_get("id").map_err(db)?,
                kind: EventKind::parse(&kind)
                    .ok_or_else(|| Error::storage(format!("unknown event kind `{kind}`")))?,
                aggregate_id: row.try_get("aggregate_id").map_err(db)?,
                occurred_at: instant(row.try_get("occurred_at").map_err(db)?),
                data: from_json(&data)?,
            })
        }

        #[async_trait]
        impl DeliveryStore for $store {
            async fn route_events(&self, deliveries: &[Delivery], routed: &[String]) -> Result<()> {
                let deliveries = deliveries.to_vec();
                let routed = routed.to_vec();
                self.write(move |tx| {
                    let (deliveries, routed) = (deliveries.clone(), routed.clone());
                    Box::pin(async move {
                        for d in &deliveries {
                            sqlx::query(INSERT_DELIVERY)
                                .bind(&d.event_id)
                                .bind(&d.destination)
                                .bind(d.kind.as_str())
                                .bind(&d.stream)
                                .bind(i64::try_from(d.sequence).unwrap_or(i64::MAX))
                                .bind(d.status.as_str())
                                .bind(i64::from(d.attempts))
                                .bind(millis(d.next_attempt_at))
                                .bind(d.last_error.as_deref())
                                .bind(millis(d.updated_at))
                                .execute(&mut **tx)
                                .await
                                .map_err($dialect::failure)?;
                        }
                        for id in &routed {
                            sqlx::query(MARK_ROUTED)
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

            async fn claim_deliveries(
                &self,
                limit: usize,
                lease_until: Timestamp,
                now: Timestamp,
            ) -> Result<Vec<ClaimedDelivery>> {
                let limit = i64::try_from(limit).unwrap_or(i64::MAX);
                self.write(move |tx| {
                    Box::pin(async move {
                        let rows = sqlx::query($dialect::CLAIM_DELIVERIES)
                            .bind(millis(now))
                            .bind(millis(lease_until))
                            .bind(limit)
                            .fetch_all(&mut **tx)
                            .await
                            .map_err($dialect::failure)?;
                        let mut claimed = Vec::with_capacity(rows.len());
                        for row in &rows {
                            let delivery = delivery_row(row)?;
                            let event = sqlx::query(SELECT_EVENT)
                                .bind(&delivery.event_id)
                                .fetch_optional(&mut **tx)
                                .await
                                .map_err($dialect::failure)?;
                            let Some(event) = event else {
                                return Err(Failure::Error(Error::storage(format!(
                                    "a delivery of an event the outbox does not hold: `{}`",
                                    delivery.event_id
                                ))));
                            };
                            claimed.push(ClaimedDelivery {
                                event: event_row(&event)?,
                                delivery,
                            });
                        }
                        claimed.sort_by(|a, b| {
                            (a.delivery.sequence, &a.delivery.destination)
                                .cmp(&(b.delivery.sequence, &b.delivery.destination))
                        });
                        Ok(claimed)
                    })
                })
                .await
            }

            async fn update_deliveries(&self, updates: &[DeliveryUpdate]) -> Result<usize> {
                let updates = updates.to_vec();
                self.write(move |tx| {
                    let updates = updates.clone();
                    Box::pin(async move {
                        let mut written = 0;
                        for u in &updates {
                            let d = &u.delivery;
                            let done = sqlx::query(UPDATE_DELIVERY)
                                .bind(&d.event_id)
                                .bind(&d.destination)
                                .bind(d.status.as_str())
                                .bind(i64::from(d.attempts))
                                .bind(millis(d.next_attempt_at))
                                .bind(d.last_error.as_deref())
                                .bind(millis(d.updated_at))
                                .bind(u.expected_status.as_str())
                                .bind(i64::from(u.expected_attempts))
                                .execute(&mut **tx)
                                .await
                                .map_err($dialect::failure)?;
                            written += usize::try_from(done.rows_affected()).unwrap_or(0);
                        }
                        Ok(written)
                    })
                })
                .await
            }

            async fn delivery(
                &self,
                event_id: &str,
                destination: &str,
            ) -> Result<Option<Delivery>> {
                let row = sqlx::query(SELECT_DELIVERY)
                    .bind(event_id)
                    .bind(destination)
                    .fetch_optional(&mut *self.reading().await?)
                    .await
                    .map_err(db)?;
                row.as_ref().map(delivery_row).transpose()
            }

            async fn deliveries(
                &self,
                filter: &DeliveryFilter,
                after: Option<&str>,
                limit: usize,
            ) -> Result<Page<Delivery>> {
                let limit = limit.max(1);
                let after = after.and_then(parse_delivery_cursor);
                let sql = delivery_listing_sql(filter, after.is_some());
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                if let Some((sequence, destination)) = after {
                    query = query
                        .bind(i64::try_from(sequence).unwrap_or(i64::MAX))
                        .bind(destination.to_string());
                }
                if let Some(status) = filter.status {
                    query = query.bind(status.as_str());
                }
                if let Some(destination) = &filter.destination {
                    query = query.bind(destination.clone());
                }
                let rows = query
                    .bind(i64::try_from(limit + 1).unwrap_or(i64::MAX))
                    .fetch_all(&mut *self.reading().await?)
                    .await
                    .map_err(db)?;
                let items: Vec<Delivery> = rows.iter().map(delivery_row).collect::<Result<_>>()?;
                Ok(page(items, limit, delivery_cursor))
            }

            async fn delivery_stats(&self) -> Result<DeliveryStats> {
                let mut connection = self.reading().await?;
                let unrouted = sqlx::query(UNROUTED_STATS)
                    .fetch_one(&mut *connection)
                    .await
                    .map_err(db)?;
                let pending = sqlx::query(PENDING_OLDEST)
                    .fetch_one(&mut *connection)
                    .await
                    .map_err(db)?;
                let counts = sqlx::query(DELIVERY_COUNTS)
                    .fetch_all(&mut *connection)
                    .await
                    .map_err(db)?;
                let oldest = [
                    unrouted.try_get::<Option<i64>, _>("oldest").map_err(db)?,
                    pending.try_get::<Option<i64>, _>("oldest").map_err(db)?,
                ]
                .into_iter()
                .flatten()
                .min();
                let mut by_destination = Vec::with_capacity(counts.len());
                for row in &counts {
                    let status: String = row.try_get("status").map_err(db)?;
                    let status = DeliveryStatus::parse(&status).ok_or_else(|| {
                        Error::storage(format!("unknown delivery status `{status}`"))
                    })?;
                    by_destination.push((
                        row.try_get::<String, _>("destination").map_err(db)?,
                        status,
                        u64::try_from(row.try_get::<i64, _>("n").map_err(db)?).unwrap_or(0),
                    ));
                }
                by_destination.sort_by(|a, b| (&a.0, a.1.as_str()).cmp(&(&b.0, b.1.as_str())));
                Ok(DeliveryStats {
                    unrouted_events: u64::try_from(unrouted.try_get::<i64, _>("n").map_err(db)?)
                        .unwrap_or(0),
                    oldest_undelivered_at: oldest.map(instant),
                    by_destination,
                })
            }
        }
    };
}

pub(crate) use impl_deliveries;
