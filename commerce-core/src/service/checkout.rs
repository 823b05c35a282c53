//! The checkout saga: place, confirm, settle (see the module documentation of `service`).

use serde::{Deserialize, Serialize};

use crate::access::{Caller, Target};
use crate::error::{Error, ErrorKind, Result};
use crate::events::{DomainEvent, EventKind};
use crate::gateway::AuthorizeRequest;
use crate::inventory::{DEFAULT_LOCATION, ReservationRequest};
use crate::order::{Order, OrderStatus};
use crate::payment::{CaptureMethod, GatewayEvent, GatewayOutcome, IntentStatus, PaymentIntent};
use crate::store::{Applied, Changes, IdempotencyBegin, IdempotencyCompletion, Versioned};
use crate::time::Timestamp;

use super::idempotency::{StoredError, StoredOutcome, completed, done_with};
use super::{CONFLICT_RETRIES, Commerce};

/// What to check out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutRequest {
    /// The cart.
    pub cart_id: String,
    /// The payment method token.
    pub payment_method: String,
    /// When the money is taken.
    #[serde(default)]
    pub capture_method: CaptureMethod,
    /// The caller's idempotency key, if any.
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// Whose key it is (the HTTP layer passes the caller's identity); keys of different scopes
    /// never collide.
    #[serde(default)]
    pub idempotency_scope: String,
}

/// An order and its payment intent.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkout {
    /// The order.
    pub order: Order,
    /// Its payment intent.
    pub payment_intent: PaymentIntent,
}

impl Commerce {
    /// Checks a cart out: see the module documentation for the saga.
    ///
    /// # Errors
    ///
    /// `insufficient_stock` (nothing was reserved or created); `payment_declined` (the order was
    /// cancelled and its stock released); `reservation_expired` (the hold ran out before the
    /// payment completed; the order was cancelled and the payment voided or refunded);
    /// idempotency errors; `backend_error` if the gateway could not be reached (retry with the
    /// same key to resume).
    pub async fn checkout(&self, request: &CheckoutRequest) -> Result<Checkout> {
        self.checkout_by(None, request).await
    }

    /// As [`Commerce::checkout`], for a caller who must be allowed to open the cart
    /// ([`Caller::may_open_cart`]); checked where the cart is read, so it costs no extra read.
    ///
    /// # Errors
    ///
    /// `not_found` for a cart the caller may not open; as [`Commerce::checkout`].
    pub async fn checkout_as(
        &self,
        caller: &Caller,
        request: &CheckoutRequest,
    ) -> Result<Checkout> {
        self.checkout_by(Some(caller), request).await
    }

    async fn checkout_by(
        &self,
        caller: Option<&Caller>,
        request: &CheckoutRequest,
    ) -> Result<Checkout> {
        // What goes into the key's fingerprint is checked before the key is claimed.
        check_payment_method(&request.payment_method)?;
        super::stored_id("cart", &request.cart_id)?;
        let cart = match caller {
            Some(caller) => caller.target(&request.cart_id),
            None => Target::from(&request.cart_id),
        };
        let scope = format!("checkout:{}", request.idempotency_scope);
        let fingerprint = format!(
            "{}|{}|{:?}",
            request.cart_id, request.payment_method, request.capture_method
        );
        let key = match &request.idempotency_key {
            Some(key) => {
                super::idempotency::check_key(key)?;
                let begun = self
                    .store
                    .begin_idempotent(&scope, key, &fingerprint, self.now())
                    .await?;
                if let IdempotencyBegin::Replay(stored) = begun {
                    // Only who may open the cart sees what its checkout did.
                    if caller.is_some() {
                        self.cart(cart).await?;
                    }
                    return self.replay(&stored).await;
                }
                Some(IdempotencyCompletion {
                    scope,
                    key: key.clone(),
                    response: String::new(),
                })
            }
            None => None,
        };
        let result = self.checkout_saga(cart, request, key.clone()).await;
        if let (Some(key), Err(err)) = (&key, &result) {
            if !matches!(
                err.kind(),
                ErrorKind::PaymentDeclined { .. } | ErrorKind::ReservationExpired { .. }
            ) {
                // Nothing was decided for good: let a retry with the same key start afresh.
                self.store.abandon_idempotent(&key.scope, &key.key).await?;
            }
        }
        result
    }

