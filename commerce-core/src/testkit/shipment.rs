//! Checks of shipping an order with its carrier and tracking number.

use std::sync::Arc;

use crate::events::EventKind;
use crate::order::FulfillmentStatus;
use crate::shipment::Shipment;
use crate::store::Store;

use super::{START, cart_with, checkout_request, claimed, shop};

/// An order shipped with its tracking keeps it, and its `order_shipped` event carries it; an
/// invalid shipment ships nothing; an order can still be shipped without one.
pub async fn a_shipment_carries_its_tracking(store: Arc<dyn Store>) {
    let (commerce, _, _) = shop(store.clone(), 5).await;
    let mut orders = Vec::new();
    for _ in 0..2 {
        let cart = cart_with(&commerce, 1).await;
        let order = commerce
            .checkout(&checkout_request(&cart, "tok_visa", None))
            .await
            .unwrap()
            .order;
        let line = &order.lines[0];
        commerce
            .fulfil(&order.id, &line.id, line.quantity)
            .await
            .unwrap();
        orders.push(order.id);
    }
    let parcel = Shipment {
        carrier: " DHL ".into(),
        tracking_number: "JD014600003828".into(),
        tracking_url: Some("https://www.dhl.com/track?id=JD014600003828".into()),
    };
    let hostile = Shipment {
        tracking_url: Some("javascript:alert(1)".into()),
        ..parcel.clone()
    };
    let err = commerce.ship(&orders[0], Some(hostile)).await.unwrap_err();
    assert_eq!(err.field(), Some("shipment.tracking_url"));
    assert_eq!(
        commerce.order(&orders[0]).await.unwrap().fulfillment_status,
        FulfillmentStatus::Fulfilled,
        "nothing shipped"
    );
    let shipped = commerce.ship(&orders[0], Some(parcel)).await.unwrap();
    assert_eq!(shipped.fulfillment_status, FulfillmentStatus::Shipped);
    let kept = commerce.order(&orders[0]).await.unwrap().shipment.unwrap();
    assert_eq!(kept.carrier, "DHL", "trimmed");
    let plain = commerce.ship(&orders[1], None).await.unwrap();
    assert_eq!(plain.shipment, None);

    let events = claimed(&*store, START.plus_millis(10)).await;
    let shipped: Vec<_> = events
        .iter()
        .filter(|e| e.kind == EventKind::OrderShipped)
        .collect();
    assert_eq!(shipped.len(), 2);
    for event in shipped {
        let schema = crate::event_schema::data_schema(EventKind::OrderShipped);
        let with = event.aggregate_id == orders[0];
        assert_eq!(
            event.data["shipment"]["tracking_number"] == "JD014600003828",
            with,
            "{:?}",
            event.data
        );
        assert_eq!(event.data["fulfillment_status"], "shipped");
        // The published schema describes what was sent, with and without a shipment.
        crate::event_schema::conforms(&schema, &event.data)
            .unwrap_or_else(|e| panic!("{e}: {:?}", event.data));
    }
}
