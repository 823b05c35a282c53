//! A small migration runner with a table of our own (`commerce_migrations`), so that the
//! library can share a database with a host application and its own migrations.

use commerce_core::Error;
use sqlx::{Database, Executor, IntoArguments, Row};

/// The migration that added the derived columns of product listings, which the store fills
/// for existing products once it is applied.
pub(crate) const LISTING_COLUMNS: i64 = 3;

/// One embedded migration.
pub(crate) struct Migration {
    pub version: i64,
    pub description: &'static str,
    pub sql: &'static str,
}

/// A checksum of a migration's text, to notice a migration edited after it was applied.
fn checksum(sql: &str) -> String {
    // FNV-1a, 64 bits: stable across platforms and versions, no dependency.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in sql.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS commerce_migrations (\
    version BIGINT PRIMARY KEY, description TEXT NOT NULL, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)";
const APPLIED: &str = "SELECT version, checksum FROM commerce_migrations ORDER BY version";
const RECORD: &str = "INSERT INTO commerce_migrations (version, description, checksum, applied_at) VALUES ($1, $2, $3, $4)";

/// Applies the migrations not yet recorded, inside the caller's (write-locked) transaction;
/// returns the versions it applied.
pub(crate) async fn apply<DB>(
    tx: &mut sqlx::Transaction<'_, DB>,
    migrations: &[Migration],
) -> Result<Vec<i64>, Error>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'a> DB::Arguments: IntoArguments<DB>,
    i64: sqlx::Type<DB> + for<'r> sqlx::Decode<'r, DB> + for<'q> sqlx::Encode<'q, DB>,
    String: sqlx::Type<DB> + for<'r> sqlx::Decode<'r, DB> + for<'q> sqlx::Encode<'q, DB>,
    for<'q> &'q str: sqlx::Type<DB> + sqlx::Encode<'q, DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
{
    let fail = |e: sqlx::Error| Error::storage(format!("migration failed: {e}"));
    sqlx::query(CREATE_TABLE)
        .execute(&mut **tx)
        .await
        .map_err(fail)?;
    let rows = sqlx::query(APPLIED)
        .fetch_all(&mut **tx)
        .await
        .map_err(fail)?;
    let mut applied = Vec::with_capacity(rows.len());
    for row in rows {
        let version: i64 = row.try_get(0).map_err(fail)?;
        let sum: String = row.try_get(1).map_err(fail)?;
        applied.push((version, sum));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let mut newly = Vec::new();
    for migration in migrations {
        let sum = checksum(migration.sql);
        match applied.iter().find(|(v, _)| *v == migration.version) {
            Some((_, stored)) if *stored == sum => continue,
            Some(_) => {
                return Err(Error::storage(format!(
                    "migration {} ({}) was changed after it was applied",
                    migration.version, migration.description
                )));
            }
            None => {}
        }
        sqlx::raw_sql(migration.sql)
            .execute(&mut **tx)
            .await
            .map_err(fail)?;
        sqlx::query(RECORD)
            .bind(migration.version)
            .bind(migration.description)
            .bind(sum)
            .bind(now)
            .execute(&mut **tx)
            .await
            .map_err(fail)?;
        newly.push(migration.version);
    }
    Ok(newly)
}
