//! Orders: a frozen quote and three checked state machines.
//!
//! - **Order status**: `pending_payment → confirmed → completed`, and `cancelled` from
//!   `pending_payment` or `confirmed`.
//! - **Payment status**, following the payment intent: `unpaid → authorized →
//!   partially_captured → paid → partially_refunded → refunded`, and `voided` from `unpaid`,
//!   `authorized` or `partially_captured`.
//! - **Fulfillment status**: `unfulfilled → partially_fulfilled → fulfilled → shipped →
//!   delivered → returned`, with partial fulfillment by line quantity.
//!
//! An illegal transition is [`invalid_transition`](crate::ErrorKind::InvalidTransition), naming
//! both states; the order is left unchanged.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::money::{Currency, Money};
use crate::payment::{IntentStatus, PaymentIntent};
use crate::pricing::Quote;
use crate::time::Timestamp;

macro_rules! state_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vdoc])* $variant),* }

        impl $name {
            /// The snake-case name, as in JSON.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

state_enum!(
    /// The order's own status.
    OrderStatus {
        /// Placed, waiting for payment.
        PendingPayment => "pending_payment",
        /// Paid or authorized; to be fulfilled.
        Confirmed => "confirmed",
        /// Delivered and done.
        Completed => "completed",
        /// Cancelled; stock released, payment voided or refunded.
        Cancelled => "cancelled",
    }
);

state_enum!(
    /// Where the money of an order is.
    PaymentStatus {
        /// Nothing authorized.
        Unpaid => "unpaid",
        /// Authorized, nothing captured.
        Authorized => "authorized",
        /// Part of the authorization captured.
        PartiallyCaptured => "partially_captured",
        /// Fully collected.
        Paid => "paid",
        /// Part of what was collected was refunded.
        PartiallyRefunded => "partially_refunded",
        /// Everything collected was refunded.
        Refunded => "refunded",
        /// The authorization was voided before anything was captured.
        Voided => "voided",
    }
);

state_enum!(
    /// Where the goods of an order are.
    FulfillmentStatus {
        /// Nothing fulfilled.
        Unfulfilled => "unfulfilled",
        /// Some line quantities fulfilled.
        PartiallyFulfilled => "partially_fulfilled",
        /// Every unit fulfilled (packed).
        Fulfilled => "fulfilled",
        /// Handed to the carrier.
        Shipped => "shipped",
        /// Received by the customer.
        Delivered => "delivered",
        /// Every unit returned.
        Returned => "returned",
    }
);

impl OrderStatus {
    fn allows(self, to: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, to),
            (PendingPayment, Confirmed)
                | (PendingPayment, Cancelled)
                | (Confirmed, Completed)
                | (Confirmed, Cancelled)
        )
    }
}

impl PaymentStatus {
    fn allows(self, to: PaymentStatus) -> bool {
        use PaymentStatus::*;
        self == to
            || matches!(
                (self, to),
                (Unpaid, Authorized | Paid | Voided)
                    | (Authorized, PartiallyCaptured | Paid | Voided)
                    | (
                        PartiallyCaptured,
                        Paid | PartiallyRefunded | Refunded | Voided
                    )
                    | (Paid, PartiallyRefunded | Refunded)
                    | (PartiallyRefunded, Refunded)
            )
    }

    /// The payment status that an intent's amounts and state describe.
    pub fn of_intent(intent: &PaymentIntent) -> PaymentStatus {
        let received = !intent.amount_received.is_zero();
        let refunded = !intent.amount_refunded.is_zero();
        let fully_refunded = received && intent.amount_refunded == intent.amount_received;
        match intent.status {
            _ if fully_refunded => PaymentStatus::Refunded,
            _ if refunded => PaymentStatus::PartiallyRefunded,
            IntentStatus::Succeeded => PaymentStatus::Paid,
            IntentStatus::RequiresCapture if received => PaymentStatus::PartiallyCaptured,
            IntentStatus::RequiresCapture => PaymentStatus::Authorized,
            IntentStatus::Canceled => PaymentStatus::Voided,
            _ => PaymentStatus::Unpaid,
        }
    }
}

impl FulfillmentStatus {
    fn allows(self, to: FulfillmentStatus) -> bool {
        use FulfillmentStatus::*;
        matches!(
            (self, to),
            (Unfulfilled, PartiallyFulfilled | Fulfilled)
                | (PartiallyFulfilled, PartiallyFulfilled | Fulfilled)
                | (Fulfilled, Shipped)
                | (Shipped, Delivered)
                | (Delivered, Returned)
        )
    }
}

