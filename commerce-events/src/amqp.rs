//! RabbitMQ (AMQP 0-9-1).

use async_trait::async_trait;
use commerce_core::delivery::{DestinationKind, Envelope, Outcome};
use commerce_core::worker::Destination;
use lapin::Confirmation;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind};
use tokio::sync::Mutex;

use crate::{BROKER_TIMEOUT, redact};

/// The exchange events are published to.
pub const EXCHANGE: &str = "commerce.events";

/// Publishes events to RabbitMQ: the durable topic exchange [`EXCHANGE`] (declared if
/// missing), routing key the event type (`order_placed`), persistent JSON messages with
/// `message_id` the event id and `type` the event type. A delivery counts once the broker
/// confirms it (publisher confirms). RabbitMQ does not drop duplicates: consumers keep the ids
/// they have seen. Bind a durable queue to the exchange before events flow: the exchange
/// drops what no queue is bound for.
pub struct AmqpDestination {
    name: String,
    url: String,
    channel: Mutex<Option<(Connection, Channel)>>,
}

impl AmqpDestination {
    /// A destination named `name` (`amqp`) at `url` (`amqp://guest:guest@127.0.0.1:5672/%2f`).
    pub fn new(name: &str, url: &str) -> AmqpDestination {
        AmqpDestination {
            name: name.to_string(),
            url: url.to_string(),
            channel: Mutex::new(None),
        }
    }

    async fn connect(&self) -> Result<(Connection, Channel), String> {
        let reach =
            |e: lapin::Error| format!("cannot reach RabbitMQ at {}: {e}", redact(&self.url));
        let opened = async {
            let connection = Connection::connect(&self.url, ConnectionProperties::default())
                .await
                .map_err(reach)?;
            let channel = connection.create_channel().await.map_err(reach)?;
            channel
                .confirm_select(ConfirmSelectOptions::default())
                .await
                .map_err(reach)?;
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
                .map_err(|e| format!("cannot declare the exchange {EXCHANGE}: {e}"))?;
            Ok((connection, channel))
        };
        tokio::time::timeout(BROKER_TIMEOUT, opened)
            .await
            .map_err(|_| format!("RabbitMQ at {} did not answer", redact(&self.url)))?
    }
}

#[async_trait]
impl Destination for AmqpDestination {
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
        let channel = {
            let mut held = self.channel.lock().await;
            match &*held {
                Some((connection, channel))
                    if connection.status().connected() && channel.status().connected() =>
                {
                    channel.clone()
                }
                _ => match self.connect().await {
                    Ok((connection, channel)) => {
                        *held = Some((connection, channel.clone()));
                        channel
                    }
                    Err(e) => {
                        *held = None;
                        return Outcome::Failed(e);
                    }
                },
            }
        };
        let properties = BasicProperties::default()
            .with_content_type("application/json".into())
            .with_delivery_mode(2)
            .with_message_id(envelope.id.as_str().into())
            .with_type(envelope.kind.as_str().into());
        let confirmed = async {
            channel
                .basic_publish(
                    EXCHANGE.into(),
                    envelope.kind.as_str().into(),
                    // Mandatory: an event no queue is bound to comes back instead of vanishing,
                    // and is delivered again later rather than counted as delivered.
                    BasicPublishOptions {
                        mandatory: true,
                        ..BasicPublishOptions::default()
                    },
                    &body,
                    properties,
                )
                .await?
                .await
        };
        let outcome = match tokio::time::timeout(BROKER_TIMEOUT, confirmed).await {
            Ok(Ok(Confirmation::Ack(None))) => return Outcome::Delivered,
            Ok(Ok(Confirmation::Ack(Some(_)))) => {
                // The channel is sound: nothing to reopen.
                return Outcome::Failed(format!(
                    "no queue is bound to {EXCHANGE} for `{}`: RabbitMQ returned it unrouted",
                    envelope.kind.as_str()
                ));
            }
            Ok(Ok(Confirmation::Nack(_))) => "RabbitMQ refused the event (nack)".to_string(),
            Ok(Ok(Confirmation::NotRequested)) => "RabbitMQ did not confirm".to_string(),
            Ok(Err(e)) => format!("RabbitMQ did not take the event: {e}"),
            Err(_) => "RabbitMQ did not confirm the event in time".to_string(),
        };
        *self.channel.lock().await = None;
        Outcome::Failed(outcome)
    }
}
