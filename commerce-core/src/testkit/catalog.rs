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
