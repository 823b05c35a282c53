//! Checks of event deliveries and the worker's jobs: every event reaches every destination
//! that wants it, once routed, in order per order, retried by the destination's rules and
//! dead-lettered after them; two workers never send one attempt twice; endpoints are kept and
//! disabled; leases have one holder; unpaid orders and lapsing authorizations are cancelled.
//!
//! The destinations here are in-test recorders (no broker is needed to check the ledger's
//! rules); the real brokers, webhooks and mail are tested in `commerce-events`.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures::future::join_all;

use crate::clock::{Clock, ManualClock};
use crate::delivery::{
    DELIVERY_LEASE_MILLIS, DeliveryFilter, DeliveryStatus, DestinationKind, Envelope, Outcome,
    WEBHOOK_RETRY_DELAYS_MILLIS,
};
use crate::events::{DomainEvent, EventKind};
use crate::gateway::TestGateway;
use crate::ids::SequentialIds;
use crate::order::{OrderStatus, PaymentStatus};
use crate::payment::CaptureMethod;
use crate::service::Commerce;
use crate::store::{Changes, DeliveryUpdate, Store};
use crate::time::Timestamp;
use crate::webhooks::{DISABLE_AFTER_DEAD_LETTERS, WebhookEndpoint, secret_from_bytes};
use crate::worker::{
    DEFAULT_ABANDONED_AFTER_MILLIS, DEFAULT_AUTHORIZATION_WINDOW_MILLIS, Destination, Destinations,
    WebhookSender,
};

use super::{START, cart_with, checkout_request, level, shop};

/// A destination that records what it is sent and answers as scripted (delivered, once the
/// script runs out).
pub(crate) struct Recorder {
    name: String,
    kind: DestinationKind,
    only: Option<Vec<EventKind>>,
    script: Mutex<VecDeque<Outcome>>,
    sent: Mutex<Vec<Envelope>>,
}

impl Recorder {
    pub(crate) fn new(name: &str, kind: DestinationKind) -> Arc<Recorder> {
        Arc::new(Recorder {
            name: name.into(),
            kind,
            only: None,
            script: Mutex::new(VecDeque::new()),
            sent: Mutex::new(Vec::new()),
        })
    }

    fn only(name: &str, kinds: &[EventKind]) -> Arc<Recorder> {
        Arc::new(Recorder {
            name: name.into(),
            kind: DestinationKind::Broker,
            only: Some(kinds.to_vec()),
            script: Mutex::new(VecDeque::new()),
            sent: Mutex::new(Vec::new()),
        })
    }

    fn answer(&self, outcomes: impl IntoIterator<Item = Outcome>) {
        self.script.lock().expect("a lock").extend(outcomes);
    }

    pub(crate) fn sent(&self) -> Vec<Envelope> {
        self.sent.lock().expect("a lock").clone()
    }
}

#[async_trait]
impl Destination for Recorder {
    fn name(&self) -> &str {
        &self.name
    }
    fn kind(&self) -> DestinationKind {
        self.kind
    }
    fn wants(&self, kind: EventKind) -> bool {
        self.only.as_ref().is_none_or(|only| only.contains(&kind))
    }
    async fn deliver(&self, envelope: &Envelope) -> Outcome {
        let outcome = self
            .script
            .lock()
            .expect("a lock")
            .pop_front()
            .unwrap_or(Outcome::Delivered);
        self.sent.lock().expect("a lock").push(envelope.clone());
        outcome
    }
}

/// A webhook sender that records what it posts and answers as scripted per endpoint URL.
#[derive(Default)]
struct Hooks {
    failing: Mutex<Vec<String>>,
    gone: Mutex<Vec<String>>,
    sent: Mutex<Vec<(String, String)>>,
}

#[async_trait]
impl WebhookSender for Hooks {
    async fn send(&self, endpoint: &WebhookEndpoint, envelope: &Envelope, _: Timestamp) -> Outcome {
        self.sent
            .lock()
            .expect("a lock")
            .push((endpoint.id.clone(), envelope.id.clone()));
        if self.gone.lock().expect("a lock").contains(&endpoint.url) {
            Outcome::Refused("410 Gone".into())
        } else if self.failing.lock().expect("a lock").contains(&endpoint.url) {
            Outcome::Failed("500 Internal Server Error".into())
        } else {
            Outcome::Delivered
        }
    }
}

