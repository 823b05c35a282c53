//! Checks of checkout through the service.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::future::join_all;

use crate::error::ErrorKind;
use crate::events::EventKind;
use crate::order::{FulfillmentStatus, OrderStatus, PaymentStatus};
use crate::payment::IntentStatus;
use crate::store::Store;

use super::{START, cart_with, checkout_request, claimed, level, shop};

/// A paid checkout sells the stock, confirms the order and writes its events.
pub async fn checkout_sells_stock_and_confirms(store: Arc<dyn Store>) {
    let (commerce, _, _) = shop(store.clone(), 5).await;
    let cart = cart_with(&commerce, 2).await;
    // The request a client may price itself hides coupon promotions it has not unlocked...
    let request = commerce.pricing_request(&cart).await.unwrap();
    assert!(
        request.promotions.is_empty(),
        "no unentered code is revealed"
    );
    commerce.apply_coupon(&cart, "five").await.unwrap();
    // ...and prices exactly as the shop does once they are unlocked.
    let request = commerce.pricing_request(&cart).await.unwrap();
    assert_eq!(request.promotions.len(), 1);
    let client = crate::pricing::quote(&request).unwrap();
    let server = commerce.quote_cart(&cart).await.unwrap();
    assert_eq!(client.totals, server.totals);
    let checkout = commerce
        .checkout(&checkout_request(&cart, "tok_visa", None))
        .await
        .unwrap();
    assert_eq!(checkout.order.status, OrderStatus::Confirmed);
    assert_eq!(checkout.order.payment_status, PaymentStatus::Paid);
    assert_eq!(checkout.payment_intent.status, IntentStatus::Succeeded);
    assert_eq!(
        checkout.payment_intent.amount_received.to_string(),
        "15.00 USD"
    );
    assert_eq!(level(&*store, "MUG").await, (3, 0));
    let kinds: Vec<EventKind> = claimed(&*store, START)
        .await
        .iter()
        .map(|e| e.kind)
        .collect();
    for kind in [
        EventKind::OrderPlaced,
        EventKind::StockReserved,
        EventKind::PaymentAuthorized,
        EventKind::PaymentCaptured,
        EventKind::OrderConfirmed,
    ] {
        assert!(kinds.contains(&kind), "missing {kind} in {kinds:?}");
    }
    // Fulfilment, shipping and delivery each say what happened.
    for line in &checkout.order.lines {
        commerce
            .fulfil(&checkout.order.id, &line.id, line.quantity)
            .await
            .unwrap();
    }
    for to in [FulfillmentStatus::Shipped, FulfillmentStatus::Delivered] {
        commerce
            .advance_fulfillment(&checkout.order.id, to)
            .await
            .unwrap();
    }
    let later = START.plus_millis(10);
    let kinds: Vec<EventKind> = claimed(&*store, later)
        .await
        .iter()
        .filter(|e| e.aggregate_id == checkout.order.id)
        .map(|e| e.kind)
        .collect();
    for kind in [
        EventKind::OrderFulfilled,
        EventKind::OrderShipped,
        EventKind::OrderDelivered,
    ] {
        assert_eq!(
            kinds.iter().filter(|&&k| k == kind).count(),
            1,
            "{kind} once in {kinds:?}"
        );
    }
    // The cart is frozen, and checking it out again returns the same order.
    assert!(
        commerce
            .add_to_cart(&cart, "MUG", 1, BTreeMap::new())
            .await
            .is_err()
    );
    let again = commerce
        .checkout(&checkout_request(&cart, "tok_visa", None))
        .await
        .unwrap();
    assert_eq!(again.order.id, checkout.order.id);
}

