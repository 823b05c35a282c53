//! PostgreSQL: one database shared by several server processes.

use std::str::FromStr;
use std::time::Duration;

use commerce_core::Error;
use sqlx::Connection as _;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use crate::migrate::Migration;

/// The PostgreSQL migrations, in order.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "init",
        sql: include_str!("../migrations/postgres/0001_init.sql"),
    },
    Migration {
        version: 2,
        description: "api keys",
        sql: include_str!("../migrations/postgres/0002_api_keys.sql"),
    },
    Migration {
        version: 3,
        description: "accounts and listings",
        sql: include_str!("../migrations/postgres/0003_accounts_and_listings.sql"),
    },
    Migration {
        version: 4,
        description: "batch checks",
        sql: include_str!("../migrations/postgres/0004_batch_checks.sql"),
    },
    Migration {
        version: 5,
        description: "money moves",
        sql: include_str!("../migrations/postgres/0005_money_moves.sql"),
    },
    Migration {
        version: 6,
        description: "reservation holders",
        sql: include_str!("../migrations/postgres/0006_reservation_holders.sql"),
    },
    Migration {
        version: 7,
        description: "promotion uses",
        sql: include_str!("../migrations/postgres/0007_promotion_uses.sql"),
    },
    Migration {
        version: 8,
        description: "customer versions",
        sql: include_str!("../migrations/postgres/0008_customer_versions.sql"),
    },
    Migration {
        version: 9,
        description: "deliveries, webhook endpoints, leases",
        sql: include_str!("../migrations/postgres/0009_deliveries.sql"),
    },
    Migration {
        version: 10,
        description: "catalog version",
        sql: include_str!("../migrations/postgres/0010_catalog_version.sql"),
    },
];

/// A store on PostgreSQL.
///
/// Transactions run at READ COMMITTED; every race-prone write is a single guarded statement
/// (`UPDATE … WHERE version = $n`, `… WHERE on_hand − reserved >= $q`) with its rows affected
/// checked, so no read-then-write decision depends on a stale read. Serialization failures and
/// deadlocks are retried, bounded. Outbox batches are claimed with `FOR UPDATE SKIP LOCKED`.
#[derive(Debug, Clone)]
pub struct PgStore {
    pub(crate) readers: PgPool,
    /// The same pool: PostgreSQL runs writers side by side.
    pub(crate) writer: PgPool,
    pub(crate) careful_units: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl PgStore {
    /// Connects and applies migrations (serialised between processes by an advisory lock).
    ///
    /// # Errors
    ///
    /// `backend_error` if the server cannot be reached or the migrations fail.
    pub async fn connect(url: &str) -> Result<PgStore, Error> {
        PgStore::connect_with(url, 16).await
    }

    /// Connects with a pool of `max_connections`.
    ///
    /// # Errors
    ///
    /// As [`PgStore::connect`].
    pub async fn connect_with(url: &str, max_connections: u32) -> Result<PgStore, Error> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| Error::storage(format!("invalid PostgreSQL URL: {e}")))?;
        PgStore::connect_options(options, max_connections).await
    }

    /// Connects with explicit connection options (a `search_path`, TLS settings, ...).
    ///
    /// # Errors
    ///
    /// As [`PgStore::connect`].
    pub async fn connect_options(
        options: PgConnectOptions,
        max_connections: u32,
    ) -> Result<PgStore, Error> {
        // One direct connection first: a wrong address or a refused login fails at once, where
        // the pool would keep retrying until its acquire timeout.
        let probe = sqlx::PgConnection::connect_with(&options)
            .await
            .map_err(|e| Error::storage(format!("cannot connect to PostgreSQL: {e}")))?;
        let _ = probe.close().await;
        // No ping before every acquire: it cost a round trip on every request. A connection
        // that broke (a restarted server) fails the one request that gets it, as a storage
        // error the client may retry; sqlx then drops it from the pool.
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(30))
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(|e| Error::storage(format!("cannot connect to PostgreSQL: {e}")))?;
        let store = PgStore {
            writer: pool.clone(),
            readers: pool,
            careful_units: Default::default(),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies the migrations that have not been applied yet (idempotent, safe to run from
    /// several processes at once).
    ///
    /// # Errors
    ///
    /// `backend_error`, or if an applied migration was changed since.
    pub async fn migrate(&self) -> Result<(), Error> {
        let mut tx = self.writer.begin().await.map_err(Error::storage_from)?;
        sqlx::query("SELECT pg_advisory_xact_lock(7355608)")
            .execute(&mut *tx)
            .await
            .map_err(Error::storage_from)?;
        create_missing_schema(&mut tx).await?;
        let applied = crate::migrate::apply(&mut tx, MIGRATIONS).await?;
        if applied.contains(&crate::migrate::LISTING_COLUMNS) {
            Self::index_every_product(&mut tx).await?;
        }
        tx.commit().await.map_err(Error::storage_from)
    }

    /// The connection pool, for hosts that share it.
    pub fn pool(&self) -> &PgPool {
        &self.readers
    }
}

/// A store pointed at its own schema (`?options=-c%20search_path%3Dshop` in the URL) creates it
/// on first connect, so that the library can live beside a host's tables without setup.
async fn create_missing_schema(tx: &mut sqlx::PgConnection) -> Result<(), Error> {
    let storage = Error::storage_from;
    let current: Option<String> = sqlx::query_scalar("SELECT current_schema()")
        .fetch_one(&mut *tx)
        .await
        .map_err(storage)?;
    if current.is_some() {
        return Ok(());
    }
    let search_path: String = sqlx::query_scalar("SELECT current_setting('search_path')")
        .fetch_one(&mut *tx)
        .await
        .map_err(storage)?;
    let Some(schema) = search_path
        .split(',')
        .map(|s| s.trim().trim_matches('"'))
        .find(|s| !s.is_empty() && *s != "$user")
    else {
        return Ok(());
    };
    // The name is quoted, with its own quotes doubled: an identifier, never SQL.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE SCHEMA IF NOT EXISTS \"{}\"",
        schema.replace('"', "\"\"")
    )))
    .execute(&mut *tx)
    .await
    .map_err(storage)?;
    Ok(())
}

