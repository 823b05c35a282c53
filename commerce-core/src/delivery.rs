//! Delivering events to where they go: message brokers, the shop's webhook endpoints, email.
//!
//! Every event the outbox holds is *routed* once: one [`Delivery`] per event and destination
//! that wants it, written in one transaction with the event marked routed, so that each
//! destination has its own attempts, backoff and dead letters and a slow one delays only
//! itself. A delivery is then *claimed* (leased, its attempt counted), sent, and *settled* with
//! what the destination answered ([`Delivery::settle`]).
//!
//! The rules, all here and on the injected clock:
//!
//! - **At least once, per destination.** A delivery stays pending until its destination says
//!   it has it; a worker that stops half-way loses only its lease. Consumers deduplicate by the
//!   event id (the NATS message id, the AMQP `message_id`, the `webhook-id` header).
//! - **In order per order.** Events of one order form a *stream* ([`stream_of`]); a delivery is
//!   claimed only when no earlier delivery of its stream to the same destination is pending,
//!   so one order's events reach each destination in the order they happened. A dead letter no
//!   longer holds its stream back.
//! - **Retried by the kind of destination** ([`DestinationKind::retry_delay_millis`]): brokers
//!   are ours and never give up (1 s, doubling, at most a minute apart); webhooks are tried 8
//!   times over about 3 h 43 min, email 10 times over about 16 h; then the delivery is dead,
//!   listed for an admin, who can send it again.
//! - **Attempts are counted when claimed**, so two workers never send the same attempt: a
//!   worker settles only the attempt it claimed, and a lease that ran out makes the next claim
//!   a new attempt.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::events::{DomainEvent, EventKind};
use crate::time::Timestamp;

/// How long a batch of outbox events claimed for routing is leased to one worker: 30 seconds.
pub const ROUTING_LEASE_MILLIS: i64 = 30_000;

/// How long a claimed delivery is leased to one worker: 60 seconds, longer than any send may
/// take (a webhook is given 10 s), so that no two workers send one delivery at once.
pub const DELIVERY_LEASE_MILLIS: i64 = 60_000;

/// The waits after each failed webhook attempt: 8 attempts in all, the last about 3 h 43 min
/// after the first (Shopify retries 8 times over 4 hours).
pub const WEBHOOK_RETRY_DELAYS_MILLIS: [i64; 7] = [
    5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 7_200_000,
];

/// The waits after each failed email attempt: 10 attempts in all, over about 16 hours, so an
/// SMTP server down for a night delays mail instead of losing it.
pub const EMAIL_RETRY_DELAYS_MILLIS: [i64; 9] = [
    30_000, 60_000, 300_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000, 28_800_000,
];

/// The longest wait between attempts to a broker: a minute, so that a backlog drains soon
/// after the broker is back.
pub const BROKER_MAX_RETRY_DELAY_MILLIS: i64 = 60_000;

/// What kind of destination a delivery goes to, which decides how it is retried.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DestinationKind {
    /// A message broker of the shop's own (NATS JetStream, RabbitMQ).
    Broker,
    /// One of the shop's webhook endpoints.
    Webhook,
    /// Transactional email.
    Email,
}

