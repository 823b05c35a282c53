//! Money moves on an order's payment: confirm, capture, refund, returns.

use crate::access::Target;
use crate::error::{Error, ErrorKind, Result};
use crate::events::{DomainEvent, EventKind};
use crate::inventory::DEFAULT_LOCATION;
use crate::money::Money;
use crate::order::{Order, OrderStatus};
use crate::payment::PaymentIntent;
use crate::store::{Changes, IdempotencyCompletion, Versioned};
use crate::time::Timestamp;

use super::checkout::Checkout;
use super::idempotency::{IdempotencyKey, StoredOutcome, done_with};
use super::{CONFLICT_RETRIES, Commerce};

impl Commerce {
    async fn move_money(
        &self,
        order_id: &str,
        kind: EventKind,
        completion: Option<IdempotencyCompletion>,
        restock: Vec<(String, String, i64)>,
        change: impl Fn(&mut Order, &mut PaymentIntent, Timestamp) -> Result<Money> + Send + Sync,
    ) -> Result<Checkout> {
        for _ in 0..CONFLICT_RETRIES {
            let now = self.now();
            let order = self.order(order_id).await?;
            let intent_id = order
                .payment_intent_id
                .clone()
                .ok_or_else(|| Error::not_found("payment_intent", order_id))?;
            let intent = self.payment_intent(&intent_id).await?;
            let (mut new_order, mut new_intent) = (order.clone(), intent.clone());
            let amount = change(&mut new_order, &mut new_intent, now)?;
            new_order.sync_payment(&new_intent, now)?;
            let mut orders = Vec::new();
            if new_order != order {
                if new_order.version == order.version {
                    new_order.version += 1;
                }
                orders.push(Versioned {
                    value: new_order.clone(),
                    expected_version: Some(order.version),
                });
            }
            let record = Changes {
                now,
                restock: restock.clone(),
                idempotency: completion
                    .clone()
                    .map(|done| done_with(done, &new_order, &new_intent)),
                orders,
                intents: vec![Versioned {
                    value: new_intent.clone(),
                    expected_version: Some(intent.version),
                }],
                events: vec![DomainEvent::new(
                    kind,
                    &new_intent.id,
                    new_intent.version,
                    now,
                    serde_json::json!({"order_id": order.id, "amount": amount}),
                )],
                ..Changes::default()
            };
            match self.store.apply(record).await {
                Err(err) if err.is_conflict() => continue,
                Err(err) => return Err(err),
                Ok(_) => {}
            }
            let reference = new_intent.gateway_reference.clone().unwrap_or_default();
            let gateway_key = format!("{}:{}:{}", new_intent.id, kind, new_intent.version);
            let called = match kind {
                EventKind::PaymentRefunded => {
                    self.gateway.refund(&reference, amount, &gateway_key).await
                }
                _ => self.gateway.capture(&reference, amount, &gateway_key).await,
            };
            if let Err(err) = called {
                // Roll the record back so that the bound is not consumed by a failed call.
                // A replay of the key answers with the same failure, as Stripe does.
                let rollback = Changes {
                    now: self.now(),
                    restock: restock
                        .iter()
                        .map(|(sku, location, quantity)| (sku.clone(), location.clone(), -quantity))
                        .collect(),
                    idempotency: completion.clone().map(|done| IdempotencyCompletion {
                        response: serde_json::to_string(&StoredOutcome::Failed {
                            error_code: "backend_error".to_string(),
                            message: err.to_string(),
                        })
                        .unwrap_or_default(),
                        ..done
                    }),
                    orders: if new_order != order {
                        vec![Versioned {
                            value: Order {
                                version: new_order.version + 1,
                                ..order.clone()
                            },
                            expected_version: Some(new_order.version),
                        }]
                    } else {
                        Vec::new()
                    },
                    intents: vec![Versioned {
                        value: PaymentIntent {
                            version: new_intent.version + 1,
                            ..intent.clone()
                        },
                        expected_version: Some(new_intent.version),
                    }],
                    ..Changes::default()
                };
                let _ = self.store.apply(rollback).await;
                return Err(err);
            }
            return Ok(Checkout {
                order: new_order,
                payment_intent: new_intent,
            });
        }
        Err(Error::conflict("order", order_id))
    }