    async fn checkout_saga(
        &self,
        cart: Target<'_>,
        request: &CheckoutRequest,
        completion: Option<IdempotencyCompletion>,
    ) -> Result<Checkout> {
        for _ in 0..CONFLICT_RETRIES {
            // Placing first keeps the common path to one unit of work; only when it fails does
            // the saga look for an order the cart already has, and resume it.
            let placed = self.place(cart, request).await;
            let err = match placed {
                Ok((order, intent)) => return self.confirm(order, intent, completion).await,
                Err(err) => err,
            };
            let resumable = err.is_conflict()
                || err.is_insufficient_stock()
                || matches!(err.kind(), ErrorKind::InvalidInput { .. });
            if !resumable {
                return Err(err);
            }
            let Some(order) = self.store.order_for_cart(&request.cart_id).await? else {
                if err.is_conflict() {
                    continue;
                }
                return Err(err);
            };
            let intent_id = order
                .payment_intent_id
                .clone()
                .ok_or_else(|| Error::storage("an order without a payment intent"))?;
            let intent = self.payment_intent(&intent_id).await?;
            if intent.status == IntentStatus::RequiresConfirmation
                && order.status == OrderStatus::PendingPayment
            {
                return self.confirm(order, intent, completion).await;
            }
            if let Some(done) = completion {
                self.store
                    .apply(Changes {
                        now: self.now(),
                        idempotency: Some(done_with(done, &order, &intent)),
                        ..Changes::default()
                    })
                    .await?;
            }
            return Ok(Checkout {
                order,
                payment_intent: intent,
            });
        }
        Err(Error::conflict("cart", request.cart_id.clone()))
    }

    async fn place(
        &self,
        cart: Target<'_>,
        request: &CheckoutRequest,
    ) -> Result<(Order, PaymentIntent)> {
        let now = self.now();
        let stored = self.cart(cart).await?;
        if stored.cart.is_empty() {
            return Err(Error::invalid("the cart is empty").at("cart_id"));
        }
        let quote = self.price(&stored).await?;
        let order_id = self.ids.next_id("ord");
        let intent_id = self.ids.next_id("pi");
        let reservation_id = self.ids.next_id("res");
        let mut order = Order::from_quote(
            order_id.clone(),
            Some(stored.id.clone()),
            stored.customer_id.clone(),
            quote,
            now,
        )?;
        order.reservation_id = Some(reservation_id.clone());
        order.payment_intent_id = Some(intent_id.clone());
        let mut intent = PaymentIntent::new(
            intent_id,
            order_id.clone(),
            order.grand_total(),
            request.capture_method,
            now,
        );
        intent.attach_payment_method(&request.payment_method, now)?;
        let reservation = ReservationRequest {
            id: reservation_id.clone(),
            items: order
                .lines
                .iter()
                .map(|l| (l.sku.clone(), i64::from(l.quantity)))
                .collect(),
            location: DEFAULT_LOCATION.to_string(),
            expires_at: now.plus_millis(self.reservation_ttl_millis),
            reference: Some(order_id.clone()),
        };
        let events = vec![
            DomainEvent::new(
                EventKind::OrderPlaced,
                &order_id,
                order.version,
                now,
                serde_json::json!({"cart_id": stored.id, "grand_total": order.grand_total()}),
            ),
            DomainEvent::new(
                EventKind::StockReserved,
                &reservation_id,
                1,
                now,
                serde_json::json!({"order_id": order_id, "items": reservation.demand()}),
            ),
        ];
        self.store
            .apply(Changes {
                now,
                reserve: Some(reservation),
                orders: vec![Versioned {
                    value: order.clone(),
                    expected_version: None,
                }],
                intents: vec![Versioned {
                    value: intent.clone(),
                    expected_version: None,
                }],
                events,
                ..Changes::default()
            })
            .await?;
        Ok((order, intent))
    }