impl DestinationKind {
    /// The snake-case name, as in JSON and in the stores.
    pub fn as_str(self) -> &'static str {
        match self {
            DestinationKind::Broker => "broker",
            DestinationKind::Webhook => "webhook",
            DestinationKind::Email => "email",
        }
    }

    /// The kind a stored name stands for.
    pub fn parse(name: &str) -> Option<DestinationKind> {
        match name {
            "broker" => Some(DestinationKind::Broker),
            "webhook" => Some(DestinationKind::Webhook),
            "email" => Some(DestinationKind::Email),
            _ => None,
        }
    }

    /// How long to wait after the `attempts`-th attempt failed, or `None` if that was the last
    /// one (the delivery becomes a dead letter).
    ///
    /// ```
    /// use commerce_core::delivery::DestinationKind;
    ///
    /// assert_eq!(DestinationKind::Webhook.retry_delay_millis(1), Some(5_000));
    /// assert_eq!(DestinationKind::Webhook.retry_delay_millis(8), None, "8 attempts");
    /// assert_eq!(DestinationKind::Broker.retry_delay_millis(3), Some(4_000));
    /// assert_eq!(DestinationKind::Broker.retry_delay_millis(1_000), Some(60_000), "never gives up");
    /// ```
    pub fn retry_delay_millis(self, attempts: u32) -> Option<i64> {
        let index = usize::try_from(attempts.max(1) - 1).unwrap_or(usize::MAX);
        match self {
            DestinationKind::Broker => {
                let exponent = index.min(16);
                Some((1_000i64 << exponent).min(BROKER_MAX_RETRY_DELAY_MILLIS))
            }
            DestinationKind::Webhook => WEBHOOK_RETRY_DELAYS_MILLIS.get(index).copied(),
            DestinationKind::Email => EMAIL_RETRY_DELAYS_MILLIS.get(index).copied(),
        }
    }
}

impl fmt::Display for DestinationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a delivery stands.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not delivered yet: waiting for its time, or being sent.
    Pending,
    /// The destination has it.
    Delivered,
    /// Given up: every attempt failed, or the destination refused it for good.
    Dead,
}

impl DeliveryStatus {
    /// The snake-case name, as in JSON and in the stores.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Dead => "dead",
        }
    }

    /// The status a stored name stands for.
    pub fn parse(name: &str) -> Option<DeliveryStatus> {
        match name {
            "pending" => Some(DeliveryStatus::Pending),
            "delivered" => Some(DeliveryStatus::Delivered),
            "dead" => Some(DeliveryStatus::Dead),
            _ => None,
        }
    }
}

/// What a destination answered to one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It has the event.
    Delivered,
    /// It failed (down, timed out, answered an error): try again later.
    Failed(String),
    /// It refused the event for good (a webhook answering `410 Gone`, an address that cannot
    /// receive mail): the delivery is dead at once.
    Refused(String),
}

/// One event's delivery to one destination.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The event.
    pub event_id: String,
    /// The destination's name: `nats`, `amqp`, `email`, `webhook:<endpoint id>`.
    pub destination: String,
    /// What kind of destination it is.
    pub kind: DestinationKind,
    /// The stream the event belongs to (its order): deliveries of one stream to one
    /// destination go in order.
    pub stream: String,
    /// The event's place in the outbox: the order of a stream.
    pub sequence: u64,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts claimed so far (the one in flight included).
    pub attempts: u32,
    /// When it may be tried next.
    pub next_attempt_at: Timestamp,
    /// Why the last attempt failed, if it did.
    #[serde(default)]
    pub last_error: Option<String>,
    /// When it last changed.
    pub updated_at: Timestamp,
}

impl Delivery {
    /// A new, pending delivery of `event` (at `sequence` in the outbox) to a destination.
    pub fn new(
        event: &DomainEvent,
        sequence: u64,
        destination: &str,
        kind: DestinationKind,
        now: Timestamp,
    ) -> Delivery {
        Delivery {
            event_id: event.id.clone(),
            destination: destination.to_string(),
            kind,
            stream: stream_of(event),
            sequence,
            status: DeliveryStatus::Pending,
            attempts: 0,
            next_attempt_at: now,
            last_error: None,
            updated_at: now,
        }
    }

    /// Records what the destination answered to the attempt in flight (number
    /// [`Delivery::attempts`]): delivered; dead if refused or if that was the last attempt;
    /// otherwise pending again after the kind's backoff.
    pub fn settle(&mut self, outcome: &Outcome, now: Timestamp) {
        self.updated_at = now;
        match outcome {
            Outcome::Delivered => {
                self.status = DeliveryStatus::Delivered;
                self.last_error = None;
            }
            Outcome::Refused(error) => {
                self.status = DeliveryStatus::Dead;
                self.last_error = Some(clip(error));
            }
            Outcome::Failed(error) => {
                self.last_error = Some(clip(error));
                match self.kind.retry_delay_millis(self.attempts) {
                    Some(delay) => {
                        self.status = DeliveryStatus::Pending;
                        self.next_attempt_at = now.plus_millis(delay);
                    }
                    None => self.status = DeliveryStatus::Dead,
                }
            }
        }
    }

