//! Races on SQLite files: many buyers for the last units, carts locking SKUs in opposite orders.

mod support;

use support::races;

#[test]
fn last_units_through_checkout_on_sqlite() {
    support::block_on(async {
        let shop = races::commerce(support::sqlite().await, "a");
        races::last_units_through_checkout(&[shop], 10, 32, 5).await;
    });
}

#[test]
fn opposite_orders_never_deadlock_on_sqlite() {
    support::block_on(async {
        races::opposite_orders_never_deadlock(support::sqlite().await, 32, 10).await;
    });
}

#[test]
fn two_connection_pools_on_one_sqlite_file() {
    support::block_on(async {
        let path = support::sqlite_path("shared");
        let url = format!("sqlite://{}", path.display());
        let a = races::commerce(
            std::sync::Arc::new(commerce_sql::SqliteStore::open(&url).await.unwrap()),
            "a",
        );
        let b = races::commerce(
            std::sync::Arc::new(commerce_sql::SqliteStore::open(&url).await.unwrap()),
            "b",
        );
        races::last_units_through_checkout(&[a, b], 5, 32, 7).await;
    });
}
