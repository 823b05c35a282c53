//! The published schema of the events the shop sends: one JSON Schema (2020-12) per event
//! type, each the [`Envelope`](crate::delivery::Envelope) with that `type` and its `data`.
//! The server serves it at `/events.schema.json`, beside `/openapi.json`.
//!
//! The envelope is versioned by its `version` field ([`ENVELOPE_VERSION`]): a change that
//! could break a consumer (a field removed, renamed or retyped) raises it; adding a field to
//! `data` does not, so consumers ignore fields they do not know.

use serde_json::{Value, json};

use crate::delivery::ENVELOPE_VERSION;
use crate::events::EventKind;

fn money() -> Value {
    json!({
        "type": "object",
        "description": "An exact amount: a decimal string in the currency's minor units.",
        "required": ["amount", "currency"],
        "properties": {
            "amount": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$"},
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$"}
        },
        "additionalProperties": false
    })
}

fn object(required: &[&str], properties: Value) -> Value {
    json!({
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": false
    })
}

/// The schema of the `data` of an event of `kind`.
pub fn data_schema(kind: EventKind) -> Value {
    let order_id = json!({"type": "string", "description": "The order."});
    let fulfillment = json!({
        "type": "object",
        "required": ["fulfillment_status"],
        "properties": {"fulfillment_status": {"type": "string", "enum": ["unfulfilled", "partially_fulfilled", "fulfilled", "shipped", "delivered"]}},
        "additionalProperties": false
    });
    match kind {
        EventKind::OrderPlaced => object(
            &["cart_id", "grand_total"],
            json!({"cart_id": {"type": ["string", "null"]}, "grand_total": money()}),
        ),
        EventKind::OrderConfirmed => object(&[], json!({})),
        EventKind::OrderCancelled => object(
            &["reason"],
            json!({"reason": {
                "type": ["string", "null"],
                "description": "`requested` (by the customer or an admin), `abandoned` (unpaid), `authorization_expired`, `reservation_expired`."
            }}),
        ),
        EventKind::OrderShipped => object(
            &["fulfillment_status"],
            json!({
                "fulfillment_status": fulfillment["properties"]["fulfillment_status"],
                "shipment": {
                    "type": "object",
                    "description": "The carrier and tracking number, when the order was shipped with them.",
                    "required": ["carrier", "tracking_number"],
                    "properties": {
                        "carrier": {"type": "string"},
                        "tracking_number": {"type": "string"},
                        "tracking_url": {"type": "string", "format": "uri"}
                    },
                    "additionalProperties": false
                }
            }),
        ),
        EventKind::OrderFulfilled | EventKind::OrderDelivered => fulfillment,
        EventKind::PaymentAuthorized | EventKind::PaymentCaptured => object(
            &["order_id", "amount"],
            json!({"order_id": order_id, "amount": money()}),
        ),
        EventKind::PaymentRefunded | EventKind::PaymentVoided => object(
            &["order_id", "amount", "move"],
            json!({"order_id": order_id, "amount": money(), "move": {"type": "string", "description": "The money move's idempotency key."}}),
        ),
        EventKind::PaymentFailed => object(
            &["order_id", "reason"],
            json!({"order_id": order_id, "reason": {"type": ["string", "null"]}, "move": {"type": "string"}}),
        ),
        EventKind::StockReserved => object(
            &["order_id", "items"],
            json!({"order_id": order_id, "items": {
                "type": "array",
                "description": "`[sku, quantity]` pairs, by SKU.",
                "items": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "minItems": 2, "maxItems": 2}
            }}),
        ),
        EventKind::StockReleased => object(&["order_id"], json!({"order_id": order_id})),
        EventKind::StockLow => object(
            &["location", "available"],
            json!({"location": {"type": "string"}, "available": {"type": "integer"}}),
        ),
    }
}

/// The schema of the envelope of an event of `kind`.
pub fn envelope_schema(kind: EventKind) -> Value {
    json!({
        "type": "object",
        "description": kind_description(kind),
        "required": ["id", "type", "version", "occurred_at", "aggregate_id", "sequence", "data"],
        "properties": {
            "id": {"type": "string", "description": "The event's stable id: deduplicate by it (also the NATS message id, the AMQP message_id, the webhook-id header)."},
            "type": {"const": kind.as_str()},
            "version": {"const": ENVELOPE_VERSION},
            "occurred_at": {"type": "string", "format": "date-time"},
            "aggregate_id": {"type": "string", "description": "The order, payment intent, reservation or SKU it is about."},
            "order_id": {"type": ["string", "null"], "description": "The order it concerns: events of one order arrive in order."},
            "sequence": {"type": "integer", "minimum": 0, "description": "Its place in the outbox: of two events of one order, the later has the greater sequence."},
            "data": data_schema(kind)
        },
        "additionalProperties": false
    })
}

fn kind_description(kind: EventKind) -> &'static str {
    match kind {
        EventKind::OrderPlaced => "An order was placed (pending payment).",
        EventKind::OrderConfirmed => "An order was confirmed (paid or authorized).",
        EventKind::OrderCancelled => "An order was cancelled.",
        EventKind::OrderFulfilled => "An order was fulfilled, in part or in full.",
        EventKind::OrderShipped => "A fulfilled order was shipped.",
        EventKind::OrderDelivered => "A shipped order was delivered.",
        EventKind::PaymentAuthorized => "A payment was authorized.",
        EventKind::PaymentCaptured => "Money was captured.",
        EventKind::PaymentFailed => "A payment failed or was declined.",
        EventKind::PaymentRefunded => "Money was refunded.",
        EventKind::PaymentVoided => "An authorization was voided.",
        EventKind::StockReserved => "Stock was reserved for an order.",
        EventKind::StockReleased => "Reserved stock was released.",
        EventKind::StockLow => "A SKU's available stock fell to or below the low-stock threshold.",
    }
}

/// The whole document: every event type under `$defs`, and an event as one of them.
///
/// ```
/// let schema = commerce_core::event_schema::document();
/// assert_eq!(schema["$defs"]["order_placed"]["properties"]["type"]["const"], "order_placed");
/// assert_eq!(schema["oneOf"].as_array().unwrap().len(), commerce_core::events::EventKind::ALL.len());
/// ```
pub fn document() -> Value {
    let mut defs = serde_json::Map::new();
    let mut one_of = Vec::new();
    for kind in EventKind::ALL {
        defs.insert(kind.as_str().to_string(), envelope_schema(kind));
        one_of.push(json!({"$ref": format!("#/$defs/{}", kind.as_str())}));
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "/events.schema.json",
        "title": "Commerce events",
        "description": format!("Envelope version {ENVELOPE_VERSION}. Every event a destination receives: at least once, in order per order; deduplicate by id."),
        "oneOf": one_of,
        "$defs": defs
    })
}

/// Whether `value` has what `schema` (one of this module's object schemas) requires and
/// nothing it does not allow, field by field at the top level: what the tests check every
/// event the core writes against.
pub fn conforms(schema: &Value, value: &Value) -> Result<(), String> {
    let Some(object) = value.as_object() else {
        return Err("not an object".into());
    };
    let properties = schema["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for required in schema["required"].as_array().into_iter().flatten() {
        let name = required.as_str().unwrap_or_default();
        if !object.contains_key(name) {
            return Err(format!("`{name}` is missing"));
        }
    }
    for name in object.keys() {
        if !properties.contains_key(name) {
            return Err(format!("`{name}` is not in the schema"));
        }
    }
    Ok(())
}
