//! Test helpers for the destinations (feature `testkit`): what a test needs to see what each
//! destination received, on the real thing. A webhook receiver on 127.0.0.1 (an axum server
//! answering as scripted), an SMTP server (aiosmtpd, run by `tests/smtp_sink.py`), a view of
//! the NATS stream and a queue bound to the RabbitMQ exchange.

#![allow(missing_docs, clippy::missing_panics_doc)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream::{self, stream};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use commerce_core::delivery::Envelope;
use lapin::options::{
    BasicGetOptions, ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::{Channel, Connection, ConnectionProperties, ExchangeKind};

use crate::amqp::EXCHANGE;
use crate::nats::{DUPLICATE_WINDOW, STREAM};

/// Whether a test that needs a shared service must fail (under `CI=true`) rather than skip.
pub fn required() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// Whether something listens at `addr`.
pub async fn reachable(addr: &str) -> bool {
    matches!(
        tokio::time::timeout(Duration::from_secs(2), tokio::net::TcpStream::connect(addr)).await,
        Ok(Ok(_))
    )
}

/// A TCP port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// What a receiver answers: a status, or nothing for 30 seconds.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    Status(u16),
    Hang,
}

/// A webhook receiver: what it received, and what it answers next.
#[derive(Default)]
pub struct Receiver {
    script: Mutex<VecDeque<Answer>>,
    received: Mutex<Vec<(HeaderMap, Bytes)>>,
}

impl Receiver {
    /// Every request so far: headers and body.
    pub fn received(&self) -> Vec<(HeaderMap, Bytes)> {
        self.received.lock().unwrap().clone()
    }

    /// The envelopes received so far, in the order received.
    pub fn envelopes(&self) -> Vec<Envelope> {
        self.received()
            .iter()
            .map(|(_, body)| serde_json::from_slice(body).unwrap())
            .collect()
    }
}

async fn receive(
    State(receiver): State<Arc<Receiver>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, HeaderMap) {
    receiver.received.lock().unwrap().push((headers, body));
    let answer = receiver.script.lock().unwrap().pop_front();
    let mut out = HeaderMap::new();
    match answer.unwrap_or(Answer::Status(200)) {
        Answer::Status(code) => {
            if code == 307 {
                out.insert("location", "/elsewhere".parse().unwrap());
            }
            (StatusCode::from_u16(code).unwrap(), out)
        }
        Answer::Hang => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            (StatusCode::OK, out)
        }
    }
}

/// A receiver on 127.0.0.1 answering `script` in turn, then 200; its URL (`…/hook`).
pub async fn receiver(script: &[Answer]) -> (Arc<Receiver>, String) {
    let receiver = Arc::new(Receiver::default());
    receiver
        .script
        .lock()
        .unwrap()
        .extend(script.iter().copied());
    let app = Router::new()
        .route("/hook", post(receive))
        .route("/elsewhere", post(receive))
        .with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (receiver, url)
}

