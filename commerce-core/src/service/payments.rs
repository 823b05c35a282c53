//! Money moves on an order's payment: confirm, capture, refund, returns.

use crate::access::Target;
use crate::error::{Error, ErrorKind, Result};
use crate::inventory::DEFAULT_LOCATION;
use crate::money::Money;
use crate::order::OrderStatus;
use crate::payment::IntentStatus;

use super::Commerce;
use super::checkout::Checkout;
use super::idempotency::IdempotencyKey;
use super::moves::Recorded;

impl Commerce {
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
        super::stored_id("payment_intent", intent_id)?;
        if let Some(method) = payment_method {
            super::checkout::check_payment_method(method)?;
        }
        let fingerprint = format!("{intent_id}|{payment_method:?}");
        self.idempotently(key, "confirm", &fingerprint, |completion| async move {
            let intent = self.payment_intent(intent_id).await?;
            let order = self.order(intent.order_id.as_str()).await?;
            if !target.may_open_order(&order) {
                return Err(Error::not_found("payment_intent", intent_id));
            }
            if intent.status != IntentStatus::RequiresPaymentMethod {
                intent.check_confirmable()?;
            }
            if order.status != OrderStatus::PendingPayment {
                return Err(Error::transition(
                    "order",
                    order.status,
                    OrderStatus::Confirmed,
                ));
            }
            let method = payment_method
                .or(intent.payment_method.as_deref())
                .ok_or_else(|| {
                    Error::invalid("the payment was declined: give another payment method")
                        .at("payment_method")
                })?
                .to_string();
            let (order, intent) = self.ready_to_pay(order, intent, &method, None).await?;
            self.confirm(order, intent, completion, None).await
        })
        .await
    }

    /// Captures `amount` (or everything capturable and not already being captured) of an
    /// order's authorized payment: recorded as a pending move, then asked of the gateway.
    ///
    /// # Errors
    ///
    /// `invalid_transition` unless the intent awaits capture; `amount_exceeded` beyond what is
    /// capturable (two concurrent captures can never together exceed the authorization);
    /// `payment_declined` if the gateway refuses; `gateway_error` if it does not answer (the
    /// capture stays pending: retry with the same key, or let
    /// [`Commerce::settle_due_money_moves`] finish it).
    pub async fn capture(
        &self,
        order_id: &str,
        amount: Option<Money>,
        final_capture: bool,
        key: Option<&IdempotencyKey>,
    ) -> Result<Checkout> {
        super::stored_id("order", order_id)?;
        let fingerprint = format!("{order_id}|{amount:?}|{final_capture}");
        self.idempotently(key, "capture", &fingerprint, |completion| async move {
            let recorded = self
                .record_moves(order_id.into(), completion, |_, intent, _, now| {
                    let amount = match amount {
                        Some(amount) => amount,
                        None => intent.capturable_unreserved()?,
                    };
                    Ok(vec![intent.request_capture(amount, final_capture, now)?])
                })
                .await?;
            self.drive_recorded(&recorded).await
        })
        .await
    }

    /// Refunds `amount` of an order's captured payment: recorded as a pending move, then asked
    /// of the gateway.
    ///
    /// # Errors
    ///
    /// `amount_exceeded` beyond what was captured and is neither refunded nor being refunded;
    /// as [`Commerce::capture`] for the gateway's answers.
    pub async fn refund(
        &self,
        order_id: &str,
        amount: Money,
        key: Option<&IdempotencyKey>,
    ) -> Result<Checkout> {
        super::stored_id("order", order_id)?;
        let fingerprint = format!("{order_id}|{amount:?}");
        self.idempotently(key, "refund", &fingerprint, |completion| async move {
            let recorded = self
                .record_moves(order_id.into(), completion, |_, intent, _, now| {
                    Ok(vec![intent.request_refund(amount, now)?])
                })
                .await?;
            self.drive_recorded(&recorded).await
        })
        .await
    }

    /// Records the return of delivered units, puts them back on hand and refunds what they were
    /// worth (their share of the line's total, cent-exact, never more than what is left to
    /// refund), all in one unit of work; the refund is then asked of the gateway.
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
        super::stored_id("order", order_id)?;
        if !crate::text::could_be_id(line_id) {
            return Err(Error::new(ErrorKind::LineNotFound {
                line: line_id.to_string(),
            }));
        }
        let fingerprint = format!("{order_id}|{line_id}|{quantity}");
        self.idempotently(key, "return", &fingerprint, |completion| async move {
            let recorded = self
                .record_moves(
                    order_id.into(),
                    completion,
                    |order, intent, changes, now| {
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
                        let worth = order.return_units(line_id, quantity, now)?;
                        changes.restock =
                            vec![(sku, DEFAULT_LOCATION.to_string(), i64::from(quantity))];
                        let refundable = intent.refundable_unreserved()?;
                        let amount = if worth.checked_cmp(&refundable)?.is_gt() {
                            refundable
                        } else {
                            worth
                        };
                        if amount.is_zero() {
                            return Ok(Vec::new());
                        }
                        Ok(vec![intent.request_refund(amount, now)?])
                    },
                )
                .await?;
            self.drive_recorded(&recorded).await
        })
        .await
    }

    /// Asks the gateway for what an operation recorded, and answers as it leaves them.
    pub(super) async fn drive_recorded(&self, recorded: &Recorded) -> Result<Checkout> {
        if recorded.moves.is_empty() {
            return Ok(Checkout {
                order: recorded.order.clone(),
                payment_intent: recorded.intent.clone(),
            });
        }
        self.drive_moves(&recorded.order.id, &recorded.intent.id, &recorded.moves)
            .await
    }
}
