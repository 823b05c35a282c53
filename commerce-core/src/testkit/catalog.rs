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
    };
    store.put_customer(&ada).await.unwrap();
    let twin = Customer {
        id: "c2".into(),
        ..ada.clone()
    };
    assert!(store.put_customer(&twin).await.is_err());
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