pub(crate) mod dialect {
    use sqlx::error::ErrorKind as SqlxKind;

    use crate::rows::Failure;

    pub(crate) type Db = sqlx::Postgres;

    /// Claims a batch; concurrent relays skip each other's rows instead of waiting.
    pub(crate) const CLAIM_EVENTS: &str = "UPDATE commerce_outbox SET lease_until = $2, attempts = attempts + 1 \
         WHERE seq IN (SELECT seq FROM commerce_outbox WHERE NOT delivered AND lease_until <= $1 ORDER BY seq LIMIT $3 FOR UPDATE SKIP LOCKED) \
         RETURNING seq, id, kind, aggregate_id, occurred_at, data, attempts";

    /// Claims due deliveries, each the earliest pending one of its stream to its destination
    /// (`$1` now, `$2` the lease's end, `$3` how many): counts the attempt, and makes it due
    /// again only when the lease runs out.
    pub(crate) const CLAIM_DELIVERIES: &str = "UPDATE commerce_deliveries SET attempts = attempts + 1, next_attempt_at = $2 \
         WHERE (event_id, destination) IN (SELECT h.event_id, h.destination FROM commerce_deliveries h \
         WHERE h.status = 'pending' AND h.next_attempt_at <= $1 AND NOT EXISTS (SELECT 1 FROM commerce_deliveries e \
         WHERE e.destination = h.destination AND e.stream = h.stream AND e.status = 'pending' AND e.seq < h.seq) \
         ORDER BY h.seq, h.destination LIMIT $3 FOR UPDATE OF h SKIP LOCKED) \
         RETURNING event_id, destination, kind, stream, seq, status, attempts, next_attempt_at, last_error, updated_at";

    /// Emits `stock_low` for a SKU whose availability (after a reservation) is at or below the
    /// shop's threshold: `$1` SKU, `$2` location, `$3` reservation id, `$4` now.
    pub(crate) const STOCK_LOW_EVENT: &str = "INSERT INTO commerce_outbox (id, kind, aggregate_id, occurred_at, data) \
         SELECT $1 || ':stock_low:' || $3, 'stock_low', $1, $4, json_build_object('available', on_hand - reserved, 'location', location)::text \
         FROM commerce_stock_levels WHERE sku = $1 AND location = $2 AND on_hand - reserved <= \
         COALESCE((SELECT (body::jsonb ->> 'low_stock_threshold')::bigint FROM commerce_config WHERE id = 1), 0) \
         ON CONFLICT (id) DO NOTHING";

