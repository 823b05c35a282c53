//! SQLite: the embedded default. One file (WAL), or memory; no server.

use std::str::FromStr;
use std::time::Duration;

use commerce_core::Error;
use sqlx::ConnectOptions as _;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::held::Connections;
use crate::migrate::Migration;

/// Reading connections of a store on a file.
const READERS: usize = 8;

/// The SQLite migrations, in order.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "init",
        sql: include_str!("../migrations/sqlite/0001_init.sql"),
    },
    Migration {
        version: 2,
        description: "api keys",
        sql: include_str!("../migrations/sqlite/0002_api_keys.sql"),
    },
    Migration {
        version: 3,
        description: "accounts and listings",
        sql: include_str!("../migrations/sqlite/0003_accounts_and_listings.sql"),
    },
    Migration {
        version: 4,
        description: "batch checks",
        sql: include_str!("../migrations/sqlite/0004_batch_checks.sql"),
    },
    Migration {
        version: 5,
        description: "money moves",
        sql: include_str!("../migrations/sqlite/0005_money_moves.sql"),
    },
    Migration {
        version: 6,
        description: "reservation holders",
        sql: include_str!("../migrations/sqlite/0006_reservation_holders.sql"),
    },
    Migration {
        version: 7,
        description: "promotion uses",
        sql: include_str!("../migrations/sqlite/0007_promotion_uses.sql"),
    },
    Migration {
        version: 8,
        description: "customer versions",
        sql: include_str!("../migrations/sqlite/0008_customer_versions.sql"),
    },
    Migration {
        version: 9,
        description: "deliveries, webhook endpoints, leases",
        sql: include_str!("../migrations/sqlite/0009_deliveries.sql"),
    },
    Migration {
        version: 10,
        description: "catalog version",
        sql: include_str!("../migrations/sqlite/0010_catalog_version.sql"),
    },
];

