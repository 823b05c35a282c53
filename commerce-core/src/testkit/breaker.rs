//! Checks of the breaker in front of the gateway, on a store: an open breaker refuses payments
//! at once, keeps the orders and the recorded money moves, and they complete once it closes.

use std::sync::Arc;

use super::{START, cart_with, checkout_request, level, shop_over};
use crate::breaker::{BreakerPolicy, BreakerState, GuardedGateway};
use crate::clock::ManualClock;
use crate::gateway::{GatewayCall, TestGateway};
use crate::money::{Currency, Money};
use crate::order::OrderStatus;
use crate::store::Store;

/// Five checkouts the gateway does not answer open the breaker; the next is refused with
/// `gateway_circuit_open` without a call to the gateway, and its order and hold are kept;
/// after the open period one payment goes through as a probe and closes the breaker. A refund
/// asked for while it is open stays recorded, and the schedule completes it once, later.
pub async fn an_open_breaker_pauses_payments_and_keeps_what_was_asked(store: Arc<dyn Store>) {
    let test_gateway = Arc::new(TestGateway::new());
    let clock = Arc::new(ManualClock::new(START));
    let gateway = Arc::new(GuardedGateway::new(
        "test",
        test_gateway.clone(),
        clock.clone(),
        BreakerPolicy::default(),
    ));
    let commerce = shop_over(store.clone(), gateway, clock.clone(), 20).await;
    let paid = cart_with(&commerce, 1).await;
    let paid = commerce
        .checkout(&checkout_request(&paid, "tok_visa", None))
        .await
        .unwrap();
    let fail_checkouts = || async {
        for _ in 0..5 {
            let cart = cart_with(&commerce, 1).await;
            let err = commerce
                .checkout(&checkout_request(&cart, "tok_gateway_down", None))
                .await
                .unwrap_err();
            assert_eq!(err.code(), "gateway_error", "{err}");
        }
    };
    fail_checkouts().await;
    let health = commerce.gateway_health().expect("a guarded gateway");
    assert_eq!(health.state, BreakerState::Open);
    assert_eq!(health.times_opened, 1);

    let calls = test_gateway.calls(GatewayCall::Authorize);
    let cart = cart_with(&commerce, 2).await;
    let err = commerce
        .checkout(&checkout_request(&cart, "tok_visa", None))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "gateway_circuit_open", "{err}");
    assert!(err.is_gateway_failure() && err.is_retryable(), "{err}");
    assert_eq!(
        test_gateway.calls(GatewayCall::Authorize),
        calls,
        "nothing sent"
    );
    let waiting = store.order_for_cart(&cart).await.unwrap().expect("kept");
    assert_eq!(waiting.status, OrderStatus::PendingPayment);
    let refund = Money::parse("4.00", Currency::USD).unwrap();
    let err = commerce
        .refund(&paid.order.id, refund, None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "gateway_circuit_open", "{err}");
    assert_eq!(test_gateway.calls(GatewayCall::Refund), 0, "nothing sent");

    clock.advance_millis(BreakerPolicy::default().open_millis);
    let intent = waiting.payment_intent_id.clone().unwrap();
    let done = commerce
        .confirm_payment(&intent, Some("tok_visa"), None)
        .await
        .unwrap();
    assert_eq!(done.order.status, OrderStatus::Confirmed);
    assert_eq!(
        commerce.gateway_health().unwrap().state,
        BreakerState::Closed,
        "the probe succeeded"
    );
    // The refund's retry waits for its backoff, then is asked once.
    clock.advance_millis(3_600_000);
    let settled = commerce.settle_due_money_moves().await.unwrap();
    assert_eq!(settled.succeeded, 1, "{settled:?}");
    assert_eq!(
        test_gateway.charges(),
        (2, 0, 1),
        "two payments, one refund"
    );
    // Sold: the first order's unit and the probe's two; the five unanswered still wait.
    assert_eq!(level(&*store, "MUG").await, (17, 5));
}