    /// Confirms a payment that was placed but never answered (the gateway could not be reached,
    /// or the process stopped in between), with another payment method if one is given: the
    /// checkout resumes where it stopped, and settles as it would have.
    ///
    /// # Errors
    ///
    /// `invalid_transition` unless the intent awaits confirmation and its order awaits payment;
    /// as [`Commerce::checkout`] after that (`payment_declined`, `backend_error`, ...).
    pub async fn confirm_payment<'a>(
        &self,
        intent: impl Into<Target<'a>>,
        payment_method: Option<&str>,
        key: Option<&IdempotencyKey>,
    ) -> Result<Checkout> {
        let target = intent.into();
        let intent_id = target.id();
        let fingerprint = format!("{intent_id}|{payment_method:?}");
        self.idempotently(key, "confirm", &fingerprint, |completion| async move {
            let mut intent = self.payment_intent(intent_id).await?;
            let order = self.order(intent.order_id.as_str()).await?;
            if !target.may_open_order(&order) {
                return Err(Error::not_found("payment_intent", intent_id));
            }
            intent.check_confirmable()?;
            if order.status != OrderStatus::PendingPayment {
                return Err(Error::transition(
                    "order",
                    order.status,
                    OrderStatus::Confirmed,
                ));
            }
            if let Some(method) = payment_method {
                let expected = intent.version;
                intent.attach_payment_method(method, self.now())?;
                self.store
                    .apply(Changes {
                        now: self.now(),
                        intents: vec![Versioned {
                            value: intent.clone(),
                            expected_version: Some(expected),
                        }],
                        ..Changes::default()
                    })
                    .await?;
            }
            self.confirm(order, intent, completion).await
        })
        .await
    }

    /// Captures `amount` (or everything capturable) of an order's authorized payment.
    ///
    /// # Errors
    ///
    /// `invalid_transition` unless the intent awaits capture; `amount_exceeded` beyond what is
    /// capturable. Two concurrent captures can never together exceed the authorization.
    pub async fn capture(
        &self,
        order_id: &str,
        amount: Option<Money>,
        final_capture: bool,
        key: Option<&IdempotencyKey>,
    ) -> Result<Checkout> {
        let fingerprint = format!("{order_id}|{amount:?}|{final_capture}");
        self.idempotently(key, "capture", &fingerprint, |completion| {
            self.move_money(
                order_id,
                EventKind::PaymentCaptured,
                completion,
                Vec::new(),
                move |_: &mut Order, intent: &mut PaymentIntent, now| {
                    let amount = amount.unwrap_or(intent.amount_capturable);
                    intent.capture(amount, final_capture, now)?;
                    Ok(amount)
                },
            )
        })
        .await
    }

    /// Refunds `amount` of an order's captured payment.
    ///
    /// # Errors
    ///
    /// `amount_exceeded` beyond what was captured and not yet refunded.
    pub async fn refund(
        &self,
        order_id: &str,
        amount: Money,
        key: Option<&IdempotencyKey>,
    ) -> Result<Checkout> {
        let fingerprint = format!("{order_id}|{amount:?}");
        self.idempotently(key, "refund", &fingerprint, |completion| {
            self.move_money(
                order_id,
                EventKind::PaymentRefunded,
                completion,
                Vec::new(),
                move |_: &mut Order, intent: &mut PaymentIntent, now| {
                    intent.refund(amount, now)?;
                    Ok(amount)
                },
            )
        })
        .await
    }

    /// Records the return of delivered units, puts them back on hand and refunds what they were
    /// worth (their share of the line's total, cent-exact, never more than what is left to
    /// refund), all in one unit of work.
    ///
    /// # Errors
    ///
    /// As [`Order::return_units`] and [`Commerce::refund`].
    pub async fn return_units(
        &self,
        order_id: &str,
        line_id: &str,
        quantity: u32,
        key: Option<&IdempotencyKey>,
    ) -> Result<Checkout> {
        let fingerprint = format!("{order_id}|{line_id}|{quantity}");
        self.idempotently(key, "return", &fingerprint, |completion| async move {
            let order = self.order(order_id).await?;
            let sku = order
                .lines
                .iter()
                .find(|l| l.id == line_id)
                .map(|l| l.sku.clone())
                .ok_or_else(|| {
                    Error::new(ErrorKind::LineNotFound {
                        line: line_id.to_string(),
                    })
                })?;
            let restock = vec![(sku, DEFAULT_LOCATION.to_string(), i64::from(quantity))];
            self.move_money(
                order_id,
                EventKind::PaymentRefunded,
                completion,
                restock,
                |order: &mut Order, intent: &mut PaymentIntent, now| {
                    let worth = order.return_units(line_id, quantity, now)?;
                    let refundable = intent.refundable()?;
                    let amount = if worth.checked_cmp(&refundable)?.is_gt() {
                        refundable
                    } else {
                        worth
                    };
                    if !amount.is_zero() {
                        intent.refund(amount, now)?;
                    }
                    Ok(amount)
                },
            )
            .await
        })
        .await
    }
}
