//! Stock on SQL: levels, reservations and the ledger, with guarded updates.
//!
//! Stamped for each backend by `impl_store!` (`stamp.rs`), inside the block that imports the
//! names it uses; SQL both databases accept as is.

pub(crate) const ENSURE_STOCK: &str = "INSERT INTO commerce_stock_levels (sku, location, on_hand, reserved, allow_backorder) VALUES ($1, $2, 0, 0, FALSE) ON CONFLICT (sku, location) DO NOTHING";
pub(crate) const ADJUST_STOCK: &str = "UPDATE commerce_stock_levels SET on_hand = on_hand + $3, allow_backorder = COALESCE($4, allow_backorder) \
     WHERE sku = $1 AND location = $2 AND on_hand + $3 >= 0 AND (COALESCE($4, allow_backorder) OR on_hand + $3 >= reserved) \
     RETURNING on_hand, reserved, allow_backorder";
pub(crate) const SELECT_STOCK: &str = "SELECT sku, location, on_hand, reserved, allow_backorder FROM commerce_stock_levels WHERE sku = $1 ORDER BY location";
pub(crate) const SELECT_ONE_STOCK: &str = "SELECT on_hand, reserved, allow_backorder FROM commerce_stock_levels WHERE sku = $1 AND location = $2";
pub(crate) const RESERVE_UNITS: &str = "UPDATE commerce_stock_levels SET reserved = reserved + $3 \
     WHERE sku = $1 AND location = $2 AND (allow_backorder OR on_hand - reserved >= $3) RETURNING on_hand - reserved AS available";
/// Sells every line of a reservation: `$1` the reservation.
pub(crate) const SELL_RESERVED: &str = "UPDATE commerce_stock_levels SET reserved = reserved - l.quantity, on_hand = on_hand - l.quantity \
     FROM commerce_reservation_lines l WHERE l.reservation_id = $1 \
     AND commerce_stock_levels.sku = l.sku AND commerce_stock_levels.location = l.location";
/// Gives back every line of a reservation: `$1` the reservation.
pub(crate) const RETURN_RESERVED: &str = "UPDATE commerce_stock_levels SET reserved = reserved - l.quantity \
     FROM commerce_reservation_lines l WHERE l.reservation_id = $1 \
     AND commerce_stock_levels.sku = l.sku AND commerce_stock_levels.location = l.location";
/// The ledger entries of every line of a reservation: `$1` the reservation, `$2` the kind,
/// `$3` the instant.
pub(crate) const RESERVED_MOVEMENTS: &str = "INSERT INTO commerce_movements (sku, location, kind, quantity, at, reference) \
     SELECT sku, location, $2, quantity, $3, $1 FROM commerce_reservation_lines WHERE reservation_id = $1 ORDER BY sku, location";
pub(crate) const RESTOCK_UNITS: &str =
    "UPDATE commerce_stock_levels SET on_hand = on_hand + $3 WHERE sku = $1 AND location = $2";
pub(crate) const INSERT_MOVEMENT: &str = "INSERT INTO commerce_movements (sku, location, kind, quantity, at, reference) VALUES ($1, $2, $3, $4, $5, $6)";
pub(crate) const SELECT_MOVEMENTS: &str = "SELECT sku, location, kind, quantity, at, reference FROM commerce_movements WHERE sku = $1 ORDER BY seq";
pub(crate) const EXPIRED_HOLDING: &str = "SELECT DISTINCT r.id FROM commerce_reservations r JOIN commerce_reservation_lines l ON l.reservation_id = r.id \
     WHERE r.status = 'active' AND r.expires_at <= $1 AND l.sku = $2 AND l.location = $3 ORDER BY r.id";
pub(crate) const ALL_EXPIRED: &str =
    "SELECT id FROM commerce_reservations WHERE status = 'active' AND expires_at <= $1 ORDER BY id";
pub(crate) const CLOSE_RESERVATION: &str =
    "UPDATE commerce_reservations SET status = $2 WHERE id = $1 AND status = 'active'";
pub(crate) const COMMIT_RESERVATION: &str = "UPDATE commerce_reservations SET status = 'committed' WHERE id = $1 AND status = 'active' AND expires_at > $2";
pub(crate) const SELECT_RESERVATION: &str = "SELECT id, status, created_at, expires_at, reference, holder FROM commerce_reservations WHERE id = $1";
pub(crate) const SELECT_RESERVATION_LINES: &str = "SELECT sku, location, quantity FROM commerce_reservation_lines WHERE reservation_id = $1 ORDER BY sku, location";
pub(crate) const INSERT_RESERVATION: &str = "INSERT INTO commerce_reservations (id, status, created_at, expires_at, reference) VALUES ($1, 'active', $2, $3, $4)";
pub(crate) const HOLD_UNPAID: &str = "UPDATE commerce_reservations SET holder = $2, expires_at = CASE WHEN expires_at > $3 THEN $3 ELSE expires_at END \
     WHERE id = $1 AND status = 'active' AND expires_at > $4";
