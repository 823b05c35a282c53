//! The storage traits, written once for both backends.
//!
//! `impl_store!(Store, dialect)` implements every trait for a store type whose `readers` field
//! (for reads) and `writer` field (for writes) lend a connection with `acquire` (sqlx's pool on
//! PostgreSQL, connections held by the store on SQLite: `held.rs`). The dialect module supplies
//! what differs: `begin_write`, `run_unit` (a unit of work as one batch; grouped with others on
//! SQLite, where `GROUP_COMMIT` sends single-statement writes through it too), `failure` (which
//! errors are retried), `is_unique_violation`, and the SQL that differs (`CLAIM_EVENTS`). Everything else is the SQL below, which both databases accept as is
//! (`$n` placeholders, `ON CONFLICT`, `RETURNING`, row values).

use commerce_core::store::{OrderFilter, Page, ProductFilter};

pub(crate) const SELECT_PRODUCT: &str = "SELECT body FROM commerce_products WHERE id = $1";
pub(crate) const SELECT_PRODUCT_BY_SKU: &str = "SELECT p.body FROM commerce_skus s JOIN commerce_products p ON p.id = s.product_id WHERE s.sku = $1";
pub(crate) const SELECT_SKU_OWNER: &str = "SELECT product_id FROM commerce_skus WHERE sku = $1";
pub(crate) const DELETE_PRODUCT_SKUS: &str = "DELETE FROM commerce_skus WHERE product_id = $1";
pub(crate) const INSERT_SKU: &str = "INSERT INTO commerce_skus (sku, product_id) VALUES ($1, $2)";
pub(crate) const UPSERT_PRODUCT: &str = "INSERT INTO commerce_products (id, body, status, search_text) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (id) DO UPDATE SET body = excluded.body, status = excluded.status, search_text = excluded.search_text";
pub(crate) const DELETE_PRODUCT_CATEGORIES: &str =
    "DELETE FROM commerce_product_categories WHERE product_id = $1";
pub(crate) const INSERT_PRODUCT_CATEGORY: &str = "INSERT INTO commerce_product_categories (category_id, product_id) VALUES ($1, $2) ON CONFLICT DO NOTHING";
pub(crate) const SELECT_EVERY_PRODUCT: &str = "SELECT body FROM commerce_products ORDER BY id";
pub(crate) const SELECT_CATEGORY: &str = "SELECT body FROM commerce_categories WHERE id = $1";
pub(crate) const UPSERT_CATEGORY: &str = "INSERT INTO commerce_categories (id, body) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET body = excluded.body";
pub(crate) const SELECT_CATEGORIES: &str = "SELECT body FROM commerce_categories ORDER BY id";
pub(crate) const SELECT_EMAIL_OWNER: &str =
    "SELECT id FROM commerce_customers WHERE email_key = $1";
pub(crate) const UPSERT_CUSTOMER: &str = "INSERT INTO commerce_customers (id, email_key, body) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET email_key = excluded.email_key, body = excluded.body";
pub(crate) const SELECT_CUSTOMER: &str = "SELECT body FROM commerce_customers WHERE id = $1";
pub(crate) const SELECT_CUSTOMER_BY_EMAIL: &str =
    "SELECT body FROM commerce_customers WHERE email_key = $1";
pub(crate) const INSERT_CART: &str = "INSERT INTO commerce_carts (id, version, body) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING";
pub(crate) const UPDATE_CART: &str = "UPDATE commerce_carts SET version = $2, body = $3 WHERE id = $1 AND version = $4 \
     AND NOT EXISTS (SELECT 1 FROM commerce_orders WHERE cart_id = $1)";
pub(crate) const SELECT_CART: &str = "SELECT body FROM commerce_carts WHERE id = $1";
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
pub(crate) const SELECT_RESERVATION: &str =
    "SELECT id, status, created_at, expires_at, reference FROM commerce_reservations WHERE id = $1";
pub(crate) const SELECT_RESERVATION_LINES: &str = "SELECT sku, location, quantity FROM commerce_reservation_lines WHERE reservation_id = $1 ORDER BY sku, location";
pub(crate) const INSERT_RESERVATION: &str = "INSERT INTO commerce_reservations (id, status, created_at, expires_at, reference) VALUES ($1, 'active', $2, $3, $4)";
pub(crate) const INSERT_RESERVATION_LINE: &str = "INSERT INTO commerce_reservation_lines (reservation_id, sku, location, quantity) VALUES ($1, $2, $3, $4)";
pub(crate) const EXTEND_RESERVATION: &str = "UPDATE commerce_reservations SET expires_at = $2 WHERE id = $1 AND status = 'active' AND expires_at > $3";
pub(crate) const SELECT_THRESHOLD: &str = "SELECT body FROM commerce_config WHERE id = 1";
pub(crate) const INSERT_ORDER: &str = "INSERT INTO commerce_orders (id, cart_id, customer_id, currency, grand_total_minor, status, payment_status, fulfillment_status, version, created_at, body) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
pub(crate) const UPDATE_ORDER: &str = "UPDATE commerce_orders SET status = $2, payment_status = $3, fulfillment_status = $4, version = $5, body = $6 WHERE id = $1 AND version = $7";
pub(crate) const SELECT_ORDER: &str = "SELECT body FROM commerce_orders WHERE id = $1";
pub(crate) const SELECT_ORDER_FOR_CART: &str =
    "SELECT body FROM commerce_orders WHERE cart_id = $1";
pub(crate) const INSERT_INTENT: &str = "INSERT INTO commerce_payment_intents (id, order_id, currency, amount_minor, capturable_minor, received_minor, refunded_minor, status, version, body) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
pub(crate) const UPDATE_INTENT: &str = "UPDATE commerce_payment_intents SET capturable_minor = $2, received_minor = $3, refunded_minor = $4, status = $5, version = $6, body = $7 \
     WHERE id = $1 AND version = $8";
pub(crate) const SELECT_INTENT: &str = "SELECT body FROM commerce_payment_intents WHERE id = $1";
pub(crate) const INSERT_GATEWAY_EVENT: &str = "INSERT INTO commerce_gateway_events (id, received_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING";
pub(crate) const INSERT_EVENT: &str = "INSERT INTO commerce_outbox (id, kind, aggregate_id, occurred_at, data) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING";
pub(crate) const ACK_EVENT: &str = "UPDATE commerce_outbox SET delivered = TRUE WHERE id = $1";
pub(crate) const RETRY_EVENT: &str =
    "UPDATE commerce_outbox SET lease_until = $2 WHERE id = $1 AND NOT delivered";
