//! Checkouts under load while Stripe is slow, down for a minute, then flapping, through the
//! core's breaker on a manual clock (the minute passes without sleeping): no order lost, none
//! charged twice, the breaker opens and closes as documented, and while it is open nothing
//! reaches Stripe.

mod support;

use std::sync::Arc;
use std::time::Duration;

use commerce_core::breaker::{BreakerPolicy, BreakerState, GuardedGateway};
use commerce_core::clock::ManualClock;
use commerce_core::order::OrderStatus;
use commerce_core::payment::CaptureMethod;
use commerce_core::service::CheckoutRequest;
use commerce_core::store::{MemoryStore, Store};
use commerce_core::testkit::{START, sample_contact, shop_over};
use commerce_core::{Commerce, Currency};
use commerce_stripe::{StripeConfig, StripeGateway};
use support::{FakeStripe, Fault};

/// A wave of `size` checkouts at once; the carts and each checkout's error code, if any.
async fn wave(commerce: &Commerce, size: usize) -> Vec<(String, Option<&'static str>)> {
    let mut tasks = Vec::new();
    for _ in 0..size {
        let commerce = commerce.clone();
        tasks.push(tokio::spawn(async move {
            let cart = commerce.create_cart(Currency::USD, None).await.unwrap();
            commerce
                .add_to_cart(&cart.id, "MUG", 1, Default::default())
                .await
                .unwrap();
            let result = commerce
                .checkout(&CheckoutRequest {
                    cart_id: cart.id.clone(),
                    payment_method: "pm_card_visa".into(),
                    contact: sample_contact(),
                    capture_method: CaptureMethod::Automatic,
                    idempotency_key: None,
                    idempotency_scope: "load".into(),
                })
                .await;
            (cart.id, result.err().map(|e| e.code()))
        }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_down_and_flapping_stripe_under_checkout_load() {
    let fake = FakeStripe::start().await;
    let config = StripeConfig::new("sk_test_fake")
        .with_api_base(&fake.base)
        .with_timeout(Duration::from_millis(200))
        .with_retries(2, Duration::from_millis(5));
    let clock = Arc::new(ManualClock::new(START));
    let guarded = Arc::new(GuardedGateway::new(
        "stripe",
        Arc::new(StripeGateway::new(config).unwrap()),
        clock.clone(),
        BreakerPolicy::default(),
    ));
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let commerce = shop_over(store.clone(), guarded.clone(), clock.clone(), 10_000).await;
    let mut carts = Vec::new();

    // Slow: every first attempt of a wave stalls past the timeout and is retried.
    for _ in 0..8 {
        fake.fault(Fault::Stall(Duration::from_millis(400)));
    }
    let slow = wave(&commerce, 8).await;
    assert!(slow.iter().all(|(_, err)| err.is_none()), "{slow:?}");
    carts.extend(slow);

    // Down for a minute: waves every 5 s of the manual clock.
    fake.down();
    let before = fake.requests();
    let mut refused_at_once = 0;
    for _ in 0..12 {
        let results = wave(&commerce, 4).await;
        for (_, err) in &results {
            let code = err.expect("no payment while Stripe is down");
            assert!(
                code == "gateway_error" || code == "gateway_circuit_open",
                "{code}"
            );
            refused_at_once += usize::from(code == "gateway_circuit_open");
        }
        carts.extend(results);
        clock.advance_millis(5_000);
    }
    // The first two waves reached Stripe (the fifth failure opened the breaker, at 5 s); the
    // probe half-open at 35 s failed and opened it again; every other call was refused.
    let health = commerce.gateway_health().unwrap();
    assert_eq!(health.state, BreakerState::Open, "{health:?}");
    assert_eq!(health.times_opened, 2, "{health:?}");
    assert_eq!(refused_at_once, 48 - 9);
    assert_eq!(
        fake.requests() - before,
        9 * 3,
        "each call that went, with its two retries"
    );
    clock.advance_millis(5_000);
    assert_eq!(
        commerce.gateway_health().unwrap().state,
        BreakerState::HalfOpen
    );

    // Back: the probe closes the breaker.
    fake.up();
    let probe = wave(&commerce, 1).await;
    assert_eq!(probe[0].1, None, "{probe:?}");
    assert_eq!(
        commerce.gateway_health().unwrap().state,
        BreakerState::Closed
    );
    carts.extend(probe);
    // Flapping: each call fails once (before or after doing the work), which the retries with
    // the same key absorb; the breaker stays closed.
    for i in 0..16 {
        fake.fault(if i % 2 == 0 {
            Fault::FailAfterWork
        } else {
            Fault::Fail(None)
        });
        let flapping = wave(&commerce, 1).await;
        assert_eq!(flapping[0].1, None, "{flapping:?}");
        carts.extend(flapping);
    }
    assert_eq!(
        commerce.gateway_health().unwrap().state,
        BreakerState::Closed
    );

    // Every order kept: each unpaid one is paid now, once.
    let mut confirmed = 0;
    for (cart, _) in &carts {
        let order = store.order_for_cart(cart).await.unwrap().expect("kept");
        if order.status == OrderStatus::PendingPayment {
            let intent = order.payment_intent_id.clone().unwrap();
            let paid = commerce
                .confirm_payment(&intent, Some("pm_card_visa"), None)
                .await
                .unwrap();
            assert_eq!(paid.order.status, OrderStatus::Confirmed);
        }
        confirmed += 1;
    }
    assert_eq!(confirmed, 8 + 48 + 1 + 16);
    let charges = fake.authorizations_by_intent();
    assert_eq!(charges.len(), confirmed, "every order paid");
    assert!(
        charges.values().all(|n| *n == 1),
        "none charged twice: {charges:?}"
    );
}
