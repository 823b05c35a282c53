//! The checkout, capture, refund and cancel scenarios the test gateway passes, again on Stripe's
//! request and response shapes, against localstripe (a stateful Stripe fake from PyPI, started
//! per test): manual and partial capture, refunds, declines, 3-D Secure, and signed webhooks.

mod support;

use std::sync::Arc;
use std::time::Duration;

use commerce_core::clock::ManualClock;
use commerce_core::order::OrderStatus;
use commerce_core::payment::{CaptureMethod, IntentStatus};
use commerce_core::service::CheckoutRequest;
use commerce_core::store::{MemoryStore, Store};
use commerce_core::testkit::{START, sample_contact, shop_over};
use commerce_core::{Commerce, Currency, Money};
use commerce_stripe::{StripeConfig, StripeGateway};
use support::{LocalStripe, localstripe_binary, required};

/// localstripe and a shop whose gateway is Stripe there; `None` (a skip) without localstripe.
async fn stripe_shop() -> Option<(LocalStripe, Commerce, Arc<StripeGateway>)> {
    let Some(binary) = localstripe_binary() else {
        assert!(!required(), "no localstripe, and CI=true");
        eprintln!("skipped: no localstripe (scripts/test installs it)");
        return None;
    };
    let local = LocalStripe::start(&binary).await;
    let config = StripeConfig::new("sk_test_local")
        .with_api_base(&local.base)
        .with_retries(0, Duration::from_millis(10));
    let gateway = Arc::new(StripeGateway::new(config).unwrap());
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::new(START));
    let commerce = shop_over(store, gateway.clone(), clock, 50).await;
    Some((local, commerce, gateway))
}

async fn checkout(
    commerce: &Commerce,
    method: &str,
    capture: CaptureMethod,
) -> commerce_core::Result<commerce_core::service::Checkout> {
    let cart = commerce.create_cart(Currency::USD, None).await.unwrap();
    commerce
        .add_to_cart(&cart.id, "MUG", 3, Default::default())
        .await
        .unwrap();
    commerce
        .checkout(&CheckoutRequest {
            cart_id: cart.id,
            payment_method: method.into(),
            contact: sample_contact(),
            capture_method: capture,
            idempotency_key: None,
            idempotency_scope: "tests".into(),
        })
        .await
}

fn usd(amount: &str) -> Money {
    Money::parse(amount, Currency::USD).unwrap()
}

#[tokio::test]
async fn manual_capture_partial_capture_and_partial_refund() {
    let Some((_local, commerce, gateway)) = stripe_shop().await else {
        return;
    };
    let placed = checkout(&commerce, "pm_card_visa", CaptureMethod::Manual)
        .await
        .unwrap();
    assert_eq!(placed.order.status, OrderStatus::Confirmed);
    assert_eq!(placed.payment_intent.status, IntentStatus::RequiresCapture);
    let reference = placed.payment_intent.gateway_reference.clone().unwrap();
    assert!(reference.starts_with("pi_"), "{reference}");
    let at_stripe = gateway.retrieve(&reference).await.unwrap();
    assert_eq!(at_stripe.status, "requires_capture");
    assert_eq!(
        at_stripe.commerce_intent_id.as_deref(),
        Some(placed.payment_intent.id.as_str())
    );

    let captured = commerce
        .capture(&placed.order.id, Some(usd("20.00")), true, None)
        .await
        .unwrap();
    assert_eq!(captured.payment_intent.amount_received, usd("20.00"));
    // localstripe reports no amount_received; the fake's ledger checks amounts (faults.rs).
    assert_eq!(
        gateway.retrieve(&reference).await.unwrap().status,
        "succeeded"
    );

    let refunded = commerce
        .refund(&placed.order.id, usd("5.00"), None)
        .await
        .unwrap();
    assert_eq!(refunded.payment_intent.amount_refunded, usd("5.00"));
}

