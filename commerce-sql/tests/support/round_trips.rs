//! The common paths of checkout and payments take the one-round-trip batch; refusals take the
//! careful path, which decides them.

use std::collections::BTreeMap;
use std::sync::Arc;

use commerce_core::store::Store;
use commerce_core::testkit::shop;
use commerce_core::{CheckoutRequest, Currency, Money};

/// Checks out, declines, captures, refunds and cancels on `store`; `careful` reads how many
/// units of work the store ran statement by statement.
pub async fn common_paths_take_one_round_trip(store: Arc<dyn Store>, careful: impl Fn() -> u64) {
    let (commerce, _, _) = shop(store, 3).await;
    let checkout = |token: &'static str, manual: bool| {
        let commerce = commerce.clone();
        async move {
            let cart = commerce.create_cart(Currency::USD, None).await.unwrap();
            commerce
                .add_to_cart(&cart.id, "MUG", 1, BTreeMap::new())
                .await
                .unwrap();
            commerce
                .checkout(&CheckoutRequest {
                    cart_id: cart.id,
                    payment_method: token.into(),
                    capture_method: if manual {
                        commerce_core::payment::CaptureMethod::Manual
                    } else {
                        Default::default()
                    },
                    idempotency_key: Some(format!("key-{token}-{manual}")),
                    idempotency_scope: "tests".into(),
                })
                .await
        }
    };
    let paid = checkout("tok_visa", false).await.unwrap();
    let declined = checkout("tok_decline_insufficient_funds", false)
        .await
        .unwrap_err();
    assert_eq!(declined.code(), "payment_declined");
    let authorized = checkout("tok_visa", true).await.unwrap();
    let ten = Money::parse("10.00", Currency::USD).unwrap();
    commerce
        .capture(&authorized.order.id, None, true, None)
        .await
        .unwrap();
    commerce.refund(&paid.order.id, ten, None).await.unwrap();
    commerce
        .cancel_order(&authorized.order.id, None)
        .await
        .unwrap();
    assert_eq!(careful(), 0, "every unit of work above went in one batch");

    // Three units were in stock: one sold, one returned by the cancellation; two remain.
    let cart = commerce.create_cart(Currency::USD, None).await.unwrap();
    commerce
        .add_to_cart(&cart.id, "MUG", 3, BTreeMap::new())
        .await
        .unwrap();
    let short = commerce
        .checkout(&CheckoutRequest {
            cart_id: cart.id,
            payment_method: "tok_visa".into(),
            capture_method: Default::default(),
            idempotency_key: None,
            idempotency_scope: String::new(),
        })
        .await
        .unwrap_err();
    assert!(short.is_insufficient_stock(), "{short}");
    assert!(careful() >= 1, "a refusal is decided by the careful path");
}
