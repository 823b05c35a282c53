//! Checks of listings: products and orders, a page at a time.

use std::sync::Arc;

use crate::catalog::{Product, ProductStatus};
use crate::order::OrderStatus;
use crate::store::{Changes, OrderFilter, ProductFilter, Store, Versioned};

use super::{START, every_page, order, product};

/// Listing products by status, category and text (case-insensitive, Unicode, `%` and `_`
/// taken literally), a page at a time in id order; categories by id.
pub async fn product_listings_filter_and_page(store: Arc<dyn Store>) {
    let mut items = Vec::new();
    for (id, name, status, categories) in [
        ("p1", "Blue Mug", ProductStatus::Active, vec!["kitchen"]),
        (
            "p2",
            "ÉCLAIR pan",
            ProductStatus::Active,
            vec!["kitchen", "bakery"],
        ),
        (
            "p3",
            "Garden hose 100%",
            ProductStatus::Draft,
            vec!["garden"],
        ),
        ("p4", "Red_mug", ProductStatus::Archived, vec!["kitchen"]),
        ("p5", "Tea towel", ProductStatus::Active, vec![]),
    ] {
        let mut product = product(id, &format!("SKU-{id}"), "1.00");
        product.name = name.into();
        product.status = status;
        product.category_ids = categories.into_iter().map(String::from).collect();
        store.put_product(&product).await.unwrap();
        items.push(product);
    }
    let ids = |page: crate::store::Page<Product>| -> Vec<String> {
        page.items.into_iter().map(|p| p.id).collect()
    };
    let with =
        |status: Option<ProductStatus>, category: Option<&str>, text: Option<&str>| ProductFilter {
            status,
            category_id: category.map(String::from),
            text: text.map(String::from),
        };
    let active = Some(ProductStatus::Active);
    let cases: Vec<(ProductFilter, Vec<&str>)> = vec![
        (with(None, None, None), vec!["p1", "p2", "p3", "p4", "p5"]),
        (with(active, None, None), vec!["p1", "p2", "p5"]),
        (with(None, Some("kitchen"), None), vec!["p1", "p2", "p4"]),
        (with(active, Some("kitchen"), None), vec!["p1", "p2"]),
        (with(None, None, Some("MUG")), vec!["p1", "p4"]),
        (with(None, None, Some("éclair")), vec!["p2"]),
        (with(None, None, Some("0%")), vec!["p3"]),
        (with(None, None, Some("d_m")), vec!["p4"]),
        (with(None, None, Some("e_m")), vec![]),
        (with(None, None, Some("sku-p5")), vec!["p5"]),
        (with(None, Some("none"), None), vec![]),
    ];
    for (filter, expected) in cases {
        let expected: Vec<String> = expected.into_iter().map(String::from).collect();
        assert_eq!(
            ids(store.products(&filter, None, 100).await.unwrap()),
            expected,
            "{filter:?}"
        );
        for p in &items {
            assert_eq!(
                filter.matches(p),
                expected.contains(&p.id),
                "{filter:?} on {}",
                p.id
            );
        }
        // The same list, one at a time.
        let paged = every_page(|after| {
            let (store, filter) = (store.clone(), filter.clone());
            async move {
                let page = store.products(&filter, after.as_deref(), 1).await.unwrap();
                (
                    page.items.into_iter().map(|p| p.id).collect(),
                    page.next_cursor,
                )
            }
        })
        .await;
        assert_eq!(paged, expected, "paged {filter:?}");
    }
    // Re-saving a product moves it between categories.
    let mut moved = items[0].clone();
    moved.category_ids = vec!["garden".into()];
    store.put_product(&moved).await.unwrap();
    let garden = ProductFilter {
        category_id: Some("garden".into()),
        ..ProductFilter::default()
    };
    assert_eq!(
        ids(store.products(&garden, None, 10).await.unwrap()),
        ["p1", "p3"]
    );

    let kitchen = crate::catalog::Category {
        id: "kitchen".into(),
        name: "Kitchen".into(),
        parent_id: None,
    };
    store.put_category(&kitchen).await.unwrap();
    assert_eq!(store.category("kitchen").await.unwrap(), Some(kitchen));
    assert_eq!(store.category("attic").await.unwrap(), None);
}

/// Listing orders by customer and status, newest first, a page at a time.
pub async fn order_listings_filter_and_page(store: Arc<dyn Store>) {
    // (id, customer, minutes after START, cancelled)
    let specs = [
        ("o1", Some("ada"), 1, false),
        ("o2", Some("bob"), 2, false),
        ("o3", Some("ada"), 3, true),
        ("o4", None, 3, false),
        ("o5", Some("ada"), 3, false),
    ];
    for (id, customer, minutes, cancelled) in specs {
        let at = START.plus_millis(minutes * 60_000);
        let mut placed = order(id, &format!("cart-{id}"));
        placed.customer_id = customer.map(String::from);
        placed.created_at = at;
        if cancelled {
            placed.transition(OrderStatus::Cancelled, at).unwrap();
        }
        store
            .apply(Changes {
                now: at,
                orders: vec![Versioned {
                    value: placed,
                    expected_version: None,
                }],
                ..Changes::default()
            })
            .await
            .unwrap();
    }
    let filter = |customer: Option<&str>, status: Option<OrderStatus>| OrderFilter {
        customer_id: customer.map(String::from),
        status,
        ..OrderFilter::default()
    };
    let cases = [
        (filter(None, None), vec!["o5", "o4", "o3", "o2", "o1"]),
        (filter(Some("ada"), None), vec!["o5", "o3", "o1"]),
        (
            filter(Some("ada"), Some(OrderStatus::PendingPayment)),
            vec!["o5", "o1"],
        ),
        (filter(None, Some(OrderStatus::Cancelled)), vec!["o3"]),
        (filter(Some("carol"), None), vec![]),
    ];
    for (filter, expected) in cases {
        let paged = every_page(|after| {
            let (store, filter) = (store.clone(), filter.clone());
            async move {
                let page = store.orders(&filter, after.as_deref(), 2).await.unwrap();
                assert!(page.items.len() <= 2);
                (
                    page.items.into_iter().map(|o| o.id).collect(),
                    page.next_cursor,
                )
            }
        })
        .await;
        assert_eq!(paged, expected, "{filter:?}");
    }
    let unknown = store
        .orders(&OrderFilter::default(), Some("o-nope"), 10)
        .await
        .unwrap();
    assert!(unknown.items.is_empty() && unknown.next_cursor.is_none());
}