/// Operational state of one order line (the money is in the frozen quote).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct OrderLine {
    /// The quote line's id.
    pub id: String,
    /// The SKU.
    pub sku: String,
    /// Units ordered.
    pub quantity: u32,
    /// Units fulfilled so far.
    pub fulfilled_quantity: u32,
    /// Units returned so far.
    pub returned_quantity: u32,
    /// What the line cost, tax included (from the quote).
    pub total: Money,
}

/// An order: the quote at checkout, frozen, and where the order, its money and its goods are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Order {
    /// The order's id.
    pub id: String,
    /// The cart it was placed from.
    pub cart_id: Option<String>,
    /// The customer, if signed in.
    pub customer_id: Option<String>,
    /// The currency.
    pub currency: Currency,
    /// The quote at placement. Money never changes after placement.
    pub quote: Quote<'static>,
    /// Per-line fulfillment and returns.
    pub lines: Vec<OrderLine>,
    /// The order's status.
    pub status: OrderStatus,
    /// The payment status.
    pub payment_status: PaymentStatus,
    /// The fulfillment status.
    pub fulfillment_status: FulfillmentStatus,
    /// The stock reservation made at checkout.
    pub reservation_id: Option<String>,
    /// The payment intent.
    pub payment_intent_id: Option<String>,
    /// Why it was cancelled, if it was: `requested` (by the customer or an admin),
    /// `abandoned` (left unpaid), `authorization_expired`, `reservation_expired`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancellation_reason: Option<String>,
    /// The uses of limited promotions the order took, given back if it is cancelled.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub promotion_uses: Vec<crate::usage::PromotionUse>,
    /// Where to write about the order (every order checked out has one; orders placed before
    /// checkout asked for it have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Where the order ships; its country and region priced it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_address: Option<crate::customer::Address>,
    /// Who pays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_address: Option<crate::customer::Address>,
    /// How it was shipped (carrier and tracking), once shipped with them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipment: Option<crate::shipment::Shipment>,
    /// Incremented by every change; stores compare-and-set on it.
    pub version: u64,
    /// When it was placed.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

