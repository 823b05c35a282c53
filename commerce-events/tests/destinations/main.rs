//! The destinations against the real things on this machine: NATS JetStream (127.0.0.1:4222),
//! RabbitMQ (127.0.0.1:5672), webhook receivers over HTTP, and an aiosmtpd SMTP server; the
//! outages against private brokers started and stopped here.

mod amqp;
mod email;
mod nats;
mod webhooks;

use std::collections::BTreeMap;
use std::sync::Arc;

use commerce_core::CheckoutRequest;
use commerce_core::clock::ManualClock;
use commerce_core::delivery::Envelope;
use commerce_core::event_schema::{conforms, data_schema, envelope_schema};
use commerce_core::gateway::TestGateway;
use commerce_core::ids::RandomIds;
use commerce_core::payment::CaptureMethod;
use commerce_core::store::MemoryStore;
use commerce_core::testkit::{START, product};
use commerce_core::worker::Destinations;
use commerce_core::{Commerce, Currency};

/// Whether a test that needs a shared service must fail (under `CI=true`) or may skip
/// (a developer's machine without it).
pub fn required() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// Whether something listens at `addr`.
pub async fn reachable(addr: &str) -> bool {
    matches!(
        tokio::time::timeout(
            std::time::Duration::from_secs(2),
            tokio::net::TcpStream::connect(addr)
        )
        .await,
        Ok(Ok(_))
    )
}

/// Skips a test whose service is missing, unless it is required.
#[macro_export]
macro_rules! need {
    ($addr:expr) => {
        if !$crate::reachable($addr).await {
            assert!(
                !$crate::required(),
                "{} is not reachable, and CI=true",
                $addr
            );
            eprintln!("skipped: nothing listens at {}", $addr);
            return;
        }
    };
}

/// A shop selling mugs at 10.00 USD, with random ids (so that event ids differ from run to
/// run, as the brokers' duplicate windows need) on a manual clock.
pub async fn shop() -> (Commerce, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(START));
    let commerce = Commerce::new(
        Arc::new(MemoryStore::new()),
        Arc::new(TestGateway::new()),
        clock.clone(),
        Arc::new(RandomIds),
    );
    commerce
        .put_product(product("mug", "MUG", "10.00"))
        .await
        .unwrap();
    commerce.adjust_stock("MUG", 1000, None).await.unwrap();
    (commerce, clock)
}

/// Places and pays an order of `quantity` mugs, for `customer` if given; its id.
pub async fn order(commerce: &Commerce, quantity: u32, customer: Option<&str>) -> String {
    let cart = commerce
        .create_cart(Currency::USD, customer.map(str::to_string))
        .await
        .unwrap();
    commerce
        .add_to_cart(&cart.id, "MUG", quantity, BTreeMap::new())
        .await
        .unwrap();
    commerce
        .checkout(&CheckoutRequest {
            cart_id: cart.id,
            payment_method: "tok_visa".into(),
            capture_method: CaptureMethod::Automatic,
            idempotency_key: None,
            idempotency_scope: "tester".into(),
        })
        .await
        .unwrap()
        .order
        .id
}

/// Runs the worker's delivery passes until nothing is due; how many were delivered.
pub async fn drain(commerce: &Commerce, destinations: &Destinations) -> usize {
    let mut delivered = 0;
    loop {
        commerce.route_events(destinations).await.unwrap();
        let report = commerce.deliver_due(destinations).await.unwrap();
        delivered += report.delivered;
        if report.delivered + report.failed + report.dead == 0 {
            return delivered;
        }
    }
}

/// The envelopes of an order, from what a destination received, in the order received.
pub fn of_order<'a>(received: &'a [Envelope], order: &str) -> Vec<&'a Envelope> {
    received
        .iter()
        .filter(|e| e.order_id.as_deref() == Some(order) || e.aggregate_id == order)
        .collect()
}

/// Asserts that each order's events arrived once each, in the order they happened, each as
/// its published schema describes it.
pub fn once_each_in_order(received: &[Envelope], orders: &[String]) {
    for order in orders {
        let mine = of_order(received, order);
        assert!(
            mine.len() >= 3,
            "{order}: placed, reserved, paid…: {mine:?}"
        );
        let mut ids: Vec<&str> = mine.iter().map(|e| e.id.as_str()).collect();
        let sequences: Vec<u64> = mine.iter().map(|e| e.sequence).collect();
        let mut sorted = sequences.clone();
        sorted.sort_unstable();
        assert_eq!(sequences, sorted, "{order}: in the order they happened");
        for envelope in &mine {
            let value = serde_json::to_value(envelope).unwrap();
            let kind = envelope.kind;
            conforms(&envelope_schema(kind), &value).unwrap_or_else(|e| panic!("{kind}: {e}"));
            conforms(&data_schema(kind), &value["data"])
                .unwrap_or_else(|e| panic!("{kind} data: {e}"));
        }
        ids.sort_unstable();
        let before = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), before, "{order}: each event once");
    }
}

/// A TCP port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
