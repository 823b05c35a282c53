//! Checks of promotion usage limits: a limited promotion discounts no more orders than its
//! limit however many check out at once, a cancelled order gives its use back, and a
//! per-customer limit counts each customer apart (and keeps guests out).

use std::sync::Arc;

use futures::future::join_all;

use crate::customer::Customer;
use crate::pricing::Quote;
use crate::service::Commerce;
use crate::store::{Changes, Store};
use crate::usage::{PromotionLimit, PromotionUse};

use super::{START, checkout_request, order, shop};

fn discounted(quote: &Quote<'_>) -> bool {
    !quote.totals.discount_total.is_zero()
}

/// The shop of [`shop`] whose `FIVE` coupon is limited as given.
async fn limited_shop(
    store: Arc<dyn Store>,
    stock: i64,
    total: Option<u64>,
    per_customer: Option<u64>,
) -> Commerce {
    let (commerce, _, _) = shop(store, stock).await;
    let mut config = commerce.config().await.unwrap();
    config.promotion_limits.push(PromotionLimit {
        promotion_id: "five-off".into(),
        total,
        per_customer,
    });
    commerce.put_config(config).await.unwrap();
    commerce
}

/// A cart of one mug with the `FIVE` coupon, for `customer`.
async fn coupon_cart(commerce: &Commerce, customer: Option<&str>) -> String {
    let cart = super::cart_for(commerce, customer, 1).await;
    commerce.apply_coupon(cart.as_str(), "FIVE").await.unwrap();
    cart
}

/// Twenty checkouts at once of a coupon limited to five uses: exactly five orders are
/// discounted, every other one is placed at full price (none refused), and the count says five.
pub async fn a_promotion_limit_holds_under_concurrency(store: Arc<dyn Store>) {
    let commerce = limited_shop(store.clone(), 100, Some(5), None).await;
    let mut carts = Vec::new();
    for _ in 0..20 {
        carts.push(coupon_cart(&commerce, None).await);
    }
    let requests: Vec<_> = carts
        .iter()
        .map(|cart| checkout_request(cart, "tok_visa", None))
        .collect();
    let placed = join_all(requests.iter().map(|request| commerce.checkout(request))).await;
    let mut with_discount = 0;
    for checkout in placed {
        let checkout = checkout.expect("a limited promotion never refuses an order");
        let order = &checkout.order;
        assert_eq!(
            discounted(&order.quote),
            !order.promotion_uses.is_empty(),
            "an order records a use exactly when the promotion discounted it"
        );
        if discounted(&order.quote) {
            with_discount += 1;
            assert_eq!(order.grand_total().to_string(), "5.00 USD");
        } else {
            assert_eq!(order.grand_total().to_string(), "10.00 USD");
        }
    }
    assert_eq!(
        with_discount, 5,
        "a limit of 5 discounted {with_discount} orders"
    );
    assert_eq!(
        store.promotion_uses("five-off", None).await.unwrap(),
        (5, None)
    );
    let late = coupon_cart(&commerce, None).await;
    assert!(
        !discounted(&commerce.quote_cart(late.as_str()).await.unwrap()),
        "a quote after the last use is at full price"
    );
}

/// A cancelled order gives its use back: the next order is discounted again; a counter never
/// goes below zero, and a unit that takes a use past its limit writes nothing at all.
pub async fn a_cancelled_order_gives_its_promotion_use_back(store: Arc<dyn Store>) {
    let commerce = limited_shop(store.clone(), 10, Some(1), None).await;
    let first = coupon_cart(&commerce, None).await;
    let placed = commerce
        .checkout(&checkout_request(&first, "tok_visa", None))
        .await
        .unwrap();
    assert!(discounted(&placed.order.quote));
    let second = coupon_cart(&commerce, None).await;
    assert!(
        !discounted(&commerce.quote_cart(second.as_str()).await.unwrap()),
        "the only use is taken"
    );
    commerce
        .cancel_order(placed.order.id.as_str(), None)
        .await
        .unwrap();
    assert_eq!(store.promotion_uses("five-off", None).await.unwrap().0, 0);
    let again = commerce
        .checkout(&checkout_request(&second, "tok_visa", None))
        .await
        .unwrap();
    assert!(discounted(&again.order.quote), "the use came back");

    // At the limit, a unit taking one more use is refused whole: its order is not written.
    let over = PromotionUse {
        promotion_id: "five-off".into(),
        customer_id: None,
        total: Some(1),
        per_customer: None,
    };
    let err = store
        .apply(Changes {
            now: START,
            orders: vec![crate::store::Versioned {
                value: order("ord_over", "cart_over"),
                expected_version: None,
            }],
            promotion_uses: vec![over.clone()],
            ..Changes::default()
        })
        .await
        .expect_err("a use past the limit");
    assert_eq!(err.code(), "promotion_used_up");
    assert!(
        store.order("ord_over").await.unwrap().is_none(),
        "nothing written"
    );
    // Giving back more than was taken leaves the count at zero, not below.
    for _ in 0..3 {
        store
            .apply(Changes {
                now: START,
                promotion_returns: vec![over.clone()],
                ..Changes::default()
            })
            .await
            .unwrap();
    }
    assert_eq!(store.promotion_uses("five-off", None).await.unwrap().0, 0);
}

/// Once per customer: a customer's second order is at full price while another customer's
/// first is discounted, even when one customer checks out several carts at once; a guest,
/// who could use it without bound, does not get it.
pub async fn a_per_customer_limit_counts_each_customer(store: Arc<dyn Store>) {
    let commerce = limited_shop(store.clone(), 100, None, Some(1)).await;
    for id in ["cus_ada", "cus_bob"] {
        commerce
            .put_customer(Customer {
                id: id.into(),
                email: format!("{id}@example.com"),
                name: id.into(),
                group: None,
                addresses: Vec::new(),
                version: 0,
            })
            .await
            .unwrap();
    }
    let mut carts = Vec::new();
    for _ in 0..3 {
        carts.push(coupon_cart(&commerce, Some("cus_ada")).await);
    }
    let requests: Vec<_> = carts
        .iter()
        .map(|cart| checkout_request(cart, "tok_visa", None))
        .collect();
    let placed = join_all(requests.iter().map(|request| commerce.checkout(request))).await;
    let ada = placed
        .into_iter()
        .filter(|c| discounted(&c.as_ref().unwrap().order.quote))
        .count();
    assert_eq!(ada, 1, "one use per customer, {ada} taken at once");
    let bob = coupon_cart(&commerce, Some("cus_bob")).await;
    let bob = commerce
        .checkout(&checkout_request(&bob, "tok_visa", None))
        .await
        .unwrap();
    assert!(discounted(&bob.order.quote), "another customer's first use");
    assert_eq!(
        store
            .promotion_uses("five-off", Some("cus_ada"))
            .await
            .unwrap(),
        (2, Some(1)),
        "counted in all and per customer"
    );
    let guest = coupon_cart(&commerce, None).await;
    assert!(
        !discounted(&commerce.quote_cart(guest.as_str()).await.unwrap()),
        "a per-customer promotion is not for guests"
    );
}
