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
        store.close().await;

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
        let store = support::sqlite_file("batch").await;
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
        let store = support::sqlite_file("awkward").await;
        let careful = store.clone();
        support::round_trips::awkward_text_survives_a_batch(
            std::sync::Arc::new(store),
            move || careful.careful_units(),
        )
        .await;
    });
}

/// The store lends its SQLite connections without a check on their return: a caller that gives
/// up half-way (a request timeout) must leave them fit for the next. Checkouts, reads and
/// careful writes are dropped at every point of their way; afterwards every cart checks out,
/// every read answers, and stock is conserved.
#[test]
fn callers_that_give_up_half_way_leave_the_connections_usable() {
    use std::collections::BTreeMap;

    use commerce_core::order::OrderStatus;
    use commerce_core::store::ProductFilter;
    use commerce_core::{CheckoutRequest, Currency};
    use support::races;

    support::block_on(async {
        let store: std::sync::Arc<dyn commerce_core::store::Store> =
            std::sync::Arc::new(support::sqlite_file("cancelled").await);
        let shop = races::commerce(store.clone(), "cancel");
        shop.put_product(races::product("KEPT")).await.unwrap();
        shop.adjust_stock("KEPT", 1_000, None).await.unwrap();
        let mut carts = Vec::new();
        for _ in 0..120 {
            let cart = shop.create_cart(Currency::USD, None).await.unwrap();
            shop.add_to_cart(&cart.id, "KEPT", 1, BTreeMap::new())
                .await
                .unwrap();
            carts.push(cart.id);
        }
        let request = |cart: &str| CheckoutRequest {
            cart_id: cart.to_string(),
            payment_method: "tok_visa".into(),
            capture_method: Default::default(),
            idempotency_key: None,
            idempotency_scope: String::new(),
            contact: commerce_core::testkit::sample_contact(),
        };
        // How long one checkout takes here, uncut.
        let started = std::time::Instant::now();
        shop.checkout(&request(&carts.pop().unwrap()))
            .await
            .unwrap();
        let whole = started.elapsed();
        let attempts = carts.iter().enumerate().map(|(i, cart)| {
            let (shop, store, request) = (shop.clone(), store.clone(), request(cart));
            // From at once to several whole checkouts (some wait in line), so that each step is
            // cut somewhere.
            let patience = whole * (i % 60) as u32 / 10;
            async move {
                let finished = tokio::time::timeout(patience, shop.checkout(&request))
                    .await
                    .is_ok();
                let filter = ProductFilter::default();
                let _ = tokio::time::timeout(patience, store.products(&filter, None, 50)).await;
                let other = races::product(&format!("OTHER-{i}"));
                let _ = tokio::time::timeout(patience, shop.put_product(other)).await;
                finished
            }
        });
        // A few at a time, so that waiting in line does not use up the patience of all.
        let finished: Vec<bool> = futures::StreamExt::collect(
            futures::StreamExt::buffer_unordered(futures::stream::iter(attempts), 4),
        )
        .await;
        let cut = finished.iter().filter(|f| !**f).count();
        assert!(
            cut > 0 && cut < carts.len(),
            "some checkouts cut ({cut}), some finished"
        );

        for cart in &carts {
            let checkout = shop.checkout(&request(cart)).await.unwrap();
            assert_eq!(checkout.order.status, OrderStatus::Confirmed);
        }
        let level = &store.stock("KEPT").await.unwrap()[0];
        assert_eq!((level.on_hand, level.reserved), (1_000 - 120, 0));
        races::assert_conserved(&*store, "KEPT", 1_000, &[]).await;
        assert!(store.product("p-OTHER-119").await.is_ok());
    });
}

/// A SQLite file store with a product and this much stock for each SKU.
async fn stocked(
    name: &str,
    stock: &[(&str, i64)],
) -> (
    commerce_sql::SqliteStore,
    std::sync::Arc<dyn commerce_core::store::Store>,
) {
    let sqlite = support::sqlite_file(name).await;
    let store: std::sync::Arc<dyn commerce_core::store::Store> =
        std::sync::Arc::new(sqlite.clone());
    let shop = support::races::commerce(store.clone(), name);
    for &(sku, units) in stock {
        shop.put_product(support::races::product(sku))
            .await
            .unwrap();
        shop.adjust_stock(sku, units, None).await.unwrap();
    }
    (sqlite, store)
}

/// Holds one unit of each SKU for an hour, as one unit of work.
fn hold_one_each(
    store: std::sync::Arc<dyn commerce_core::store::Store>,
    id: String,
    skus: &[&str],
) -> impl std::future::Future<Output = commerce_core::Result<commerce_core::store::Applied>> + use<>
{
    let now = support::races::START;
    let request = commerce_core::inventory::ReservationRequest {
        id,
        items: skus.iter().map(|sku| (sku.to_string(), 1)).collect(),
        location: commerce_core::inventory::DEFAULT_LOCATION.into(),
        expires_at: now.plus_millis(3_600_000),
        reference: None,
    };
    async move {
        store
            .apply(commerce_core::store::Changes {
                now,
                reserve: Some(request),
                ..Default::default()
            })
            .await
    }
}

