//! NATS JetStream: each event once, with its id as the message id, in order per order; an
//! outage fails deliveries, which go through once the server is back.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use commerce_core::delivery::{Envelope, Outcome};
use commerce_core::worker::{Destination, Destinations};
use commerce_events::NatsDestination;
use commerce_events::testkit::{nats_last_sequence, nats_since, nats_stream};

use crate::{drain, free_port, need, once_each_in_order, order, shop};

const SHARED: &str = "127.0.0.1:4222";

#[tokio::test]
async fn nats_gets_each_event_once_by_its_id_in_order_per_order() {
    need!(SHARED);
    let stream = nats_stream(&format!("nats://{SHARED}")).await;
    let before = nats_last_sequence(&stream).await;
    let (commerce, _) = shop().await;
    let nats = Arc::new(NatsDestination::new("nats", &format!("nats://{SHARED}")));
    let destinations = Destinations::new().with(nats.clone());
    let orders = vec![
        order(&commerce, 1, None).await,
        order(&commerce, 2, None).await,
        order(&commerce, 3, None).await,
    ];
    let delivered = drain(&commerce, &destinations).await;
    let received = nats_since(&stream, before).await;
    let mine: Vec<Envelope> = received
        .iter()
        .filter(|(e, _)| orders.iter().any(|o| e.order_id.as_deref() == Some(o)))
        .map(|(e, _)| e.clone())
        .collect();
    assert_eq!(mine.len(), delivered, "every delivery is one message");
    for (envelope, id) in &received {
        assert_eq!(&envelope.id, id, "the message id is the event id");
    }
    once_each_in_order(&mine, &orders);
    assert!(
        mine.iter().all(|e| e.version == 1),
        "the envelope's version"
    );
    // A worker that stopped after sending but before recording it sends again: the
    // broker drops the duplicate.
    let again = nats.deliver(&mine[0]).await;
    assert_eq!(again, Outcome::Delivered);
    let after = nats_since(&stream, before).await;
    assert_eq!(
        after.iter().filter(|(e, _)| e.id == mine[0].id).count(),
        1,
        "JetStream dropped the duplicate"
    );
}

/// A private `nats-server` with JetStream on `port`, keeping its data in `dir`.
fn nats_server(port: u16, dir: &std::path::Path) -> Child {
    Command::new("nats-server")
        .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nats-server is installed")
}

async fn until_listening(port: u16) {
    for _ in 0..100 {
        if crate::reachable(&format!("127.0.0.1:{port}")).await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("nats-server did not start on {port}");
}

#[tokio::test]
async fn a_nats_outage_fails_deliveries_that_go_through_once_it_is_back() {
    if Command::new("nats-server")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            !crate::required(),
            "nats-server is not installed, and CI=true"
        );
        eprintln!("skipped: no nats-server");
        return;
    }
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("commerce-nats-{port}"));
    let _ = std::fs::remove_dir_all(&dir);
    let mut server = nats_server(port, &dir);
    until_listening(port).await;
    let url = format!("nats://127.0.0.1:{port}");
    let (commerce, clock) = shop().await;
    let destinations = Destinations::new().with(Arc::new(NatsDestination::new("nats", &url)));
    let first = order(&commerce, 1, None).await;
    assert!(drain(&commerce, &destinations).await >= 3);

    server.kill().unwrap();
    server.wait().unwrap();
    let second = order(&commerce, 2, None).await;
    commerce.route_events(&destinations).await.unwrap();
    let down = commerce.deliver_due(&destinations).await.unwrap();
    assert_eq!(down.delivered, 0);
    assert_eq!(
        down.failed, 1,
        "the head of the order's stream failed; the rest wait"
    );
    let stats = commerce.delivery_stats().await.unwrap();
    assert!(stats.oldest_undelivered_at.is_some());

    let mut server = nats_server(port, &dir);
    until_listening(port).await;
    clock.advance_millis(1_000);
    assert!(drain(&commerce, &destinations).await >= 3);
    let stream = nats_stream(&url).await;
    let received: Vec<Envelope> = nats_since(&stream, 0)
        .await
        .into_iter()
        .map(|(e, _)| e)
        .collect();
    once_each_in_order(&received, &[first, second]);
    server.kill().unwrap();
    server.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
