//! Events leave the shop: a server running its worker sends one purchase's events to NATS,
//! RabbitMQ, a webhook endpoint and the customer's mailbox, each once after deduplication
//! by id, in the order they happened; a worker killed mid-delivery loses nothing.

use std::time::Duration;

use commerce_events::testkit::{
    AmqpQueue, Answer, SmtpSink, nats_last_sequence, nats_since, nats_stream, once_each_in_order,
    reachable, receiver, required, smtp_python,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{cart_with, check_out, register};
use crate::support::{Backend, ServerProcess, Shop, new_database, send_as, test_gateway};

const NATS: &str = "127.0.0.1:4222";
const AMQP: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

/// Whether the brokers and the SMTP server are here; they must be under `CI=true`.
async fn services() -> Option<String> {
    let python = smtp_python();
    let here = reachable(NATS).await && reachable("127.0.0.1:5672").await && python.is_some();
    assert!(
        here || !required(),
        "NATS, RabbitMQ and aiosmtpd are needed under CI=true"
    );
    if !here {
        eprintln!("skipped: NATS, RabbitMQ or aiosmtpd missing");
    }
    python.filter(|_| here)
}

/// An admin key for the shop on `database_url`.
async fn admin_key(database_url: &str) -> String {
    let commerce = commerce_http::commerce(&test_gateway(database_url))
        .await
        .unwrap();
    commerce_http::cli::keys::create_key(&commerce, "events")
        .await
        .unwrap()
}

/// Waits until every event is routed and no delivery is pending.
async fn until_delivered(shop: &Shop, admin: &str) {
    for _ in 0..1200 {
        let (_, pending) = send_as(
            Method::GET,
            shop.url("/v1/deliveries?status=pending&limit=1"),
            None,
            None,
            Some(admin),
        )
        .await;
        let (_, metrics) = send_as(Method::GET, shop.url("/metrics"), None, None, None).await;
        let metrics = metrics.as_str().unwrap_or_default().to_string();
        if pending["items"].as_array().is_some_and(Vec::is_empty)
            && metrics.contains("commerce_outbox_unrouted_events 0\n")
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the worker did not deliver everything within two minutes");
}

/// A checkout, a shipment and a refund through a server with `--events nats://…
/// --events amqp://… --smtp-url …` and a webhook endpoint that first answers 500: every
/// destination gets the order's events once each (the webhook one retried), in order, and
/// the customer three messages.
pub async fn events_reach_every_destination(backend: Backend) {
    let Some(python) = services().await else {
        return;
    };
    let sink = SmtpSink::start(&python);
    let (hook, hook_url) = receiver(&[Answer::Status(500)]).await;
    let stream = nats_stream(&format!("nats://{NATS}")).await;
    let nats_before = nats_last_sequence(&stream).await;
    let queue = AmqpQueue::bind(AMQP).await;
    let database = new_database(backend).await;
    let server = ServerProcess::start_with(
        &database,
        true,
        &[
            "--events",
            &format!("nats://{NATS}"),
            "--events",
            AMQP,
            "--smtp-url",
            &sink.url,
            "--smtp-from",
            "Test shop <orders@shop.example>",
            "--shop-name",
            "Test shop",
            "--webhook-allow-private",
        ],
    )
    .await;
    let shop = Shop {
        base: server.base.clone(),
        commerce: commerce_http::commerce(&test_gateway(&database))
            .await
            .unwrap(),
    };
    let admin = admin_key(&database).await;
    let call = |method: Method, path: String, body: Option<Value>, key: Option<String>| {
        let url = shop.url(&path);
        let admin = admin.clone();
        async move { send_as(method, url, body, key.as_deref(), Some(&admin)).await }
    };

    let (status, created) = call(
        Method::POST,
        "/v1/webhook-endpoints".into(),
        Some(json!({"url": hook_url, "description": "the test's receiver"})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(created["secret"].as_str().unwrap().starts_with("whsec_"));
    let endpoint = created["endpoint"]["id"].as_str().unwrap().to_string();
    let (_, listed) = call(Method::GET, "/v1/webhook-endpoints".into(), None, None).await;
    assert!(
        listed[0].get("secret").is_none(),
        "secrets are never listed: {listed}"
    );

    let email = format!("buyer-{}@example.com", std::process::id());
    let buyer = register(&shop, &email, "a long enough password").await;
    let (cart, _) = cart_with(&shop, Some(&buyer), "TEE-M", 2).await;
    let (order, _) = check_out(&shop, Some(&buyer), &cart).await;
    let (_, placed) = call(Method::GET, format!("/v1/orders/{order}"), None, None).await;
    let line = placed["lines"][0]["id"].as_str().unwrap().to_string();
    let (status, body) = call(
        Method::POST,
        format!("/v1/orders/{order}/fulfil"),
        Some(json!({"line_id": line, "quantity": 2})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = call(
        Method::POST,
        format!("/v1/orders/{order}/ship"),
        Some(json!({"carrier": "UPS", "tracking_number": "1Z999AA10123456784"})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = call(
        Method::POST,
        format!("/v1/orders/{order}/refund"),
        Some(json!({"amount": {"amount": "5.00", "currency": "USD"}})),
        Some("refund-1".into()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    until_delivered(&shop, &admin).await;

    let expected = [
        "order_placed",
        "stock_reserved",
        "payment_authorized",
        "payment_captured",
        "order_confirmed",
        "order_fulfilled",
        "order_shipped",
        "payment_refunded",
    ];
    let orders = [order.clone()];
    let at_nats: Vec<_> = nats_since(&stream, nats_before)
        .await
        .into_iter()
        .map(|(envelope, id)| {
            assert_eq!(envelope.id, id, "Nats-Msg-Id is the event id");
            envelope
        })
        .collect();
    let at_amqp: Vec<_> = queue
        .take_all()
        .await
        .into_iter()
        .map(|(envelope, id, _)| {
            assert_eq!(envelope.id, id, "message_id is the event id");
            envelope
        })
        .collect();
    let at_hook = hook.envelopes();
    for (name, received) in [
        ("NATS", &at_nats),
        ("RabbitMQ", &at_amqp),
        ("webhook", &at_hook),
    ] {
        let kinds = once_each_in_order(received, &orders);
        let kinds: Vec<&str> = kinds[0].iter().map(String::as_str).collect();
        assert_eq!(kinds, expected, "{name}");
    }
    let first = at_hook.first().unwrap();
    assert_eq!(
        at_hook.iter().filter(|e| e.id == first.id).count(),
        2,
        "the webhook's 500 was retried"
    );
    let mail = sink.messages();
    let mine: Vec<&String> = mail.iter().filter(|m| m.contains(&email)).collect();
    assert_eq!(mine.len(), 3, "confirmed, shipped, refunded: {mine:?}");
    assert!(mine[0].contains("is confirmed") && mine[0].contains("Test shop"));
    assert!(mine[1].contains("has shipped"));
    assert!(
        mine[1].contains("UPS carries it, tracking number 1Z999AA10123456784"),
        "{}",
        mine[1]
    );
    assert!(mine[2].contains("We have refunded $5.00"));

    let (_, delivered) = call(
        Method::GET,
        format!("/v1/deliveries?destination=webhook:{endpoint}&limit=100"),
        None,
        None,
    )
    .await;
    let delivered = delivered["items"].as_array().unwrap();
    assert!(delivered.iter().all(|d| d["status"] == "delivered"));
    assert!(delivered.iter().any(|d| d["attempts"] == 2));
    let (_, metrics) = send_as(Method::GET, shop.url("/metrics"), None, None, None).await;
    let metrics = metrics.as_str().unwrap().to_string();
    assert!(metrics.contains("commerce_deliveries{destination=\"nats\",status=\"delivered\"}"));
    assert!(metrics.contains("commerce_oldest_undelivered_event_age_seconds 0.000"));
}

/// A `commerce-server worker` process on `database_url`, webhooks allowed to this machine.
fn worker(database_url: &str) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_commerce-server"))
        .args([
            "worker",
            "--database-url",
            database_url,
            "--webhook-allow-private",
        ])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// A worker killed with SIGKILL while a webhook is being sent (the receiver does not answer)
/// loses nothing: after the delivery's lease, a new worker sends it again (the receiver sees
/// it twice: at least once) and the rest of the order's events after it, in order.
pub async fn a_worker_killed_mid_delivery_loses_nothing(backend: Backend) {
    let (hook, hook_url) = receiver(&[Answer::Hang]).await;
    let database = new_database(backend).await;
    let server = ServerProcess::start_with(&database, true, &["--no-worker"]).await;
    let shop = Shop {
        base: server.base.clone(),
        commerce: commerce_http::commerce(&test_gateway(&database))
            .await
            .unwrap(),
    };
    let admin = admin_key(&database).await;
    let (status, created) = send_as(
        Method::POST,
        shop.url("/v1/webhook-endpoints"),
        Some(json!({"url": hook_url})),
        None,
        Some(&admin),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (cart, _) = cart_with(&shop, None, "MUG-BLUE", 1).await;
    let (order, _) = check_out(&shop, None, &cart).await;

    let mut first = worker(&database);
    for _ in 0..300 {
        if !hook.received().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        hook.received().len(),
        1,
        "the first worker is sending, and waiting"
    );
    first.kill().unwrap();
    first.wait().unwrap();

    let mut second = worker(&database);
    until_delivered(&shop, &admin).await;
    second.kill().unwrap();
    second.wait().unwrap();
    let received = hook.envelopes();
    once_each_in_order(&received, &[order]);
    assert_eq!(
        received.iter().filter(|e| e.id == received[0].id).count(),
        2,
        "the interrupted delivery was sent again"
    );
}
