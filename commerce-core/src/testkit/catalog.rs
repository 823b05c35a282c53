//! Checks of the catalog, customers and carts.

use std::sync::Arc;

use crate::cart::Cart;
use crate::cart::StoredCart;
use crate::customer::Customer;
use crate::error::ErrorKind;
use crate::money::Currency;
use crate::store::{Changes, ProductFilter, Store, Versioned};

use super::{START, order, product};

/// SKUs and e-mail addresses are unique; carts are compare-and-set, and frozen once checked
/// out.
pub async fn catalog_customers_and_carts(store: Arc<dyn Store>) {
    store
        .put_product(&product("p1", "A", "1.00"))
        .await
        .unwrap();
    let err = store
        .put_product(&product("p2", "A", "1.00"))
        .await
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::DuplicateId { .. }), "{err}");
    store
        .put_product(&product("p1", "A2", "2.00"))
        .await
        .unwrap();
    assert!(
        store.product_by_sku("A").await.unwrap().is_none(),
        "a replaced product frees its old SKUs"
    );
    store
        .put_product(&product("p2", "A", "1.00"))
        .await
        .unwrap();
    let all = ProductFilter::default();
    let page = store.products(&all, None, 1).await.unwrap();
    assert_eq!(page.items.len(), 1);
    let next = store
        .products(&all, page.next_cursor.as_deref(), 1)
        .await
        .unwrap();
    assert_eq!(next.items[0].id, "p2");
    assert!(next.next_cursor.is_none());

    let ada = Customer {
        id: "c1".into(),
        email: "Ada@Example.com".into(),
        name: "Ada".into(),
        group: None,
        addresses: vec![],
        version: 0,
    };
    let ada = Customer { version: 1, ..ada };
    store.put_customer(&ada, 0).await.unwrap();
    let twin = Customer {
        id: "c2".into(),
        ..ada.clone()
    };
    assert_eq!(
        store.put_customer(&twin, 0).await.unwrap_err().code(),
        "duplicate_id"
    );
    // Compare-and-set: a stale version, or a new customer that exists, is a conflict.
    assert!(store.put_customer(&ada, 0).await.unwrap_err().is_conflict());
    let renamed = Customer {
        name: "Ada L.".into(),
        email: "ada@lovelace.example".into(),
        version: 2,
        ..ada.clone()
    };
    store.put_customer(&renamed, 1).await.unwrap();
    assert!(
        store
            .put_customer(&renamed, 1)
            .await
            .unwrap_err()
            .is_conflict()
    );
    assert_eq!(store.customer("c1").await.unwrap(), Some(renamed.clone()));
    // The old address is free again, the new one taken.
    assert!(
        store
            .customer_by_email("ada@example.com")
            .await
            .unwrap()
            .is_none()
    );
    let back = Customer {
        email: "Ada@Example.com".into(),
        version: 3,
        ..renamed
    };
    store.put_customer(&back, 2).await.unwrap();
    assert_eq!(
        store
            .customer_by_email("ada@example.com")
            .await
            .unwrap()
            .unwrap()
            .id,
        "c1"
    );

    let cart = StoredCart {
        id: "cart".into(),
        customer_id: None,
        destination: None,
        cart: Cart::new(Currency::USD),
        version: 1,
        updated_at: START,
    };
    store.put_cart(&cart, None).await.unwrap();
    assert!(store.put_cart(&cart, None).await.unwrap_err().is_conflict());
    let newer = StoredCart {
        version: 2,
        ..cart.clone()
    };
    store.put_cart(&newer, Some(1)).await.unwrap();
    assert!(
        store
            .put_cart(&newer, Some(1))
            .await
            .unwrap_err()
            .is_conflict()
    );
    // Once an order is placed from it, the cart is frozen.
    store
        .apply(Changes {
            now: START,
            orders: vec![Versioned {
                value: order("o-cart", "cart"),
                expected_version: None,
            }],
            ..Changes::default()
        })
        .await
        .unwrap();
    let after = StoredCart {
        version: 3,
        ..newer.clone()
    };
    assert!(
        store
            .put_cart(&after, Some(2))
            .await
            .unwrap_err()
            .is_conflict(),
        "a checked-out cart cannot change"
    );
}

/// The catalog's version grows with every product and category write, and not with a refused
/// one; a search index built on it is current at once after a change, in this process and (the
/// store being shared) in any other.
pub async fn the_catalog_version_moves_with_catalog_writes(store: Arc<dyn Store>) {
    let version_store = store.clone();
    let start = store.catalog_version().await.unwrap();
    store
        .put_product(&product("mug", "MUG", "10.00"))
        .await
        .unwrap();
    let after_product = store.catalog_version().await.unwrap();
    assert!(after_product > start);
    store
        .put_category(&crate::catalog::Category {
            id: "kitchen".into(),
            name: "Kitchen".into(),
            parent_id: None,
        })
        .await
        .unwrap();
    let after_category = store.catalog_version().await.unwrap();
    assert!(after_category > after_product);
    let taken = store.put_product(&product("cup", "MUG", "5.00")).await;
    assert_eq!(taken.unwrap_err().code(), "duplicate_id");
    assert_eq!(
        store.catalog_version().await.unwrap(),
        after_category,
        "refused: unchanged"
    );

    let (commerce, _, _) = super::shop(store.clone(), 5).await;
    let request = |query: &str| crate::service::SearchRequest {
        query: query.into(),
        currency: Currency::USD,
        filters: Default::default(),
        sort: Default::default(),
        cursor: None,
        limit: 10,
    };
    assert_eq!(commerce.search(&request("mug")).await.unwrap().total, 1);
    let mut renamed = product("mug", "MUG", "10.00");
    renamed.name = "Camp Cup".into();
    commerce.put_product(renamed).await.unwrap();
    let found = commerce.search(&request("camp")).await.unwrap();
    assert_eq!(
        found.items[0].product.name, "Camp Cup",
        "the index was rebuilt"
    );
    // Another service on the same store (another process) sees it too.
    let other = crate::service::Commerce::new(
        store,
        Arc::new(crate::gateway::TestGateway::new()),
        Arc::new(crate::clock::ManualClock::new(START)),
        Arc::new(crate::ids::SequentialIds::default()),
    );
    assert_eq!(other.search(&request("camp")).await.unwrap().total, 1);
    // Prices and settings too: a cart priced by the other service follows a price change and a
    // settings change made through this one.
    let cart = super::cart_with(&other, 1).await;
    let total = |quote: &crate::pricing::Quote<'_>| quote.totals.grand_total;
    let before = total(&other.quote_cart(cart.as_str()).await.unwrap());
    let mut dearer = product("mug", "MUG", "12.00");
    dearer.name = "Camp Cup".into();
    commerce.put_product(dearer).await.unwrap();
    let after = total(&other.quote_cart(cart.as_str()).await.unwrap());
    assert!(after > before, "{before} then {after}");
    let version = version_store.catalog_version().await.unwrap();
    let mut config = commerce.config().await.unwrap();
    config.prices_include_tax = !config.prices_include_tax;
    commerce.put_config(config).await.unwrap();
    assert!(
        version_store.catalog_version().await.unwrap() > version,
        "settings move the version"
    );
}