fn service(store: Arc<dyn Store>, clock: Arc<ManualClock>, instance: &str) -> Commerce {
    Commerce::new(
        store,
        Arc::new(TestGateway::new()),
        clock,
        Arc::new(SequentialIds::prefixed(instance)),
    )
}

/// Writes `count` events for each of `orders` orders, interleaved: o0 e0, o1 e0, o0 e1, ...
async fn events(store: &dyn Store, orders: usize, count: usize) -> Vec<String> {
    let kinds = [
        EventKind::OrderPlaced,
        EventKind::PaymentCaptured,
        EventKind::OrderConfirmed,
        EventKind::OrderShipped,
    ];
    let mut ids = Vec::new();
    for n in 0..count {
        for o in 0..orders {
            let order = format!("ord_{o}");
            let kind = kinds[n % kinds.len()];
            let (aggregate, data) = if kind == EventKind::PaymentCaptured {
                (format!("pi_{o}"), serde_json::json!({"order_id": order}))
            } else {
                (order.clone(), serde_json::json!({}))
            };
            let event = DomainEvent::new(kind, &aggregate, n, START, data);
            ids.push(event.id.clone());
            store
                .apply(Changes {
                    now: START,
                    events: vec![event],
                    ..Changes::default()
                })
                .await
                .unwrap();
        }
    }
    ids
}

/// Routing writes one delivery per event and destination that wants it, once however often
/// it runs; a claimed event's sequence follows the outbox order.
pub async fn events_are_routed_once_to_each_destination(store: Arc<dyn Store>) {
    let clock = Arc::new(ManualClock::new(START));
    let commerce = service(store.clone(), clock.clone(), "a");
    let ids = events(&*store, 3, 4).await;
    let everything = Recorder::new("everything", DestinationKind::Broker);
    let orders_only = Recorder::only("orders", &[EventKind::OrderPlaced, EventKind::OrderShipped]);
    let destinations = Destinations::new()
        .with(everything.clone())
        .with(orders_only.clone());
    assert_eq!(commerce.route_events(&destinations).await.unwrap(), 12);
    assert_eq!(
        commerce.route_events(&destinations).await.unwrap(),
        0,
        "routed once"
    );
    let all = commerce
        .deliveries(&DeliveryFilter::default(), None, Some(200))
        .await
        .unwrap();
    assert_eq!(all.items.len(), 12 + 6);
    let mut sequences: Vec<u64> = all
        .items
        .iter()
        .filter(|d| d.destination == "everything")
        .map(|d| d.sequence)
        .collect();
    sequences.reverse();
    let mut sorted = sequences.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sequences, sorted, "listed newest first, sequences distinct");
    // Routing the same deliveries again (a worker that stopped after writing them) changes
    // nothing.
    let again: Vec<_> = all.items.clone();
    store.route_events(&again, &ids).await.unwrap();
    assert_eq!(
        commerce
            .deliveries(&DeliveryFilter::default(), None, Some(200))
            .await
            .unwrap()
            .items,
        all.items
    );
    let stats = commerce.delivery_stats().await.unwrap();
    assert_eq!(stats.unrouted_events, 0);
    assert_eq!(stats.oldest_undelivered_at, Some(START));
    assert_eq!(
        stats.by_destination,
        vec![
            ("everything".to_string(), DeliveryStatus::Pending, 12),
            ("orders".to_string(), DeliveryStatus::Pending, 6),
        ]
    );
    // An admin's filter.
    let page = commerce
        .deliveries(
            &DeliveryFilter {
                destination: Some("orders".into()),
                status: Some(DeliveryStatus::Pending),
            },
            None,
            Some(4),
        )
        .await
        .unwrap();
    assert_eq!(page.items.len(), 4);
    let rest = commerce
        .deliveries(
            &DeliveryFilter {
                destination: Some("orders".into()),
                status: None,
            },
            page.next_cursor.as_deref(),
            Some(100),
        )
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 2, "the cursor continues the listing");
}