/// The same key replays the same order; many concurrent retries still make one order, one charge.
pub async fn idempotent_checkout_charges_once(store: Arc<dyn Store>) {
    let (commerce, gateway, _) = shop(store.clone(), 5).await;
    let cart = cart_with(&commerce, 1).await;
    let attempts = (0..10).map(|_| {
        let commerce = commerce.clone();
        let request = checkout_request(&cart, "tok_visa", Some("key-1"));
        async move { commerce.checkout(&request).await }
    });
    let results = join_all(attempts).await;
    let orders: std::collections::BTreeSet<String> = results
        .iter()
        .filter_map(|r| r.as_ref().ok().map(|c| c.order.id.clone()))
        .collect();
    assert_eq!(orders.len(), 1, "one order, whatever the retries");
    for result in &results {
        if let Err(err) = result {
            assert!(
                matches!(
                    err.kind(),
                    ErrorKind::IdempotencyInFlight { .. } | ErrorKind::Conflict { .. }
                ),
                "{err}"
            );
        }
    }
    let replay = commerce
        .checkout(&checkout_request(&cart, "tok_visa", Some("key-1")))
        .await
        .unwrap();
    assert!(orders.contains(&replay.order.id));
    let err = commerce
        .checkout(&checkout_request(&cart, "tok_other", Some("key-1")))
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::IdempotencyMismatch { .. }),
        "{err}"
    );
    assert_eq!(gateway.charges().0, 1, "one authorization at the gateway");
    assert_eq!(level(&*store, "MUG").await, (4, 0));
}

/// A declined payment cancels the order and gives back exactly the stock it held.
pub async fn declined_payment_restores_stock_exactly(store: Arc<dyn Store>) {
    let (commerce, _, _) = shop(store.clone(), 5).await;
    let cart = cart_with(&commerce, 3).await;
    let err = commerce
        .checkout(&checkout_request(
            &cart,
            "tok_decline_insufficient_funds",
            Some("k"),
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::PaymentDeclined { reason } if reason == "insufficient_funds"),
        "{err}"
    );
    assert_eq!(
        level(&*store, "MUG").await,
        (5, 0),
        "compensation restores stock exactly"
    );
    let order = store.order_for_cart(&cart).await.unwrap().unwrap();
    assert_eq!(
        order.status,
        OrderStatus::PendingPayment,
        "the order waits for another card"
    );
    // The replay gives the same answer.
    let again = commerce
        .checkout(&checkout_request(
            &cart,
            "tok_decline_insufficient_funds",
            Some("k"),
        ))
        .await
        .unwrap_err();
    assert_eq!(again.code(), "payment_declined");
    // Another card declined again holds nothing either.
    let declined = commerce
        .checkout(&checkout_request(&cart, "tok_decline", Some("k2")))
        .await
        .unwrap_err();
    assert_eq!(declined.code(), "payment_declined");
    assert_eq!(level(&*store, "MUG").await, (5, 0));
    // The same cart is payable again, with a new key and a card that works: the stock is
    // held again and sold, on the same order.
    let paid = commerce
        .checkout(&checkout_request(&cart, "tok_visa", Some("k3")))
        .await
        .unwrap();
    assert_eq!(paid.order.id, order.id);
    assert_eq!(paid.order.status, OrderStatus::Confirmed);
    assert_eq!(paid.payment_intent.status, IntentStatus::Succeeded);
    assert_eq!(level(&*store, "MUG").await, (2, 0), "sold once");
    let replayed = commerce
        .checkout(&checkout_request(&cart, "tok_visa", Some("k3")))
        .await
        .unwrap();
    assert_eq!(replayed.order.status, OrderStatus::Confirmed);
    assert_eq!(level(&*store, "MUG").await, (2, 0), "still sold once");
    // Too little stock: nothing is reserved, nothing is created.
    let big = cart_with(&commerce, 6).await;
    let err = commerce
        .checkout(&checkout_request(&big, "tok_visa", None))
        .await
        .unwrap_err();
    assert!(err.is_insufficient_stock(), "{err}");
    assert!(store.order_for_cart(&big).await.unwrap().is_none());
    assert_eq!(level(&*store, "MUG").await, (2, 0));
}

