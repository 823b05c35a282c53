//! Orders and their payment intents: reading them, and cancelling an order.

use crate::access::{Caller, Target};
use crate::error::{Error, Result};
use crate::inventory::ReservationStatus;
use crate::order::{FulfillmentStatus, Order, OrderStatus};
use crate::payment::{IntentStatus, PaymentIntent};
use crate::store::{IdempotencyCompletion, OrderFilter, Page, page_size};

use super::Commerce;
use super::checkout::{Checkout, cancellation_events};
use super::idempotency::IdempotencyKey;

impl Commerce {
    /// An order: for a caller ([`Caller::target`](crate::access::Caller::target)), only if they
    /// may open it ([`Caller::may_open_order`](crate::access::Caller::may_open_order)),
    /// otherwise `not_found` as if it did not exist.
    ///
    /// # Errors
    ///
    /// `not_found`.
    pub async fn order<'a>(&self, order: impl Into<Target<'a>>) -> Result<Order> {
        let target = order.into();
        self.store
            .order(super::stored_id("order", target.id())?)
            .await?
            .filter(|o| target.may_open_order(o))
            .ok_or_else(|| Error::not_found("order", target.id()))
    }

    /// A page of the orders that pass `filter`, newest first, after the order `after`, at most
    /// [`page_size`]`(limit)`; for a caller, only the orders they may list
    /// ([`Caller::order_listing_scope`]).
    ///
    /// # Errors
    ///
    /// As [`Caller::order_listing_scope`].
    pub async fn orders(
        &self,
        caller: Option<&Caller>,
        filter: OrderFilter,
        after: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Page<Order>> {
        let mut filter = filter;
        if let Some(caller) = caller {
            filter.customer_id = caller.order_listing_scope(filter.customer_id)?;
        }
        let lookups = filter.customer_id.iter().map(String::as_str).chain(after);
        if lookups.into_iter().any(|id| !crate::text::could_be_id(id)) {
            return Ok(Page {
                items: Vec::new(),
                next_cursor: None,
            });
        }
        self.store.orders(&filter, after, page_size(limit)).await
    }

    /// The order placed from a cart, with its payment intent: for a caller, only if they may
    /// open the cart (how a guest follows their order).
    ///
    /// # Errors
    ///
    /// `not_found` if the cart has no order (or is not the caller's).
    pub async fn checkout_of_cart<'a>(&self, cart: impl Into<Target<'a>>) -> Result<Checkout> {
        let target = cart.into();
        if target.caller().is_some() {
            self.cart(target).await?;
        }
        let cart_id = target.id();
        let order = self
            .store
            .order_for_cart(cart_id)
            .await?
            .ok_or_else(|| Error::not_found("order", format!("of cart {cart_id}")))?;
        let intent_id = order
            .payment_intent_id
            .clone()
            .ok_or_else(|| Error::storage("an order without a payment intent"))?;
        Ok(Checkout {
            payment_intent: self.payment_intent(intent_id.as_str()).await?,
            order,
        })
    }

    /// A payment intent: for a caller, only if they may open the order it pays for, otherwise
    /// `not_found`.
    ///
    /// # Errors
    ///
    /// `not_found`.
    pub async fn payment_intent<'a>(&self, intent: impl Into<Target<'a>>) -> Result<PaymentIntent> {
        let target = intent.into();
        let intent = self
            .store
            .payment_intent(super::stored_id("payment_intent", target.id())?)
            .await?
            .ok_or_else(|| Error::not_found("payment_intent", target.id()))?;
        if target.caller().is_some() {
            let order = self.order(intent.order_id.as_str()).await?;
            if !target.may_open_order(&order) {
                return Err(Error::not_found("payment_intent", target.id()));
            }
        }
        Ok(intent)
    }

    /// Cancels an order that has not shipped: releases its stock (or puts sold units back),
    /// voids an uncaptured authorization and refunds what was captured.
    ///
    /// # Errors
    ///
    /// `invalid_transition` for an order that is completed, cancelled or already shipping.
    pub async fn cancel_order<'a>(
        &self,
        order: impl Into<Target<'a>>,
        key: Option<&IdempotencyKey>,
    ) -> Result<Checkout> {
        let target = order.into();
        super::stored_id("order", target.id())?;
        self.idempotently(key, "cancel", target.id(), |completion| {
            self.cancel_once(target, completion, "requested")
        })
        .await
    }

    /// Cancels an order as the shop itself decided (`reason`), as [`Commerce::cancel_order`].
    pub(super) async fn cancel_because(&self, order: &str, reason: &str) -> Result<Checkout> {
        self.cancel_once(order.into(), None, reason).await
    }

    async fn cancel_once(
        &self,
        target: Target<'_>,
        completion: Option<IdempotencyCompletion>,
        reason: &str,
    ) -> Result<Checkout> {
        let order = self.order(target).await?;
        // What happens to the stock: a hold is released, units already sold come back. A hold
        // that ends meanwhile makes its release a no-op in the unit of work.
        let mut release = None;
        let mut restock = Vec::new();
        if let Some(id) = &order.reservation_id {
            match self.store.reservation(id).await? {
                Some(r) if r.status == ReservationStatus::Active => release = Some(id.clone()),
                Some(r) if r.status == ReservationStatus::Committed => {
                    restock = r
                        .lines
                        .iter()
                        .map(|l| (l.sku.clone(), l.location.clone(), l.quantity))
                        .collect();
                }
                _ => {}
            }
        }
        let recorded = self
            .record_moves(target, completion, |order, intent, changes, now| {
                if matches!(
                    order.fulfillment_status,
                    FulfillmentStatus::Shipped
                        | FulfillmentStatus::Delivered
                        | FulfillmentStatus::Returned
                ) {
                    return Err(Error::transition(
                        "order",
                        order.fulfillment_status,
                        OrderStatus::Cancelled,
                    ));
                }
                order.transition(OrderStatus::Cancelled, now)?;
                order.cancellation_reason = Some(reason.to_string());
                let mut moves = Vec::new();
                match intent.status {
                    IntentStatus::Succeeded | IntentStatus::Canceled => {}
                    IntentStatus::RequiresCapture => moves.push(intent.request_void(now)?),
                    // Never authorized: there is nothing at the gateway to give back.
                    _ => intent.cancel(now)?,
                }
                let refundable = intent.refundable_unreserved()?;
                if !intent.amount_received.is_zero() && !refundable.is_zero() {
                    moves.push(intent.request_refund(refundable, now)?);
                }
                order.sync_payment(intent, now)?;
                changes.events = cancellation_events(order, now);
                // A cancelled order gives back the promotion uses it took.
                changes.promotion_returns = order.promotion_uses.clone();
                changes.release_reservation = release.clone();
                changes.restock = restock.clone();
                Ok(moves)
            })
            .await?;
        self.drive_recorded(&recorded).await
    }
}
