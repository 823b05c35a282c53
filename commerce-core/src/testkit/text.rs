//! Checks that text no store can hold (NUL, control characters) gets the same answer on every
//! store, before any store is asked: refused where it would be written, not found where it
//! would be looked up.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::cart::Destination;
use crate::money::Currency;
use crate::order::OrderStatus;
use crate::service::IdempotencyKey;
use crate::store::{OrderFilter, ProductFilter, Store};

use super::{cart_with, checkout_request, product, shop};

/// NUL and other control characters, in ids, SKUs, e-mail addresses, names, codes, tokens and
/// keys, never reach a store.
pub async fn control_characters_get_the_same_answer_everywhere(store: Arc<dyn Store>) {
    let (commerce, _, _) = shop(store, 5).await;
    fn invalid<T>(result: crate::Result<T>, what: &str) {
        let err = result.map(|_| ()).expect_err(what);
        assert_eq!(err.code(), "invalid_input", "{what}: {err}");
    }
    fn missing<T>(result: crate::Result<T>, what: &str) {
        let err = result.map(|_| ()).expect_err(what);
        assert!(err.is_not_found(), "{what}: {err}");
    }
    // Written: refused, naming the field.
    invalid(
        commerce
            .put_product(product("lamp\0", "LAMP", "1.00"))
            .await,
        "a product id",
    );
    invalid(
        commerce
            .put_product(product("lamp", "LAMP\u{1}", "1.00"))
            .await,
        "a SKU",
    );
    let mut described = product("lamp", "LAMP", "1.00");
    described.description = "bright\0".into();
    invalid(
        commerce.put_product(described.clone()).await,
        "a description",
    );
    described.description = "bright\nand warm".into();
    commerce
        .put_product(described)
        .await
        .expect("line breaks are text");
    invalid(
        commerce.register("ada\0@example.com", "Ada", "hash").await,
        "an e-mail address",
    );
    invalid(
        commerce
            .register("ada@example.com", "Ada\u{7}", "hash")
            .await,
        "a name",
    );
    invalid(commerce.adjust_stock("MUG\0", 1, None).await, "a SKU");
    let cart = cart_with(&commerce, 1).await;
    invalid(
        commerce.apply_coupon(cart.as_str(), "FIVE\0").await,
        "a coupon code",
    );
    let nowhere = Destination {
        country: "U\0".into(),
        region: String::new(),
    };
    invalid(
        commerce
            .set_shipping(cart.as_str(), Some(nowhere), None)
            .await,
        "a country",
    );
    let mut options = BTreeMap::new();
    options.insert("colour".into(), "blue\0".into());
    invalid(
        commerce.add_to_cart(cart.as_str(), "MUG", 1, options).await,
        "an option",
    );
    invalid(
        commerce
            .checkout(&checkout_request(&cart, "tok_visa\0", None))
            .await,
        "a payment method",
    );
    invalid(
        commerce
            .checkout(&checkout_request(&cart, "tok_visa", Some("key\0")))
            .await,
        "an idempotency key",
    );
    let key = IdempotencyKey {
        scope: "admin".into(),
        key: "adjust\0".into(),
    };
    invalid(
        commerce.adjust_stock_once("MUG", 1, None, &key).await,
        "an idempotency key",
    );
    invalid(
        commerce
            .products(
                None,
                &ProductFilter {
                    text: Some("mug\0".into()),
                    ..ProductFilter::default()
                },
                None,
                None,
            )
            .await,
        "a text filter",
    );
    // Looked up: not found, as nothing can be stored under such an id.
    missing(commerce.cart("cart\0").await, "a cart");
    missing(commerce.order("ord\0").await, "an order");
    missing(commerce.payment_intent("pi\0").await, "a payment intent");
    missing(commerce.product("mug\0").await, "a product");
    missing(commerce.product_by_sku("MUG\u{1b}").await, "a variant");
    missing(commerce.category("all\0").await, "a category");
    missing(commerce.customer("cus\0").await, "a customer");
    let unknown = commerce
        .add_to_cart(cart.as_str(), "MUG\0", 1, BTreeMap::new())
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), "unknown_sku", "{unknown}");
    assert!(commerce.stock("MUG\0").await.unwrap().is_empty());
    assert!(commerce.live_session("ses\0").await.unwrap().is_none());
    assert!(commerce.live_api_key("key\0").await.unwrap().is_none());
    assert!(
        commerce
            .account_by_email("ada\0@example.com")
            .await
            .unwrap()
            .is_none()
    );
    let in_category = ProductFilter {
        category_id: Some("all\0".into()),
        ..ProductFilter::default()
    };
    let page = commerce
        .products(None, &in_category, None, None)
        .await
        .unwrap();
    assert!(page.items.is_empty());
    let filter = OrderFilter {
        customer_id: Some("cus\0".into()),
        status: Some(OrderStatus::Confirmed),
        ..OrderFilter::default()
    };
    let page = commerce.orders(None, filter, None, None).await.unwrap();
    assert!(page.items.is_empty());
    // The cart is untouched by all of it.
    let cart = commerce.cart(cart.as_str()).await.unwrap();
    assert_eq!(cart.cart.currency(), Currency::USD);
    assert_eq!(cart.cart.lines().len(), 1);
    assert!(cart.cart.coupon_codes().is_empty());
}