    /// Makes a dead delivery pending again, due now, with its attempts counted afresh: an
    /// admin's "send again".
    pub fn redeliver(&mut self, now: Timestamp) {
        self.status = DeliveryStatus::Pending;
        self.attempts = 0;
        self.next_attempt_at = now;
        self.updated_at = now;
    }
}

/// Errors are kept short: a destination's answer can be long, and it is shown in lists.
fn clip(error: &str) -> String {
    const MAX: usize = 500;
    match error.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &error[..at]),
        None => error.to_string(),
    }
}

/// The stream an event belongs to: its order (the `order_id` of its data, or the event's own
/// aggregate for an order event), else its aggregate (a SKU's `stock_low`).
///
/// ```
/// use commerce_core::delivery::stream_of;
/// use commerce_core::events::{DomainEvent, EventKind};
/// use commerce_core::Timestamp;
///
/// let paid = DomainEvent::new(EventKind::PaymentCaptured, "pi_1", 2, Timestamp::EPOCH,
///     serde_json::json!({"order_id": "ord_1"}));
/// assert_eq!(stream_of(&paid), "ord_1");
/// let low = DomainEvent::new(EventKind::StockLow, "MUG", "res_1", Timestamp::EPOCH,
///     serde_json::json!({}));
/// assert_eq!(stream_of(&low), "MUG");
/// ```
pub fn stream_of(event: &DomainEvent) -> String {
    match event.data.get("order_id").and_then(|id| id.as_str()) {
        Some(order) => order.to_string(),
        None => event.aggregate_id.clone(),
    }
}

/// The version of the [`Envelope`] format, sent with every event.
pub const ENVELOPE_VERSION: u32 = 1;

/// What every destination receives for an event: the same JSON on a broker, in a webhook's
/// body, and given to email templates. Its JSON Schema is [`crate::events::schema`].
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// The event's stable id: deduplicate by it.
    pub id: String,
    /// What happened.
    #[serde(rename = "type")]
    pub kind: EventKind,
    /// The envelope format's version ([`ENVELOPE_VERSION`]).
    pub version: u32,
    /// When it happened.
    pub occurred_at: Timestamp,
    /// The order, payment intent, reservation or SKU it is about.
    pub aggregate_id: String,
    /// The order it concerns, if any: events of one order arrive in order.
    #[serde(default)]
    pub order_id: Option<String>,
    /// The event's place in the outbox: of two events of one order, the later has the
    /// greater sequence (a consumer may drop one older than what it has seen).
    pub sequence: u64,
    /// The details, as the event kind's schema describes.
    #[cfg_attr(feature = "schema", schema(value_type = Object))]
    pub data: serde_json::Value,
}

impl Envelope {
    /// The envelope of an event at `sequence` in the outbox.
    pub fn of(event: &DomainEvent, sequence: u64) -> Envelope {
        let stream = stream_of(event);
        let order_id =
            (stream != event.aggregate_id || event.kind.is_about_an_order()).then_some(stream);
        Envelope {
            id: event.id.clone(),
            kind: event.kind,
            version: ENVELOPE_VERSION,
            occurred_at: event.occurred_at,
            aggregate_id: event.aggregate_id.clone(),
            order_id,
            sequence,
            data: event.data.clone(),
        }
    }
}

/// Which deliveries a listing returns: every filter that is set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryFilter {
    /// Only deliveries in this status.
    pub status: Option<DeliveryStatus>,
    /// Only deliveries to this destination.
    pub destination: Option<String>,
}

impl DeliveryFilter {
    /// Whether a delivery passes the filter: the definition every store implements.
    pub fn matches(&self, delivery: &Delivery) -> bool {
        self.status.is_none_or(|s| s == delivery.status)
            && self
                .destination
                .as_ref()
                .is_none_or(|d| *d == delivery.destination)
    }
}

