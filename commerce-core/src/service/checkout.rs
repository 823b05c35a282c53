//! The checkout saga: place, confirm, settle (see the module documentation of `service`).

use serde::{Deserialize, Serialize};

use crate::access::{Caller, Target};
use crate::cart::StoredCart;
use crate::contact::{Contact, ContactRequest};
use crate::error::{Error, ErrorKind, Result};
use crate::events::{DomainEvent, EventKind};
use crate::gateway::AuthorizeRequest;
use crate::inventory::{DEFAULT_LOCATION, ReservationRequest, ReservationStatus};
use crate::order::{Order, OrderStatus};
use crate::payment::{CaptureMethod, GatewayEvent, GatewayOutcome, IntentStatus, PaymentIntent};
use crate::store::{Applied, Changes, IdempotencyBegin, IdempotencyCompletion, Versioned};
use crate::time::Timestamp;

use super::idempotency::{StoredError, StoredOutcome, completed, done_with};
use super::{CONFLICT_RETRIES, Commerce};

/// What to check out.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CheckoutRequest {
    /// The cart.
    pub cart_id: String,
    /// The payment method token.
    pub payment_method: String,
    /// Who the order goes to: e-mail, shipping and billing address, each given or taken from
    /// the signed-in customer ([`crate::contact`]). The shipping address prices the order.
    #[serde(default)]
    pub contact: ContactRequest,
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
    /// `insufficient_stock` (nothing was reserved or created); `payment_declined` (the stock was
    /// released; the order waits: check the cart out again with another payment method);
    /// `reservation_expired` (the hold ran out before the payment completed; the order was
    /// cancelled and the payment voided or refunded); `too_many_unpaid_checkouts`; idempotency
    /// errors; `gateway_error` if the gateway could not be reached (check out again, with the
    /// same card or another, to resume).
    pub async fn checkout(&self, request: &CheckoutRequest) -> Result<Checkout> {
        self.checkout_by(None, None, request).await
    }

    /// As [`Commerce::checkout`], for a caller who must be allowed to open the cart
    /// ([`Caller::may_open_cart`]); checked where the cart is read, so it costs no extra read.
    /// `client` names where a guest's request comes from (an address): a guest's unpaid holds
    /// are bounded per client, as a customer's are per customer
    /// ([`Commerce::with_max_unpaid_holds`]).
    ///
    /// # Errors
    ///
    /// `not_found` for a cart the caller may not open; as [`Commerce::checkout`].
    pub async fn checkout_as(
        &self,
        caller: &Caller,
        client: Option<&str>,
        request: &CheckoutRequest,
    ) -> Result<Checkout> {
        self.checkout_by(Some(caller), client, request).await
    }

    async fn checkout_by(
        &self,
        caller: Option<&Caller>,
        client: Option<&str>,
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
            "{}|{}|{:?}|{}",
            request.cart_id,
            request.payment_method,
            request.capture_method,
            request.contact.fingerprint()
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
        let result = self.checkout_saga(cart, client, request, key.clone()).await;
        if let (Some(key), Err(err)) = (&key, &result)
            && !matches!(
                err.kind(),
                ErrorKind::PaymentDeclined { .. } | ErrorKind::ReservationExpired { .. }
            )
        {
            // Nothing was decided for good: let a retry with the same key start afresh.
            self.store.abandon_idempotent(&key.scope, &key.key).await?;
        }
        result
    }

    async fn checkout_saga(
        &self,
        cart: Target<'_>,
        client: Option<&str>,
        request: &CheckoutRequest,
        completion: Option<IdempotencyCompletion>,
    ) -> Result<Checkout> {
        for _ in 0..CONFLICT_RETRIES {
            // Placing first keeps the common path to one unit of work; only when it fails does
            // the saga look for an order the cart already has, and resume it.
            let placed = self.place(cart, client, request).await;
            let err = match placed {
                Ok((order, intent)) => {
                    return self.confirm(order, intent, completion, client).await;
                }
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
            let payable = matches!(
                intent.status,
                IntentStatus::RequiresConfirmation | IntentStatus::RequiresPaymentMethod
            );
            if payable && order.status == OrderStatus::PendingPayment {
                // A payment that failed or was never answered: paid now, with the card given
                // now (a guest holds only the cart), under a hold taken again if it lapsed.
                let (order, intent) = match self
                    .ready_to_pay(order, intent, &request.payment_method, client)
                    .await
                {
                    Err(err) if err.is_conflict() => continue,
                    other => other?,
                };
                return self.confirm(order, intent, completion, client).await;
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

    /// Who the order goes to; the customer's account is read only for what was not given.
    async fn contact_for(&self, stored: &StoredCart, request: &ContactRequest) -> Result<Contact> {
        let customer = match &stored.customer_id {
            Some(id) if !request.is_complete() || request.billing_address_id.is_some() => {
                Some(self.customer(id).await?)
            }
            _ => None,
        };
        crate::contact::resolve(request, customer.as_ref())
    }

    async fn place(
        &self,
        cart: Target<'_>,
        client: Option<&str>,
        request: &CheckoutRequest,
    ) -> Result<(Order, PaymentIntent)> {
        let now = self.now();
        let stored = self.cart(cart).await?;
        if stored.cart.is_empty() {
            return Err(Error::invalid("the cart is empty").at("cart_id"));
        }
        let contact = self.contact_for(&stored, &request.contact).await?;
        // The order is priced for where it ships.
        let stored = StoredCart {
            destination: Some(contact.destination()),
            ..stored
        };
        self.check_unpaid_holds(
            holder_of(stored.customer_id.as_deref(), client).as_deref(),
            now,
        )
        .await?;
        let order_id = self.ids.next_id("ord");
        let intent_id = self.ids.next_id("pi");
        let reservation_id = self.ids.next_id("res");
        // A limited promotion whose last use another order takes first is priced out, and
        // the order placed again without it: the uses are counted in the unit itself.
        let mut used_up = Vec::new();
        loop {
            let (quote, uses) = self.price_with_uses(&stored, &used_up).await?;
            let mut order = Order::from_quote(
                order_id.clone(),
                Some(stored.id.clone()),
                stored.customer_id.clone(),
                quote,
                now,
            )?;
            order.payment_intent_id = Some(intent_id.clone());
            order.promotion_uses = uses.clone();
            order.email = Some(contact.email.clone());
            order.shipping_address = Some(contact.shipping_address.clone());
            order.billing_address = Some(contact.billing_address.clone());
            let reservation = self.reservation_for(&order, reservation_id.clone(), now);
            order.reservation_id = Some(reservation_id.clone());
            let mut intent = PaymentIntent::new(
                intent_id.clone(),
                order_id.clone(),
                order.grand_total(),
                request.capture_method,
                now,
            );
            intent.attach_payment_method(&request.payment_method, now)?;
            let events = vec![
                DomainEvent::new(
                    EventKind::OrderPlaced,
                    &order_id,
                    order.version,
                    now,
                    serde_json::json!({"cart_id": stored.id, "grand_total": order.grand_total()}),
                ),
                stock_reserved(&reservation, &order_id, now),
            ];
            let placed = self
                .store
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
                    promotion_uses: uses,
                    events,
                    ..Changes::default()
                })
                .await;
            match placed {
                Err(err) => match err.kind() {
                    ErrorKind::PromotionUsedUp { id } if !used_up.contains(id) => {
                        used_up.push(id.clone());
                    }
                    _ => return Err(err),
                },
                Ok(_) => return Ok((order, intent)),
            }
        }
    }

    /// Makes an order that awaits payment ready to be confirmed with `payment_method`: the
    /// method attached if it is new, and the stock held again if its hold lapsed or was
    /// released (a decline gives the stock back at once). One unit of work.
    ///
    /// # Errors
    ///
    /// `insufficient_stock` if the stock is gone meanwhile (the order still waits, with no
    /// hold); `conflict` if the order or intent changed since they were read.
    pub(super) async fn ready_to_pay(
        &self,
        order: Order,
        intent: PaymentIntent,
        payment_method: &str,
        client: Option<&str>,
    ) -> Result<(Order, PaymentIntent)> {
        let now = self.now();
        let mut changes = Changes {
            now,
            ..Changes::default()
        };
        let mut new_intent = intent.clone();
        if new_intent.payment_method.as_deref() != Some(payment_method)
            || new_intent.status == IntentStatus::RequiresPaymentMethod
        {
            new_intent.attach_payment_method(payment_method, now)?;
        }
        let held = match &order.reservation_id {
            Some(id) => self
                .store
                .reservation(id)
                .await?
                .is_some_and(|r| r.status == ReservationStatus::Active && r.expires_at > now),
            None => false,
        };
        let mut new_order = order.clone();
        if !held {
            let holder = holder_of(new_order.customer_id.as_deref(), client);
            self.check_unpaid_holds(holder.as_deref(), now).await?;
            let reservation = self.reservation_for(&new_order, self.ids.next_id("res"), now);
            new_order.reservation_id = Some(reservation.id.clone());
            new_order.version += 1;
            new_order.updated_at = now;
            changes
                .events
                .push(stock_reserved(&reservation, &new_order.id, now));
            changes.reserve = Some(reservation);
            changes.orders.push(Versioned {
                value: new_order.clone(),
                expected_version: Some(order.version),
            });
        }
        if new_intent != intent {
            changes.intents.push(Versioned {
                value: new_intent.clone(),
                expected_version: Some(intent.version),
            });
        }
        if changes.reserve.is_some() || !changes.intents.is_empty() {
            self.store.apply(changes).await?;
        }
        Ok((new_order, new_intent))
    }

    /// Marks an order's hold as an unpaid checkout's (the payment did not complete when
    /// asked): counted against its holder's bound, and cut to the unpaid hold if longer.
    async fn hold_unpaid(&self, order: &Order, client: Option<&str>) -> Result<()> {
        let Some(id) = &order.reservation_id else {
            return Ok(());
        };
        let now = self.now();
        let until = now.plus_millis(self.unpaid_hold_ttl_millis);
        let holder = holder_of(order.customer_id.as_deref(), client);
        match holder {
            Some(holder) => self.store.hold_unpaid(id, &holder, until, now).await,
            None => match self.store.reservation(id).await? {
                Some(r) if r.status == ReservationStatus::Active && r.expires_at > until => {
                    match self.store.extend_reservation(id, until, now).await {
                        // Ended meanwhile: nothing left to shorten.
                        Err(err) if err.is_reservation_expired() || err.is_invalid_transition() => {
                            Ok(())
                        }
                        other => other.map(|_| ()),
                    }
                }
                _ => Ok(()),
            },
        }
    }

    /// Refuses a new hold to a holder who already has as many unpaid holds as allowed. The
    /// count is read before the hold is taken: requests of one holder arriving at the same
    /// instant may each pass, which the per-client rate limit bounds.
    async fn check_unpaid_holds(&self, holder: Option<&str>, now: Timestamp) -> Result<()> {
        let Some(holder) = holder else {
            return Ok(());
        };
        if self.store.live_holds_of(holder, now).await? >= self.max_unpaid_holds {
            return Err(Error::new(ErrorKind::TooManyUnpaidHolds {
                limit: self.max_unpaid_holds,
            }));
        }
        Ok(())
    }

    /// A new hold on an order's stock, for as long as checkout holds stock.
    fn reservation_for(&self, order: &Order, id: String, now: Timestamp) -> ReservationRequest {
        ReservationRequest {
            id,
            items: order
                .lines
                .iter()
                .map(|l| (l.sku.clone(), i64::from(l.quantity)))
                .collect(),
            location: DEFAULT_LOCATION.to_string(),
            expires_at: now.plus_millis(self.reservation_ttl_millis),
            reference: Some(order.id.clone()),
        }
    }

    pub(super) async fn confirm(
        &self,
        order: Order,
        intent: PaymentIntent,
        completion: Option<IdempotencyCompletion>,
        client: Option<&str>,
    ) -> Result<Checkout> {
        let method = intent.payment_method.clone().unwrap_or_default();
        let mut intent = intent;
        // An earlier authorization, for another payment method, was never answered: the
        // gateway may have taken that card's money. Its outcome comes first (asked again under
        // its key); the new method is tried only if it was declined.
        if let Some(sent) = intent.unanswered_authorization.clone()
            && sent.payment_method != method
            && sent.can_ask_again(self.now())
        {
            match self
                .authorize(&intent, &sent.payment_method, &sent.idempotency_key)
                .await
            {
                Ok(GatewayOutcome::Declined { .. }) => {}
                Ok(outcome) => {
                    intent.payment_method = Some(sent.payment_method);
                    return self
                        .confirmed(order, intent, outcome, completion, client)
                        .await;
                }
                Err(err) => {
                    self.hold_unpaid(&order, client).await?;
                    return Err(err);
                }
            }
        }
        let key = intent.authorization_key(&method);
        let outcome = match self.authorize(&intent, &method, &key).await {
            Ok(outcome) => outcome,
            Err(err) => {
                // Sent and not answered, or asked again and still not answered: kept for the
                // worker to ask again, later each time.
                let asked_before = intent
                    .unanswered_authorization
                    .as_ref()
                    .is_some_and(|sent| sent.idempotency_key == key);
                if err.is_outcome_unknown() || (asked_before && err.is_gateway_failure()) {
                    self.remember_unanswered(&intent, &method, &key).await?;
                }
                // Unanswered: the order waits, its stock only briefly.
                self.hold_unpaid(&order, client).await?;
                return Err(err);
            }
        };
        self.confirmed(order, intent, outcome, completion, client)
            .await
    }

    /// Asks the gateway to authorize `intent` with `payment_method` under `key`.
    async fn authorize(
        &self,
        intent: &PaymentIntent,
        payment_method: &str,
        key: &str,
    ) -> Result<GatewayOutcome> {
        self.gateway
            .authorize(&AuthorizeRequest {
                intent_id: intent.id.clone(),
                amount: intent.amount,
                payment_method: payment_method.to_string(),
                capture_method: intent.capture_method,
                idempotency_key: key.to_string(),
            })
            .await
    }

    /// Records on the intent an authorization that was sent and not answered (if the intent
    /// has not moved on meanwhile).
    async fn remember_unanswered(
        &self,
        intent: &PaymentIntent,
        payment_method: &str,
        key: &str,
    ) -> Result<()> {
        let now = self.now();
        let mut noted = intent.clone();
        noted.unanswered_authorization = Some(crate::payment::UnansweredAuthorization::sent(
            intent.unanswered_authorization.as_ref(),
            key,
            payment_method,
            now,
        ));
        noted.version += 1;
        noted.updated_at = now;
        let changes = Changes {
            now,
            intents: vec![Versioned {
                value: noted,
                expected_version: Some(intent.version),
            }],
            ..Changes::default()
        };
        match self.store.apply(changes).await {
            // Answered meanwhile (a webhook, a retry): what it says is what counts.
            Err(err) if err.is_conflict() => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// Settles a confirmation with the gateway's `outcome`.
    async fn confirmed(
        &self,
        order: Order,
        intent: PaymentIntent,
        outcome: GatewayOutcome,
        completion: Option<IdempotencyCompletion>,
        client: Option<&str>,
    ) -> Result<Checkout> {
        let waits = matches!(
            outcome,
            GatewayOutcome::RequiresAction { .. } | GatewayOutcome::Processing { .. }
        );
        let mut confirmed = intent.clone();
        confirmed.apply_confirmation(&outcome, self.now())?;
        let declined = match &outcome {
            GatewayOutcome::Declined { reason } => Some(reason.clone()),
            _ => None,
        };
        let checkout = self
            .settle(order, intent, confirmed, None, completion)
            .await?;
        if waits {
            self.hold_unpaid(&checkout.order, client).await?;
        }
        match declined {
            Some(reason) => Err(Error::new(ErrorKind::PaymentDeclined { reason })),
            None => Ok(checkout),
        }
    }

    /// Writes the consequences of an intent's new state (`after`, computed from `before`) on its
    /// order: confirmation and the sale, or (declined) the release of its stock.
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
        let intent = after;
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
                // Declined or failed: the stock goes back at once, so that nobody can hold it
                // with cards that fail; the order waits for another payment method, and takes
                // a new hold when one comes (another checkout of the cart, or confirm_payment).
                let reason = intent.last_error.clone().unwrap_or_default();
                changes.release_reservation = order.reservation_id.clone();
                if let Some(reservation) = &order.reservation_id {
                    changes.events.push(DomainEvent::new(
                        EventKind::StockReleased,
                        reservation,
                        "declined",
                        now,
                        serde_json::json!({"order_id": order.id}),
                    ));
                }
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
        if changes.idempotency.is_none()
            && let Some(done) = completion.clone()
        {
            changes.idempotency = Some(done_with(done, &order, &intent));
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
        order.cancellation_reason = Some("reservation_expired".to_string());
        let order_uses = order.promotion_uses.clone();
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
                promotion_returns: order_uses,
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
        serde_json::json!({"reason": order.cancellation_reason}),
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

/// Who holds the stock of a checkout, for the bound on unpaid holds: the customer, or for a
/// guest the client the request came from; `None` (no bound) for a guest of an embedding
/// program that names no client.
fn holder_of(customer: Option<&str>, client: Option<&str>) -> Option<String> {
    match (customer, client) {
        (Some(customer), _) => Some(format!("customer:{customer}")),
        (None, Some(client)) => Some(format!("client:{client}")),
        (None, None) => None,
    }
}

/// The event of a hold taken for an order.
fn stock_reserved(reservation: &ReservationRequest, order_id: &str, now: Timestamp) -> DomainEvent {
    DomainEvent::new(
        EventKind::StockReserved,
        &reservation.id,
        1,
        now,
        serde_json::json!({"order_id": order_id, "items": reservation.demand()}),
    )
}