/// One order's events reach a destination in the order they happened, even when one of
/// them fails and is retried; other orders' events are not held up; a webhook-kind delivery
/// dies after its last attempt and can be sent again.
pub async fn deliveries_keep_order_per_order_and_retry(store: Arc<dyn Store>) {
    let clock = Arc::new(ManualClock::new(START));
    let commerce = service(store.clone(), clock.clone(), "a");
    events(&*store, 2, 3).await;
    let broker = Recorder::new("broker", DestinationKind::Broker);
    // The first attempt (ord_0's first event) fails.
    broker.answer([Outcome::Failed("down".into())]);
    let destinations = Destinations::new().with(broker.clone());
    commerce.route_events(&destinations).await.unwrap();
    let first = commerce.deliver_due(&destinations).await.unwrap();
    assert_eq!(
        (first.delivered, first.failed),
        (1, 1),
        "one head per order"
    );
    // ord_0 waits for its failed head; ord_1 goes on.
    let second = commerce.deliver_due(&destinations).await.unwrap();
    assert_eq!((second.delivered, second.failed), (1, 0));
    clock.advance_millis(1_000);
    for _ in 0..6 {
        commerce.deliver_due(&destinations).await.unwrap();
    }
    let mut per_order: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let mut delivered_ids = Vec::new();
    for envelope in broker.sent() {
        per_order
            .entry(envelope.order_id.clone().expect("an order"))
            .or_default()
            .push(envelope.sequence);
        delivered_ids.push(envelope.id.clone());
    }
    for (order, sequences) in &per_order {
        let mut sorted = sequences.clone();
        sorted.sort_unstable();
        assert_eq!(*sequences, sorted, "{order}'s events out of order");
    }
    assert_eq!(per_order["ord_0"].len(), 4, "the failed one was sent twice");
    assert_eq!(per_order["ord_1"].len(), 3);
    let stats = commerce.delivery_stats().await.unwrap();
    assert_eq!(
        stats.by_destination,
        vec![("broker".to_string(), DeliveryStatus::Delivered, 6)]
    );
    assert_eq!(stats.oldest_undelivered_at, None);

    // A mailbox-kind destination that never answers: dead after its last attempt.
    let clock = Arc::new(ManualClock::new(START));
    let commerce = service(store.clone(), clock.clone(), "b");
    store
        .apply(Changes {
            now: START,
            events: vec![DomainEvent::new(
                EventKind::OrderShipped,
                "ord_9",
                1,
                START,
                serde_json::json!({}),
            )],
            ..Changes::default()
        })
        .await
        .unwrap();
    let mail = Recorder::new("mail", DestinationKind::Email);
    mail.answer((0..20).map(|_| Outcome::Failed("421 try later".into())));
    let destinations = Destinations::new().with(mail.clone());
    commerce.route_events(&destinations).await.unwrap();
    let mut attempts = 0;
    for _ in 0..20 {
        attempts += commerce.deliver_due(&destinations).await.unwrap().failed;
        clock.advance_millis(28_800_000);
    }
    let dead = store
        .delivery("ord_9:order_shipped:1", "mail")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((dead.status, dead.attempts), (DeliveryStatus::Dead, 10));
    assert_eq!(attempts, 9, "nine failures retried, the tenth is the last");
    assert_eq!(dead.last_error.as_deref(), Some("421 try later"));
    let again = commerce.redeliver(&dead.event_id, "mail").await.unwrap();
    assert_eq!((again.status, again.attempts), (DeliveryStatus::Pending, 0));
    assert!(
        commerce
            .redeliver(&dead.event_id, "mail")
            .await
            .unwrap_err()
            .is_invalid_transition(),
        "only a dead letter is sent again"
    );
    mail.answer([]);
    mail.script.lock().expect("a lock").clear();
    assert_eq!(
        commerce.deliver_due(&destinations).await.unwrap().delivered,
        1
    );
}

