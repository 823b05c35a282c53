//! Checks of money moves the gateway refuses, does not answer, or is never asked for: the
//! books never say money moved that did not, nothing moves twice, and what was left pending
//! is settled later.

use std::pin::pin;
use std::sync::Arc;

use futures::future::{Either, join_all, select};

use crate::gateway::{GatewayCall, InjectedFailure, TestGateway};
use crate::money::{Currency, Money};
use crate::order::{OrderStatus, PaymentStatus};
use crate::payment::{MONEY_MOVE_GRACE_MILLIS, MoveStatus, PaymentIntent, money_move_retry_delay};
use crate::service::{Checkout, Commerce, IdempotencyKey, SettledMoves};
use crate::store::Store;

use super::{cart_with, checkout_request, level, shop};

fn usd(amount: &str) -> Money {
    Money::parse(amount, Currency::USD).expect("an amount")
}

fn key(name: &str) -> IdempotencyKey {
    IdempotencyKey {
        scope: "admin".into(),
        key: name.into(),
    }
}

/// A paid order of two mugs (20.00 USD, 2 of 5 in stock sold).
async fn paid(commerce: &Commerce) -> Checkout {
    let cart = cart_with(commerce, 2).await;
    commerce
        .checkout(&checkout_request(&cart, "tok_visa", None))
        .await
        .expect("a paid order")
}

async fn intent(commerce: &Commerce, paid: &Checkout) -> PaymentIntent {
    commerce
        .payment_intent(paid.payment_intent.id.as_str())
        .await
        .expect("the intent")
}