pub(crate) const COUNT_LIVE_HOLDS: &str = "SELECT COUNT(*) AS n FROM commerce_reservations WHERE holder = $1 AND status = 'active' AND expires_at > $2";
pub(crate) const INSERT_RESERVATION_LINE: &str = "INSERT INTO commerce_reservation_lines (reservation_id, sku, location, quantity) VALUES ($1, $2, $3, $4)";
pub(crate) const EXTEND_RESERVATION: &str = "UPDATE commerce_reservations SET expires_at = $2 WHERE id = $1 AND status = 'active' AND expires_at > $3";

macro_rules! impl_inventory {
    ($store:ty, $dialect:ident) => {
        fn reservation_line(
            row: &<$dialect::Db as sqlx::Database>::Row,
        ) -> std::result::Result<ReservationLine, sqlx::Error> {
            Ok(ReservationLine {
                sku: row.try_get("sku")?,
                location: row.try_get("location")?,
                quantity: row.try_get("quantity")?,
            })
        }

        /// Closes an active reservation with `status` and gives its units back. A no-op if
        /// another transaction closed it first (the guarded update affects no row).
        async fn close(
            tx: &mut Tx<'_>,
            id: &str,
            status: &str,
            now: Timestamp,
        ) -> std::result::Result<bool, Failure> {
            let closed = sqlx::query(CLOSE_RESERVATION)
                .bind(id)
                .bind(status)
                .execute(&mut **tx)
                .await
                .map_err($dialect::failure)?
                .rows_affected();
            if closed == 0 {
                return Ok(false);
            }
            settle_lines(tx, id, RETURN_RESERVED, MovementKind::Release, now).await?;
            Ok(true)
        }

        /// Moves the stock of every line of a reservation (`update`: sold or given back)
        /// and writes their ledger entries, locking the rows in SKU order where the
        /// database locks rows.
        async fn settle_lines(
            tx: &mut Tx<'_>,
            id: &str,
            update: &str,
            kind: MovementKind,
            now: Timestamp,
        ) -> std::result::Result<(), Failure> {
            if let Some(lock) = $dialect::LOCK_RESERVED_STOCK {
                sqlx::query(lock)
                    .bind(id)
                    .fetch_all(&mut **tx)
                    .await
                    .map_err($dialect::failure)?;
            }
            sqlx::query(sqlx::AssertSqlSafe(update))
                .bind(id)
                .execute(&mut **tx)
                .await
                .map_err($dialect::failure)?;
            sqlx::query(RESERVED_MOVEMENTS)
                .bind(id)
                .bind(movement_name(kind))
                .bind(millis(now))
                .execute(&mut **tx)
                .await
                .map_err($dialect::failure)?;
            Ok(())
        }

        async fn available(
            tx: &mut Tx<'_>,
            sku: &str,
            location: &str,
        ) -> std::result::Result<i64, Failure> {
            let row = sqlx::query(SELECT_ONE_STOCK)
                .bind(sku)
                .bind(location)
                .fetch_optional(&mut **tx)
                .await
                .map_err($dialect::failure)?;
            Ok(match row {
                Some(row) => {
                    let on_hand: i64 = row.try_get("on_hand").map_err($dialect::failure)?;
                    let reserved: i64 = row.try_get("reserved").map_err($dialect::failure)?;
                    on_hand - reserved
                }
                None => 0,
            })
        }

        /// Why a live-looking commit failed: expired (release it), or not active.
        async fn refuse_commit(store: &$store, id: &str, now: Timestamp) -> Result<Error> {
            let reservation = store
                .reservation(id)
                .await?
                .ok_or_else(|| Error::not_found("reservation", id))?;
            match reservation.status {
                ReservationStatus::Expired => Ok(Error::new(ErrorKind::ReservationExpired {
                    id: id.to_string(),
                })),
                ReservationStatus::Active => {
                    // Past its expiry but not swept: give the stock back in its own unit.
                    store.expire_one(id, now).await?;
                    Ok(Error::new(ErrorKind::ReservationExpired {
                        id: id.to_string(),
                    }))
                }
                other => Ok(Error::transition(
                    "reservation",
                    other.as_str(),
                    "committed",
                )),
            }
        }

        impl $store {
            async fn expire_one(&self, id: &str, now: Timestamp) -> Result<bool> {
                let id = id.to_string();
                self.write(move |tx| {
                    let id = id.clone();
                    Box::pin(async move { close(tx, &id, "expired", now).await })
                })
                .await
            }
        }

        #[async_trait]
        impl InventoryStore for $store {
            async fn adjust_stock(
                &self,
                sku: &str,
                location: &str,
                delta: i64,
                allow_backorder: Option<bool>,
                now: Timestamp,
            ) -> Result<StockLevel> {
                let adjustment = StockAdjustment {
                    sku: sku.to_string(),
                    location: location.to_string(),
                    delta,
                    allow_backorder,
                };
                // The unit of work's own statements: guarded as a unit's adjustment is.
                self.apply(Changes {
                    now,
                    adjustment: Some(adjustment),
                    ..Changes::default()
                })
                .await?;
                self.stock(sku)
                    .await?
                    .into_iter()
                    .find(|level| level.location == location)
                    .ok_or_else(|| Error::not_found("stock level", sku))
            }

            async fn stock(&self, sku: &str) -> Result<Vec<StockLevel>> {
                let rows = sqlx::query(SELECT_STOCK)
                    .bind(sku)
                    .fetch_all(&mut *self.reading().await?)
                    .await
                    .map_err(db)?;
                rows.iter()
                    .map(|row| {
                        Ok(StockLevel {
                            sku: row.try_get("sku").map_err(db)?,
                            location: row.try_get("location").map_err(db)?,
                            on_hand: row.try_get("on_hand").map_err(db)?,
                            reserved: row.try_get("reserved").map_err(db)?,
                            allow_backorder: row.try_get("allow_backorder").map_err(db)?,
                        })
                    })
                    .collect()
            }

            async fn reservation(&self, id: &str) -> Result<Option<Reservation>> {
                let Some(row) = sqlx::query(SELECT_RESERVATION)
                    .bind(id)
                    .fetch_optional(&mut *self.reading().await?)
                    .await
                    .map_err(db)?
                else {
                    return Ok(None);
                };
                let lines = sqlx::query(SELECT_RESERVATION_LINES)
                    .bind(id)
                    .fetch_all(&mut *self.reading().await?)
                    .await
                    .map_err(db)?;
                let lines = lines
                    .iter()
                    .map(|l| reservation_line(l).map_err(db))
                    .collect::<Result<Vec<_>>>()?;
                Ok(Some(Reservation {
                    id: row.try_get("id").map_err(db)?,
                    lines,
                    status: reservation_status(&row.try_get::<String, _>("status").map_err(db)?)?,
                    created_at: instant(row.try_get("created_at").map_err(db)?),
                    expires_at: instant(row.try_get("expires_at").map_err(db)?),
                    reference: row.try_get("reference").map_err(db)?,
                    holder: row.try_get("holder").map_err(db)?,
                }))
            }

            async fn extend_reservation(
                &self,
                id: &str,
                expires_at: Timestamp,
                now: Timestamp,
            ) -> Result<Reservation> {
                let extended = sqlx::query(EXTEND_RESERVATION)
                    .bind(id)
                    .bind(millis(expires_at))
                    .bind(millis(now))
                    .execute(&mut *self.writing().await?)
                    .await
                    .map_err(db)?
                    .rows_affected();
                if extended == 0 {
                    let reservation = self
                        .reservation(id)
                        .await?
                        .ok_or_else(|| Error::not_found("reservation", id))?;
                    return Err(match reservation.status {
                        ReservationStatus::Active => {
                            self.expire_one(id, now).await?;
                            Error::new(ErrorKind::ReservationExpired { id: id.to_string() })
                        }
                        other => Error::transition("reservation", other.as_str(), "active"),
                    });
                }
                self.reservation(id)
                    .await?
                    .ok_or_else(|| Error::not_found("reservation", id))
            }

            async fn expire_reservations(&self, now: Timestamp) -> Result<u64> {
                self.write(move |tx| {
                    Box::pin(async move {
                        let rows = sqlx::query(ALL_EXPIRED)
                            .bind(millis(now))
                            .fetch_all(&mut **tx)
                            .await
                            .map_err($dialect::failure)?;
                        let mut count = 0;
                        for row in rows {
                            let id: String = row.try_get("id").map_err($dialect::failure)?;
                            if close(tx, &id, "expired", now).await? {
                                count += 1;
                            }
                        }
                        Ok(count)
                    })
                })
                .await
            }

            async fn hold_unpaid(
                &self,
                id: &str,
                holder: &str,
                until: Timestamp,
                now: Timestamp,
            ) -> Result<()> {
                sqlx::query(HOLD_UNPAID)
                    .bind(id)
                    .bind(holder)
                    .bind(millis(until))
                    .bind(millis(now))
                    .execute(&mut *self.writing().await?)
                    .await
                    .map_err(db)?;
                Ok(())
            }

            async fn live_holds_of(&self, holder: &str, now: Timestamp) -> Result<u64> {
                let row = sqlx::query(COUNT_LIVE_HOLDS)
                    .bind(holder)
                    .bind(millis(now))
                    .fetch_one(&mut *self.reading().await?)
                    .await
                    .map_err(db)?;
                let live: i64 = row.try_get("n").map_err(db)?;
                Ok(u64::try_from(live).unwrap_or(0))
            }

            async fn movements(&self, sku: &str) -> Result<Vec<Movement>> {
                let rows = sqlx::query(SELECT_MOVEMENTS)
                    .bind(sku)
                    .fetch_all(&mut *self.reading().await?)
                    .await
                    .map_err(db)?;
                rows.iter()
                    .map(|row| {
                        Ok(Movement {
                            sku: row.try_get("sku").map_err(db)?,
                            location: row.try_get("location").map_err(db)?,
                            kind: movement_kind(&row.try_get::<String, _>("kind").map_err(db)?)?,
                            quantity: row.try_get("quantity").map_err(db)?,
                            at: instant(row.try_get("at").map_err(db)?),
                            reference: row.try_get("reference").map_err(db)?,
                        })
                    })
                    .collect()
            }
        }
    };
}

pub(crate) use impl_inventory;