/// Two workers on one store, side by side: every delivery is sent exactly once when every
/// send succeeds, and a settlement of an attempt that another worker has since claimed again
/// is not written.
pub async fn two_workers_never_send_one_attempt_twice(store: Arc<dyn Store>) {
    let clock = Arc::new(ManualClock::new(START));
    let one = service(store.clone(), clock.clone(), "a");
    let two = service(store.clone(), clock.clone(), "b");
    let ids = events(&*store, 25, 4).await;
    let broker = Recorder::new("broker", DestinationKind::Broker);
    let destinations = Destinations::new().with(broker.clone());
    for _ in 0..12 {
        join_all([
            one.route_events(&destinations),
            two.route_events(&destinations),
        ])
        .await;
        join_all([
            one.deliver_due(&destinations),
            two.deliver_due(&destinations),
        ])
        .await;
    }
    let mut sent: Vec<String> = broker.sent().into_iter().map(|e| e.id).collect();
    sent.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(sent, expected, "each event sent once, none missing");

    // A worker whose lease ran out settles too late: its write is refused.
    store
        .apply(Changes {
            now: START,
            events: vec![DomainEvent::new(
                EventKind::OrderPlaced,
                "ord_late",
                1,
                START,
                serde_json::json!({}),
            )],
            ..Changes::default()
        })
        .await
        .unwrap();
    one.route_events(&destinations).await.unwrap();
    let now = clock.now();
    let first = store
        .claim_deliveries(10, now.plus_millis(DELIVERY_LEASE_MILLIS), now)
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    assert!(
        store
            .claim_deliveries(10, now.plus_millis(DELIVERY_LEASE_MILLIS), now)
            .await
            .unwrap()
            .is_empty(),
        "a leased delivery is not claimed twice"
    );
    let later = now.plus_millis(DELIVERY_LEASE_MILLIS);
    let second = store
        .claim_deliveries(10, later.plus_millis(DELIVERY_LEASE_MILLIS), later)
        .await
        .unwrap();
    assert_eq!(
        second[0].delivery.attempts, 2,
        "a new claim is a new attempt"
    );
    let mut stale = first[0].delivery.clone();
    stale.settle(&Outcome::Delivered, later);
    let written = store
        .update_deliveries(&[DeliveryUpdate {
            delivery: stale,
            expected_status: DeliveryStatus::Pending,
            expected_attempts: 1,
        }])
        .await
        .unwrap();
    assert_eq!(
        written, 0,
        "attempt 1's late answer is not written over attempt 2"
    );
}

