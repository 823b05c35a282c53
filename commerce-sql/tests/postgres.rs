//! The conformance suite against PostgreSQL (a fresh schema per test). Needs a server:
//! `COMMERCE_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/test`.

mod support;

mod postgres {
    use super::support;

    commerce_core::store_conformance_tests!(
        block_on = support::block_on,
        new_store = support::postgres
    );
}

mod postgres_races {
    use std::sync::Arc;

    use super::support::{self, races};

    #[test]
    fn last_units_through_checkout_on_postgres() {
        support::block_on(async {
            let shop = races::commerce(support::postgres().await, "a");
            races::last_units_through_checkout(&[shop], 10, 32, 5).await;
        });
    }

    #[test]
    fn opposite_orders_never_deadlock_on_postgres() {
        support::block_on(async {
            races::opposite_orders_never_deadlock(support::postgres().await, 32, 10).await;
        });
    }

    /// Two store instances with their own pools, as two server processes would have, on one
    /// database.
    #[test]
    fn two_pools_on_one_postgres_database() {
        support::block_on(async {
            let first = support::postgres_store(16).await;
            let second = commerce_sql::PgStore::connect_options(
                first.pool().connect_options().as_ref().clone(),
                16,
            )
            .await
            .unwrap();
            let a = races::commerce(Arc::new(first), "a");
            let b = races::commerce(Arc::new(second), "b");
            races::last_units_through_checkout(&[a, b], 5, 32, 7).await;
        });
    }
}

mod postgres_batches {
    use super::support;

    #[test]
    fn common_paths_take_one_round_trip_on_postgres() {
        support::block_on(async {
            let store = support::postgres_store(4).await;
            let careful = store.clone();
            support::round_trips::common_paths_take_one_round_trip(
                std::sync::Arc::new(store),
                move || careful.careful_units(),
            )
            .await;
        });
    }
}

mod postgres_awkward_text {
    use super::support;

    #[test]
    fn awkward_text_survives_a_batch_on_postgres() {
        support::block_on(async {
            let store = support::postgres_store(4).await;
            let careful = store.clone();
            support::round_trips::awkward_text_survives_a_batch(
                std::sync::Arc::new(store),
                move || careful.careful_units(),
            )
            .await;
        });
    }
}

mod postgres_connect {
    use super::support;

    /// A URL that points the store at a schema of its own gets that schema created, and the
    /// store's tables live there, beside whatever the host keeps in `public`.
    #[test]
    fn a_url_search_path_gets_its_schema_created() {
        support::block_on(async {
            let schema = format!("own_{}", std::process::id());
            let base = support::postgres_url();
            let separator = if base.contains('?') { '&' } else { '?' };
            let url = format!("{base}{separator}options=-c%20search_path%3D{schema}");
            let store = commerce_sql::connect(&url).await.unwrap();
            assert!(
                store
                    .products(&Default::default(), None, 10)
                    .await
                    .unwrap()
                    .items
                    .is_empty()
            );
            let pool = sqlx::PgPool::connect(&base).await.unwrap();
            let tables: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = $1",
            )
            .bind(&schema)
            .fetch_one(&pool)
            .await
            .unwrap();
            assert!(tables > 5, "the store's tables are in {schema}");
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                .execute(&pool)
                .await
                .unwrap();
        });
    }

    /// A server that is not there fails at once with a clear error, not after a pool timeout.
    #[test]
    fn an_unreachable_server_fails_fast() {
        support::block_on(async {
            let started = std::time::Instant::now();
            let error = commerce_sql::connect("postgres://nobody@127.0.0.1:1/none")
                .await
                .err()
                .expect("no server listens on port 1");
            assert_eq!(error.code(), "backend_error");
            assert!(error.to_string().contains("cannot connect"), "{error}");
            assert!(started.elapsed() < std::time::Duration::from_secs(10));
        });
    }
}