/// A hold that expires while the customer authenticates frees the stock for the next buyer; the
/// first checkout then fails cleanly and its payment is given back.
pub async fn expired_checkout_fails_cleanly(store: Arc<dyn Store>) {
    let (commerce, gateway, clock) = shop(store.clone(), 1).await;
    let slow = cart_with(&commerce, 1).await;
    let first = commerce
        .checkout(&checkout_request(&slow, "tok_requires_action", None))
        .await
        .unwrap();
    assert_eq!(first.payment_intent.status, IntentStatus::RequiresAction);
    clock.advance_millis(crate::inventory::DEFAULT_RESERVATION_TTL_MILLIS);
    let fast = cart_with(&commerce, 1).await;
    let second = commerce
        .checkout(&checkout_request(&fast, "tok_visa", None))
        .await
        .unwrap();
    assert_eq!(second.order.status, OrderStatus::Confirmed);
    gateway.complete_action(&first.payment_intent.id);
    let event = gateway.take_events().pop().expect("an event");
    let err = commerce.handle_gateway_event(&event).await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::ReservationExpired { .. }),
        "{err}"
    );
    let order = commerce.order(&first.order.id).await.unwrap();
    assert_eq!(order.status, OrderStatus::Cancelled);
    let intent = commerce
        .payment_intent(&first.payment_intent.id)
        .await
        .unwrap();
    assert_eq!(
        intent.amount_refunded, intent.amount_received,
        "the late payment is refunded"
    );
    assert_eq!(level(&*store, "MUG").await, (0, 0), "never oversold");
    // The same event again changes nothing.
    commerce.handle_gateway_event(&event).await.unwrap();
}

/// Checkouts that never pay cannot keep a hot product from buyers who do: each client (or
/// customer) holds stock for at most a few unpaid checkouts, those holds are short, and a
/// declined one holds nothing.
pub async fn unpaid_checkouts_cannot_keep_stock_from_payers(store: Arc<dyn Store>) {
    let (commerce, _, clock) = shop(store.clone(), 5).await;
    let attacker = Some("203.0.113.9");
    let guest = crate::access::Caller::Anonymous;
    let mut refused = 0;
    for i in 0..5 {
        let cart = cart_with(&commerce, 1).await;
        let request = checkout_request(&cart, "tok_requires_action", Some(&format!("a{i}")));
        match commerce.checkout_as(&guest, attacker, &request).await {
            Ok(placed) => assert_eq!(placed.payment_intent.status, IntentStatus::RequiresAction),
            Err(err) => {
                assert_eq!(err.code(), "too_many_unpaid_checkouts", "{err}");
                refused += 1;
            }
        }
    }
    assert_eq!(refused, 2, "three unpaid holds per client");
    assert_eq!(level(&*store, "MUG").await, (5, 3));
    // Declined cards hold nothing at all.
    for i in 0..3 {
        let cart = cart_with(&commerce, 1).await;
        let request = checkout_request(&cart, "tok_decline", Some(&format!("d{i}")));
        let err = commerce
            .checkout_as(&guest, Some("198.51.100.7"), &request)
            .await
            .unwrap_err();
        assert!(err.is_payment_declined(), "{err}");
    }
    // A paying buyer elsewhere gets what is left.
    let cart = cart_with(&commerce, 2).await;
    let paid = commerce
        .checkout_as(
            &guest,
            Some("192.0.2.1"),
            &checkout_request(&cart, "tok_visa", Some("p1")),
        )
        .await
        .unwrap();
    assert_eq!(paid.order.status, OrderStatus::Confirmed);
    // The unpaid holds are short: past them, the stock is anyone's again.
    clock.advance_millis(crate::inventory::DEFAULT_UNPAID_HOLD_TTL_MILLIS + 1);
    let cart = cart_with(&commerce, 3).await;
    let paid = commerce
        .checkout_as(
            &guest,
            Some("192.0.2.2"),
            &checkout_request(&cart, "tok_visa", Some("p2")),
        )
        .await
        .unwrap();
    assert_eq!(paid.order.status, OrderStatus::Confirmed);
    assert_eq!(level(&*store, "MUG").await, (0, 0), "sold to payers only");
}