    /// Locks the stock rows of a reservation's lines in SKU order, the fixed lock order, before
    /// a statement updates them all at once.
    pub(crate) const LOCK_RESERVED_STOCK: Option<&str> = Some(
        "SELECT s.sku FROM commerce_stock_levels s JOIN commerce_reservation_lines l \
         ON s.sku = l.sku AND s.location = l.location WHERE l.reservation_id = $1 \
         ORDER BY s.sku, s.location FOR UPDATE OF s",
    );

    /// The SQL of a unit of work that differs here.
    pub(crate) const UNIT_SQL: crate::unit::UnitSql = crate::unit::UnitSql {
        lock_reserved_stock: LOCK_RESERVED_STOCK,
        stock_low_event: STOCK_LOW_EVENT,
    };

    /// How a batch is written on PostgreSQL (see `batch.rs`).
    pub(crate) static BATCH: crate::batch::Dialect = crate::batch::Dialect {
        begin: "BEGIN",
        text: Some(text_literal),
        checked,
    };

    /// A string as an escape-string literal, `E'…'`, with every backslash and quote doubled:
    /// nothing in it can end the literal or start an escape, whatever
    /// `standard_conforming_strings` says. A plain literal, unlike a function of one, lets the
    /// planner use an index.
    fn text_literal(value: &str, out: &mut String) {
        out.reserve(value.len() + 3);
        out.push_str("E'");
        for c in value.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\'' => out.push_str("''"),
                c => out.push(c),
            }
        }
        out.push('\'');
    }

    /// The statement wrapped so that the function of migration 0004 counts the rows it
    /// changed, and raises unless they are `n`.
    fn checked(statement: &str, n: u64, out: &mut String) {
        use std::fmt::Write as _;
        let returning = if statement.contains(" RETURNING ") {
            ""
        } else {
            " RETURNING 1"
        };
        let _ = writeln!(
            out,
            "WITH changed AS ({statement}{returning}) SELECT commerce_check(count(*) = {n}) FROM changed;"
        );
    }

    /// PostgreSQL runs writers side by side: nothing is grouped, a single statement goes alone.
    pub(crate) const GROUP_COMMIT: bool = false;

    /// Runs a unit of work as one batch, on a task of its own so that it always ends with a
    /// `COMMIT` or a `ROLLBACK`, whatever happens to the caller.
    pub(crate) async fn run_unit(
        store: &super::PgStore,
        unit: crate::batch::Unit,
    ) -> Result<crate::batch::Ran, commerce_core::Error> {
        use crate::batch::Ran;

        let mut batch = crate::batch::Batch::new(&BATCH);
        if unit(&mut batch).is_none() {
            return Ok(Ran::NotBatched);
        }
        // Values are written into the text as literals: PostgreSQL prepares one statement at
        // a time.
        let (sql, _) = batch.finish();
        let pool = store.writer.clone();
        let storage = commerce_core::Error::storage_from;
        let task = tokio::spawn(async move {
            let mut connection = pool.acquire().await.map_err(storage)?;
            let results = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute_many(&mut *connection);
            if crate::batch::all_succeeded(results).await {
                return Ok(Ran::Done);
            }
            // The batch stopped before its COMMIT: end the transaction it opened.
            sqlx::raw_sql("ROLLBACK")
                .execute(&mut *connection)
                .await
                .map_err(storage)?;
            Ok(Ran::RolledBack)
        });
        task.await
            .map_err(|e| commerce_core::Error::storage(format!("a unit of work stopped: {e}")))?
    }

    pub(crate) async fn begin_write(
        connection: &mut sqlx::PgConnection,
    ) -> Result<sqlx::Transaction<'_, Db>, Failure> {
        sqlx::Connection::begin(connection).await.map_err(failure)
    }

    pub(crate) fn failure(error: sqlx::Error) -> Failure {
        if let sqlx::Error::Database(db) = &error {
            // serialization_failure, deadlock_detected
            if matches!(db.code().as_deref(), Some("40001" | "40P01")) {
                return Failure::Retry;
            }
        }
        Failure::Error(commerce_core::Error::storage_from(error))
    }

    pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
        matches!(error, sqlx::Error::Database(db) if matches!(db.kind(), SqlxKind::UniqueViolation))
    }
}

crate::stamp::impl_store!(PgStore, dialect);
