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
