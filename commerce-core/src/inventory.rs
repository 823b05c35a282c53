//! Stock per SKU and location, reservations with a time to live, and the movement ledger.
//!
//! The rules every store implements (and the conformance suite checks):
//!
//! - `available = on_hand − reserved`; without backorders it never goes below zero, and
//!   `on_hand` and `reserved` are never negative.
//! - A reservation is all-or-nothing for a whole cart. Demand is summed per SKU first (two lines
//!   may draw on one SKU) and SKUs are taken in ascending order, the fixed lock order.
//! - A SKU without the backorder flag refuses a reservation it cannot cover
//!   ([`insufficient_stock`](crate::ErrorKind::InsufficientStock)); with it, `reserved` may exceed
//!   `on_hand` and a sale may take `on_hand` below zero (units owed to customers).
//! - A hold past its expiry never blocks a buyer: reserving first releases expired holds on the
//!   SKUs it needs, in the same unit of work, whether or not a sweep has run.
//! - Every change writes a [`Movement`].
//! - A reservation that leaves a SKU with the shop's low-stock threshold or fewer units
//!   available writes [`stock_low_event`] in the same unit of work.

use serde::{Deserialize, Serialize};

use crate::events::{DomainEvent, EventKind};
use crate::time::Timestamp;

/// The `stock_low` event a reservation `reservation_id` leaves behind, if it left `available`
/// units of `sku` at `location`, at or below the shop's `threshold`
/// ([`ShopConfig::low_stock_threshold`](crate::settings::ShopConfig::low_stock_threshold)).
/// Its id is `"{sku}:stock_low:{reservation_id}"`, its data `{"available", "location"}`.
///
/// This is the one definition: the memory store calls it, the SQL stores write the same event
/// in SQL within the reservation's transaction, and the conformance suite holds them to it.
///
/// # Example
///
/// ```
/// use commerce_core::inventory::stock_low_event;
/// use commerce_core::Timestamp;
///
/// let event = stock_low_event("MUG", "default", "res_1", 2, 3, Timestamp::EPOCH).unwrap();
/// assert_eq!(event.id, "MUG:stock_low:res_1");
/// assert_eq!(event.data, serde_json::json!({"available": 2, "location": "default"}));
/// assert!(stock_low_event("MUG", "default", "res_1", 4, 3, Timestamp::EPOCH).is_none());
/// ```
pub fn stock_low_event(
    sku: &str,
    location: &str,
    reservation_id: &str,
    available: i64,
    threshold: i64,
    now: Timestamp,
) -> Option<DomainEvent> {
    (available <= threshold).then(|| {
        DomainEvent::new(
            EventKind::StockLow,
            sku,
            reservation_id,
            now,
            serde_json::json!({"location": location, "available": available}),
        )
    })
}

/// The location used when none is named.
pub const DEFAULT_LOCATION: &str = "default";

/// How long a reservation holds stock unless told otherwise: 15 minutes.
pub const DEFAULT_RESERVATION_TTL_MILLIS: i64 = 15 * 60 * 1000;

/// How long stock stays held for a payment that did not complete when asked (it awaits the
/// customer's action, or the gateway could not be reached): 5 minutes, so that checkouts that
/// never pay cannot keep stock from buyers who do.
pub const DEFAULT_UNPAID_HOLD_TTL_MILLIS: i64 = 5 * 60 * 1000;

/// How many live unpaid holds one customer, or one client, may have at once: 3.
pub const DEFAULT_MAX_UNPAID_HOLDS: u64 = 3;

/// Stock of one SKU at one location.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockLevel {
    /// The SKU.
    pub sku: String,
    /// The location.
    pub location: String,
    /// Units physically there.
    pub on_hand: i64,
    /// Units held by active reservations.
    pub reserved: i64,
    /// Whether the SKU may be sold beyond its stock.
    pub allow_backorder: bool,
}

impl StockLevel {
    /// Units that can still be reserved: `on_hand − reserved`.
    pub fn available(&self) -> i64 {
        self.on_hand - self.reserved
    }
}

/// Units of one SKU held by a reservation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReservationLine {
    /// The SKU.
    pub sku: String,
    /// The location they are held at.
    pub location: String,
    /// How many units.
    pub quantity: i64,
}

/// Where a reservation is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReservationStatus {
    /// Holding stock until `expires_at`.
    Active,
    /// Turned into a sale.
    Committed,
    /// Given back before it expired.
    Released,
    /// Given back because it expired.
    Expired,
}