/// A guest whose checkout the gateway never answered finishes it through the cart, the only
/// thing a guest holds, with another card, on the same order; the stock was held meanwhile,
/// briefly.
pub async fn a_guest_finishes_a_payment_the_gateway_missed(store: Arc<dyn Store>) {
    let (commerce, gateway, _) = shop(store.clone(), 5).await;
    let guest = crate::access::Caller::Anonymous;
    let cart = cart_with(&commerce, 2).await;
    let err = commerce
        .checkout_as(
            &guest,
            Some("192.0.2.3"),
            &checkout_request(&cart, "tok_gateway_down", Some("g1")),
        )
        .await
        .unwrap_err();
    assert!(err.is_gateway_failure(), "{err}");
    let order = store.order_for_cart(&cart).await.unwrap().unwrap();
    let hold = store
        .reservation(order.reservation_id.as_deref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        hold.expires_at,
        START.plus_millis(crate::inventory::DEFAULT_UNPAID_HOLD_TTL_MILLIS),
        "an unanswered payment holds stock briefly"
    );
    let done = commerce
        .checkout_as(
            &guest,
            Some("192.0.2.3"),
            &checkout_request(&cart, "tok_visa", Some("g2")),
        )
        .await
        .unwrap();
    assert_eq!(done.order.id, order.id);
    assert_eq!(done.order.status, OrderStatus::Confirmed);
    assert_eq!(
        done.payment_intent.payment_method.as_deref(),
        Some("tok_visa")
    );
    assert_eq!(level(&*store, "MUG").await, (3, 0));
    assert_eq!(gateway.charges().0, 1, "one authorization");
}

/// A "first order" promotion still applies to a customer whose only order was cancelled, and
/// no longer once they have paid for one.
pub async fn a_cancelled_order_is_not_a_previous_order(store: Arc<dyn Store>) {
    use crate::customer::Customer;
    use crate::money::Currency;
    use crate::pricing::{Benefit, Promotion, Target};
    let (commerce, _, _) = shop(store.clone(), 5).await;
    let mut config = commerce.config().await.unwrap();
    let mut welcome = Promotion::new(
        "first-order",
        Benefit::PercentageOff {
            percent: "10".parse().unwrap(),
            target: Target::Order,
        },
    );
    welcome.conditions.first_order = true;
    config.promotions.push(welcome);
    commerce.put_config(config).await.unwrap();
    commerce
        .put_customer(Customer {
            id: "cus_ada".into(),
            email: "ada@example.com".into(),
            name: "Ada".into(),
            group: None,
            addresses: Vec::new(),
            version: 0,
        })
        .await
        .unwrap();
    let cart_of_ada = || async {
        let cart = commerce
            .create_cart(Currency::USD, Some("cus_ada".into()))
            .await
            .unwrap();
        commerce
            .add_to_cart(cart.id.as_str(), "MUG", 1, BTreeMap::new())
            .await
            .unwrap();
        cart.id
    };
    let full_price = |quote: &crate::pricing::Quote<'_>| quote.totals.discount_total.is_zero();
    let first = cart_of_ada().await;
    let placed = commerce
        .checkout(&checkout_request(&first, "tok_visa", None))
        .await
        .unwrap();
    assert!(!full_price(&placed.order.quote), "the first order gets it");
    commerce
        .cancel_order(placed.order.id.as_str(), None)
        .await
        .unwrap();
    let second = cart_of_ada().await;
    let quote = commerce.quote_cart(second.as_str()).await.unwrap();
    assert!(
        !full_price(&quote),
        "a cancelled order is not a previous order"
    );
    commerce
        .checkout(&checkout_request(&second, "tok_visa", None))
        .await
        .unwrap();
    let third = cart_of_ada().await;
    let quote = commerce.quote_cart(third.as_str()).await.unwrap();
    assert!(full_price(&quote), "a paid order is a previous order");
}
