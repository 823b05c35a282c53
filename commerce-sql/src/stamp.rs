//! The storage traits, written once for both backends.
//!
//! `impl_store!(Store, dialect)` implements every trait for a store type whose `readers` field
//! (for reads) and `writer` field (for writes) lend a connection with `acquire` (sqlx's pool on
//! PostgreSQL, connections held by the store on SQLite: `held.rs`). The dialect module supplies
//! what differs: `begin_write`, `run_unit` (a unit of work as one batch; grouped with others on
//! SQLite, where `GROUP_COMMIT` sends single-statement writes through it too), `failure` (which
//! errors are retried), `is_unique_violation`, and the SQL that differs (`CLAIM_EVENTS`). Everything else is the SQL in each
//! aggregate's file (`catalog.rs`, `inventory.rs`, ...), stamped here one macro per file, which both databases accept as is
//! (`$n` placeholders, `ON CONFLICT`, `RETURNING`, row values).

use commerce_core::store::Page;

/// A page from up to `limit + 1` fetched items: the first `limit`, and the cursor of the last
/// one if more followed.
pub(crate) fn page<T>(mut items: Vec<T>, limit: usize, cursor: impl Fn(&T) -> String) -> Page<T> {
    let more = items.len() > limit;
    items.truncate(limit);
    let next_cursor = if more { items.last().map(cursor) } else { None };
    Page { items, next_cursor }
}

macro_rules! impl_store {
    ($store:ty, $dialect:ident) => {
        const _: () = {
            use async_trait::async_trait;
            use commerce_core::access::{ApiKey, Session};
            use commerce_core::cart::StoredCart;
            use commerce_core::catalog::{Category, Product};
            use commerce_core::customer::Customer;
            use commerce_core::delivery::{
                Delivery, DeliveryFilter, DeliveryStats, DeliveryStatus, DestinationKind,
            };
            use commerce_core::events::{DomainEvent, EventKind};
            use commerce_core::inventory::{
                Movement, MovementKind, Reservation, ReservationLine, ReservationStatus,
                StockAdjustment, StockLevel,
            };
            use commerce_core::order::Order;
            use commerce_core::payment::PaymentIntent;
            use commerce_core::settings::ShopConfig;
            use commerce_core::store::{
                AccessStore, Applied, CartStore, CatalogStore, Changes, ClaimedDelivery,
                ClaimedEvent, ConfigStore, CustomerStore, DeliveryStore, DeliveryUpdate,
                IDEMPOTENCY_LOCK_MILLIS, IdempotencyBegin, IdempotencyStore, InventoryStore,
                LeaseStore, OrderFilter, OrderStore, OutboxStore, Page, ProductFilter, UsageStore,
                WebhookStore, delivery_cursor, parse_delivery_cursor,
            };
            use commerce_core::usage::counter_scope;
            use commerce_core::webhooks::WebhookEndpoint;
            use commerce_core::{Error, ErrorKind, Result, Timestamp};
            use sqlx::Row;

            use $crate::access::*;
            use $crate::carts::*;
            use $crate::catalog::*;
            use $crate::config::*;
            use $crate::customers::*;
            use $crate::deliveries::*;
            use $crate::idempotency::*;
            use $crate::inventory::*;
            use $crate::leases::*;
            use $crate::orders::*;
            use $crate::outbox::*;
            use $crate::rows::{
                Failure, RETRIES, from_json, instant, millis, movement_kind, movement_name,
                reservation_status, to_json,
            };
            use $crate::stamp::page;
            use $crate::usage::*;
            use $crate::webhooks::*;

            type Tx<'c> = sqlx::Transaction<'c, $dialect::Db>;

            fn db(error: sqlx::Error) -> Error {
                match $dialect::failure(error) {
                    Failure::Error(error) => error,
                    Failure::Retry => Error::storage("the database is busy; retry"),
                }
            }

            impl $store {
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
                        batch.push(sql, &args, $crate::batch::Expect::Changed(1))
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

            impl commerce_core::store::Store for $store {}

            $crate::access::impl_access!($store, $dialect);
            $crate::carts::impl_carts!($store, $dialect);
            $crate::catalog::impl_catalog!($store, $dialect);
            $crate::config::impl_config!($store, $dialect);
            $crate::customers::impl_customers!($store, $dialect);
            $crate::idempotency::impl_idempotency!($store, $dialect);
            $crate::inventory::impl_inventory!($store, $dialect);
            $crate::orders::impl_orders!($store, $dialect);
            $crate::outbox::impl_outbox!($store, $dialect);
            $crate::unit::impl_unit!($store, $dialect);
            $crate::usage::impl_usage!($store, $dialect);
            $crate::deliveries::impl_deliveries!($store, $dialect);
            $crate::webhooks::impl_webhooks!($store, $dialect);
            $crate::leases::impl_leases!($store, $dialect);
        };
    };
}

pub(crate) use impl_store;
