//! Fulfilment: packing, shipping and delivering an order.

use crate::error::{Error, Result};
use crate::events::{DomainEvent, EventKind};
use crate::order::{FulfillmentStatus, Order};
use crate::store::{Changes, Versioned};
use crate::time::Timestamp;

use super::{CONFLICT_RETRIES, Commerce};

impl Commerce {
    /// Fulfils `quantity` units of an order line.
    ///
    /// # Errors
    ///
    /// As [`Order::fulfil`].
    pub async fn fulfil(&self, order_id: &str, line_id: &str, quantity: u32) -> Result<Order> {
        self.update_order(order_id, EventKind::OrderFulfilled, |order, now| {
            order.fulfil(line_id, quantity, now)
        })
        .await
    }

    /// Ships a fulfilled order with its carrier and tracking number (or without, when they are
    /// not known); the `order_shipped` event carries them.
    ///
    /// # Errors
    ///
    /// As [`Order::ship`].
    pub async fn ship(
        &self,
        order_id: &str,
        shipment: Option<crate::shipment::Shipment>,
    ) -> Result<Order> {
        self.update_order(order_id, EventKind::OrderShipped, |order, now| {
            order.ship(shipment.clone(), now)
        })
        .await
    }

    /// Marks a fulfilled order shipped, or a shipped order delivered (which completes it).
    ///
    /// # Errors
    ///
    /// As [`Order::advance_fulfillment`].
    pub async fn advance_fulfillment(
        &self,
        order_id: &str,
        to: FulfillmentStatus,
    ) -> Result<Order> {
        let kind = match to {
            FulfillmentStatus::Delivered => EventKind::OrderDelivered,
            _ => EventKind::OrderShipped,
        };
        self.update_order(order_id, kind, |order, now| {
            order.advance_fulfillment(to, now)
        })
        .await
    }

    async fn update_order(
        &self,
        order_id: &str,
        kind: EventKind,
        change: impl Fn(&mut Order, Timestamp) -> Result<()> + Send + Sync,
    ) -> Result<Order> {
        for _ in 0..CONFLICT_RETRIES {
            let now = self.now();
            let order = self.order(order_id).await?;
            let mut new_order = order.clone();
            change(&mut new_order, now)?;
            let changes = Changes {
                now,
                orders: vec![Versioned {
                    value: new_order.clone(),
                    expected_version: Some(order.version),
                }],
                events: vec![DomainEvent::new(
                    kind,
                    &new_order.id,
                    new_order.version,
                    now,
                    match (&kind, &new_order.shipment) {
                        (EventKind::OrderShipped, Some(shipment)) => serde_json::json!({
                            "fulfillment_status": new_order.fulfillment_status,
                            "shipment": shipment,
                        }),
                        _ => serde_json::json!({
                            "fulfillment_status": new_order.fulfillment_status
                        }),
                    },
                )],
                ..Changes::default()
            };
            match self.store.apply(changes).await {
                Err(err) if err.is_conflict() => continue,
                other => return other.map(|_| new_order),
            }
        }
        Err(Error::conflict("order", order_id))
    }
}