impl ReservationStatus {
    /// The snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReservationStatus::Active => "active",
            ReservationStatus::Committed => "committed",
            ReservationStatus::Released => "released",
            ReservationStatus::Expired => "expired",
        }
    }
}

/// A hold on stock for a cart or an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reservation {
    /// The reservation's id.
    pub id: String,
    /// What it holds, one line per SKU, in ascending SKU order.
    pub lines: Vec<ReservationLine>,
    /// Where it is in its life.
    pub status: ReservationStatus,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it stops holding stock.
    pub expires_at: Timestamp,
    /// What it is for (an order or cart id).
    pub reference: Option<String>,
    /// Who holds it for a checkout that did not pay when asked (`customer:…`, `client:…`),
    /// counted by the bound on unpaid holds; `None` for any other hold.
    #[serde(default)]
    pub holder: Option<String>,
}

impl Reservation {
    /// True if it is active and `now` is before its expiry.
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.status == ReservationStatus::Active && now < self.expires_at
    }
}

/// A change of stock on hand (a delivery, a count, a write-off), as part of a unit of work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockAdjustment {
    /// The SKU.
    pub sku: String,
    /// The location.
    pub location: String,
    /// Units added (or, negative, taken away).
    pub delta: i64,
    /// A new backorder flag, if it changes.
    pub allow_backorder: Option<bool>,
}

/// A request to hold stock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReservationRequest {
    /// The id the reservation will have.
    pub id: String,
    /// `(sku, quantity)` pairs; a SKU may appear more than once (two cart lines).
    pub items: Vec<(String, i64)>,
    /// The location to draw from.
    pub location: String,
    /// When the hold ends.
    pub expires_at: Timestamp,
    /// What it is for.
    pub reference: Option<String>,
}

impl ReservationRequest {
    /// The demand per SKU, summed over the request's items, in ascending SKU order (the order
    /// in which stores take their locks). Quantities must be positive.
    ///
    /// # Example
    ///
    /// ```
    /// use commerce_core::inventory::ReservationRequest;
    /// use commerce_core::Timestamp;
    ///
    /// let request = ReservationRequest {
    ///     id: "r1".into(),
    ///     items: vec![("B".into(), 1), ("A".into(), 2), ("B".into(), 3)],
    ///     location: "default".into(),
    ///     expires_at: Timestamp::EPOCH,
    ///     reference: None,
    /// };
    /// assert_eq!(request.demand(), vec![("A".to_string(), 2), ("B".to_string(), 4)]);
    /// ```
    pub fn demand(&self) -> Vec<(String, i64)> {
        let mut demand: Vec<(String, i64)> = Vec::new();
        let mut items: Vec<&(String, i64)> = self.items.iter().collect();
        items.sort_by(|a, b| a.0.cmp(&b.0));
        for (sku, quantity) in items {
            match demand.last_mut() {
                Some((last, total)) if last == sku => *total += quantity,
                _ => demand.push((sku.clone(), *quantity)),
            }
        }
        demand
    }

    /// Checks the request: an id, at least one item, positive quantities.
    ///
    /// # Errors
    ///
    /// [`crate::ErrorKind::InvalidInput`].
    pub fn validate(&self) -> crate::Result<()> {
        if self.id.is_empty() {
            return Err(crate::Error::invalid("a reservation needs an id"));
        }
        if self.items.is_empty() {
            return Err(crate::Error::invalid(
                "a reservation needs at least one item",
            ));
        }
        if let Some((sku, _)) = self.items.iter().find(|(_, q)| *q <= 0) {
            return Err(crate::Error::invalid(format!(
                "the quantity of `{sku}` must be at least 1"
            )));
        }
        Ok(())
    }
}

/// Why stock moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    /// A manual change of `on_hand` (receiving goods, a stock count).
    Adjustment,
    /// Units held (`reserved` up).
    Reservation,
    /// Units given back by a release or an expiry (`reserved` down).
    Release,
    /// Units sold (`on_hand` and `reserved` down).
    Sale,
    /// Units returned by a customer (`on_hand` up).
    Return,
}

/// One entry of the stock ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Movement {
    /// The SKU.
    pub sku: String,
    /// The location.
    pub location: String,
    /// Why.
    pub kind: MovementKind,
    /// How many units (positive).
    pub quantity: i64,
    /// When.
    pub at: Timestamp,
    /// The reservation, order or note it belongs to.
    pub reference: Option<String>,
}
