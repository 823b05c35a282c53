//! Benchmarks live beside this crate as `[[bench]]` targets; this is what they share.

use std::sync::Arc;

/// A PostgreSQL store on a schema of its own, `commerce_bench_<name>_<pid>`, at
/// `COMMERCE_BENCH_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`), with a
/// pool of 32; `None` if no server answers. Drop the schema with [`BenchSchema::drop`].
pub async fn postgres_store(name: &str) -> Option<(Arc<commerce_sql::PgStore>, BenchSchema)> {
    let url = std::env::var("COMMERCE_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = format!("commerce_bench_{name}_{}", std::process::id());
    let Ok(admin) = sqlx::PgPool::connect(&url).await else {
        println!("\nPostgreSQL: not reachable at {url}; skipped");
        return None;
    };
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
    )))
    .execute(&admin)
    .await
    .expect("schema");
    let options = <sqlx::postgres::PgConnectOptions as std::str::FromStr>::from_str(&url)
        .expect("a URL")
        .options([("search_path", schema.as_str())]);
    let store = Arc::new(
        commerce_sql::PgStore::connect_options(options, 32)
            .await
            .expect("PostgreSQL"),
    );
    Some((store, BenchSchema { admin, schema }))
}

/// A benchmark's schema, to drop when it is done.
pub struct BenchSchema {
    admin: sqlx::PgPool,
    schema: String,
}

impl BenchSchema {
    /// Drops the schema and everything in it.
    pub async fn drop(self) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA IF EXISTS {} CASCADE",
            self.schema
        )))
        .execute(&self.admin)
        .await
        .expect("drop");
    }
}