pub(crate) const SELECT_IDEMPOTENCY: &str = "SELECT fingerprint, response, started_at FROM commerce_idempotency_keys WHERE scope = $1 AND key = $2";
pub(crate) const INSERT_IDEMPOTENCY: &str = "INSERT INTO commerce_idempotency_keys (scope, key, fingerprint, response, started_at) VALUES ($1, $2, $3, NULL, $4) ON CONFLICT (scope, key) DO NOTHING";
pub(crate) const RESTART_IDEMPOTENCY: &str = "UPDATE commerce_idempotency_keys SET fingerprint = $3, started_at = $4 WHERE scope = $1 AND key = $2 AND response IS NULL";
pub(crate) const COMPLETE_IDEMPOTENCY: &str = "INSERT INTO commerce_idempotency_keys (scope, key, fingerprint, response, started_at) VALUES ($1, $2, '', $3, $4) \
     ON CONFLICT (scope, key) DO UPDATE SET response = excluded.response";
pub(crate) const ABANDON_IDEMPOTENCY: &str =
    "DELETE FROM commerce_idempotency_keys WHERE scope = $1 AND key = $2 AND response IS NULL";
pub(crate) const PURGE_IDEMPOTENCY: &str =
    "DELETE FROM commerce_idempotency_keys WHERE started_at < $1";
pub(crate) const INSERT_API_KEY: &str = "INSERT INTO commerce_api_keys (id, name, secret_hash, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING";
pub(crate) const SELECT_API_KEY: &str =
    "SELECT id, name, secret_hash, created_at, revoked_at FROM commerce_api_keys WHERE id = $1";
pub(crate) const SELECT_API_KEYS: &str =
    "SELECT id, name, secret_hash, created_at, revoked_at FROM commerce_api_keys ORDER BY id";
pub(crate) const REVOKE_API_KEY: &str =
    "UPDATE commerce_api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1";
pub(crate) const INSERT_CUSTOMER: &str = "INSERT INTO commerce_customers (id, email_key, body) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING";
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
pub(crate) const SELECT_CONFIG: &str = "SELECT version, body FROM commerce_config WHERE id = 1";
pub(crate) const INSERT_CONFIG: &str = "INSERT INTO commerce_config (id, version, body) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING";
pub(crate) const UPDATE_CONFIG: &str =
    "UPDATE commerce_config SET version = $1, body = $2 WHERE id = 1 AND version = $3";

/// A page from up to `limit + 1` fetched items: the first `limit`, and the cursor of the last
/// one if more followed.
pub(crate) fn page<T>(mut items: Vec<T>, limit: usize, cursor: impl Fn(&T) -> String) -> Page<T> {
    let more = items.len() > limit;
    items.truncate(limit);
    let next_cursor = if more { items.last().map(cursor) } else { None };
    Page { items, next_cursor }
}

/// The SQL of a product listing: `$1` is the cursor, then one parameter per filter that is
/// set (status, category, text pattern), then the limit. Built from fixed fragments only.
pub(crate) fn product_listing_sql(filter: &ProductFilter) -> String {
    let mut sql = String::from("SELECT p.body FROM commerce_products p WHERE p.id > $1");
    let mut n = 1;
    if filter.status.is_some() {
        n += 1;
        sql.push_str(&format!(" AND p.status = ${n}"));
    }
    if filter.category_id.is_some() {
        n += 1;
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM commerce_product_categories c WHERE c.category_id = ${n} AND c.product_id = p.id)"
        ));
    }
    if filter.text.is_some() {
        n += 1;
        sql.push_str(&format!(" AND p.search_text LIKE ${n} ESCAPE '\\'"));
    }
    sql.push_str(&format!(" ORDER BY p.id LIMIT ${}", n + 1));
    sql
}

/// The `LIKE` pattern of a text filter: the lower-cased text anywhere, with `%`, `_` and the
/// escape character taken literally.
pub(crate) fn contains_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The SQL of an order listing, newest first: `$1` is the cursor's order id if there is one,
/// then one parameter per filter that is set (customer, status), then the limit.
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
    sql.push_str(&format!(
        " ORDER BY o.created_at DESC, o.id DESC LIMIT ${}",
        n + 1
    ));
    sql
}

