//! NATS JetStream.

use std::time::Duration;

use async_nats::jetstream::{self, context::Context, stream};
use async_trait::async_trait;
use commerce_core::delivery::{DestinationKind, Envelope, Outcome};
use commerce_core::worker::Destination;
use tokio::sync::Mutex;

use crate::{BROKER_TIMEOUT, redact};

/// The stream events are kept in.
pub const STREAM: &str = "COMMERCE";
/// How long JetStream remembers a message id to drop a duplicate: 2 minutes, longer than a
/// delivery's lease, so that an event sent again after a worker stopped mid-send is dropped.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

/// Publishes events to NATS JetStream: subject `commerce.<type>` on the stream [`STREAM`]
/// (created if missing, subjects `commerce.>`), message id the event id. A delivery counts
/// once the broker acknowledges it; a duplicate it dropped counts too. The connection is
/// made on first use and again after a failure.
pub struct NatsDestination {
    name: String,
    url: String,
    context: Mutex<Option<Context>>,
}

impl NatsDestination {
    /// A destination named `name` (`nats`) at `url` (`nats://127.0.0.1:4222`).
    pub fn new(name: &str, url: &str) -> NatsDestination {
        NatsDestination {
            name: name.to_string(),
            url: url.to_string(),
            context: Mutex::new(None),
        }
    }

    async fn connect(&self) -> Result<Context, String> {
        let options = async_nats::ConnectOptions::new()
            .connection_timeout(BROKER_TIMEOUT)
            .request_timeout(Some(BROKER_TIMEOUT))
            // Reconnecting is the worker's business: a failed delivery retries with a new
            // connection, instead of a client buffering events in memory.
            .max_reconnects(Some(0));
        let client = tokio::time::timeout(BROKER_TIMEOUT, options.connect(&self.url))
            .await
            .map_err(|_| format!("NATS at {} did not answer", redact(&self.url)))?
            .map_err(|e| format!("cannot reach NATS at {}: {e}", redact(&self.url)))?;
        let context = jetstream::new(client);
        context
            .get_or_create_stream(stream::Config {
                name: STREAM.to_string(),
                subjects: vec!["commerce.>".to_string()],
                duplicate_window: DUPLICATE_WINDOW,
                ..stream::Config::default()
            })
            .await
            .map_err(|e| format!("cannot open the stream {STREAM}: {e}"))?;
        Ok(context)
    }
}

#[async_trait]
impl Destination for NatsDestination {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> DestinationKind {
        DestinationKind::Broker
    }

    async fn deliver(&self, envelope: &Envelope) -> Outcome {
        let body = match serde_json::to_vec(envelope) {
            Ok(body) => body,
            Err(e) => return Outcome::Refused(format!("cannot encode the event: {e}")),
        };
        let context = {
            let mut held = self.context.lock().await;
            match &*held {
                Some(context) => context.clone(),
                None => match self.connect().await {
                    Ok(context) => {
                        *held = Some(context.clone());
                        context
                    }
                    Err(e) => return Outcome::Failed(e),
                },
            }
        };
        let publish = jetstream::message::PublishMessage::build()
            .payload(body.into())
            .message_id(&envelope.id);
        let subject = format!("commerce.{}", envelope.kind);
        let acked = async {
            context
                .send_publish(subject, publish)
                .await
                .map_err(|e| e.to_string())?
                .await
                .map_err(|e| e.to_string())
        };
        match tokio::time::timeout(BROKER_TIMEOUT, acked).await {
            Ok(Ok(_ack)) => Outcome::Delivered,
            Ok(Err(e)) => {
                *self.context.lock().await = None;
                Outcome::Failed(format!("NATS did not take the event: {e}"))
            }
            Err(_) => {
                *self.context.lock().await = None;
                Outcome::Failed("NATS did not acknowledge the event in time".into())
            }
        }
    }
}
