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
use commerce_core::gateway::TestGateway;
use commerce_core::ids::RandomIds;
use commerce_core::payment::CaptureMethod;
use commerce_core::store::MemoryStore;
use commerce_core::testkit::{START, product};
use commerce_core::worker::Destinations;
use commerce_core::{Commerce, Currency};
pub use commerce_events::testkit::{free_port, once_each_in_order, reachable, required};

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
            // A customer is written to at their own address.
            contact: commerce_core::contact::ContactRequest {
                email: customer.is_none().then(|| "guest@example.com".to_string()),
                ..commerce_core::testkit::sample_contact()
            },
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
