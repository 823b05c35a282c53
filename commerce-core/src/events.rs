//! Domain events, written to an outbox in the same unit of work as the change they describe.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// What happened.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// An order was placed (pending payment).
    OrderPlaced,
    /// An order was confirmed (paid or authorized).
    OrderConfirmed,
    /// An order was cancelled.
    OrderCancelled,
    /// An order was fulfilled, in part or in full.
    OrderFulfilled,
    /// A fulfilled order was shipped.
    OrderShipped,
    /// A shipped order was delivered (which completes it).
    OrderDelivered,
    /// A payment was authorized.
    PaymentAuthorized,
    /// Money was captured.
    PaymentCaptured,
    /// A payment failed or was declined.
    PaymentFailed,
    /// Money was refunded.
    PaymentRefunded,
    /// An authorization was voided: what was left of it will not be captured.
    PaymentVoided,
    /// Stock was reserved.
    StockReserved,
    /// Reserved stock was released (cancelled, declined or expired).
    StockReleased,
    /// A SKU's available stock fell to or below the low-stock threshold.
    StockLow,
}

impl EventKind {
    /// The snake-case name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::OrderPlaced => "order_placed",
            EventKind::OrderConfirmed => "order_confirmed",
            EventKind::OrderCancelled => "order_cancelled",
            EventKind::OrderFulfilled => "order_fulfilled",
            EventKind::OrderShipped => "order_shipped",
            EventKind::OrderDelivered => "order_delivered",
            EventKind::PaymentAuthorized => "payment_authorized",
            EventKind::PaymentCaptured => "payment_captured",
            EventKind::PaymentFailed => "payment_failed",
            EventKind::PaymentRefunded => "payment_refunded",
            EventKind::PaymentVoided => "payment_voided",
            EventKind::StockReserved => "stock_reserved",
            EventKind::StockReleased => "stock_released",
            EventKind::StockLow => "stock_low",
        }
    }
}

impl EventKind {
    /// Every kind, in the order they are documented.
    pub const ALL: [EventKind; 14] = [
        EventKind::OrderPlaced,
        EventKind::OrderConfirmed,
        EventKind::OrderCancelled,
        EventKind::OrderFulfilled,
        EventKind::OrderShipped,
        EventKind::OrderDelivered,
        EventKind::PaymentAuthorized,
        EventKind::PaymentCaptured,
        EventKind::PaymentFailed,
        EventKind::PaymentRefunded,
        EventKind::PaymentVoided,
        EventKind::StockReserved,
        EventKind::StockReleased,
        EventKind::StockLow,
    ];

    /// The kind a snake-case name stands for.
    pub fn parse(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Whether the event's aggregate is an order.
    pub fn is_about_an_order(self) -> bool {
        matches!(
            self,
            EventKind::OrderPlaced
                | EventKind::OrderConfirmed
                | EventKind::OrderCancelled
                | EventKind::OrderFulfilled
                | EventKind::OrderShipped
                | EventKind::OrderDelivered
        )
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A domain event.
///
/// Its id is stable: derived from the aggregate, the kind and the aggregate's version (or
/// another discriminator), so a retried unit of work produces the same id and consumers can
/// deduplicate deliveries by it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainEvent {
    /// The stable id.
    pub id: String,
    /// What happened.
    pub kind: EventKind,
    /// The order, payment intent, reservation or SKU it is about.
    pub aggregate_id: String,
    /// When.
    pub occurred_at: Timestamp,
    /// Details, as JSON.
    pub data: serde_json::Value,
}

impl DomainEvent {
    /// An event with the id `"{aggregate_id}:{kind}:{discriminator}"`.
    pub fn new(
        kind: EventKind,
        aggregate_id: &str,
        discriminator: impl fmt::Display,
        occurred_at: Timestamp,
        data: serde_json::Value,
    ) -> DomainEvent {
        DomainEvent {
            id: format!("{aggregate_id}:{kind}:{discriminator}"),
            kind,
            aggregate_id: aggregate_id.to_string(),
            occurred_at,
            data,
        }
    }
}