    pub(super) async fn confirm(
        &self,
        order: Order,
        intent: PaymentIntent,
        completion: Option<IdempotencyCompletion>,
    ) -> Result<Checkout> {
        let outcome = self
            .gateway
            .authorize(&AuthorizeRequest {
                intent_id: intent.id.clone(),
                amount: intent.amount,
                payment_method: intent.payment_method.clone().unwrap_or_default(),
                capture_method: intent.capture_method,
                // One attempt per version of the intent: a retry repeats it, a new payment
                // method (a new version) is a new attempt.
                idempotency_key: format!("{}:authorize:{}", intent.id, intent.version),
            })
            .await?;
        let mut confirmed = intent.clone();
        confirmed.apply_confirmation(&outcome, self.now())?;
        let declined = match &outcome {
            GatewayOutcome::Declined { reason } => Some(reason.clone()),
            _ => None,
        };
        let checkout = self
            .settle(order, intent, confirmed, None, completion)
            .await?;
        match declined {
            Some(reason) => Err(Error::new(ErrorKind::PaymentDeclined { reason })),
            None => Ok(checkout),
        }
    }

    /// Writes the consequences of an intent's new state (`after`, computed from `before`) on its
    /// order: confirmation and the sale, or cancellation and the release of stock.
    async fn settle(
        &self,
        order: Order,
        before: PaymentIntent,
        after: PaymentIntent,
        gateway_event_id: Option<String>,
        completion: Option<IdempotencyCompletion>,
    ) -> Result<Checkout> {
        let now = self.now();
        let order_before = order.clone();
        let mut order = order;
        let mut intent = after;
        let intent_after = intent.clone();
        let order_version = order.version;
        let mut changes = Changes {
            now,
            gateway_event_id: gateway_event_id.clone(),
            ..Changes::default()
        };
        match intent.status {
            IntentStatus::Succeeded | IntentStatus::RequiresCapture => {
                order.sync_payment(&intent, now)?;
                order.transition(OrderStatus::Confirmed, now)?;
                changes.commit_reservation = order.reservation_id.clone();
                changes.events.push(DomainEvent::new(
                    EventKind::PaymentAuthorized,
                    &intent.id,
                    intent.version,
                    now,
                    serde_json::json!({"order_id": order.id, "amount": intent.amount}),
                ));
                if intent.status == IntentStatus::Succeeded {
                    changes.events.push(DomainEvent::new(
                        EventKind::PaymentCaptured,
                        &intent.id,
                        intent.version,
                        now,
                        serde_json::json!({"order_id": order.id, "amount": intent.amount_received}),
                    ));
                }
                changes.events.push(DomainEvent::new(
                    EventKind::OrderConfirmed,
                    &order.id,
                    order.version,
                    now,
                    serde_json::json!({}),
                ));
            }
            IntentStatus::RequiresPaymentMethod => {
                // Declined or failed: compensate.
                let reason = intent.last_error.clone().unwrap_or_default();
                intent.cancel(now)?;
                order.sync_payment(&intent, now)?;
                order.transition(OrderStatus::Cancelled, now)?;
                changes.release_reservation = order.reservation_id.clone();
                changes.events.extend(cancellation_events(&order, now));
                changes.events.push(DomainEvent::new(
                    EventKind::PaymentFailed,
                    &intent.id,
                    intent.version,
                    now,
                    serde_json::json!({"order_id": order.id, "reason": reason}),
                ));
                if let Some(done) = completion.clone() {
                    let declined = StoredOutcome::Failed {
                        error: StoredError::PaymentDeclined { reason },
                    };
                    changes.idempotency = Some(completed(done, &declined));
                }
            }
            _ => {}
        }
        if changes.idempotency.is_none() {
            if let Some(done) = completion.clone() {
                changes.idempotency = Some(done_with(done, &order, &intent));
            }
        }
        if order.version != order_version {
            changes.orders.push(Versioned {
                value: order.clone(),
                expected_version: Some(order_version),
            });
        }
        changes.intents.push(Versioned {
            value: intent.clone(),
            expected_version: Some(before.version),
        });
        match self.store.apply(changes).await {
            Ok(Applied::Done) => Ok(Checkout {
                order,
                payment_intent: intent,
            }),
            Ok(Applied::DuplicateGatewayEvent) => Ok(Checkout {
                order: self.order(&order.id).await?,
                payment_intent: self.payment_intent(&intent.id).await?,
            }),
            Err(err) if matches!(err.kind(), ErrorKind::ReservationExpired { .. }) => {
                self.expired_after_payment(
                    order_before,
                    before,
                    intent_after,
                    gateway_event_id,
                    completion,
                )
                .await?;
                Err(err)
            }
            Err(err) => Err(err),
        }
    }

