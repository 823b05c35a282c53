//! Checks of money moves after checkout.

use std::sync::Arc;

use futures::future::join_all;

use crate::error::ErrorKind;
use crate::gateway::InjectedFailure::{AnswerLost, Unavailable};
use crate::gateway::{GatewayCall, InjectedFailure, TestGateway};
use crate::money::{Currency, Money};
use crate::order::{OrderStatus, PaymentStatus};
use crate::payment::{CaptureMethod, IntentStatus};
use crate::service::IdempotencyKey;
use crate::store::Store;

use super::{cart_with, checkout_request, level, shop};

/// Concurrent captures never exceed the authorization, nor refunds what was captured.
pub async fn concurrent_captures_and_refunds_stay_in_bounds(store: Arc<dyn Store>) {
    let (commerce, gateway, _) = shop(store.clone(), 5).await;
    let cart = cart_with(&commerce, 1).await;
    let mut request = checkout_request(&cart, "tok_visa", None);
    request.capture_method = CaptureMethod::Manual;
    let placed = commerce.checkout(&request).await.unwrap();
    assert_eq!(placed.order.payment_status, PaymentStatus::Authorized);
    let order_id = placed.order.id.clone();
    let six = Money::parse("6.00", Currency::USD).unwrap();
    let captures = (0..8).map(|_| {
        let commerce = commerce.clone();
        let order_id = order_id.clone();
        async move { commerce.capture(&order_id, Some(six), false, None).await }
    });
    let results = join_all(captures).await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "6.00 fits once into 10.00"
    );
    let intent = commerce
        .payment_intent(&placed.payment_intent.id)
        .await
        .unwrap();
    assert_eq!(intent.amount_received, six);
    commerce.capture(&order_id, None, true, None).await.unwrap();
    let intent = commerce
        .payment_intent(&placed.payment_intent.id)
        .await
        .unwrap();
    assert_eq!(intent.amount_received.to_string(), "10.00 USD");
    assert_eq!(intent.status, IntentStatus::Succeeded);
    let refunds = (0..8).map(|_| {
        let commerce = commerce.clone();
        let order_id = order_id.clone();
        async move { commerce.refund(&order_id, six, None).await }
    });
    let results = join_all(refunds).await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "6.00 fits once into 10.00"
    );
    let err = commerce
        .refund(
            &order_id,
            Money::parse("4.01", Currency::USD).unwrap(),
            None,
        )
        .await
        .unwrap_err();
    assert!(err.is_amount_exceeded(), "{err}");
    // The same key refunds once, however often it is sent.
    let key = IdempotencyKey {
        scope: "admin".into(),
        key: "refund-rest".into(),
    };
    let four = Money::parse("4.00", Currency::USD).unwrap();
    commerce.refund(&order_id, four, Some(&key)).await.unwrap();
    let replayed = commerce.refund(&order_id, four, Some(&key)).await.unwrap();
    assert_eq!(
        replayed.payment_intent.amount_refunded.to_string(),
        "10.00 USD"
    );
    let other = commerce
        .refund(&order_id, six, Some(&key))
        .await
        .unwrap_err();
    assert!(
        matches!(other.kind(), ErrorKind::IdempotencyMismatch { .. }),
        "{other}"
    );
    let order = commerce.order(&order_id).await.unwrap();
    assert_eq!(order.payment_status, PaymentStatus::Refunded);
    let (_, captured, refunded) = gateway.charges();
    assert_eq!((captured, refunded), (2, 2));
}

/// Cancelling a paid order puts its stock back and refunds it.
pub async fn cancelling_releases_stock_and_refunds(store: Arc<dyn Store>) {
    let (commerce, _, _) = shop(store.clone(), 5).await;
    let cart = cart_with(&commerce, 2).await;
    let placed = commerce
        .checkout(&checkout_request(&cart, "tok_visa", None))
        .await
        .unwrap();
    assert_eq!(level(&*store, "MUG").await, (3, 0));
    let cancelled = commerce.cancel_order(&placed.order.id, None).await.unwrap();
    assert_eq!(cancelled.order.status, OrderStatus::Cancelled);
    assert_eq!(cancelled.order.payment_status, PaymentStatus::Refunded);
    assert_eq!(level(&*store, "MUG").await, (5, 0));
    assert!(
        commerce
            .cancel_order(&placed.order.id, None)
            .await
            .unwrap_err()
            .is_invalid_transition()
    );
}