/// Endpoints are created, listed, changed and removed; each gets the events it subscribes
/// to; one that keeps failing is disabled after its fifth dead letter in a row, one that
/// answers 410 at once, and deliveries to a removed endpoint die unsent.
pub async fn webhook_endpoints_are_kept_and_disabled(store: Arc<dyn Store>) {
    let clock = Arc::new(ManualClock::new(START));
    let commerce = service(store.clone(), clock.clone(), "a");
    let secret = secret_from_bytes(&[7; 24]);
    let good = commerce
        .create_webhook_endpoint(
            "https://good.example/hook",
            vec![EventKind::OrderPlaced],
            "orders",
            &secret,
        )
        .await
        .unwrap();
    let flaky = commerce
        .create_webhook_endpoint("https://flaky.example/hook", vec![], "", &secret)
        .await
        .unwrap();
    let gone = commerce
        .create_webhook_endpoint("https://gone.example/hook", vec![], "", &secret)
        .await
        .unwrap();
    assert!(
        commerce
            .create_webhook_endpoint("ftp://nope", vec![], "", &secret)
            .await
            .unwrap_err()
            .is_invalid_input()
    );
    assert_eq!(commerce.webhook_endpoints().await.unwrap().len(), 3);
    let hooks = Arc::new(Hooks::default());
    hooks
        .failing
        .lock()
        .expect("a lock")
        .push(flaky.url.clone());
    hooks.gone.lock().expect("a lock").push(gone.url.clone());
    let destinations = Destinations::new().with_webhooks(hooks.clone());
    events(&*store, DISABLE_AFTER_DEAD_LETTERS as usize, 1).await;
    commerce.route_events(&destinations).await.unwrap();
    // Every attempt of every delivery, the clock moved past each backoff.
    for delay in std::iter::once(0).chain(WEBHOOK_RETRY_DELAYS_MILLIS) {
        clock.advance_millis(delay);
        for _ in 0..3 {
            commerce.deliver_due(&destinations).await.unwrap();
        }
    }
    let good_now = commerce.webhook_endpoint(&good.id).await.unwrap();
    let flaky_now = commerce.webhook_endpoint(&flaky.id).await.unwrap();
    let gone_now = commerce.webhook_endpoint(&gone.id).await.unwrap();
    assert!(good_now.enabled);
    assert!(
        !flaky_now.enabled,
        "disabled after {DISABLE_AFTER_DEAD_LETTERS} dead letters"
    );
    assert_eq!(flaky_now.consecutive_dead, DISABLE_AFTER_DEAD_LETTERS);
    assert!(!gone_now.enabled && gone_now.disabled_reason.unwrap().contains("410"));
    let sent = hooks.sent.lock().expect("a lock").clone();
    let to = |id: &str| sent.iter().filter(|(e, _)| e == id).count();
    assert_eq!(
        to(&good.id),
        DISABLE_AFTER_DEAD_LETTERS as usize,
        "its subscription only"
    );
    assert_eq!(
        to(&flaky.id),
        8 * DISABLE_AFTER_DEAD_LETTERS as usize,
        "8 attempts each"
    );
    assert_eq!(
        to(&gone.id),
        DISABLE_AFTER_DEAD_LETTERS as usize,
        "one order each: all in flight at once, sent once, none retried after 410"
    );
    // New events go only to enabled endpoints; a removed endpoint's deliveries die unsent.
    let changed = commerce
        .change_webhook_endpoint(
            &good.id,
            crate::service::WebhookEndpointChange {
                event_types: Some(vec![]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(changed.event_types.is_empty() && changed.version == good_now.version + 1);
    let rotated = commerce
        .rotate_webhook_secret(&good.id, &secret_from_bytes(&[9; 24]))
        .await
        .unwrap();
    assert_eq!(rotated.signing_secrets(clock.now()).len(), 2);
    store
        .apply(Changes {
            now: clock.now(),
            events: vec![DomainEvent::new(
                EventKind::StockLow,
                "MUG",
                1,
                clock.now(),
                serde_json::json!({}),
            )],
            ..Changes::default()
        })
        .await
        .unwrap();
    commerce.route_events(&destinations).await.unwrap();
    commerce.remove_webhook_endpoint(&good.id).await.unwrap();
    assert!(
        commerce
            .remove_webhook_endpoint(&good.id)
            .await
            .unwrap_err()
            .is_not_found()
    );
    let report = commerce.deliver_due(&destinations).await.unwrap();
    assert_eq!(
        (report.delivered, report.dead),
        (0, 1),
        "removed: dead, unsent"
    );
    let dead = commerce
        .deliveries(
            &DeliveryFilter {
                status: Some(DeliveryStatus::Dead),
                destination: Some(good.destination()),
            },
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        dead.items[0].last_error.as_deref(),
        Some("the endpoint was removed")
    );
}

/// A lease has one holder at a time; it passes on when it runs out or is given back.
pub async fn leases_have_one_holder(store: Arc<dyn Store>) {
    let until = START.plus_millis(30_000);
    let taken = join_all((0..10).map(|i| {
        let store = store.clone();
        async move {
            store
                .take_lease("job", &format!("worker-{i}"), until, START)
                .await
                .unwrap()
        }
    }))
    .await;
    assert_eq!(taken.iter().filter(|t| **t).count(), 1, "one holder");
    let holder = format!("worker-{}", taken.iter().position(|t| *t).unwrap());
    assert!(
        store
            .take_lease("job", &holder, until, START)
            .await
            .unwrap(),
        "its own"
    );
    assert!(
        !store
            .take_lease("job", "other", until, START)
            .await
            .unwrap()
    );
    assert!(
        store
            .take_lease("job", "other", until.plus_millis(1), until)
            .await
            .unwrap(),
        "ran out"
    );
    store.release_lease("job", &holder).await.unwrap();
    assert!(
        !store
            .take_lease("job", &holder, until, START.plus_millis(1))
            .await
            .unwrap(),
        "not the holder's to give back"
    );
    store.release_lease("job", "other").await.unwrap();
    assert!(
        store
            .take_lease("job", &holder, until, START.plus_millis(1))
            .await
            .unwrap()
    );
}

/// The worker cancels an order left unpaid for a day (reason `abandoned`) and voids an
/// authorization nobody captured within its window, cancelling the unfulfilled order and
/// putting its stock back; each writes its events; a second pass finds nothing.
pub async fn the_worker_cancels_abandoned_orders_and_voids_lapsing_authorizations(
    store: Arc<dyn Store>,
) {
    let (commerce, gateway, clock) = shop(store.clone(), 10).await;
    let declined = cart_with(&commerce, 1).await;
    let err = commerce
        .checkout(&checkout_request(&declined, "tok_decline", None))
        .await
        .unwrap_err();
    assert!(err.is_payment_declined());
    let held = cart_with(&commerce, 2).await;
    let mut request = checkout_request(&held, "tok_visa", None);
    request.capture_method = CaptureMethod::Manual;
    let authorized = commerce.checkout(&request).await.unwrap();
    assert_eq!(authorized.order.payment_status, PaymentStatus::Authorized);
    assert_eq!(level(&*store, "MUG").await, (8, 0), "2 sold (authorized)");
    let destinations = Destinations::new();
    let first = commerce
        .run_pending_jobs(&destinations, "w1")
        .await
        .unwrap();
    assert!(first.maintained);
    assert_eq!(
        (first.abandoned_orders, first.voided_authorizations),
        (0, 0),
        "too soon"
    );
    let other = commerce
        .run_pending_jobs(&destinations, "w2")
        .await
        .unwrap();
    assert!(
        !other.maintained,
        "the lease keeps maintenance to one worker"
    );

    clock.advance_millis(DEFAULT_ABANDONED_AFTER_MILLIS + 1);
    let day = commerce
        .run_pending_jobs(&destinations, "w2")
        .await
        .unwrap();
    assert!(day.maintained);
    assert_eq!((day.abandoned_orders, day.voided_authorizations), (1, 0));
    let abandoned = commerce
        .checkout_of_cart(declined.as_str())
        .await
        .unwrap()
        .order;
    assert_eq!(abandoned.status, OrderStatus::Cancelled);
    assert_eq!(abandoned.cancellation_reason.as_deref(), Some("abandoned"));

    clock.advance_millis(DEFAULT_AUTHORIZATION_WINDOW_MILLIS - DEFAULT_ABANDONED_AFTER_MILLIS);
    let week = commerce
        .run_pending_jobs(&destinations, "w1")
        .await
        .unwrap();
    assert_eq!((week.abandoned_orders, week.voided_authorizations), (0, 1));
    let voided = commerce.order(authorized.order.id.as_str()).await.unwrap();
    assert_eq!(
        (
            voided.status,
            voided.payment_status,
            voided.cancellation_reason.as_deref()
        ),
        (
            OrderStatus::Cancelled,
            PaymentStatus::Voided,
            Some("authorization_expired")
        )
    );
    assert_eq!(gateway.voids(), 1, "voided at the gateway");
    assert_eq!(level(&*store, "MUG").await, (10, 0), "its stock is back");
    clock.advance_millis(crate::worker::MAINTENANCE_EVERY_MILLIS);
    let again = commerce
        .run_pending_jobs(&destinations, "w1")
        .await
        .unwrap();
    assert_eq!(
        (again.abandoned_orders, again.voided_authorizations),
        (0, 0)
    );
    let cancelled: Vec<_> = commerce
        .deliveries(&DeliveryFilter::default(), None, Some(200))
        .await
        .unwrap()
        .items;
    assert!(cancelled.is_empty(), "no destinations, no deliveries");
    let recorder = Recorder::new("all", DestinationKind::Broker);
    let destinations = Destinations::new().with(recorder.clone());
    // Events written before a destination existed were routed to none; new ones reach it.
    let cart = cart_with(&commerce, 1).await;
    commerce
        .checkout(&checkout_request(&cart, "tok_visa", None))
        .await
        .unwrap();
    let report = commerce
        .run_pending_jobs(&destinations, "w1")
        .await
        .unwrap();
    assert!(report.found_work() && report.deliveries.routed >= 4);
    for _ in 0..6 {
        commerce
            .run_pending_jobs(&destinations, "w1")
            .await
            .unwrap();
    }
    let kinds: Vec<EventKind> = recorder.sent().iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EventKind::OrderPlaced,
            EventKind::StockReserved,
            EventKind::PaymentAuthorized,
            EventKind::PaymentCaptured,
            EventKind::OrderConfirmed,
        ],
        "one order's events, in the order they happened"
    );
}
