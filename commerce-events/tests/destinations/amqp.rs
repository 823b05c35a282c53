//! RabbitMQ: each event confirmed once, with its id as the message id and its type as the
//! routing key, in order per order; an outage fails deliveries, which go through once the
//! broker is back.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use commerce_core::delivery::Envelope;
use commerce_core::worker::Destinations;
use commerce_events::AmqpDestination;
use commerce_events::testkit::AmqpQueue;

use crate::{drain, free_port, need, once_each_in_order, order, shop};

const SHARED: &str = "127.0.0.1:5672";

#[tokio::test]
async fn rabbitmq_confirms_each_event_once_by_its_id_in_order_per_order() {
    need!(SHARED);
    let url = format!("amqp://guest:guest@{SHARED}/%2f");
    let queue = AmqpQueue::bind(&url).await;
    let (commerce, _) = shop().await;
    let destinations = Destinations::new().with(Arc::new(AmqpDestination::new("amqp", &url)));
    let orders = vec![
        order(&commerce, 1, None).await,
        order(&commerce, 2, None).await,
    ];
    let delivered = drain(&commerce, &destinations).await;
    let received: Vec<_> = queue
        .take_all()
        .await
        .into_iter()
        .filter(|(e, _, _)| orders.iter().any(|o| e.order_id.as_deref() == Some(o)))
        .collect();
    assert_eq!(
        received.len(),
        delivered,
        "every confirmed delivery is one message"
    );
    for (envelope, id, routing_key) in &received {
        assert_eq!(&envelope.id, id, "the message id is the event id");
        assert_eq!(routing_key, envelope.kind.as_str(), "routed by type");
    }
    let envelopes: Vec<Envelope> = received.into_iter().map(|(e, _, _)| e).collect();
    once_each_in_order(&envelopes, &orders);
}

/// A private RabbitMQ node on `port`, keeping its data in `dir`.
fn rabbitmq_server(port: u16, dir: &std::path::Path) -> Child {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("plugins"), "[].").unwrap();
    Command::new("/usr/lib/rabbitmq/bin/rabbitmq-server")
        // Under "systemd" the script execs the Erlang VM, so that its PID is the broker's.
        .env("RUNNING_UNDER_SYSTEMD", "1")
        .env("HOME", dir)
        .env(
            "RABBITMQ_NODENAME",
            format!("commerce-test-{port}@localhost"),
        )
        .env("RABBITMQ_NODE_PORT", port.to_string())
        .env("RABBITMQ_DIST_PORT", free_port().to_string())
        .env("RABBITMQ_MNESIA_BASE", dir.join("mnesia"))
        .env("RABBITMQ_LOG_BASE", dir.join("log"))
        .env("RABBITMQ_ENABLED_PLUGINS_FILE", dir.join("plugins"))
        .env("RABBITMQ_CONFIG_FILE", dir.join("none"))
        .env(
            "RABBITMQ_ADVANCED_CONFIG_FILE",
            dir.join("none-advanced.config"),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("rabbitmq-server is installed")
}

async fn until_listening(port: u16) {
    for _ in 0..600 {
        if crate::reachable(&format!("127.0.0.1:{port}")).await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("rabbitmq-server did not start on {port}");
}

/// Stops the node by its PID, and waits until its port is closed: the start script shuts the
/// Erlang VM down on the signal, which takes a moment.
async fn stop(mut server: Child, port: u16) {
    server.kill().unwrap();
    server.wait().unwrap();
    for _ in 0..300 {
        if !crate::reachable(&format!("127.0.0.1:{port}")).await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the RabbitMQ node on {port} did not stop");
}

#[tokio::test]
async fn a_rabbitmq_outage_fails_deliveries_that_go_through_once_it_is_back() {
    if !std::path::Path::new("/usr/lib/rabbitmq/bin/rabbitmq-server").exists() {
        assert!(
            !crate::required(),
            "rabbitmq-server is not installed, and CI=true"
        );
        eprintln!("skipped: no rabbitmq-server");
        return;
    }
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("commerce-rabbitmq-{port}"));
    let _ = std::fs::remove_dir_all(&dir);
    let server = rabbitmq_server(port, &dir);
    until_listening(port).await;
    let url = format!("amqp://guest:guest@127.0.0.1:{port}/%2f");
    let (commerce, clock) = shop().await;
    let destinations = Destinations::new().with(Arc::new(AmqpDestination::new("amqp", &url)));
    let first = order(&commerce, 1, None).await;
    // With no queue bound, RabbitMQ has nowhere to put the event: it comes back, and the
    // delivery fails, to be retried, instead of counting as delivered to no one.
    commerce.route_events(&destinations).await.unwrap();
    let unrouted = commerce.deliver_due(&destinations).await.unwrap();
    assert_eq!((unrouted.delivered, unrouted.failed), (0, 1), "unroutable");
    clock.advance_millis(1_000);
    {
        let queue = AmqpQueue::bind(&url).await;
        assert!(drain(&commerce, &destinations).await >= 3);
        let received: Vec<Envelope> = queue
            .take_all()
            .await
            .into_iter()
            .map(|(e, _, _)| e)
            .collect();
        once_each_in_order(&received, std::slice::from_ref(&first));
    }

    stop(server, port).await;
    let second = order(&commerce, 2, None).await;
    commerce.route_events(&destinations).await.unwrap();
    let down = commerce.deliver_due(&destinations).await.unwrap();
    assert_eq!(
        (down.delivered, down.failed),
        (0, 1),
        "failed, to be retried"
    );

    let server = rabbitmq_server(port, &dir);
    until_listening(port).await;
    let queue = AmqpQueue::bind(&url).await;
    clock.advance_millis(1_000);
    assert!(drain(&commerce, &destinations).await >= 3);
    let received: Vec<Envelope> = queue
        .take_all()
        .await
        .into_iter()
        .map(|(e, _, _)| e)
        .collect();
    once_each_in_order(&received, &[second]);
    stop(server, port).await;
    let _ = std::fs::remove_dir_all(&dir);
}