/// Units of work that wait for the writer together are committed together (group commit); a
/// group with a unit that must be refused is rolled back whole and its units run one by one, so
/// that exactly the ones that fit commit and the refused one is refused for itself.
#[test]
fn units_waiting_together_commit_together_and_fail_alone() {
    use support::races;

    support::block_on(async {
        const STOCK: [(&str, i64); 2] = [("PLENTY", 1_000), ("SCARCE", 30)];
        let (sqlite, store) = stocked("grouped", &STOCK).await;
        let reserve = |sku: &'static str, n: usize| {
            hold_one_each(store.clone(), format!("r-{sku}-{n}"), &[sku])
        };

        let plenty = futures::future::join_all((0..40).map(|n| reserve("PLENTY", n))).await;
        assert!(plenty.iter().all(Result::is_ok), "{plenty:?}");
        assert!(
            sqlite.grouped_units() > 0,
            "units that waited together were grouped"
        );

        let scarce = futures::future::join_all((0..60).map(|n| reserve("SCARCE", n))).await;
        let held = scarce.iter().filter(|r| r.is_ok()).count();
        assert_eq!(held, 30, "exactly the stock is held");
        for refused in scarce.iter().filter_map(|r| r.as_ref().err()) {
            assert!(refused.is_insufficient_stock(), "{refused}");
        }
        // Only the refused went the careful way: the others of their groups committed alone.
        assert_eq!(sqlite.careful_units(), 30);
        for ((sku, stock), held) in STOCK.into_iter().zip([40, 30]) {
            let level = &store.stock(sku).await.unwrap()[0];
            assert_eq!((level.on_hand, level.reserved), (stock, held), "{sku}");
            let live: Vec<String> = (0..60).map(|n| format!("r-{sku}-{n}")).collect();
            races::assert_conserved(&*store, sku, stock, &live).await;
        }
    });
}

/// A group of units of several shapes, in counts that are not powers of two, is sent as runs of
/// one shape each inside one transaction: all of it commits together, and a unit refused in a
/// later run rolls back the runs before it, whose units then commit alone.
#[test]
fn units_of_several_shapes_commit_in_one_group() {
    use support::races;

    support::block_on(async {
        const STOCK: [(&str, i64); 3] = [("ONE", 1_000), ("TWO", 1_000), ("FEW", 5)];
        let (sqlite, store) = stocked("shapes", &STOCK).await;
        // Shapes: one SKU, and two SKUs; 24 and 12 units of them, interleaved.
        let reserve =
            |id: String, skus: &'static [&'static str]| hold_one_each(store.clone(), id, skus);
        let mixed = (0..36).map(|n| {
            let skus: &'static [&'static str] = if n % 3 == 2 {
                &["ONE", "TWO"]
            } else {
                &["ONE"]
            };
            reserve(format!("r-mixed-{n}"), skus)
        });
        let mixed = futures::future::join_all(mixed).await;
        assert!(mixed.iter().all(Result::is_ok), "{mixed:?}");
        assert!(
            sqlite.grouped_units() > 0,
            "units of several shapes were grouped"
        );
        assert_eq!(sqlite.careful_units(), 0);

        // Now the two-SKU units ask for more of FEW than there is: each group they join is
        // rolled back and run unit by unit.
        let scarce = (0..24).map(|n| {
            let skus: &'static [&'static str] = if n % 2 == 1 {
                &["TWO", "FEW"]
            } else {
                &["ONE"]
            };
            reserve(format!("r-scarce-{n}"), skus)
        });
        let scarce = futures::future::join_all(scarce).await;
        let (ones, twos): (Vec<_>, Vec<_>) =
            scarce.iter().enumerate().partition(|(n, _)| n % 2 == 0);
        assert!(ones.iter().all(|(_, r)| r.is_ok()), "{ones:?}");
        assert_eq!(twos.iter().filter(|(_, r)| r.is_ok()).count(), 5);
        for (_, refused) in twos.iter().filter(|(_, r)| r.is_err()) {
            assert!(
                refused.as_ref().unwrap_err().is_insufficient_stock(),
                "{refused:?}"
            );
        }
        assert_eq!(
            sqlite.careful_units(),
            7,
            "only the refused went the careful way"
        );

        let live: Vec<String> = (0..36)
            .map(|n| format!("r-mixed-{n}"))
            .chain((0..24).map(|n| format!("r-scarce-{n}")))
            .collect();
        for ((sku, stock), held) in STOCK.into_iter().zip([24 + 12 + 12, 12 + 5, 5]) {
            let level = &store.stock(sku).await.unwrap()[0];
            assert_eq!((level.on_hand, level.reserved), (stock, held), "{sku}");
            races::assert_conserved(&*store, sku, stock, &live).await;
        }
    });
}

/// A unit whose leader never ran (its runtime shut down first) does not stall the writer's
/// queue: the next unit, on another runtime, sends a leader of its own and is answered.
#[test]
fn a_leader_lost_with_its_runtime_does_not_stall_the_queue() {
    use commerce_core::store::CartStore;

    let current = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    };
    let first = current();
    let store = first.block_on(support::sqlite_file("lost-leader"));
    let cart = |id: &str| commerce_core::cart::StoredCart {
        id: id.into(),
        customer_id: None,
        destination: None,
        cart: commerce_core::Cart::new(commerce_core::Currency::USD),
        version: 1,
        updated_at: commerce_core::Timestamp::from_unix_millis(0),
    };
    first.block_on(async {
        // Polled once: the unit joins the queue and its leader is spawned, but the runtime
        // never runs it.
        let abandoned_cart = cart("abandoned");
        let abandoned = store.put_cart(&abandoned_cart, None);
        let polled = futures::FutureExt::now_or_never(abandoned);
        assert!(polled.is_none(), "the leader cannot have run yet");
    });
    drop(first);
    current().block_on(async {
        let answered = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            store.put_cart(&cart("next"), None),
        )
        .await;
        assert!(matches!(answered, Ok(Ok(()))), "{answered:?}");
        let next = store.cart("next").await.unwrap();
        assert_eq!(next.map(|c| c.id).as_deref(), Some("next"));
    });
}