/// Polls `work` until the gateway has been asked `call` once, then drops it there: the request
/// gave up (or the process stopped) between recording its move and hearing the gateway.
async fn stop_at_the_gateway<T>(
    gateway: &TestGateway,
    call: GatewayCall,
    work: impl std::future::Future<Output = T>,
) {
    let before = gateway.calls(call);
    let reached = futures::future::poll_fn(|cx| {
        if gateway.calls(call) > before {
            std::task::Poll::Ready(())
        } else {
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    });
    match select(pin!(work), pin!(reached)).await {
        Either::Left(_) => panic!("the work finished instead of stopping at the gateway"),
        Either::Right(((), _)) => {}
    }
}

/// A refund the gateway refuses moves nothing: the books show no refund, the move is failed,
/// the key replays the refusal, and a new refund goes through.
pub async fn a_refused_refund_moves_nothing(store: Arc<dyn Store>) {
    let (commerce, gateway, _) = shop(store, 5).await;
    let paid = paid(&commerce).await;
    gateway.fail_next(
        GatewayCall::Refund,
        1,
        InjectedFailure::Refuse("charge_disputed".into()),
    );
    let refusal = key("refund-refused");
    let err = commerce
        .refund(&paid.order.id, usd("4.00"), Some(&refusal))
        .await
        .unwrap_err();
    assert!(err.is_payment_declined(), "{err}");
    let after = intent(&commerce, &paid).await;
    assert_eq!(after.amount_refunded, usd("0.00"), "nothing was refunded");
    assert_eq!(after.moves.len(), 1);
    assert_eq!(after.moves[0].status, MoveStatus::Failed);
    let replayed = commerce
        .refund(&paid.order.id, usd("4.00"), Some(&refusal))
        .await
        .unwrap_err();
    assert!(replayed.is_payment_declined(), "{replayed}");
    let done = commerce
        .refund(&paid.order.id, usd("4.00"), Some(&key("refund-again")))
        .await
        .unwrap();
    assert_eq!(done.payment_intent.amount_refunded, usd("4.00"));
    assert_eq!(gateway.charges().2, 1, "one refund at the gateway");
}

/// A refund the gateway makes and whose answer is lost stays pending, never recorded as done;
/// the same key, sent again, learns the outcome and refunds nothing more.
pub async fn an_unanswered_refund_is_settled_once(store: Arc<dyn Store>) {
    let (commerce, gateway, _) = shop(store, 5).await;
    let paid = paid(&commerce).await;
    gateway.fail_next(GatewayCall::Refund, 1, InjectedFailure::AnswerLost);
    let lost = key("refund-lost");
    let err = commerce
        .refund(&paid.order.id, usd("4.00"), Some(&lost))
        .await
        .unwrap_err();
    assert!(
        err.is_gateway_failure() && err.is_outcome_unknown(),
        "{err}"
    );
    let pending = intent(&commerce, &paid).await;
    assert_eq!(pending.amount_refunded, usd("0.00"), "not until it answers");
    assert_eq!(pending.moves[0].status, MoveStatus::Pending);
    // What is pending is reserved: 16.00 more cannot be refunded meanwhile.
    let over = commerce
        .refund(&paid.order.id, usd("16.01"), None)
        .await
        .unwrap_err();
    assert!(over.is_amount_exceeded(), "{over}");
    let retried = commerce
        .refund(&paid.order.id, usd("4.00"), Some(&lost))
        .await
        .unwrap();
    assert_eq!(retried.payment_intent.amount_refunded, usd("4.00"));
    assert_eq!(
        retried.payment_intent.moves[0].status,
        MoveStatus::Succeeded
    );
    let again = commerce
        .refund(&paid.order.id, usd("4.00"), Some(&lost))
        .await
        .unwrap();
    assert_eq!(again.payment_intent.amount_refunded, usd("4.00"));
    assert_eq!(gateway.charges().2, 1, "the gateway refunded once");
    assert_eq!(gateway.calls(GatewayCall::Refund), 2, "asked twice");
}

/// A cancellation records itself and its refund at once; a refund the gateway cannot take now
/// is settled later, on schedule, with backoff, exactly once. The cancellation's key replays
/// the refund as it ends.
pub async fn a_cancellation_whose_refund_fails_is_refunded_later(store: Arc<dyn Store>) {
    let (commerce, gateway, clock) = shop(store.clone(), 5).await;
    let paid = paid(&commerce).await;
    gateway.fail_next(GatewayCall::Refund, 2, InjectedFailure::Unavailable);
    let cancel = key("cancel-1");
    let err = commerce
        .cancel_order(paid.order.id.as_str(), Some(&cancel))
        .await
        .unwrap_err();
    assert!(
        err.is_gateway_failure() && !err.is_outcome_unknown(),
        "{err}"
    );
    let order = commerce.order(paid.order.id.as_str()).await.unwrap();
    assert_eq!(order.status, OrderStatus::Cancelled, "cancelled at once");
    assert_eq!(level(&*store, "MUG").await, (5, 0), "its stock is back");
    let pending = intent(&commerce, &paid).await;
    assert_eq!(pending.amount_refunded, usd("0.00"));
    assert!(pending.moves[0].is_pending());
    // Within the grace the request has, the schedule leaves the move alone.
    assert_eq!(
        commerce.settle_due_money_moves().await.unwrap(),
        SettledMoves::default()
    );
    clock.advance_millis(MONEY_MOVE_GRACE_MILLIS);
    let first = commerce.settle_due_money_moves().await.unwrap();
    assert_eq!(first.unanswered, 1, "the gateway is still down");
    clock.advance_millis(money_move_retry_delay(2) - 1);
    assert_eq!(
        commerce.settle_due_money_moves().await.unwrap(),
        SettledMoves::default(),
        "not before its backoff"
    );
    clock.advance_millis(1);
    let second = commerce.settle_due_money_moves().await.unwrap();
    assert_eq!(second.succeeded, 1, "{second:?}");
    let refunded = intent(&commerce, &paid).await;
    assert_eq!(refunded.amount_refunded, usd("20.00"));
    let order = commerce.order(paid.order.id.as_str()).await.unwrap();
    assert_eq!(order.payment_status, PaymentStatus::Refunded);
    let replayed = commerce
        .cancel_order(paid.order.id.as_str(), Some(&cancel))
        .await
        .unwrap();
    assert_eq!(replayed.payment_intent.amount_refunded, usd("20.00"));
    assert_eq!(gateway.charges().2, 1, "refunded once");
    assert!(refunded.next_move_due().is_none());
}

/// Refunds that the gateway refuses while others land leave the books exactly as the gateway
/// has them: no refused refund is counted, none is undone by another.
pub async fn refused_refunds_among_others_leave_the_books_true(store: Arc<dyn Store>) {
    let (commerce, gateway, _) = shop(store, 5).await;
    let paid = paid(&commerce).await;
    gateway.fail_next(
        GatewayCall::Refund,
        3,
        InjectedFailure::Refuse("try_later".into()),
    );
    let refunds = (0..8).map(|_| {
        let commerce = commerce.clone();
        let order_id = paid.order.id.clone();
        async move { commerce.refund(&order_id, usd("2.00"), None).await }
    });
    let results = join_all(refunds).await;
    let refused = results
        .iter()
        .filter(|r| r.as_ref().is_err_and(|e| e.is_payment_declined()))
        .count();
    let made = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(refused, 3, "{results:?}");
    assert_eq!(made, 5, "{results:?}");
    let after = intent(&commerce, &paid).await;
    assert_eq!(after.amount_refunded, usd("10.00"), "five refunds of 2.00");
    assert_eq!(gateway.charges().2, 5);
    let succeeded = after
        .moves
        .iter()
        .filter(|m| m.status == MoveStatus::Succeeded)
        .count();
    assert_eq!(succeeded, 5);
}

/// A request that stops between recording its refund and hearing the gateway (a crash, a
/// caller that gave up) leaves the refund pending; the schedule asks the gateway and settles
/// it, and the request's key then replays the refund.
pub async fn a_refund_stopped_at_the_gateway_is_settled_later(store: Arc<dyn Store>) {
    let (commerce, gateway, clock) = shop(store, 5).await;
    let paid = paid(&commerce).await;
    gateway.fail_next(GatewayCall::Refund, 1, InjectedFailure::Hang);
    let stopped = key("refund-stopped");
    stop_at_the_gateway(
        &gateway,
        GatewayCall::Refund,
        commerce.refund(&paid.order.id, usd("5.00"), Some(&stopped)),
    )
    .await;
    let pending = intent(&commerce, &paid).await;
    assert!(pending.moves[0].is_pending(), "{pending:?}");
    assert_eq!(pending.amount_refunded, usd("0.00"));
    clock.advance_millis(MONEY_MOVE_GRACE_MILLIS);
    let settled = commerce.settle_due_money_moves().await.unwrap();
    assert_eq!(settled.succeeded, 1, "{settled:?}");
    let replayed = commerce
        .refund(&paid.order.id, usd("5.00"), Some(&stopped))
        .await
        .unwrap();
    assert_eq!(replayed.payment_intent.amount_refunded, usd("5.00"));
    assert_eq!(gateway.charges().2, 1, "refunded once");
}

/// A capture of an authorization that the gateway refuses frees what it reserved; one whose
/// answer is lost is settled by the schedule; the order follows what the gateway did.
pub async fn captures_settle_as_the_gateway_answers(store: Arc<dyn Store>) {
    let (commerce, gateway, clock) = shop(store, 5).await;
    let cart = cart_with(&commerce, 2).await;
    let mut request = checkout_request(&cart, "tok_visa", None);
    request.capture_method = crate::payment::CaptureMethod::Manual;
    let placed = commerce.checkout(&request).await.unwrap();
    let order_id = placed.order.id.clone();
    gateway.fail_next(
        GatewayCall::Capture,
        1,
        InjectedFailure::Refuse("authorization_expired".into()),
    );
    let refused = commerce
        .capture(&order_id, Some(usd("15.00")), false, None)
        .await
        .unwrap_err();
    assert!(refused.is_payment_declined(), "{refused}");
    gateway.fail_next(GatewayCall::Capture, 1, InjectedFailure::AnswerLost);
    let lost = commerce
        .capture(&order_id, Some(usd("15.00")), false, None)
        .await
        .unwrap_err();
    assert!(lost.is_outcome_unknown(), "{lost}");
    let order = commerce.order(order_id.as_str()).await.unwrap();
    assert_eq!(order.payment_status, PaymentStatus::Authorized);
    // 15.00 of 20.00 is being captured: 5.01 more does not fit.
    let over = commerce
        .capture(&order_id, Some(usd("5.01")), false, None)
        .await
        .unwrap_err();
    assert!(over.is_amount_exceeded(), "{over}");
    clock.advance_millis(MONEY_MOVE_GRACE_MILLIS);
    assert_eq!(
        commerce.settle_due_money_moves().await.unwrap().succeeded,
        1
    );
    let captured = intent(&commerce, &placed).await;
    assert_eq!(captured.amount_received, usd("15.00"));
    assert_eq!(captured.amount_capturable, usd("5.00"));
    assert_eq!(gateway.charges().1, 1, "captured once");
}