/// A checkout whose gateway could not be reached keeps its order and its hold; confirming the
/// payment later, with another payment method, finishes it, once.
pub async fn a_stuck_payment_is_confirmed_later(store: Arc<dyn Store>) {
    let (commerce, gateway, _) = shop(store.clone(), 5).await;
    let cart = cart_with(&commerce, 2).await;
    let err = commerce
        .checkout(&checkout_request(&cart, "tok_gateway_down", Some("k1")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "gateway_error", "{err}");
    assert!(
        err.is_gateway_failure() && !err.is_outcome_unknown(),
        "{err}"
    );
    let order = store
        .order_for_cart(&cart)
        .await
        .unwrap()
        .expect("the order was placed");
    assert_eq!(order.status, OrderStatus::PendingPayment);
    assert_eq!(level(&*store, "MUG").await, (5, 2), "the hold stays");
    let intent_id = order.payment_intent_id.clone().unwrap();

    let key = IdempotencyKey {
        scope: "tester".into(),
        key: "confirm-1".into(),
    };
    let done = commerce
        .confirm_payment(&intent_id, Some("tok_visa"), Some(&key))
        .await
        .unwrap();
    assert_eq!(done.order.status, OrderStatus::Confirmed);
    assert_eq!(done.payment_intent.status, IntentStatus::Succeeded);
    assert_eq!(
        done.payment_intent.payment_method.as_deref(),
        Some("tok_visa")
    );
    assert_eq!(level(&*store, "MUG").await, (3, 0), "sold");
    assert_eq!(gateway.charges().0, 1, "one authorization");
    let replay = commerce
        .confirm_payment(&intent_id, Some("tok_visa"), Some(&key))
        .await
        .unwrap();
    assert_eq!(replay.order.id, done.order.id);
    let again = commerce
        .confirm_payment(&intent_id, None, None)
        .await
        .unwrap_err();
    assert!(again.is_invalid_transition(), "{again}");
    // The first checkout's key, retried, now finds the order paid.
    let retried = commerce
        .checkout(&checkout_request(&cart, "tok_gateway_down", Some("k1")))
        .await
        .unwrap();
    assert_eq!(retried.order.status, OrderStatus::Confirmed);
    assert_eq!(gateway.charges().0, 1, "still one authorization");
}

/// A guest's checkout of one mug with `token`, whose next `failures` authorizations fail as
/// `how`: the checkout's error and the id of its order's payment intent.
async fn failed_checkout(
    commerce: &crate::Commerce,
    gateway: &TestGateway,
    token: &str,
    failures: usize,
    how: InjectedFailure,
) -> (crate::Error, String) {
    let cart = cart_with(commerce, 1).await;
    gateway.fail_next(GatewayCall::Authorize, failures, how);
    let err = commerce
        .checkout(&checkout_request(&cart, token, None))
        .await
        .unwrap_err();
    let order = commerce
        .checkout_of_cart(cart.as_str())
        .await
        .unwrap()
        .order;
    (err, order.payment_intent_id.unwrap())
}

/// A checkout whose authorization went unanswered (the gateway may have taken the money)
/// records it; a customer who then pays with another card is charged on the first card if its
/// authorization had gone through, and on the new one only once the gateway said no to the
/// first. A failure the gateway certainly did nothing for records nothing.
pub async fn a_card_switched_after_a_timeout_is_never_charged_twice(store: Arc<dyn Store>) {
    let (commerce, gateway, clock) = shop(store.clone(), 10).await;

    // The first card went through, and its answer was lost.
    let (err, intent) = failed_checkout(&commerce, &gateway, "tok_visa", 1, AnswerLost).await;
    assert!(err.is_outcome_unknown(), "{err}");
    let waiting = commerce.payment_intent(&intent).await.unwrap();
    let sent = waiting.unanswered_authorization.clone().expect("recorded");
    assert_eq!(sent.payment_method, "tok_visa");
    let paid = commerce
        .confirm_payment(&intent, Some("tok_mastercard"), None)
        .await
        .unwrap();
    assert_eq!(paid.order.status, OrderStatus::Confirmed);
    assert_eq!(
        paid.payment_intent.payment_method.as_deref(),
        Some("tok_visa")
    );
    assert_eq!(paid.payment_intent.unanswered_authorization, None);
    assert_eq!(
        gateway.charges().0,
        1,
        "one authorization: the first card's"
    );

    // The first card was declined, and that answer was lost: the new card pays.
    let (err, intent) = failed_checkout(&commerce, &gateway, "tok_decline", 1, AnswerLost).await;
    assert!(err.is_outcome_unknown(), "{err}");
    let paid = commerce
        .confirm_payment(&intent, Some("tok_visa"), None)
        .await
        .unwrap();
    assert_eq!(paid.order.status, OrderStatus::Confirmed);
    assert_eq!(
        paid.payment_intent.payment_method.as_deref(),
        Some("tok_visa")
    );

    // The gateway could not be reached: nothing was sent, nothing is recorded.
    let (err, intent) = failed_checkout(&commerce, &gateway, "tok_visa", 1, Unavailable).await;
    assert!(
        err.is_gateway_failure() && !err.is_outcome_unknown(),
        "{err}"
    );
    let waiting = commerce.payment_intent(&intent).await.unwrap();
    assert_eq!(waiting.unanswered_authorization, None);

    // Nobody comes back: the worker's schedule asks again under the same key, once the grace
    // period has passed, and learns that the payment went through.
    let (err, intent) = failed_checkout(&commerce, &gateway, "tok_visa", 2, AnswerLost).await;
    assert!(err.is_outcome_unknown(), "{err}");
    let authorizations = gateway.charges().0;
    assert_eq!(
        commerce.settle_due_money_moves().await.unwrap().succeeded,
        0,
        "not yet due"
    );
    clock.advance_millis(crate::payment::MONEY_MOVE_GRACE_MILLIS);
    let settled = commerce.settle_due_money_moves().await.unwrap();
    assert_eq!(settled.unanswered, 1, "lost again: {settled:?}");
    let waiting = commerce.payment_intent(&intent).await.unwrap();
    let sent = waiting.unanswered_authorization.expect("still recorded");
    assert_eq!(sent.attempts, 2, "{sent:?}");
    clock.advance_millis(crate::payment::money_move_retry_delay(2));
    let settled = commerce.settle_due_money_moves().await.unwrap();
    assert_eq!(settled.succeeded, 1, "{settled:?}");
    let order = commerce.order(waiting.order_id.as_str()).await.unwrap();
    assert_eq!(order.status, OrderStatus::Confirmed);
    assert_eq!(
        gateway.charges().0,
        authorizations,
        "the same authorization, asked again"
    );

    // Past the gateway's replay window, asking again would authorize afresh: not asked.
    let (err, _) = failed_checkout(&commerce, &gateway, "tok_visa", 1, AnswerLost).await;
    assert!(err.is_outcome_unknown(), "{err}");
    let calls = gateway.calls(GatewayCall::Authorize);
    clock.advance_millis(crate::payment::UNANSWERED_AUTHORIZATION_WINDOW_MILLIS);
    let settled = commerce.settle_due_money_moves().await.unwrap();
    assert_eq!(
        (settled.succeeded, settled.unanswered),
        (0, 0),
        "{settled:?}"
    );
    assert_eq!(
        gateway.calls(GatewayCall::Authorize),
        calls,
        "not asked again"
    );
}

/// A payment left waiting (3-D Secure, processing) whose webhook never came is settled by the
/// worker with what the gateway says of it, once, after the wait it is allowed; one the gateway
/// still has no outcome for is left waiting.
pub async fn a_payment_whose_webhook_never_came_is_reconciled(store: Arc<dyn Store>) {
    let (commerce, gateway, clock) = shop(store.clone(), 10).await;
    let mut placed = Vec::new();
    for token in [
        "tok_requires_action",
        "tok_processing_fails",
        "tok_requires_action",
    ] {
        let cart = cart_with(&commerce, 1).await;
        placed.push(
            commerce
                .checkout(&checkout_request(&cart, token, None))
                .await
                .unwrap(),
        );
    }
    // The first customer completes the action; no webhook reaches the shop.
    gateway.complete_action(&placed[0].payment_intent.id);
    let _lost = gateway.take_events();
    assert_eq!(
        commerce.reconcile_waiting_payments().await.unwrap(),
        0,
        "too early"
    );
    clock.advance_millis(crate::worker::RECONCILE_WAITING_AFTER_MILLIS + 1);
    assert_eq!(commerce.reconcile_waiting_payments().await.unwrap(), 2);
    let paid = commerce.order(placed[0].order.id.as_str()).await.unwrap();
    assert_eq!(paid.status, OrderStatus::Confirmed);
    let failed = commerce
        .payment_intent(placed[1].payment_intent.id.as_str())
        .await
        .unwrap();
    assert_eq!(failed.status, IntentStatus::RequiresPaymentMethod);
    let still = commerce
        .payment_intent(placed[2].payment_intent.id.as_str())
        .await
        .unwrap();
    assert_eq!(still.status, IntentStatus::RequiresAction, "no outcome yet");
    assert_eq!(
        commerce.reconcile_waiting_payments().await.unwrap(),
        0,
        "once"
    );
}