/// The state of the outbox and its deliveries, for monitoring.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryStats {
    /// Events not routed yet.
    pub unrouted_events: u64,
    /// When the oldest event not delivered everywhere happened (not routed, or with a
    /// pending delivery), if any.
    pub oldest_undelivered_at: Option<Timestamp>,
    /// Deliveries by destination and status: `(destination, status, count)`, sorted.
    pub by_destination: Vec<(String, DeliveryStatus, u64)>,
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn delivery(kind: DestinationKind) -> Delivery {
        let event = DomainEvent::new(
            EventKind::OrderPlaced,
            "ord_1",
            1,
            Timestamp::EPOCH,
            serde_json::json!({}),
        );
        Delivery::new(&event, 1, "d", kind, Timestamp::EPOCH)
    }

    #[test]
    fn webhook_attempts_span_under_four_hours_then_die() {
        let mut d = delivery(DestinationKind::Webhook);
        let mut now = Timestamp::EPOCH;
        for attempt in 1..=8 {
            assert_eq!(d.status, DeliveryStatus::Pending, "attempt {attempt}");
            now = d.next_attempt_at;
            d.attempts += 1;
            d.settle(&Outcome::Failed("500".into()), now);
        }
        assert_eq!(d.status, DeliveryStatus::Dead);
        assert_eq!(
            now.unix_millis(),
            13_355_000,
            "3 h 42 min 35 s after the first"
        );
        d.redeliver(now);
        assert_eq!((d.status, d.attempts), (DeliveryStatus::Pending, 0));
    }

    #[test]
    fn a_refusal_is_dead_at_once_and_success_clears_the_error() {
        let mut d = delivery(DestinationKind::Broker);
        d.attempts = 1;
        d.settle(&Outcome::Failed("down".into()), Timestamp::EPOCH);
        assert_eq!(d.last_error.as_deref(), Some("down"));
        d.attempts = 2;
        d.settle(&Outcome::Delivered, Timestamp::EPOCH);
        assert_eq!(
            (d.status, d.last_error.clone()),
            (DeliveryStatus::Delivered, None)
        );
        let mut d = delivery(DestinationKind::Webhook);
        d.attempts = 1;
        d.settle(&Outcome::Refused("410 Gone".into()), Timestamp::EPOCH);
        assert_eq!(d.status, DeliveryStatus::Dead);
    }

    proptest! {
        /// Whatever the answers, a delivery is never retried sooner than a second after a
        /// failure, never dies at a broker, and dies at a webhook or a mailbox only after its
        /// last attempt or a refusal.
        #[test]
        fn retries_follow_the_kind(answers in proptest::collection::vec(0u8..3, 1..30), kind in 0u8..3) {
            let kind = [DestinationKind::Broker, DestinationKind::Webhook, DestinationKind::Email][usize::from(kind)];
            let mut d = delivery(kind);
            for answer in answers {
                if d.status != DeliveryStatus::Pending {
                    break;
                }
                let now = d.next_attempt_at;
                d.attempts += 1;
                let outcome = match answer {
                    0 => Outcome::Delivered,
                    1 => Outcome::Failed("no".into()),
                    _ => Outcome::Refused("never".into()),
                };
                d.settle(&outcome, now);
                match (&outcome, d.status) {
                    (Outcome::Delivered, status) => prop_assert_eq!(status, DeliveryStatus::Delivered),
                    (Outcome::Refused(_), status) => prop_assert_eq!(status, DeliveryStatus::Dead),
                    (Outcome::Failed(_), DeliveryStatus::Pending) => {
                        prop_assert!(d.next_attempt_at.unix_millis() - now.unix_millis() >= 1_000);
                    }
                    (Outcome::Failed(_), DeliveryStatus::Dead) => {
                        prop_assert!(kind != DestinationKind::Broker);
                        prop_assert!(kind.retry_delay_millis(d.attempts).is_none());
                    }
                    (Outcome::Failed(_), status) => prop_assert!(false, "failed into {status:?}"),
                }
            }
        }
    }
}
