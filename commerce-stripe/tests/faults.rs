//! The gateway against a Stripe fake, for what localstripe does not do: Stripe's replays by
//! Idempotency-Key, and faults (a 5xx after the work, a stall past the timeout, 429, an
//! outage). Whatever the fault, money moves once per key.

mod support;

use std::time::Duration;

use commerce_core::gateway::{AuthorizeRequest, PaymentGateway};
use commerce_core::payment::{CaptureMethod, GatewayOutcome};
use commerce_core::{Currency, Money};
use commerce_stripe::{StripeConfig, StripeGateway};
use support::{FakeStripe, Fault};

fn gateway(fake: &FakeStripe) -> StripeGateway {
    let config = StripeConfig::new("sk_test_fake")
        .with_api_base(&fake.base)
        .with_timeout(Duration::from_millis(300))
        .with_retries(2, Duration::from_millis(10));
    StripeGateway::new(config).unwrap()
}

fn usd(amount: &str) -> Money {
    Money::parse(amount, Currency::USD).unwrap()
}

fn request(intent: &str, method: &str) -> AuthorizeRequest {
    AuthorizeRequest {
        intent_id: intent.into(),
        amount: usd("65.40"),
        payment_method: method.into(),
        capture_method: CaptureMethod::Manual,
        idempotency_key: format!("{intent}:authorize:1"),
    }
}

async fn authorized(gateway: &StripeGateway, intent: &str) -> String {
    match gateway
        .authorize(&request(intent, "pm_card_visa"))
        .await
        .unwrap()
    {
        GatewayOutcome::Authorized { reference } => reference,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_answer_lost_after_the_work_is_retried_with_the_same_key_and_charged_once() {
    let fake = FakeStripe::start().await;
    let gateway = gateway(&fake);
    fake.fault(Fault::FailAfterWork);
    let reference = authorized(&gateway, "pay_1").await;
    fake.fault(Fault::FailAfterWork);
    gateway
        .capture(&reference, usd("60.00"), "pay_1:capture:1")
        .await
        .unwrap();
    fake.fault(Fault::FailAfterWork);
    gateway
        .refund(&reference, usd("10.00"), "pay_1:refund:1")
        .await
        .unwrap();
    // The caller's own retry, after an answer it lost, is a replay too.
    gateway
        .refund(&reference, usd("10.00"), "pay_1:refund:1")
        .await
        .unwrap();
    let moves = fake.moves();
    assert_eq!(
        moves,
        vec![
            ("authorize".into(), reference.clone(), 6540),
            ("capture".into(), reference.clone(), 6000),
            ("refund".into(), reference.clone(), 1000),
        ]
    );
    assert_eq!(fake.requests(), 7, "each fault cost one retry");
    let intent = gateway.retrieve(&reference).await.unwrap();
    assert_eq!(
        (intent.status.as_str(), intent.amount_received),
        ("succeeded", 6000)
    );
    assert_eq!(intent.commerce_intent_id.as_deref(), Some("pay_1"));
}

#[tokio::test]
async fn a_stall_past_the_timeout_is_retried_and_reconciled_by_retrieving() {
    let fake = FakeStripe::start().await;
    let gateway = gateway(&fake);
    fake.fault(Fault::Stall(Duration::from_secs(2)));
    let reference = authorized(&gateway, "pay_2").await;
    assert_eq!(fake.moves().len(), 1, "authorized once");
    // Every attempt stalls: the outcome is unknown, and retrieving the intent settles it.
    for _ in 0..3 {
        fake.fault(Fault::Stall(Duration::from_secs(2)));
    }
    let err = gateway
        .capture(&reference, usd("65.40"), "pay_2:capture:1")
        .await
        .unwrap_err();
    assert!(
        err.is_gateway_failure() && err.is_outcome_unknown(),
        "{err}"
    );
    assert_eq!(
        gateway.retrieve(&reference).await.unwrap().status,
        "succeeded"
    );
    gateway
        .capture(&reference, usd("65.40"), "pay_2:capture:1")
        .await
        .unwrap();
    assert_eq!(fake.moves().len(), 2, "captured once");
}

#[tokio::test]
async fn rate_limits_and_server_errors_are_retried_unless_stripe_says_not_to() {
    let fake = FakeStripe::start().await;
    let gateway = gateway(&fake);
    fake.fault(Fault::RateLimited);
    fake.fault(Fault::Fail(None));
    let reference = authorized(&gateway, "pay_3").await;
    assert_eq!(fake.requests(), 3);
    fake.fault(Fault::Fail(Some(false)));
    let err = gateway
        .cancel(&reference, "pay_3:void:1")
        .await
        .unwrap_err();
    assert!(err.is_outcome_unknown(), "a 500 may have done it: {err}");
    assert_eq!(fake.requests(), 4, "Stripe-Should-Retry: false is obeyed");
    gateway.cancel(&reference, "pay_3:void:1").await.unwrap();
    // Voiding again with another key finds it voided already.
    gateway.cancel(&reference, "pay_3:void:2").await.unwrap();
    assert_eq!(fake.moves().iter().filter(|m| m.0 == "cancel").count(), 1);
}

#[tokio::test]
async fn an_outage_says_whether_anything_may_have_moved() {
    let fake = FakeStripe::start().await;
    let gateway = gateway(&fake);
    fake.down();
    let err = gateway
        .authorize(&request("pay_4", "pm_card_visa"))
        .await
        .unwrap_err();
    assert!(err.is_outcome_unknown(), "503s may have done it: {err}");
    assert_eq!(fake.requests(), 3, "the first try and two retries");
    fake.up();
    authorized(&gateway, "pay_4").await;

    let nowhere = StripeConfig::new("sk_test_fake")
        .with_api_base(format!("http://127.0.0.1:{}", free_port()))
        .with_retries(1, Duration::from_millis(1));
    let err = StripeGateway::new(nowhere)
        .unwrap()
        .authorize(&request("pay_5", "pm_card_visa"))
        .await
        .unwrap_err();
    assert!(
        err.is_gateway_failure() && !err.is_outcome_unknown(),
        "refused: {err}"
    );
}

#[tokio::test]
async fn declines_and_refusals_are_answers() {
    let fake = FakeStripe::start().await;
    let gateway = gateway(&fake);
    let outcome = gateway
        .authorize(&request("pay_6", "pm_card_chargeDeclined"))
        .await
        .unwrap();
    assert_eq!(
        outcome,
        GatewayOutcome::Declined {
            reason: "generic_decline".into()
        }
    );
    let reference = authorized(&gateway, "pay_7").await;
    gateway
        .capture(&reference, usd("5.00"), "pay_7:capture:1")
        .await
        .unwrap();
    let err = gateway
        .refund(&reference, usd("6.00"), "pay_7:refund:1")
        .await
        .unwrap_err();
    assert!(err.is_payment_declined(), "{err}");
    // The same key with another body is Stripe's idempotency_error: a bug, never a decline.
    let err = gateway
        .refund(&reference, usd("1.00"), "pay_7:refund:1")
        .await
        .unwrap_err();
    assert!(
        err.is_gateway_failure() && !err.is_payment_declined(),
        "{err}"
    );
    let err = gateway
        .authorize(&AuthorizeRequest {
            amount: Money::parse("1", Currency::from_code("IRR").unwrap()).unwrap(),
            ..request("pay_8", "pm_card_visa")
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("does not take"), "{err}");
    let before = fake.requests();
    assert!(gateway.capture("pi/../x", usd("1.00"), "k").await.is_err());
    assert_eq!(fake.requests(), before, "refused before any call");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