#[tokio::test]
async fn automatic_capture_then_cancel_refunds_in_full_and_a_manual_one_is_voided() {
    let Some((_local, commerce, gateway)) = stripe_shop().await else {
        return;
    };
    let paid = checkout(&commerce, "pm_card_visa", CaptureMethod::Automatic)
        .await
        .unwrap();
    assert_eq!(paid.payment_intent.status, IntentStatus::Succeeded);
    let cancelled = commerce.cancel_order(&paid.order.id, None).await.unwrap();
    assert_eq!(cancelled.order.status, OrderStatus::Cancelled);
    assert_eq!(
        cancelled.payment_intent.amount_refunded,
        paid.payment_intent.amount
    );

    let held = checkout(&commerce, "pm_card_visa", CaptureMethod::Manual)
        .await
        .unwrap();
    let reference = held.payment_intent.gateway_reference.clone().unwrap();
    let voided = commerce.cancel_order(&held.order.id, None).await.unwrap();
    assert_eq!(voided.payment_intent.status, IntentStatus::Canceled);
    assert_eq!(
        gateway.retrieve(&reference).await.unwrap().status,
        "canceled"
    );
}

#[tokio::test]
async fn a_declined_card_releases_the_stock_with_stripes_reason() {
    let Some((local, commerce, _)) = stripe_shop().await else {
        return;
    };
    let declining = local.card("4000000000000341").await;
    let err = checkout(&commerce, &declining, CaptureMethod::Automatic)
        .await
        .unwrap_err();
    assert!(err.is_payment_declined(), "{err}");
    assert!(err.to_string().contains("card_declined"), "{err}");
    let levels = commerce.stock("MUG").await.unwrap();
    assert_eq!(levels[0].reserved, 0, "released");
}

#[tokio::test]
async fn three_d_secure_waits_for_the_customer_and_stripes_signed_webhook_completes_it() {
    let Some((local, commerce, gateway)) = stripe_shop().await else {
        return;
    };
    let secret = "whsec_localstripe";
    let (url, mut received) = support::webhook_receiver().await;
    local.register_webhook(&url, secret).await;

    let card = local.card("4000002500003155").await;
    let waiting = checkout(&commerce, &card, CaptureMethod::Automatic)
        .await
        .unwrap();
    assert_eq!(waiting.payment_intent.status, IntentStatus::RequiresAction);
    assert_eq!(waiting.order.status, OrderStatus::PendingPayment);
    let reference = waiting.payment_intent.gateway_reference.clone().unwrap();
    let at_stripe = gateway.retrieve(&reference).await.unwrap();
    assert!(
        at_stripe.next_action.is_some(),
        "the action is handed through"
    );

    use commerce_core::gateway::PaymentGateway;
    assert_eq!(
        gateway.payment_status(&reference).await.unwrap(),
        None,
        "still waiting"
    );
    local.authenticate(&reference).await;
    // What the worker asks when the webhook never comes.
    assert_eq!(
        gateway.payment_status(&reference).await.unwrap(),
        Some(commerce_core::payment::GatewayEventKind::PaymentSucceeded)
    );
    // localstripe sends its events about a second later; wait for the payment's.
    let event = loop {
        let (header, body) = tokio::time::timeout(Duration::from_secs(20), received.recv())
            .await
            .expect("a webhook from localstripe")
            .unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        commerce_stripe::webhooks::verify(secret, &header, &body, now).unwrap();
        assert!(commerce_stripe::webhooks::verify("whsec_other", &header, &body, now).is_err());
        if let Some(event) = commerce_stripe::webhooks::event(&body).unwrap() {
            break event;
        }
    };
    assert_eq!(event.intent_id, waiting.payment_intent.id);
    let done = commerce.handle_gateway_event(&event).await.unwrap();
    assert_eq!(done.order.status, OrderStatus::Confirmed);
    assert_eq!(done.payment_intent.status, IntentStatus::Succeeded);
    assert_eq!(done.payment_intent.next_action, None, "done with");
    // Stripe delivers at least once: the same event again changes nothing.
    let again = commerce.handle_gateway_event(&event).await.unwrap();
    assert_eq!(again.payment_intent.version, done.payment_intent.version);
}
