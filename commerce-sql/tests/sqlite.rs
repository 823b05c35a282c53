//! The conformance suite against SQLite (a WAL file per test).

mod support;

commerce_core::store_conformance_tests!(block_on = support::block_on, new_store = support::sqlite);

/// A database made before the listing columns existed gets them filled from its products'
/// documents when the migration that adds them is applied.
#[test]
fn products_stored_before_the_listing_columns_are_indexed_on_upgrade() {
    use commerce_core::catalog::ProductStatus;
    use commerce_core::store::{CatalogStore, ProductFilter};
    use commerce_sql::SqliteStore;

    support::block_on(async {
        let path = support::sqlite_path("upgrade");
        let url = format!("sqlite://{}", path.display());
        let store = SqliteStore::open(&url).await.unwrap();
        let mut mug = commerce_core::testkit::product("mug", "MUG", "1.00");
        mug.name = "Blue Mug".into();
        store.put_product(&mug).await.unwrap();
        // Back to the schema of version 2: no listing columns, no accounts.
        sqlx::raw_sql(
            "DROP INDEX commerce_products_status; DROP INDEX commerce_orders_status; \
             DROP INDEX commerce_orders_created; DROP INDEX commerce_sessions_customer; \
             ALTER TABLE commerce_products DROP COLUMN status; \
             ALTER TABLE commerce_products DROP COLUMN search_text; \
             DROP TABLE commerce_product_categories; DROP TABLE commerce_sessions; \
             DROP TABLE commerce_credentials; DELETE FROM commerce_migrations WHERE version = 3;",
        )
        .execute(store.pool())
        .await
        .unwrap();
        store.pool().close().await;

        let store = SqliteStore::open(&url).await.unwrap();
        let filter = ProductFilter {
            status: Some(ProductStatus::Active),
            category_id: Some("all".into()),
            text: Some("BLUE".into()),
        };
        let page = store.products(&filter, None, 10).await.unwrap();
        assert_eq!(page.items, vec![mug]);
    });
}

#[test]
fn common_paths_take_one_round_trip_on_sqlite() {
    support::block_on(async {
        let path = support::sqlite_path("batch");
        let store = commerce_sql::SqliteStore::open(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        let careful = store.clone();
        support::round_trips::common_paths_take_one_round_trip(
            std::sync::Arc::new(store),
            move || careful.careful_units(),
        )
        .await;
    });
}

#[test]
fn awkward_text_survives_a_batch_on_sqlite() {
    support::block_on(async {
        let path = support::sqlite_path("awkward");
        let store = commerce_sql::SqliteStore::open(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        let careful = store.clone();
        support::round_trips::awkward_text_survives_a_batch(
            std::sync::Arc::new(store),
            move || careful.careful_units(),
        )
        .await;
    });
}
