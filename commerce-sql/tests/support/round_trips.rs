//! The common paths of checkout and payments take the one-round-trip batch; refusals take the
//! careful path, which decides them.

use std::collections::BTreeMap;
use std::sync::Arc;

use commerce_core::store::Store;
use commerce_core::testkit::shop;
use commerce_core::{CheckoutRequest, Currency, Money};

/// Checks out, declines, captures, refunds, cancels and adjusts stock on `store`; `careful` reads how many
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
                    contact: commerce_core::testkit::sample_contact(),
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
    let key = |k: &str| commerce_core::service::IdempotencyKey {
        scope: "tests".into(),
        key: k.into(),
    };
    commerce
        .adjust_stock_once("MUG", 1, Some(false), &key("in"))
        .await
        .unwrap();
    commerce
        .adjust_stock_once("MUG", -1, None, &key("out"))
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
            contact: commerce_core::testkit::sample_contact(),
        })
        .await
        .unwrap_err();
    assert!(short.is_insufficient_stock(), "{short}");
    assert!(careful() >= 1, "a refusal is decided by the careful path");
}

/// Every kind of character a value can hold goes through a batch unchanged, and none of them
/// makes SQL: quotes, backslashes, comment and placeholder marks, statement ends, controls,
/// any plane of Unicode.
pub async fn awkward_text_survives_a_batch(store: Arc<dyn Store>, careful: impl Fn() -> u64) {
    use commerce_core::store::{Changes, IdempotencyCompletion, Versioned};
    let mut awkward: String =
        "o' \\ \\' '' \" ; -- /* */ $1 $$ ?1 E'x' \\x41 é ü 中 😀 \t\r\n\u{7f}".to_string();
    // Every character up to U+00FF and a sample of every plane above (NUL excepted: no SQL
    // text holds it), short enough for an index entry.
    awkward.extend(
        (1u32..0x100)
            .chain((0x100..0x11_0000).step_by(4999))
            .filter_map(char::from_u32),
    );
    let mut order = {
        let request = commerce_core::pricing::PricingRequest::from_json(
            r#"{"currency":"USD","now":"2026-01-01T00:00:00Z",
                "lines":[{"id":"l1","sku":"A","quantity":1,"unit_price":"10.00"}]}"#,
        )
        .unwrap();
        let quote = commerce_core::pricing::quote(&request)
            .unwrap()
            .into_owned();
        commerce_core::order::Order::from_quote(
            awkward.clone(),
            Some(format!("cart {awkward}")),
            Some(awkward.clone()),
            quote,
            commerce_core::testkit::START,
        )
        .unwrap()
    };
    order.reservation_id = None;
    store
        .apply(Changes {
            now: commerce_core::testkit::START,
            orders: vec![Versioned {
                value: order.clone(),
                expected_version: None,
            }],
            idempotency: Some(IdempotencyCompletion {
                scope: awkward.clone(),
                key: awkward.clone(),
                response: awkward.clone(),
            }),
            ..Changes::default()
        })
        .await
        .unwrap();
    assert_eq!(careful(), 0, "the batch took it");
    assert_eq!(store.order(&awkward).await.unwrap(), Some(order.clone()));
    let filter = commerce_core::store::OrderFilter {
        customer_id: Some(awkward.clone()),
        ..commerce_core::store::OrderFilter::default()
    };
    assert_eq!(
        store.orders(&filter, None, 10).await.unwrap().items,
        vec![order]
    );
    let replay = store
        .begin_idempotent(&awkward, &awkward, "", commerce_core::testkit::START)
        .await
        .unwrap();
    assert_eq!(
        replay,
        commerce_core::store::IdempotencyBegin::Replay(awkward)
    );
}