    /// The hold ran out before the payment completed: the gateway has the money (or an
    /// authorization), the stock is gone. The order is cancelled and the money given back, as
    /// pending moves recorded with the cancellation and then asked of the gateway; moves it
    /// does not answer now are settled later ([`Commerce::settle_due_money_moves`]).
    async fn expired_after_payment(
        &self,
        order: Order,
        before: PaymentIntent,
        after: PaymentIntent,
        gateway_event_id: Option<String>,
        completion: Option<IdempotencyCompletion>,
    ) -> Result<()> {
        let now = self.now();
        let mut order = order;
        let order_version = order.version;
        let mut intent = after;
        order.sync_payment(&intent, now)?;
        let mut moves = Vec::new();
        if intent.status == IntentStatus::RequiresCapture {
            moves.push(intent.request_void(now)?);
        }
        let refundable = intent.refundable_unreserved()?;
        if !refundable.is_zero() {
            moves.push(intent.request_refund(refundable, now)?);
        }
        order.transition(OrderStatus::Cancelled, now)?;
        let expired = StoredOutcome::Failed {
            error: StoredError::ReservationExpired {
                id: order.reservation_id.clone().unwrap_or_default(),
            },
        };
        self.store
            .apply(Changes {
                now,
                events: cancellation_events(&order, now),
                orders: vec![Versioned {
                    value: order,
                    expected_version: Some(order_version),
                }],
                intents: vec![Versioned {
                    value: intent.clone(),
                    expected_version: Some(before.version),
                }],
                gateway_event_id,
                idempotency: completion.map(|done| completed(done, &expired)),
                ..Changes::default()
            })
            .await?;
        // The customer hears that the hold expired whatever the gateway says now; a move it
        // does not answer is asked about again on schedule.
        let _ = self.drive_moves(&intent.order_id, &intent.id, &moves).await;
        Ok(())
    }

    /// Applies an asynchronous gateway event (a webhook). Each event id is applied at most
    /// once; a late or out-of-order event never moves an intent backwards.
    ///
    /// # Errors
    ///
    /// `not_found` for an unknown intent; `reservation_expired` if the payment completed after
    /// the stock hold ran out (the order is cancelled and the payment voided or refunded).
    pub async fn handle_gateway_event(&self, event: &GatewayEvent) -> Result<Checkout> {
        crate::text::check_id(&event.id).map_err(|e| e.at("id"))?;
        for _ in 0..CONFLICT_RETRIES {
            let intent = self.payment_intent(&event.intent_id).await?;
            let order = self.order(&intent.order_id).await?;
            let mut after = intent.clone();
            if !after.apply_event(&event.kind, self.now()) {
                // Nothing to do but remember the event.
                self.store
                    .apply(Changes {
                        now: self.now(),
                        gateway_event_id: Some(event.id.clone()),
                        ..Changes::default()
                    })
                    .await?;
                return Ok(Checkout {
                    order,
                    payment_intent: intent,
                });
            }
            match self
                .settle(order, intent, after, Some(event.id.clone()), None)
                .await
            {
                Err(err) if err.is_conflict() => continue,
                other => return other,
            }
        }
        Err(Error::conflict("payment_intent", event.intent_id.clone()))
    }
}

pub(super) fn cancellation_events(order: &Order, now: Timestamp) -> Vec<DomainEvent> {
    let mut events = vec![DomainEvent::new(
        EventKind::OrderCancelled,
        &order.id,
        order.version,
        now,
        serde_json::json!({}),
    )];
    if let Some(reservation) = &order.reservation_id {
        events.push(DomainEvent::new(
            EventKind::StockReleased,
            reservation,
            "cancelled",
            now,
            serde_json::json!({"order_id": order.id}),
        ));
    }
    events
}

/// Checks a payment method token as the intent will store it.
pub(super) fn check_payment_method(token: &str) -> Result<()> {
    PaymentIntent::check_payment_method(token)
}