/// The Python that has aiosmtpd: `COMMERCE_TEST_SMTP_PYTHON`, which the test script sets up,
/// else `python3` if it has the package.
pub fn smtp_python() -> Option<String> {
    let candidate =
        std::env::var("COMMERCE_TEST_SMTP_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let has = Command::new(&candidate)
        .args(["-c", "import aiosmtpd"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    has.then_some(candidate)
}

/// An aiosmtpd server on 127.0.0.1, writing what it accepts to files; stopped when dropped.
pub struct SmtpSink {
    child: Child,
    dir: PathBuf,
    /// `smtp://127.0.0.1:port`.
    pub url: String,
}

impl SmtpSink {
    /// Starts one with `python`.
    pub fn start(python: &str) -> SmtpSink {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("commerce-smtp-{port}"));
        let _ = std::fs::remove_dir_all(&dir);
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_sink.py");
        let mut child = Command::new(python)
            .arg(script)
            .arg(port.to_string())
            .arg(&dir)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready");
        SmtpSink {
            child,
            dir,
            url: format!("smtp://127.0.0.1:{port}"),
        }
    }

    /// The messages accepted so far, in order, each with an `X-Rcpt-To:` line first.
    pub fn messages(&self) -> Vec<String> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|entries| {
                entries
                    .map(|e| e.unwrap().path())
                    .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The stream events are published to, at `url`, created as the destination creates it.
pub async fn nats_stream(url: &str) -> stream::Stream {
    let client = async_nats::connect(url).await.unwrap();
    jetstream::new(client)
        .get_or_create_stream(stream::Config {
            name: STREAM.to_string(),
            subjects: vec!["commerce.>".to_string()],
            duplicate_window: DUPLICATE_WINDOW,
            ..stream::Config::default()
        })
        .await
        .unwrap()
}

/// The stream's last sequence number.
pub async fn nats_last_sequence(stream: &stream::Stream) -> u64 {
    stream.get_info().await.unwrap().state.last_sequence
}

/// The envelopes the stream holds after sequence `after`, with their `Nats-Msg-Id`s.
pub async fn nats_since(stream: &stream::Stream, after: u64) -> Vec<(Envelope, String)> {
    let last = nats_last_sequence(stream).await;
    let mut out = Vec::new();
    for sequence in after + 1..=last {
        // Nothing here deletes messages, so a failed read is the server being slow (as on a
        // loaded machine): asked again, never skipped, or the test would miss what arrived.
        let mut attempt = 0;
        let message = loop {
            match stream.get_raw_message(sequence).await {
                Ok(message) => break message,
                Err(e) if attempt < 10 => {
                    attempt += 1;
                    eprintln!("reading message {sequence} again: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
                Err(e) => panic!("cannot read message {sequence} of the stream: {e}"),
            }
        };
        let id = message
            .headers
            .get("Nats-Msg-Id")
            .map(|v| v.as_str().to_string())
            .unwrap_or_default();
        out.push((serde_json::from_slice(&message.payload).unwrap(), id));
    }
    out
}

/// A queue bound to every event of the exchange, as a consumer would have it; exclusive,
/// gone with the connection.
pub struct AmqpQueue {
    _connection: Connection,
    channel: Channel,
    name: String,
}

impl AmqpQueue {
    /// Binds one at `url`.
    pub async fn bind(url: &str) -> AmqpQueue {
        let connection = Connection::connect(url, ConnectionProperties::default())
            .await
            .unwrap();
        let channel = connection.create_channel().await.unwrap();
        channel
            .exchange_declare(
                EXCHANGE.into(),
                ExchangeKind::Topic,
                ExchangeDeclareOptions {
                    durable: true,
                    ..ExchangeDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .unwrap();
        let queue = channel
            .queue_declare(
                "".into(),
                QueueDeclareOptions {
                    exclusive: true,
                    auto_delete: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .unwrap();
        let name = queue.name().to_string();
        channel
            .queue_bind(
                name.as_str().into(),
                EXCHANGE.into(),
                "#".into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
        AmqpQueue {
            _connection: connection,
            channel,
            name,
        }
    }

    /// Everything in the queue now: envelopes with their message ids and routing keys.
    pub async fn take_all(&self) -> Vec<(Envelope, String, String)> {
        let mut out = Vec::new();
        while let Some(message) = self
            .channel
            .basic_get(self.name.as_str().into(), BasicGetOptions { no_ack: true })
            .await
            .unwrap()
        {
            let delivery = message.delivery;
            let id = delivery
                .properties
                .message_id()
                .as_ref()
                .map(|id| id.to_string())
                .unwrap_or_default();
            out.push((
                serde_json::from_slice(&delivery.data).unwrap(),
                id,
                delivery.routing_key.to_string(),
            ));
        }
        out
    }
}

/// The envelopes of `order`, in the order received.
pub fn of_order<'a>(received: &'a [Envelope], order: &str) -> Vec<&'a Envelope> {
    received
        .iter()
        .filter(|e| e.order_id.as_deref() == Some(order) || e.aggregate_id == order)
        .collect()
}

/// Asserts that each order's events arrived, each once after deduplication by id (the
/// duplicates at-least-once allows are dropped first), in the order they happened, each as
/// its published schema describes it. Returns each order's event types, in order.
pub fn once_each_in_order(received: &[Envelope], orders: &[String]) -> Vec<Vec<String>> {
    use commerce_core::event_schema::{conforms, data_schema, envelope_schema};
    let mut kinds = Vec::new();
    for order in orders {
        let mut seen = std::collections::HashSet::new();
        let mine: Vec<&Envelope> = of_order(received, order)
            .into_iter()
            .filter(|e| seen.insert(e.id.clone()))
            .collect();
        assert!(
            mine.len() >= 3,
            "{order}: placed, reserved, paid…: {mine:?}"
        );
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
        kinds.push(mine.iter().map(|e| e.kind.as_str().to_string()).collect());
    }
    kinds
}
