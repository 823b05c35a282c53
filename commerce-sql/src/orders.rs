//! Orders and payment intents on SQL, compare-and-set on their version, and the unit of work
//! that writes them with everything else.
//!
//! Stamped for each backend by `impl_store!` (`stamp.rs`), inside the block that imports the
//! names it uses; SQL both databases accept as is.

use commerce_core::store::OrderFilter;

pub(crate) const INSERT_ORDER: &str = "INSERT INTO commerce_orders (id, cart_id, customer_id, currency, grand_total_minor, status, payment_status, fulfillment_status, version, created_at, body) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
pub(crate) const UPDATE_ORDER: &str = "UPDATE commerce_orders SET status = $2, payment_status = $3, fulfillment_status = $4, version = $5, body = $6 WHERE id = $1 AND version = $7";
pub(crate) const SELECT_ORDER: &str = "SELECT body FROM commerce_orders WHERE id = $1";
pub(crate) const SELECT_ORDER_FOR_CART: &str =
    "SELECT body FROM commerce_orders WHERE cart_id = $1";
pub(crate) const INSERT_INTENT: &str = "INSERT INTO commerce_payment_intents (id, order_id, currency, amount_minor, capturable_minor, received_minor, refunded_minor, status, version, body, moves_due_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
pub(crate) const UPDATE_INTENT: &str = "UPDATE commerce_payment_intents SET capturable_minor = $2, received_minor = $3, refunded_minor = $4, status = $5, version = $6, body = $7, moves_due_at = $9 \
     WHERE id = $1 AND version = $8";
pub(crate) const SELECT_INTENTS_WITH_MOVES_DUE: &str = "SELECT body FROM commerce_payment_intents WHERE moves_due_at <= $1 ORDER BY moves_due_at, id LIMIT $2";
pub(crate) const SELECT_INTENT: &str = "SELECT body FROM commerce_payment_intents WHERE id = $1";
pub(crate) const INSERT_GATEWAY_EVENT: &str = "INSERT INTO commerce_gateway_events (id, received_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING";

/// The SQL of an order listing, newest first: `$1` is the cursor's order id if there is one,
/// then one parameter per filter that is set (customer, status, payment status, placed
/// before), then the limit.
pub(crate) fn order_listing_sql(filter: &OrderFilter, after: bool) -> String {
    let mut sql = String::from("SELECT o.body FROM commerce_orders o");
    let mut n = 0;
    if after {
        n += 1;
        sql.push_str(" JOIN commerce_orders c ON c.id = $1 WHERE (o.created_at < c.created_at OR (o.created_at = c.created_at AND o.id < c.id))");
    } else {
        sql.push_str(" WHERE TRUE");
    }
    if filter.customer_id.is_some() {
        n += 1;
        sql.push_str(&format!(" AND o.customer_id = ${n}"));
    }
    if filter.status.is_some() {
        n += 1;
        sql.push_str(&format!(" AND o.status = ${n}"));
    }
    if filter.payment_status.is_some() {
        n += 1;
        sql.push_str(&format!(" AND o.payment_status = ${n}"));
    }
    if filter.placed_before.is_some() {
        n += 1;
        sql.push_str(&format!(" AND o.created_at < ${n}"));
    }
    sql.push_str(&format!(
        " ORDER BY o.created_at DESC, o.id DESC LIMIT ${}",
        n + 1
    ));
    sql
}

macro_rules! impl_orders {
    ($store:ty, $dialect:ident) => {
        impl $store {
            /// How many units of work ([`OrderStore::apply`]) this store ran statement by
            /// statement because their one-round-trip batch was rolled back (something to
            /// refuse, a lost race, an expired hold to release): a health figure, near zero
            /// in a shop that is not short of stock.
            pub fn careful_units(&self) -> u64 {
                self.careful_units
                    .load(std::sync::atomic::Ordering::Relaxed)
            }
        }

        #[async_trait]
        impl OrderStore for $store {
            async fn apply(&self, changes: Changes) -> Result<Applied> {
                use $crate::batch::Ran;
                // The common path: the whole unit in one round trip.
                let changes = std::sync::Arc::new(changes);
                let batched = changes.clone();
                let unit: $crate::batch::Unit = Box::new(move |batch| push_unit(batch, &batched));
                match $dialect::run_unit(self, unit).await? {
                    Ran::Done => return Ok(Applied::Done),
                    Ran::RolledBack => {
                        self.careful_units
                            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    Ran::NotBatched => {}
                }
                // The careful path, statement by statement: it decides every refusal.
                let shared = changes.clone();
                let result = self
                    .write(move |tx| {
                        let changes = shared.clone();
                        Box::pin(async move { apply_once(tx, &changes).await })
                    })
                    .await;
                match result {
                    Ok(Some(())) => Ok(Applied::Done),
                    Ok(None) => Ok(Applied::DuplicateGatewayEvent),
                    Err(err) => match (err.kind(), &changes.commit_reservation) {
                        (ErrorKind::ReservationExpired { .. }, Some(id)) => {
                            Err(refuse_commit(self, id, changes.now).await?)
                        }
                        _ => Err(err),
                    },
                }
            }

            async fn order(&self, id: &str) -> Result<Option<Order>> {
                self.fetch_body(SELECT_ORDER, id)
                    .await?
                    .map(|b| from_json(&b))
                    .transpose()
            }

            async fn order_for_cart(&self, cart_id: &str) -> Result<Option<Order>> {
                self.fetch_body(SELECT_ORDER_FOR_CART, cart_id)
                    .await?
                    .map(|b| from_json(&b))
                    .transpose()
            }

            async fn orders(
                &self,
                filter: &OrderFilter,
                after: Option<&str>,
                limit: usize,
            ) -> Result<Page<Order>> {
                let limit = limit.max(1);
                let sql = order_listing_sql(filter, after.is_some());
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                if let Some(after) = after {
                    query = query.bind(after.to_string());
                }
                if let Some(customer) = &filter.customer_id {
                    query = query.bind(customer.clone());
                }
                if let Some(status) = filter.status {
                    query = query.bind(status.as_str());
                }
                if let Some(status) = filter.payment_status {
                    query = query.bind(status.as_str());
                }
                if let Some(before) = filter.placed_before {
                    query = query.bind(millis(before));
                }
                let rows = query
                    .bind(i64::try_from(limit + 1).unwrap_or(i64::MAX))
                    .fetch_all(&mut *self.reading().await?)
                    .await
                    .map_err(db)?;
                let items: Vec<Order> = rows
                    .iter()
                    .map(|row| from_json(&row.try_get::<String, _>("body").map_err(db)?))
                    .collect::<Result<_>>()?;
                Ok(page(items, limit, |o| o.id.clone()))
            }

            async fn intents_with_moves_due(
                &self,
                now: Timestamp,
                limit: usize,
            ) -> Result<Vec<PaymentIntent>> {
                let rows = sqlx::query(SELECT_INTENTS_WITH_MOVES_DUE)
                    .bind(millis(now))
                    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
                    .fetch_all(&mut *self.reading().await?)
                    .await
                    .map_err(db)?;
                rows.iter()
                    .map(|row| from_json(&row.try_get::<String, _>("body").map_err(db)?))
                    .collect()
            }

            async fn payment_intent(&self, id: &str) -> Result<Option<PaymentIntent>> {
                self.fetch_body(SELECT_INTENT, id)
                    .await?
                    .map(|b| from_json(&b))
                    .transpose()
            }
        }
    };
}

pub(crate) use impl_orders;