/// A store on SQLite.
///
/// Opened with WAL, `synchronous = NORMAL`, foreign keys on, and a 30-second busy timeout;
/// every write transaction starts with `BEGIN IMMEDIATE`, so a transaction that reads before it
/// writes waits for the write lock instead of failing with `SQLITE_BUSY`. Writes go through one
/// connection of their own (SQLite has one writer at a time), reads through eight others; the
/// store holds these itself (`held.rs`), and [`SqliteStore::pool`] is a pool for the host.
///
/// `synchronous = NORMAL` means a commit survives a crash of the process, always, but a power
/// cut or an operating-system crash may undo the last transactions since the last checkpoint
/// (never corrupting the file). A shop that cannot accept that runs on PostgreSQL, whose commits
/// are flushed to disk.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// The host's pool on the same database: opens its connections when first used.
    pool: SqlitePool,
    /// Reads.
    pub(crate) readers: Connections,
    /// Writes: one connection, SQLite's one writer at a time.
    pub(crate) writer: Connections,
    /// Units of work waiting for the writer (group commit: `group.rs`).
    pub(crate) units: std::sync::Arc<crate::group::Queue>,
    pub(crate) careful_units: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl SqliteStore {
    /// Opens (creating if missing) the database a `sqlite:` URL names and applies migrations.
    /// `sqlite::memory:` gives a private in-memory database on a single connection.
    ///
    /// # Errors
    ///
    /// `backend_error` if the file cannot be opened or migrated.
    pub async fn open(url: &str) -> Result<SqliteStore, Error> {
        let memory = url.contains(":memory:") || url.contains("mode=memory");
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| Error::storage(format!("invalid SQLite URL: {e}")))?
            .create_if_missing(true)
            .journal_mode(if memory {
                SqliteJournalMode::Memory
            } else {
                SqliteJournalMode::Wal
            })
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30))
            // A checkpoint copies the WAL into the database, on the writer, at a commit. Every
            // 4,000 pages (about 16 MB) rather than SQLite's 1,000: a page written by many
            // transactions (a busy SKU's stock, the outbox's last page) is copied once per
            // checkpoint, so fewer, larger checkpoints copy less.
            .pragma("wal_autocheckpoint", "4000");
        let open_error = |e: sqlx::Error| Error::storage(format!("cannot open SQLite: {e}"));
        let store = if memory {
            // One connection for everything: each would be a database of its own.
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .test_before_acquire(false)
                .acquire_timeout(Duration::from_secs(60))
                .connect_with(options)
                .await
                .map_err(open_error)?;
            SqliteStore {
                readers: Connections::Pool(pool.clone()),
                writer: Connections::Pool(pool.clone()),
                pool,
                units: Default::default(),
                careful_units: Default::default(),
            }
        } else {
            // A file: a few readers, which WAL runs beside the writer, and one writing
            // connection, so that writers queue for it, awake the moment it is free, instead
            // of polling SQLite's lock in the busy handler's sleeps.
            let mut connections = Vec::with_capacity(READERS + 1);
            for _ in 0..=READERS {
                connections.push(options.connect().await.map_err(open_error)?);
            }
            let writer = connections.split_off(READERS);
            SqliteStore {
                pool: SqlitePoolOptions::new()
                    .max_connections(READERS as u32)
                    .test_before_acquire(false)
                    .acquire_timeout(Duration::from_secs(60))
                    .connect_lazy_with(options),
                readers: Connections::hold(connections),
                writer: Connections::hold(writer),
                units: Default::default(),
                careful_units: Default::default(),
            }
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies the migrations that have not been applied yet (idempotent).
    ///
    /// # Errors
    ///
    /// `backend_error`, or if an applied migration was changed since.
    pub async fn migrate(&self) -> Result<(), Error> {
        let mut writer = self
            .writer
            .acquire()
            .await
            .map_err(|e| Error::storage(format!("cannot open SQLite: {e}")))?;
        let mut tx = dialect::begin_write(&mut writer)
            .await
            .map_err(|_| Error::storage("cannot lock the database for migrations"))?;
        let applied = crate::migrate::apply(&mut tx, MIGRATIONS).await?;
        if applied.contains(&crate::migrate::LISTING_COLUMNS) {
            Self::index_every_product(&mut tx).await?;
        }
        tx.commit().await.map_err(Error::storage_from)
    }

    /// A connection pool on the same database, for hosts that share it. The store itself
    /// does not use it (on a file; `sqlite::memory:` is one connection, this pool's).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// How many units of work this store committed in a group with others that waited for the
    /// writer at the same time (group commit): a health figure, which grows with the load.
    pub fn grouped_units(&self) -> u64 {
        self.units
            .grouped
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Closes the store's connections and the shared pool: writes are on disk, the file may
    /// be opened again.
    pub async fn close(&self) {
        self.writer.close().await;
        self.readers.close().await;
        self.pool.close().await;
    }
}

pub(crate) mod dialect {
    use sqlx::error::ErrorKind as SqlxKind;

    use crate::rows::Failure;

    pub(crate) type Db = sqlx::Sqlite;

    /// Claims leased-out-or-fresh events; SQLite has one writer, so no row locks are needed.
    pub(crate) const CLAIM_EVENTS: &str = "UPDATE commerce_outbox SET lease_until = $2, attempts = attempts + 1 \
         WHERE seq IN (SELECT seq FROM commerce_outbox WHERE NOT delivered AND lease_until <= $1 ORDER BY seq LIMIT $3) \
         RETURNING seq, id, kind, aggregate_id, occurred_at, data, attempts";

    /// Claims due deliveries, each the earliest pending one of its stream to its destination
    /// (`$1` now, `$2` the lease's end, `$3` how many): counts the attempt, and makes it due
    /// again only when the lease runs out.
    pub(crate) const CLAIM_DELIVERIES: &str = "UPDATE commerce_deliveries SET attempts = attempts + 1, next_attempt_at = $2 \
         WHERE (event_id, destination) IN (SELECT h.event_id, h.destination FROM commerce_deliveries h \
         WHERE h.status = 'pending' AND h.next_attempt_at <= $1 AND NOT EXISTS (SELECT 1 FROM commerce_deliveries e \
         WHERE e.destination = h.destination AND e.stream = h.stream AND e.status = 'pending' AND e.seq < h.seq) \
         ORDER BY h.seq, h.destination LIMIT $3) \
         RETURNING event_id, destination, kind, stream, seq, status, attempts, next_attempt_at, last_error, updated_at";

    /// Emits `stock_low` for a SKU whose availability (after a reservation) is at or below the
    /// shop's threshold: `$1` SKU, `$2` location, `$3` reservation id, `$4` now.
    pub(crate) const STOCK_LOW_EVENT: &str = "INSERT INTO commerce_outbox (id, kind, aggregate_id, occurred_at, data) \
         SELECT $1 || ':stock_low:' || $3, 'stock_low', $1, $4, json_object('available', on_hand - reserved, 'location', location) \
         FROM commerce_stock_levels WHERE sku = $1 AND location = $2 AND on_hand - reserved <= \
         COALESCE((SELECT json_extract(body, '$.low_stock_threshold') FROM commerce_config WHERE id = 1), 0) \
         ON CONFLICT (id) DO NOTHING";

    /// Nothing to lock: the write transaction holds the whole file.
    pub(crate) const LOCK_RESERVED_STOCK: Option<&str> = None;

    /// The SQL of a unit of work that differs here.
    pub(crate) const UNIT_SQL: crate::unit::UnitSql = crate::unit::UnitSql {
        lock_reserved_stock: LOCK_RESERVED_STOCK,
        stock_low_event: STOCK_LOW_EVENT,
    };

    /// How a batch is written on SQLite (see `batch.rs`).
    pub(crate) static BATCH: crate::batch::Dialect = crate::batch::Dialect {
        begin: "BEGIN IMMEDIATE",
        text: None,
        checked,
    };

    /// The statement, then a row for the check trigger of migration 0004, which aborts unless
    /// the statement changed `n` rows.
    fn checked(statement: &str, n: u64, out: &mut String) {
        use std::fmt::Write as _;
        let _ = writeln!(
            out,
            "{statement};\nINSERT INTO commerce_batch_checks (ok) VALUES (changes() = {n});"
        );
    }

    /// Single-statement writes (a cart, an idempotency key) join the writer's queue too.
    pub(crate) const GROUP_COMMIT: bool = true;

    /// Runs a unit of work on the writer, grouped with whatever else waits for it.
    pub(crate) async fn run_unit(
        store: &super::SqliteStore,
        unit: crate::batch::Unit,
    ) -> Result<crate::batch::Ran, commerce_core::Error> {
        crate::group::run(&store.units, &store.writer, unit).await
    }

    pub(crate) async fn begin_write(
        connection: &mut sqlx::SqliteConnection,
    ) -> Result<sqlx::Transaction<'_, Db>, Failure> {
        sqlx::Connection::begin_with(connection, "BEGIN IMMEDIATE")
            .await
            .map_err(failure)
    }

    pub(crate) fn failure(error: sqlx::Error) -> Failure {
        if let sqlx::Error::Database(db) = &error {
            // SQLITE_BUSY (5), SQLITE_LOCKED (6) and their extended codes.
            let busy = db
                .code()
                .and_then(|c| c.parse::<i32>().ok())
                .is_some_and(|c| c & 0xff == 5 || c & 0xff == 6);
            if busy {
                return Failure::Retry;
            }
        }
        Failure::Error(commerce_core::Error::storage_from(error))
    }

    pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
        matches!(error, sqlx::Error::Database(db) if matches!(db.kind(), SqlxKind::UniqueViolation))
    }
}

crate::stamp::impl_store!(SqliteStore, dialect);