impl Order {
    /// A new order, pending payment, from a quote.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] for a quote without lines.
    pub fn from_quote(
        id: String,
        cart_id: Option<String>,
        customer_id: Option<String>,
        quote: Quote<'static>,
        now: Timestamp,
    ) -> Result<Order> {
        if quote.lines.is_empty() {
            return Err(Error::invalid("an order needs at least one line"));
        }
        let currency = quote.currency;
        let lines = quote
            .lines
            .iter()
            .map(|l| {
                Ok(OrderLine {
                    id: l.id.to_string(),
                    sku: l.sku.to_string(),
                    quantity: l.quantity,
                    fulfilled_quantity: 0,
                    returned_quantity: 0,
                    total: Money::from_decimal(l.total, currency)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Order {
            id,
            cart_id,
            customer_id,
            currency,
            quote,
            lines,
            status: OrderStatus::PendingPayment,
            payment_status: PaymentStatus::Unpaid,
            fulfillment_status: FulfillmentStatus::Unfulfilled,
            reservation_id: None,
            payment_intent_id: None,
            cancellation_reason: None,
            promotion_uses: Vec::new(),
            email: None,
            shipping_address: None,
            billing_address: None,
            shipment: None,
            version: 1,
            created_at: now,
            updated_at: now,
        })
    }

    /// What the customer pays: the quote's grand total.
    pub fn grand_total(&self) -> Money {
        // The quote's amounts are exact minor units of its currency.
        Money::from_decimal(self.quote.totals.grand_total, self.currency)
            .unwrap_or_else(|_| Money::zero(self.currency))
    }

    fn touch(&mut self, now: Timestamp) {
        self.version += 1;
        self.updated_at = now;
    }

    /// Moves the order status.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidTransition`].
    pub fn transition(&mut self, to: OrderStatus, now: Timestamp) -> Result<()> {
        if !self.status.allows(to) {
            return Err(Error::transition("order", self.status, to));
        }
        self.status = to;
        self.touch(now);
        Ok(())
    }

    /// Brings the payment status in line with the intent.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidTransition`] if the intent would move the payment status backwards.
    pub fn sync_payment(&mut self, intent: &PaymentIntent, now: Timestamp) -> Result<()> {
        let to = PaymentStatus::of_intent(intent);
        if to == self.payment_status {
            return Ok(());
        }
        if !self.payment_status.allows(to) {
            return Err(Error::transition("payment", self.payment_status, to));
        }
        self.payment_status = to;
        self.touch(now);
        Ok(())
    }

    /// Fulfils `quantity` more units of a line. The order must be confirmed.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidTransition`] if the order is not confirmed or everything is already
    /// fulfilled; [`ErrorKind::LineNotFound`]; [`ErrorKind::QuantityOutOfRange`] beyond what is
    /// left of the line.
    pub fn fulfil(&mut self, line_id: &str, quantity: u32, now: Timestamp) -> Result<()> {
        if self.status != OrderStatus::Confirmed {
            return Err(Error::transition(
                "order",
                self.status,
                FulfillmentStatus::PartiallyFulfilled,
            ));
        }
        let index = self.line_index(line_id)?;
        let line = &self.lines[index];
        let left = line.quantity - line.fulfilled_quantity;
        if quantity == 0 || quantity > left {
            return Err(Error::new(ErrorKind::QuantityOutOfRange {
                quantity: u64::from(quantity),
                min: 1,
                max: u64::from(left),
            }));
        }
        let done = self.lines.iter().enumerate().all(|(i, l)| {
            l.fulfilled_quantity + if i == index { quantity } else { 0 } == l.quantity
        });
        let to = if done {
            FulfillmentStatus::Fulfilled
        } else {
            FulfillmentStatus::PartiallyFulfilled
        };
        if !self.fulfillment_status.allows(to) {
            return Err(Error::transition(
                "fulfillment",
                self.fulfillment_status,
                to,
            ));
        }
        self.lines[index].fulfilled_quantity += quantity;
        self.fulfillment_status = to;
        self.touch(now);
        Ok(())
    }

    /// Moves the fulfillment status to `shipped` or `delivered`; delivery completes the order.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidTransition`].
    pub fn advance_fulfillment(&mut self, to: FulfillmentStatus, now: Timestamp) -> Result<()> {
        let allowed = matches!(
            to,
            FulfillmentStatus::Shipped | FulfillmentStatus::Delivered
        ) && self.fulfillment_status.allows(to);
        if !allowed {
            return Err(Error::transition(
                "fulfillment",
                self.fulfillment_status,
                to,
            ));
        }
        if to == FulfillmentStatus::Delivered {
            self.transition(OrderStatus::Completed, now)?;
        }
        self.fulfillment_status = to;
        self.touch(now);
        Ok(())
    }

    /// Ships a fulfilled order, with how to follow it if that is known.
    ///
    /// # Errors
    ///
    /// As [`crate::shipment::Shipment::validate`], with the field under `shipment`; as
    /// [`Order::advance_fulfillment`].
    pub fn ship(
        &mut self,
        shipment: Option<crate::shipment::Shipment>,
        now: Timestamp,
    ) -> Result<()> {
        if let Some(shipment) = &shipment {
            shipment.validate().map_err(|e| e.at("shipment"))?;
        }
        self.advance_fulfillment(FulfillmentStatus::Shipped, now)?;
        self.shipment = shipment.map(|s| crate::shipment::Shipment {
            carrier: s.carrier.trim().to_owned(),
            tracking_number: s.tracking_number.trim().to_owned(),
            ..s
        });
        Ok(())
    }

    /// Records the return of `quantity` delivered units of a line and returns the refund they
    /// are worth: the line's total split over its units by largest remainder, so that returning
    /// every unit, in any number of steps, refunds exactly the line's total.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidTransition`] unless delivered; [`ErrorKind::LineNotFound`];
    /// [`ErrorKind::QuantityOutOfRange`] beyond the units not yet returned.
    pub fn return_units(&mut self, line_id: &str, quantity: u32, now: Timestamp) -> Result<Money> {
        if self.fulfillment_status != FulfillmentStatus::Delivered {
            return Err(Error::transition(
                "fulfillment",
                self.fulfillment_status,
                FulfillmentStatus::Returned,
            ));
        }
        let index = self.line_index(line_id)?;
        let line = &self.lines[index];
        let left = line.quantity - line.returned_quantity;
        if quantity == 0 || quantity > left {
            return Err(Error::new(ErrorKind::QuantityOutOfRange {
                quantity: u64::from(quantity),
                min: 1,
                max: u64::from(left),
            }));
        }
        let refund = line_share(line, line.returned_quantity + quantity)?
            .checked_sub(&line_share(line, line.returned_quantity)?)?;
        self.lines[index].returned_quantity += quantity;
        if self.lines.iter().all(|l| l.returned_quantity == l.quantity) {
            self.fulfillment_status = FulfillmentStatus::Returned;
        }
        self.touch(now);
        Ok(refund)
    }

    fn line_index(&self, line_id: &str) -> Result<usize> {
        self.lines
            .iter()
            .position(|l| l.id == line_id)
            .ok_or_else(|| {
                Error::new(ErrorKind::LineNotFound {
                    line: line_id.to_string(),
                })
            })
    }
}

/// The part of a line's total that its first `units` units are worth: the total split evenly
/// over the units, the leftover minor units going to the first units (largest remainder with
/// equal weights), computed without materialising the split.
fn line_share(line: &OrderLine, units: u32) -> Result<Money> {
    let total = line.total.minor();
    let (quantity, units) = (i128::from(line.quantity), i128::from(units));
    let (base, leftover) = (total / quantity, total % quantity);
    Money::from_minor_i128(base * units + units.min(leftover), line.total.currency())
}

#[cfg(test)]
mod model_tests {
    //! Random operation sequences against a reference model of the three machines.

    use proptest::prelude::*;

    use super::*;
    use crate::pricing::{PricingRequest, quote};

    fn order(prices: &[(i64, u32)]) -> Order {
        let lines: Vec<String> = prices
            .iter()
            .enumerate()
            .map(|(i, (cents, quantity))| {
                format!(
                    r#"{{"id":"l{i}","sku":"S{i}","quantity":{quantity},"unit_price":"{}.{:02}"}}"#,
                    cents / 100,
                    cents % 100
                )
            })
            .collect();
        let json = format!(
            r#"{{"currency":"USD","now":"2026-01-01T00:00:00Z","lines":[{}]}}"#,
            lines.join(",")
        );
        let request = PricingRequest::from_json(&json).unwrap();
        let quote = quote(&request).unwrap().into_owned();
        Order::from_quote("o".into(), None, None, quote, Timestamp::EPOCH).unwrap()
    }

    #[derive(Debug, Clone)]
    enum Op {
        Status(u8),
        Fulfil(usize, u32),
        Ship,
        Deliver,
        Return(usize, u32),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u8..4).prop_map(Op::Status),
            (0usize..3, 0u32..5).prop_map(|(l, q)| Op::Fulfil(l, q)),
            Just(Op::Ship),
            Just(Op::Deliver),
            (0usize..3, 0u32..5).prop_map(|(l, q)| Op::Return(l, q)),
        ]
    }

    /// Allowed order-status moves, written out as a table.
    const ORDER_MOVES: &[(&str, &str)] = &[
        ("pending_payment", "confirmed"),
        ("pending_payment", "cancelled"),
        ("confirmed", "completed"),
        ("confirmed", "cancelled"),
    ];

    #[derive(Debug)]
    struct Model {
        status: &'static str,
        fulfillment: &'static str,
        quantities: Vec<u32>,
        fulfilled: Vec<u32>,
        returned: Vec<u32>,
    }

    const STATUSES: [&str; 4] = ["pending_payment", "confirmed", "completed", "cancelled"];

    impl Model {
        fn apply(&mut self, op: &Op) -> bool {
            match *op {
                Op::Status(to) => {
                    let to = STATUSES[to as usize];
                    if ORDER_MOVES.contains(&(self.status, to)) {
                        self.status = to;
                        true
                    } else {
                        false
                    }
                }
                Op::Fulfil(line, quantity) => {
                    let Some(&ordered) = self.quantities.get(line) else {
                        return false;
                    };
                    let left = ordered - self.fulfilled[line];
                    let open = matches!(self.fulfillment, "unfulfilled" | "partially_fulfilled");
                    if self.status != "confirmed" || !open || quantity == 0 || quantity > left {
                        return false;
                    }
                    self.fulfilled[line] += quantity;
                    self.fulfillment = if self.fulfilled == self.quantities {
                        "fulfilled"
                    } else {
                        "partially_fulfilled"
                    };
                    true
                }
                Op::Ship => {
                    if self.fulfillment != "fulfilled" {
                        return false;
                    }
                    self.fulfillment = "shipped";
                    true
                }
                Op::Deliver => {
                    if self.fulfillment != "shipped" || self.status != "confirmed" {
                        return false;
                    }
                    self.fulfillment = "delivered";
                    self.status = "completed";
                    true
                }
                Op::Return(line, quantity) => {
                    let Some(&ordered) = self.quantities.get(line) else {
                        return false;
                    };
                    if self.fulfillment != "delivered"
                        || quantity == 0
                        || quantity > ordered - self.returned[line]
                    {
                        return false;
                    }
                    self.returned[line] += quantity;
                    if self.returned == self.quantities {
                        self.fulfillment = "returned";
                    }
                    true
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        #[test]
        fn orders_follow_the_reference_model(
            prices in proptest::collection::vec((1i64..100_000, 1u32..5), 1..4),
            ops in proptest::collection::vec(op(), 1..40),
        ) {
            let mut order = order(&prices);
            let mut model = Model {
                status: "pending_payment",
                fulfillment: "unfulfilled",
                quantities: prices.iter().map(|p| p.1).collect(),
                fulfilled: vec![0; prices.len()],
                returned: vec![0; prices.len()],
            };
            let mut refunded = vec![0i128; prices.len()];
            let now = Timestamp::EPOCH;
            for op in &ops {
                let before = order.clone();
                let ok = match *op {
                    Op::Status(to) => {
                        let to = [OrderStatus::PendingPayment, OrderStatus::Confirmed,
                                  OrderStatus::Completed, OrderStatus::Cancelled][to as usize];
                        order.transition(to, now).is_ok()
                    }
                    Op::Fulfil(line, quantity) => {
                        order.fulfil(&format!("l{line}"), quantity, now).is_ok()
                    }
                    Op::Ship => order.advance_fulfillment(FulfillmentStatus::Shipped, now).is_ok(),
                    Op::Deliver => order.advance_fulfillment(FulfillmentStatus::Delivered, now).is_ok(),
                    Op::Return(line, quantity) => {
                        match order.return_units(&format!("l{line}"), quantity, now) {
                            Ok(refund) => {
                                prop_assert!(!refund.is_negative());
                                refunded[line] += refund.minor();
                                true
                            }
                            Err(_) => false,
                        }
                    }
                };
                let model_ok = model.apply(op);
                prop_assert_eq!(ok, model_ok, "{:?} from {:?}/{:?}", op, before.status, before.fulfillment_status);
                if !ok {
                    prop_assert_eq!(&order, &before, "a refused operation changes nothing");
                }
                prop_assert_eq!(order.status.as_str(), model.status);
                prop_assert_eq!(order.fulfillment_status.as_str(), model.fulfillment);
            }
            for (i, line) in order.lines.iter().enumerate() {
                prop_assert!(refunded[i] <= line.total.minor(), "never refund more than the line");
                if line.returned_quantity == line.quantity {
                    prop_assert_eq!(refunded[i], line.total.minor(), "a full return refunds the whole line");
                }
            }
        }
    }

    #[test]
    fn partial_returns_refund_exact_shares() {
        // 3 × 3.33 = 9.99: the units are worth 3.33 each; returning 1 then 2 refunds 9.99.
        let mut order = order(&[(333, 3)]);
        order
            .transition(OrderStatus::Confirmed, Timestamp::EPOCH)
            .unwrap();
        order.fulfil("l0", 3, Timestamp::EPOCH).unwrap();
        order
            .advance_fulfillment(FulfillmentStatus::Shipped, Timestamp::EPOCH)
            .unwrap();
        order
            .advance_fulfillment(FulfillmentStatus::Delivered, Timestamp::EPOCH)
            .unwrap();
        assert_eq!(
            order
                .return_units("l0", 1, Timestamp::EPOCH)
                .unwrap()
                .to_string(),
            "3.33 USD"
        );
        assert_eq!(
            order
                .return_units("l0", 2, Timestamp::EPOCH)
                .unwrap()
                .to_string(),
            "6.66 USD"
        );
        assert!(
            order
                .return_units("l0", 1, Timestamp::EPOCH)
                .unwrap_err()
                .is_invalid_transition()
        );
        let err = Order::transition(&mut order.clone(), OrderStatus::Confirmed, Timestamp::EPOCH)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "order cannot go from `completed` to `confirmed`"
        );
    }
}