macro_rules! impl_store {
    ($store:ty, $dialect:ident) => {
        const _: () = {
            use async_trait::async_trait;
            use commerce_core::access::{ApiKey, Session};
            use commerce_core::cart::StoredCart;
            use commerce_core::catalog::{Category, Product};
            use commerce_core::customer::Customer;
            use commerce_core::events::{DomainEvent, EventKind};
            use commerce_core::inventory::{
                Movement, MovementKind, Reservation, ReservationLine, ReservationRequest,
                ReservationStatus, StockAdjustment, StockLevel,
            };
            use commerce_core::order::Order;
            use commerce_core::payment::PaymentIntent;
            use commerce_core::settings::ShopConfig;
            use commerce_core::store::{
                AccessStore, Applied, CartStore, CatalogStore, Changes, ClaimedEvent, ConfigStore,
                CustomerStore, IDEMPOTENCY_LOCK_MILLIS, IdempotencyBegin, IdempotencyStore,
                InventoryStore, OrderFilter, OrderStore, OutboxStore, Page, ProductFilter,
            };
            use commerce_core::{Error, ErrorKind, Result, Timestamp};
            use sqlx::Row;

            use $crate::rows::{
                Failure, RETRIES, from_json, instant, millis, movement_kind, movement_name,
                reservation_status, to_json,
            };
            use $crate::store_impl::*;

            type Tx<'c> = sqlx::Transaction<'c, $dialect::Db>;

            fn db(error: sqlx::Error) -> Error {
                match $dialect::failure(error) {
                    Failure::Error(error) => error,
                    Failure::Retry => Error::storage("the database is busy; retry"),
                }
            }

            async fn movement(
                tx: &mut Tx<'_>,
                sku: &str,
                location: &str,
                kind: MovementKind,
                quantity: i64,
                now: Timestamp,
                reference: Option<&str>,
            ) -> std::result::Result<(), Failure> {
                sqlx::query(INSERT_MOVEMENT)
                    .bind(sku)
                    .bind(location)
                    .bind(movement_name(kind))
                    .bind(quantity)
                    .bind(millis(now))
                    .bind(reference)
                    .execute(&mut **tx)
                    .await
                    .map_err($dialect::failure)?;
                Ok(())
            }

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

            async fn low_stock_threshold(tx: &mut Tx<'_>) -> std::result::Result<i64, Failure> {
                let row = sqlx::query(SELECT_THRESHOLD)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err($dialect::failure)?;
                Ok(match row {
                    Some(row) => {
                        let body: String = row.try_get("body").map_err($dialect::failure)?;
                        from_json::<ShopConfig>(&body)?.low_stock_threshold
                    }
                    None => 0,
                })
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

            async fn reserve(
                tx: &mut Tx<'_>,
                request: &ReservationRequest,
                now: Timestamp,
            ) -> std::result::Result<Vec<DomainEvent>, Failure> {
                request.validate()?;
                let demand = request.demand();
                let threshold = low_stock_threshold(tx).await?;
                let mut events = Vec::new();
                // SKUs are taken in ascending order: the fixed lock order.
                for (sku, quantity) in &demand {
                    let mut row = sqlx::query(RESERVE_UNITS)
                        .bind(sku)
                        .bind(&request.location)
                        .bind(quantity)
                        .fetch_optional(&mut **tx)
                        .await
                        .map_err($dialect::failure)?;
                    if row.is_none() {
                        // Short: holds past their expiry on this SKU are released, in this unit,
                        // and the guarded update is tried once more.
                        let expired = sqlx::query(EXPIRED_HOLDING)
                            .bind(millis(now))
                            .bind(sku)
                            .bind(&request.location)
                            .fetch_all(&mut **tx)
                            .await
                            .map_err($dialect::failure)?;
                        let mut released = false;
                        for hold in expired {
                            let id: String = hold.try_get("id").map_err($dialect::failure)?;
                            released |= close(tx, &id, "expired", now).await?;
                        }
                        if released {
                            row = sqlx::query(RESERVE_UNITS)
                                .bind(sku)
                                .bind(&request.location)
                                .bind(quantity)
                                .fetch_optional(&mut **tx)
                                .await
                                .map_err($dialect::failure)?;
                        }
                    }
                    let Some(row) = row else {
                        let available = available(tx, sku, &request.location).await?;
                        return Err(Failure::Error(Error::new(ErrorKind::InsufficientStock {
                            sku: sku.clone(),
                            requested: *quantity,
                            available: available.max(0),
                        })));
                    };
                    let left: i64 = row.try_get("available").map_err($dialect::failure)?;
                    if left <= threshold {
                        events.push(DomainEvent::new(
                            EventKind::StockLow,
                            sku,
                            &request.id,
                            now,
                    serde_json::json!({"location": request.location, "available": left}),
                        ));
                    }
                    movement(
                        tx,
                        sku,
                        &request.location,
                        MovementKind::Reservation,
                        *quantity,
                        now,
                        Some(&request.id),
                    )
                    .await?;
                }
                let inserted = sqlx::query(INSERT_RESERVATION)
                    .bind(&request.id)
                    .bind(millis(now))
                    .bind(millis(request.expires_at))
                    .bind(request.reference.as_deref())
                    .execute(&mut **tx)
                    .await;
                match inserted {
                    Err(err) if $dialect::is_unique_violation(&err) => {
                        return Err(Failure::Error(Error::conflict(
                            "reservation",
                            request.id.clone(),
                        )));
                    }
                    other => {
                        other.map_err($dialect::failure)?;
                    }
                }
                for (sku, quantity) in &demand {
                    sqlx::query(INSERT_RESERVATION_LINE)
                        .bind(&request.id)
                        .bind(sku)
                        .bind(&request.location)
                        .bind(quantity)
                        .execute(&mut **tx)
                        .await
                        .map_err($dialect::failure)?;
                }
                Ok(events)
            }

            /// Changes stock on hand, guarded as the trait says, with its ledger entry.
            async fn adjust(
                tx: &mut Tx<'_>,
                adjustment: &StockAdjustment,
                now: Timestamp,
            ) -> std::result::Result<StockLevel, Failure> {
                let StockAdjustment {
                    sku,
                    location,
                    delta,
                    allow_backorder,
                } = adjustment;
                sqlx::query(ENSURE_STOCK)
                    .bind(sku)
                    .bind(location)
                    .execute(&mut **tx)
                    .await
                    .map_err($dialect::failure)?;
                let row = sqlx::query(ADJUST_STOCK)
                    .bind(sku)
                    .bind(location)
                    .bind(delta)
                    .bind(allow_backorder)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err($dialect::failure)?;
                let Some(row) = row else {
                    let available = available(tx, sku, location).await?;
                    return Err(Failure::Error(Error::new(ErrorKind::InsufficientStock {
                        sku: sku.clone(),
                        requested: -delta,
                        available: available.max(0),
                    })));
                };
                if *delta != 0 {
                    movement(
                        tx,
                        sku,
                        location,
                        MovementKind::Adjustment,
                        *delta,
                        now,
                        None,
                    )
                    .await?;
                }
                Ok(StockLevel {
                    sku: sku.clone(),
                    location: location.clone(),
                    on_hand: row.try_get("on_hand").map_err($dialect::failure)?,
                    reserved: row.try_get("reserved").map_err($dialect::failure)?,
                    allow_backorder: row.try_get("allow_backorder").map_err($dialect::failure)?,
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

            /// Writes a product's document and what listings filter it by: its status, its search
            /// text and its categories.
            async fn save_product(
                tx: &mut Tx<'_>,
                product: &Product,
                body: &str,
            ) -> std::result::Result<(), Failure> {
                sqlx::query(UPSERT_PRODUCT)
                    .bind(&product.id)
                    .bind(body)
                    .bind(product.status.as_str())
                    .bind(product.search_text())
                    .execute(&mut **tx)
                    .await
                    .map_err($dialect::failure)?;
                sqlx::query(DELETE_PRODUCT_CATEGORIES)
                    .bind(&product.id)
                    .execute(&mut **tx)
                    .await
                    .map_err($dialect::failure)?;
                for category in &product.category_ids {
                    sqlx::query(INSERT_PRODUCT_CATEGORY)
                        .bind(category)
                        .bind(&product.id)
                        .execute(&mut **tx)
                        .await
                        .map_err($dialect::failure)?;
                }
                Ok(())
            }

            impl $store {
                /// How many units of work ([`OrderStore::apply`]) this store ran statement by
                /// statement because their one-round-trip batch was rolled back (something to
                /// refuse, a lost race, an expired hold to release): a health figure, near zero
                /// in a shop that is not short of stock.
                pub fn careful_units(&self) -> u64 {
                    self.careful_units
                        .load(std::sync::atomic::Ordering::Relaxed)
                }

                /// Sends one statement that must change exactly one row through the writer's
                /// queue (group commit): `true` if it did; otherwise nothing was written, and the
                /// caller runs the statement alone to learn why.
                async fn one_row_in_group(
                    &self,
                    sql: &'static str,
                    values: Vec<$crate::batch::Bound>,
                ) -> Result<bool> {
                    let unit: $crate::batch::Unit = Box::new(move |batch| {
                        let args: Vec<_> =
                            values.iter().map($crate::batch::Bound::as_arg).collect();
                        batch.push(sql, &args, $crate::batch::Expect::Changed(1));
                        Some(())
                    });
                    Ok($dialect::run_unit(self, unit).await? == $crate::batch::Ran::Done)
                }

                /// A reading connection, the caller's until dropped.
                async fn reading(
                    &self,
                ) -> Result<
                    impl std::ops::DerefMut<Target = <$dialect::Db as sqlx::Database>::Connection>
                    + Send,
                > {
                    self.readers.acquire().await.map_err(db)
                }

                /// The writing connection (on SQLite, the one writer; on PostgreSQL, any),
                /// the caller's until dropped.
                async fn writing(
                    &self,
                ) -> Result<
                    impl std::ops::DerefMut<Target = <$dialect::Db as sqlx::Database>::Connection>
                    + Send,
                > {
                    self.writer.acquire().await.map_err(db)
                }

                /// Fills the listing columns of every stored product from its document, once,
                /// when the migration that added them is applied.
                pub(crate) async fn index_every_product(tx: &mut Tx<'_>) -> Result<()> {
                    let rows = sqlx::query(SELECT_EVERY_PRODUCT)
                        .fetch_all(&mut **tx)
                        .await
                        .map_err(db)?;
                    for row in rows {
                        let body: String = row.try_get("body").map_err(db)?;
                        let product: Product = from_json(&body)?;
                        match save_product(tx, &product, &body).await {
                            Ok(()) => {}
                            Err(Failure::Error(error)) => return Err(error),
                            Err(Failure::Retry) => {
                                return Err(Error::storage("the database is busy; retry"));
                            }
                        }
                    }
                    Ok(())
                }

                /// Runs `work` in a write transaction, retrying (bounded) when the database asks.
                async fn write<T, F>(&self, mut work: F) -> Result<T>
                where
                    F: for<'t, 'c> FnMut(
                        &'t mut Tx<'c>,
                    ) -> std::pin::Pin<
                        Box<
                            dyn std::future::Future<Output = std::result::Result<T, Failure>>
                                + Send
                                + 't,
                        >,
                    >,
                {
                    for _ in 0..RETRIES {
                        let mut connection = self.writing().await?;
                        let mut tx = match $dialect::begin_write(&mut connection).await {
                            Ok(tx) => tx,
                            Err(Failure::Retry) => continue,
                            Err(Failure::Error(error)) => return Err(error),
                        };
                        match work(&mut tx).await {
                            Ok(value) => match tx.commit().await.map_err($dialect::failure) {
                                Ok(()) => return Ok(value),
                                Err(Failure::Retry) => continue,
                                Err(Failure::Error(error)) => return Err(error),
                            },
                            Err(Failure::Retry) => {
                                let _ = tx.rollback().await;
                                tokio::task::yield_now().await;
                                continue;
                            }
                            Err(Failure::Error(error)) => {
                                let _ = tx.rollback().await;
                                return Err(error);
                            }
                        }
                    }
                    Err(Error::storage("the database stayed busy; retry later"))
                }

                async fn expire_one(&self, id: &str, now: Timestamp) -> Result<bool> {
                    let id = id.to_string();
                    self.write(move |tx| {
                        let id = id.clone();
                        Box::pin(async move { close(tx, &id, "expired", now).await })
                    })
                    .await
                }

                async fn fetch_body(&self, sql: &'static str, key: &str) -> Result<Option<String>> {
                    let row = sqlx::query(sql)
                        .bind(key)
                        .fetch_optional(&mut *self.reading().await?)
                        .await
                        .map_err(db)?;
                    row.map(|row| row.try_get::<String, _>("body").map_err(db))
                        .transpose()
                }
            }

            #[async_trait]
            impl CatalogStore for $store {
                async fn put_product(&self, product: &Product) -> Result<()> {
                    let body = to_json(product)?;
                    let product = product.clone();
                    self.write(move |tx| {
                        let (product, body) = (product.clone(), body.clone());
                        Box::pin(async move {
                            for variant in &product.variants {
                                let owner = sqlx::query(SELECT_SKU_OWNER)
                                    .bind(&variant.sku)
                                    .fetch_optional(&mut **tx)
                                    .await
                                    .map_err($dialect::failure)?;
                                if let Some(owner) = owner {
                                    let owner: String =
                                        owner.try_get("product_id").map_err($dialect::failure)?;
                                    if owner != product.id {
                                        return Err(Failure::Error(Error::new(
                                            ErrorKind::DuplicateId {
                                                id: variant.sku.clone(),
                                            },
                                        )));
                                    }
                                }
                            }
                            sqlx::query(DELETE_PRODUCT_SKUS)
                                .bind(&product.id)
                                .execute(&mut **tx)
                                .await
                                .map_err($dialect::failure)?;
                            for variant in &product.variants {
                                sqlx::query(INSERT_SKU)
                                    .bind(&variant.sku)
                                    .bind(&product.id)
                                    .execute(&mut **tx)
                                    .await
                                    .map_err($dialect::failure)?;
                            }
                            save_product(tx, &product, &body).await
                        })
                    })
                    .await
                }

                async fn product(&self, id: &str) -> Result<Option<Product>> {
                    self.fetch_body(SELECT_PRODUCT, id)
                        .await?
                        .map(|b| from_json(&b))
                        .transpose()
                }

                async fn product_by_sku(&self, sku: &str) -> Result<Option<Product>> {
                    self.fetch_body(SELECT_PRODUCT_BY_SKU, sku)
                        .await?
                        .map(|b| from_json(&b))
                        .transpose()
                }

                async fn products(
                    &self,
                    filter: &ProductFilter,
                    after: Option<&str>,
                    limit: usize,
                ) -> Result<Page<Product>> {
                    let limit = limit.max(1);
                    let sql = product_listing_sql(filter);
                    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(after.unwrap_or(""));
                    if let Some(status) = filter.status {
                        query = query.bind(status.as_str());
                    }
                    if let Some(category) = &filter.category_id {
                        query = query.bind(category.clone());
                    }
                    if let Some(text) = &filter.text {
                        query = query.bind(contains_pattern(text));
                    }
                    let rows = query
                        .bind(i64::try_from(limit + 1).unwrap_or(i64::MAX))
                        .fetch_all(&mut *self.reading().await?)
                        .await
                        .map_err(db)?;
                    let items: Vec<Product> = rows
                        .iter()
                        .map(|row| from_json(&row.try_get::<String, _>("body").map_err(db)?))
                        .collect::<Result<_>>()?;
                    Ok(page(items, limit, |p| p.id.clone()))
                }

                async fn put_category(&self, category: &Category) -> Result<()> {
                    sqlx::query(UPSERT_CATEGORY)
                        .bind(&category.id)
                        .bind(to_json(category)?)
                        .execute(&mut *self.writing().await?)
                        .await
                        .map_err(db)?;
                    Ok(())
                }

                async fn category(&self, id: &str) -> Result<Option<Category>> {
                    self.fetch_body(SELECT_CATEGORY, id)
                        .await?
                        .map(|b| from_json(&b))
                        .transpose()
                }

                async fn categories(&self) -> Result<Vec<Category>> {
                    let rows = sqlx::query(SELECT_CATEGORIES)
                        .fetch_all(&mut *self.reading().await?)
                        .await
                        .map_err(db)?;
                    rows.iter()
                        .map(|row| from_json(&row.try_get::<String, _>("body").map_err(db)?))
                        .collect()
                }
            }

            #[async_trait]
            impl CustomerStore for $store {
                async fn put_customer(&self, customer: &Customer) -> Result<()> {
                    let email = customer.email.to_lowercase();
                    let body = to_json(customer)?;
                    let id = customer.id.clone();
                    self.write(move |tx| {
                        let (email, body, id) = (email.clone(), body.clone(), id.clone());
                        Box::pin(async move {
                            let owner = sqlx::query(SELECT_EMAIL_OWNER)
                                .bind(&email)
                                .fetch_optional(&mut **tx)
                                .await
                                .map_err($dialect::failure)?;
                            if let Some(owner) = owner {
                                let owner: String =
                                    owner.try_get("id").map_err($dialect::failure)?;
                                if owner != id {
                                    return Err(Failure::Error(Error::new(
                                        ErrorKind::DuplicateId { id: email },
                                    )));
                                }
                            }
                            sqlx::query(UPSERT_CUSTOMER)
                                .bind(&id)
                                .bind(&email)
                                .bind(&body)
                                .execute(&mut **tx)
                                .await
                                .map_err($dialect::failure)?;
                            Ok(())
                        })
                    })
                    .await
                }

                async fn customer(&self, id: &str) -> Result<Option<Customer>> {
                    self.fetch_body(SELECT_CUSTOMER, id)
                        .await?
                        .map(|b| from_json(&b))
                        .transpose()
                }

                async fn customer_by_email(&self, email: &str) -> Result<Option<Customer>> {
                    self.fetch_body(SELECT_CUSTOMER_BY_EMAIL, &email.to_lowercase())
                        .await?
                        .map(|b| from_json(&b))
                        .transpose()
                }
            }

            #[async_trait]
            impl CartStore for $store {
                async fn put_cart(
                    &self,
                    cart: &StoredCart,
                    expected_version: Option<u64>,
                ) -> Result<()> {
                    let body = to_json(cart)?;
                    let version =
                        i64::try_from(cart.version).map_err(|_| Error::overflow("version"))?;
                    let expected = expected_version
                        .map(i64::try_from)
                        .transpose()
                        .map_err(|_| Error::overflow("version"))?;
                    if $dialect::GROUP_COMMIT {
                        use $crate::batch::Bound::{Int, Text};
                        let (id, body) = (Text(cart.id.clone()), Text(body.clone()));
                        let written = match expected {
                            None => {
                                self.one_row_in_group(INSERT_CART, vec![id, Int(version), body])
                            }
                            Some(expected) => self.one_row_in_group(
                                UPDATE_CART,
                                vec![id, Int(version), body, Int(expected)],
                            ),
                        };
                        // Anything else is decided below, by the statement alone.
                        if written.await? {
                            return Ok(());
                        }
                    }
                    let written = match expected {
                        None => {
                            sqlx::query(INSERT_CART)
                                .bind(&cart.id)
                                .bind(version)
                                .bind(&body)
                                .execute(&mut *self.writing().await?)
                                .await
                        }
                        Some(expected) => {
                            sqlx::query(UPDATE_CART)
                                .bind(&cart.id)
                                .bind(version)
                                .bind(&body)
                                .bind(expected)
                                .execute(&mut *self.writing().await?)
                                .await
                        }
                    }
                    .map_err(db)?;
                    if written.rows_affected() == 1 {
                        Ok(())
                    } else {
                        Err(Error::conflict("cart", cart.id.clone()))
                    }
                }

                async fn cart(&self, id: &str) -> Result<Option<StoredCart>> {
                    self.fetch_body(SELECT_CART, id)
                        .await?
                        .map(|b| from_json(&b))
                        .transpose()
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
                    self.write(move |tx| {
                        let adjustment = adjustment.clone();
                        Box::pin(async move { adjust(tx, &adjustment, now).await })
                    })
                    .await
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
                        status: reservation_status(
                            &row.try_get::<String, _>("status").map_err(db)?,
                        )?,
                        created_at: instant(row.try_get("created_at").map_err(db)?),
                        expires_at: instant(row.try_get("expires_at").map_err(db)?),
                        reference: row.try_get("reference").map_err(db)?,
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
                                kind: movement_kind(
                                    &row.try_get::<String, _>("kind").map_err(db)?,
                                )?,
                                quantity: row.try_get("quantity").map_err(db)?,
                                at: instant(row.try_get("at").map_err(db)?),
                                reference: row.try_get("reference").map_err(db)?,
                            })
                        })
                        .collect()
                }
            }

            fn version(v: u64) -> std::result::Result<i64, Failure> {
                i64::try_from(v).map_err(|_| Failure::Error(Error::overflow("version")))
            }

            async fn write_order(
                tx: &mut Tx<'_>,
                order: &Order,
                expected: Option<u64>,
            ) -> std::result::Result<(), Failure> {
                let body = to_json(order)?;
                let written = match expected {
                    None => {
                        let inserted = sqlx::query(INSERT_ORDER)
                            .bind(&order.id)
                            .bind(order.cart_id.as_deref())
                            .bind(order.customer_id.as_deref())
                            .bind(order.currency.code())
                            .bind(order.grand_total().to_minor()?)
                            .bind(order.status.as_str())
                            .bind(order.payment_status.as_str())
                            .bind(order.fulfillment_status.as_str())
                            .bind(version(order.version)?)
                            .bind(millis(order.created_at))
                            .bind(&body)
                            .execute(&mut **tx)
                            .await;
                        match inserted {
                            Err(err) if $dialect::is_unique_violation(&err) => 0,
                            other => other.map_err($dialect::failure)?.rows_affected(),
                        }
                    }
                    Some(expected) => sqlx::query(UPDATE_ORDER)
                        .bind(&order.id)
                        .bind(order.status.as_str())
                        .bind(order.payment_status.as_str())
                        .bind(order.fulfillment_status.as_str())
                        .bind(version(order.version)?)
                        .bind(&body)
                        .bind(version(expected)?)
                        .execute(&mut **tx)
                        .await
                        .map_err($dialect::failure)?
                        .rows_affected(),
                };
                if written == 1 {
                    Ok(())
                } else {
                    Err(Failure::Error(Error::conflict("order", order.id.clone())))
                }
            }

            async fn write_intent(
                tx: &mut Tx<'_>,
                intent: &PaymentIntent,
                expected: Option<u64>,
            ) -> std::result::Result<(), Failure> {
                if !intent.amounts_are_consistent() {
                    return Err(Failure::Error(Error::storage(format!(
                        "payment intent `{}` breaks its amount invariants",
                        intent.id
                    ))));
                }
                let body = to_json(intent)?;
                let written = match expected {
                    None => {
                        let inserted = sqlx::query(INSERT_INTENT)
                            .bind(&intent.id)
                            .bind(&intent.order_id)
                            .bind(intent.amount.currency().code())
                            .bind(intent.amount.to_minor()?)
                            .bind(intent.amount_capturable.to_minor()?)
                            .bind(intent.amount_received.to_minor()?)
                            .bind(intent.amount_refunded.to_minor()?)
                            .bind(intent.status.as_str())
                            .bind(version(intent.version)?)
                            .bind(&body)
                            .execute(&mut **tx)
                            .await;
                        match inserted {
                            Err(err) if $dialect::is_unique_violation(&err) => 0,
                            other => other.map_err($dialect::failure)?.rows_affected(),
                        }
                    }
                    Some(expected) => sqlx::query(UPDATE_INTENT)
                        .bind(&intent.id)
                        .bind(intent.amount_capturable.to_minor()?)
                        .bind(intent.amount_received.to_minor()?)
                        .bind(intent.amount_refunded.to_minor()?)
                        .bind(intent.status.as_str())
                        .bind(version(intent.version)?)
                        .bind(&body)
                        .bind(version(expected)?)
                        .execute(&mut **tx)
                        .await
                        .map_err($dialect::failure)?
                        .rows_affected(),
                };
                if written == 1 {
                    Ok(())
                } else {
                    Err(Failure::Error(Error::conflict(
                        "payment_intent",
                        intent.id.clone(),
                    )))
                }
            }

            /// Writes the unit of work into a batch (see `batch.rs`); `None` where a value
            /// cannot be written (the careful path then reports why).
            fn push_unit(batch: &mut $crate::batch::Batch, changes: &Changes) -> Option<()> {
                use $crate::batch::Arg::{Int, OptBool, OptText, Text};
                use $crate::batch::Expect::{Any, Changed, OneRowInserted};
                let now = Int(millis(changes.now));
                if let Some(event) = &changes.gateway_event_id {
                    batch.push(INSERT_GATEWAY_EVENT, &[Text(event), now], Changed(1));
                }
                let demand = match &changes.reserve {
                    Some(request) => {
                        request.validate().ok()?;
                        request.demand()
                    }
                    None => Default::default(),
                };
                if let Some(request) = &changes.reserve {
                    let (id, location) = (Text(&request.id), Text(&request.location));
                    let kind = Text(movement_name(MovementKind::Reservation));
                    for (sku, quantity) in &demand {
                        let (sku, quantity) = (Text(sku), Int(*quantity));
                        batch.push(RESERVE_UNITS, &[sku, location, quantity], Changed(1));
                        batch.push(
                            INSERT_MOVEMENT,
                            &[sku, location, kind, quantity, now, id],
                            OneRowInserted,
                        );
                    }
                    let expires = Int(millis(request.expires_at));
                    let reference = OptText(request.reference.as_deref());
                    batch.push(
                        INSERT_RESERVATION,
                        &[id, now, expires, reference],
                        OneRowInserted,
                    );
                    for (sku, quantity) in &demand {
                        let line = [id, Text(sku), location, Int(*quantity)];
                        batch.push(INSERT_RESERVATION_LINE, &line, OneRowInserted);
                    }
                }
                let settle = |batch: &mut $crate::batch::Batch, id: &str, update, kind| {
                    if let Some(lock) = $dialect::LOCK_RESERVED_STOCK {
                        batch.push(lock, &[Text(id)], Any);
                    }
                    batch.push(update, &[Text(id)], Any);
                    batch.push(
                        RESERVED_MOVEMENTS,
                        &[Text(id), Text(movement_name(kind)), now],
                        Any,
                    );
                };
                if let Some(id) = &changes.commit_reservation {
                    batch.push(COMMIT_RESERVATION, &[Text(id), now], Changed(1));
                    settle(batch, id, SELL_RESERVED, MovementKind::Sale);
                }
                if let Some(id) = &changes.release_reservation {
                    batch.push(CLOSE_RESERVATION, &[Text(id), Text("released")], Changed(1));
                    settle(batch, id, RETURN_RESERVED, MovementKind::Release);
                }
                for (sku, location, quantity) in &changes.restock {
                    let (sku, location, quantity) = (Text(sku), Text(location), Int(*quantity));
                    batch.push(ENSURE_STOCK, &[sku, location], Any);
                    batch.push(RESTOCK_UNITS, &[sku, location, quantity], Changed(1));
                    let kind = Text(movement_name(MovementKind::Return));
                    let entry = [sku, location, kind, quantity, now, OptText(None)];
                    batch.push(INSERT_MOVEMENT, &entry, OneRowInserted);
                }
                if let Some(adjustment) = &changes.adjustment {
                    if !changes.restock.is_empty() {
                        return None;
                    }
                    let (sku, location) = (Text(&adjustment.sku), Text(&adjustment.location));
                    batch.push(ENSURE_STOCK, &[sku, location], Any);
                    let change = [
                        sku,
                        location,
                        Int(adjustment.delta),
                        OptBool(adjustment.allow_backorder),
                    ];
                    batch.push(ADJUST_STOCK, &change, Changed(1));
                    if adjustment.delta != 0 {
                        let kind = Text(movement_name(MovementKind::Adjustment));
                        let entry = [
                            sku,
                            location,
                            kind,
                            Int(adjustment.delta),
                            now,
                            OptText(None),
                        ];
                        batch.push(INSERT_MOVEMENT, &entry, OneRowInserted);
                    }
                }
                let bodies: Vec<String> = changes
                    .orders
                    .iter()
                    .map(|o| to_json(&o.value))
                    .chain(changes.intents.iter().map(|i| to_json(&i.value)))
                    .collect::<Result<_>>()
                    .ok()?;
                let (order_bodies, intent_bodies) = bodies.split_at(changes.orders.len());
                for (order, body) in changes.orders.iter().zip(order_bodies) {
                    let o = &order.value;
                    let (status, paid, fulfilled) = (
                        Text(o.status.as_str()),
                        Text(o.payment_status.as_str()),
                        Text(o.fulfillment_status.as_str()),
                    );
                    let new_version = Int(version(o.version).ok()?);
                    match order.expected_version {
                        None => batch.push(
                            INSERT_ORDER,
                            &[
                                Text(&o.id),
                                OptText(o.cart_id.as_deref()),
                                OptText(o.customer_id.as_deref()),
                                Text(o.currency.code()),
                                Int(o.grand_total().to_minor().ok()?),
                                status,
                                paid,
                                fulfilled,
                                new_version,
                                Int(millis(o.created_at)),
                                Text(body),
                            ],
                            OneRowInserted,
                        ),
                        Some(expected) => batch.push(
                            UPDATE_ORDER,
                            &[
                                Text(&o.id),
                                status,
                                paid,
                                fulfilled,
                                new_version,
                                Text(body),
                                Int(version(expected).ok()?),
                            ],
                            Changed(1),
                        ),
                    }
                }
                for (intent, body) in changes.intents.iter().zip(intent_bodies) {
                    let i = &intent.value;
                    if !i.amounts_are_consistent() {
                        return None;
                    }
                    let amounts = [
                        Int(i.amount_capturable.to_minor().ok()?),
                        Int(i.amount_received.to_minor().ok()?),
                        Int(i.amount_refunded.to_minor().ok()?),
                    ];
                    let (status, new_version) =
                        (Text(i.status.as_str()), Int(version(i.version).ok()?));
                    match intent.expected_version {
                        None => batch.push(
                            INSERT_INTENT,
                            &[
                                Text(&i.id),
                                Text(&i.order_id),
                                Text(i.amount.currency().code()),
                                Int(i.amount.to_minor().ok()?),
                                amounts[0],
                                amounts[1],
                                amounts[2],
                                status,
                                new_version,
                                Text(body),
                            ],
                            OneRowInserted,
                        ),
                        Some(expected) => batch.push(
                            UPDATE_INTENT,
                            &[
                                Text(&i.id),
                                amounts[0],
                                amounts[1],
                                amounts[2],
                                status,
                                new_version,
                                Text(body),
                                Int(version(expected).ok()?),
                            ],
                            Changed(1),
                        ),
                    }
                }
                for event in &changes.events {
                    let data = to_json(&event.data).ok()?;
                    batch.push(
                        INSERT_EVENT,
                        &[
                            Text(&event.id),
                            Text(event.kind.as_str()),
                            Text(&event.aggregate_id),
                            Int(millis(event.occurred_at)),
                            Text(&data),
                        ],
                        Any,
                    );
                }
                if let Some(request) = &changes.reserve {
                    for (sku, _) in &demand {
                        let low = [Text(sku), Text(&request.location), Text(&request.id), now];
                        batch.push($dialect::STOCK_LOW_EVENT, &low, Any);
                    }
                }
                if let Some(done) = &changes.idempotency {
                    let completion = [
                        Text(&done.scope),
                        Text(&done.key),
                        Text(&done.response),
                        now,
                    ];
                    batch.push(COMPLETE_IDEMPOTENCY, &completion, Any);
                }
                Some(())
            }

            /// One attempt at a unit of work; `Ok(None)` means a duplicate gateway event.
            async fn apply_once(
                tx: &mut Tx<'_>,
                changes: &Changes,
            ) -> std::result::Result<Option<()>, Failure> {
                let now = changes.now;
                if let Some(event) = &changes.gateway_event_id {
                    let recorded = sqlx::query(INSERT_GATEWAY_EVENT)
                        .bind(event)
                        .bind(millis(now))
                        .execute(&mut **tx)
                        .await
                        .map_err($dialect::failure)?
                        .rows_affected();
                    if recorded == 0 {
                        return Ok(None);
                    }
                }
                let mut events = Vec::new();
                if let Some(request) = &changes.reserve {
                    events = reserve(tx, request, now).await?;
                }
                if let Some(id) = &changes.commit_reservation {
                    let committed = sqlx::query(COMMIT_RESERVATION)
                        .bind(id)
                        .bind(millis(now))
                        .execute(&mut **tx)
                        .await
                        .map_err($dialect::failure)?
                        .rows_affected();
                    if committed == 0 {
                        return Err(Failure::Error(Error::new(ErrorKind::ReservationExpired {
                            id: id.clone(),
                        })));
                    }
                    settle_lines(tx, id, SELL_RESERVED, MovementKind::Sale, now).await?;
                }
                if let Some(id) = &changes.release_reservation {
                    if !close(tx, id, "released", now).await? {
                        let exists = sqlx::query(SELECT_RESERVATION)
                            .bind(id)
                            .fetch_optional(&mut **tx)
                            .await
                            .map_err($dialect::failure)?;
                        if exists.is_none() {
                            return Err(Failure::Error(Error::not_found(
                                "reservation",
                                id.clone(),
                            )));
                        }
                    }
                }
                for (sku, location, quantity) in &changes.restock {
                    sqlx::query(ENSURE_STOCK)
                        .bind(sku)
                        .bind(location)
                        .execute(&mut **tx)
                        .await
                        .map_err($dialect::failure)?;
                    sqlx::query(RESTOCK_UNITS)
                        .bind(sku)
                        .bind(location)
                        .bind(quantity)
                        .execute(&mut **tx)
                        .await
                        .map_err($dialect::failure)?;
                    movement(
                        tx,
                        sku,
                        location,
                        MovementKind::Return,
                        *quantity,
                        now,
                        None,
                    )
                    .await?;
                }
                if let Some(adjustment) = &changes.adjustment {
                    if !changes.restock.is_empty() {
                        return Err(Failure::Error(Error::invalid(
                            "a unit of work adjusts stock or restocks it, not both",
                        )));
                    }
                    adjust(tx, adjustment, now).await?;
                }
                for order in &changes.orders {
                    write_order(tx, &order.value, order.expected_version).await?;
                }
                for intent in &changes.intents {
                    write_intent(tx, &intent.value, intent.expected_version).await?;
                }
                for event in changes.events.iter().chain(&events) {
                    sqlx::query(INSERT_EVENT)
                        .bind(&event.id)
                        .bind(event.kind.as_str())
                        .bind(&event.aggregate_id)
                        .bind(millis(event.occurred_at))
                        .bind(to_json(&event.data)?)
                        .execute(&mut **tx)
                        .await
                        .map_err($dialect::failure)?;
                }
                if let Some(done) = &changes.idempotency {
                    sqlx::query(COMPLETE_IDEMPOTENCY)
                        .bind(&done.scope)
                        .bind(&done.key)
                        .bind(&done.response)
                        .bind(millis(now))
                        .execute(&mut **tx)
                        .await
                        .map_err($dialect::failure)?;
                }
                Ok(Some(()))
            }

            #[async_trait]
            impl OrderStore for $store {
                async fn apply(&self, changes: Changes) -> Result<Applied> {
                    use $crate::batch::Ran;
                    // The common path: the whole unit in one round trip.
                    let changes = std::sync::Arc::new(changes);
                    let batched = changes.clone();
                    let unit: $crate::batch::Unit =
                        Box::new(move |batch| push_unit(batch, &batched));
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

                async fn payment_intent(&self, id: &str) -> Result<Option<PaymentIntent>> {
                    self.fetch_body(SELECT_INTENT, id)
                        .await?
                        .map(|b| from_json(&b))
                        .transpose()
                }
            }

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
                            let started: i64 =
                                row.try_get("started_at").map_err($dialect::failure)?;
                            if stored != fingerprint && !stored.is_empty() {
                                return Err(Failure::Error(Error::new(
                                    ErrorKind::IdempotencyMismatch { key },
                                )));
                            }
                            match response {
                                Some(response) => Ok(IdempotencyBegin::Replay(response)),
                                None if millis(now) - started < IDEMPOTENCY_LOCK_MILLIS => {
                                    Err(Failure::Error(Error::new(
                                        ErrorKind::IdempotencyInFlight { key },
                                    )))
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
                            let mut claimed: Vec<(i64, ClaimedEvent)> =
                                Vec::with_capacity(rows.len());
                            for row in rows {
                                let kind: String =
                                    row.try_get("kind").map_err($dialect::failure)?;
                                let kind: EventKind = from_json(&format!("\"{kind}\""))?;
                                let data: String =
                                    row.try_get("data").map_err($dialect::failure)?;
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
                                    },
                                ));
                            }
                            claimed.sort_by_key(|(seq, _)| *seq);
                            Ok(claimed.into_iter().map(|(_, e)| e).collect())
                        })
                    })
                    .await
                }

                async fn retry_events(&self, ids: &[String], not_before: Timestamp) -> Result<()> {
                    for id in ids {
                        sqlx::query(RETRY_EVENT)
                            .bind(id)
                            .bind(millis(not_before))
                            .execute(&mut *self.writing().await?)
                            .await
                            .map_err(db)?;
                    }
                    Ok(())
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

                async fn create_account(
                    &self,
                    customer: &Customer,
                    password_hash: &str,
                ) -> Result<()> {
                    let email = customer.email.to_lowercase();
                    let body = to_json(customer)?;
                    let (id, hash) = (customer.id.clone(), password_hash.to_string());
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
                                .execute(&mut **tx)
                                .await;
                            let inserted = match inserted {
                                // A concurrent registration of the same address.
                                Err(err) if $dialect::is_unique_violation(&err) => {
                                    return Err(Failure::Error(Error::new(
                                        ErrorKind::DuplicateId { id: email },
                                    )));
                                }
                                other => other.map_err($dialect::failure)?,
                            };
                            if inserted.rows_affected() == 0 {
                                return Err(Failure::Error(Error::new(ErrorKind::DuplicateId {
                                    id,
                                })));
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

                async fn revoke_sessions_of(
                    &self,
                    customer_id: &str,
                    now: Timestamp,
                ) -> Result<u64> {
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

                async fn put_config(
                    &self,
                    config: &ShopConfig,
                    expected_version: u64,
                ) -> Result<()> {
                    let mut stored = config.clone();
                    stored.version = expected_version + 1;
                    let body = to_json(&stored)?;
                    let new_version =
                        i64::try_from(stored.version).map_err(|_| Error::overflow("version"))?;
                    let expected =
                        i64::try_from(expected_version).map_err(|_| Error::overflow("version"))?;
                    let written = if expected_version == 0 {
                        sqlx::query(INSERT_CONFIG)
                            .bind(new_version)
                            .bind(&body)
                            .execute(&mut *self.writing().await?)
                            .await
                    } else {
                        sqlx::query(UPDATE_CONFIG)
                            .bind(new_version)
                            .bind(&body)
                            .bind(expected)
                            .execute(&mut *self.writing().await?)
                            .await
                    }
                    .map_err(db)?;
                    if written.rows_affected() == 1 {
                        Ok(())
                    } else {
                        Err(Error::conflict("config", "shop"))
                    }
                }
            }
        };
    };
}

pub(crate) use impl_store;
