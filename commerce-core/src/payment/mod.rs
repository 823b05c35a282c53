//! Payment intents, shaped like Stripe's, as a checked state machine over exact amounts.
//!
//! ```text
//! requires_payment_method ─attach─▶ requires_confirmation ─confirm─┬▶ requires_action ─┐
//!          ▲                                                        ├▶ processing ─────┤
//!          └──────────────── declined ◀─────────────────────────────┤                  │
//!                                                                   ├▶ requires_capture ┼─capture (all)─▶ succeeded
//!                                                                   └▶ succeeded (automatic capture)
//! any state but succeeded ─cancel─▶ canceled
//! ```
//!
//! Amount invariants, checked on every change: `amount_received + amount_capturable ≤ amount`,
//! `amount_refunded ≤ amount_received`, nothing negative. A capture beyond `amount_capturable`
//! or a refund beyond `amount_received − amount_refunded` is an error that changes nothing.

mod moves;

pub use moves::{MONEY_MOVE_GRACE_MILLIS, MoneyMove, MoveKind, MoveStatus, money_move_retry_delay};

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::money::Money;
use crate::time::Timestamp;

/// How long an authorization can be captured: 7 days, as card networks usually allow.
pub const AUTHORIZATION_TTL_MILLIS: i64 = 7 * 24 * 60 * 60 * 1000;

/// Where a payment intent is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum IntentStatus {
    /// Waiting for a payment method (again, after a decline).
    RequiresPaymentMethod,
    /// Has a payment method; waiting to be confirmed.
    RequiresConfirmation,
    /// The customer must complete an action (3-D Secure).
    RequiresAction,
    /// The gateway is working; the outcome arrives as an event.
    Processing,
    /// Authorized; waiting to be captured (manual capture).
    RequiresCapture,
    /// Money received (all of what will be captured).
    Succeeded,
    /// Canceled; nothing more can happen.
    Canceled,
}

impl IntentStatus {
    /// The snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            IntentStatus::RequiresPaymentMethod => "requires_payment_method",
            IntentStatus::RequiresConfirmation => "requires_confirmation",
            IntentStatus::RequiresAction => "requires_action",
            IntentStatus::Processing => "processing",
            IntentStatus::RequiresCapture => "requires_capture",
            IntentStatus::Succeeded => "succeeded",
            IntentStatus::Canceled => "canceled",
        }
    }

    /// How far along the intent is: a late event never moves an intent to a lower stage.
    fn stage(self) -> u8 {
        match self {
            IntentStatus::RequiresPaymentMethod => 0,
            IntentStatus::RequiresConfirmation => 1,
            IntentStatus::RequiresAction | IntentStatus::Processing => 2,
            IntentStatus::RequiresCapture => 3,
            IntentStatus::Succeeded | IntentStatus::Canceled => 4,
        }
    }
}

impl fmt::Display for IntentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When the money is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CaptureMethod {
    /// At confirmation.
    #[default]
    Automatic,
    /// Later, by one or more captures (authorize now, charge at shipping).
    Manual,
}

/// What the gateway said about an authorization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum GatewayOutcome {
    /// Authorized (and, for automatic capture, captured).
    Authorized {
        /// The gateway's reference.
        reference: String,
    },
    /// The customer must complete an action first.
    RequiresAction {
        /// The gateway's reference.
        reference: String,
        /// What the customer's browser needs to complete it, as the gateway gives it (for
        /// Stripe: its `next_action` and the intent's `client_secret`, for Stripe.js).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "schema", schema(value_type = Option<Object>))]
        next_action: Option<serde_json::Value>,
    },
    /// The outcome will arrive later as an event.
    Processing {
        /// The gateway's reference.
        reference: String,
    },
    /// Declined.
    Declined {
        /// Why (`insufficient_funds`, `card_declined`).
        reason: String,
    },
}

/// An asynchronous notification from the gateway about an intent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct GatewayEvent {
    /// The gateway's event id; an event is applied at most once.
    pub id: String,
    /// The intent it is about.
    pub intent_id: String,
    /// What happened.
    pub kind: GatewayEventKind,
}

/// What a gateway event reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum GatewayEventKind {
    /// The payment was authorized (after an action or processing).
    PaymentSucceeded,
    /// The payment failed.
    PaymentFailed {
        /// Why.
        reason: String,
    },
}

/// A payment intent: the record of one attempt to collect one amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct PaymentIntent {
    /// The intent's id.
    pub id: String,
    /// The order it pays for.
    pub order_id: String,
    /// The amount to collect.
    pub amount: Money,
    /// Where it is.
    pub status: IntentStatus,
    /// When the money is taken.
    pub capture_method: CaptureMethod,
    /// Authorized and not yet captured.
    pub amount_capturable: Money,
    /// Captured.
    pub amount_received: Money,
    /// Refunded.
    pub amount_refunded: Money,
    /// The payment method (a gateway token).
    pub payment_method: Option<String>,
    /// The gateway's reference, once it has one.
    pub gateway_reference: Option<String>,
    /// Until when an authorization can be captured.
    pub authorization_expires_at: Option<Timestamp>,
    /// The last decline or failure reason.
    pub last_error: Option<String>,
    /// Captures, refunds and voids asked of the gateway, oldest first: each recorded before the
    /// gateway is asked, and settled when it answers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub moves: Vec<MoneyMove>,
    /// An authorization sent and not answered (it timed out): the gateway may have taken the
    /// money. Until its outcome is known, asking again repeats it under the same key, and
    /// another payment method is tried only after the gateway said no to it, so that a
    /// customer who switches cards after a timeout is never charged twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unanswered_authorization: Option<UnansweredAuthorization>,
    /// While the intent requires an action: what the customer's browser needs to complete it
    /// (the gateway's own description; for Stripe, `next_action` and `client_secret`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schema(value_type = Option<Object>))]
    pub next_action: Option<serde_json::Value>,
    /// Incremented by every change; stores compare-and-set on it.
    pub version: u64,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// How long an unanswered authorization is asked about again: 23 hours. Gateways replay a key's
/// first answer for a limited time (Stripe: 24 hours); past it, asking again under the key
/// would authorize afresh rather than tell what happened.
pub const UNANSWERED_AUTHORIZATION_WINDOW_MILLIS: i64 = 23 * 3_600_000;

/// An authorization the gateway was sent and did not answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct UnansweredAuthorization {
    /// The idempotency key it was sent with, which asking again reuses.
    pub idempotency_key: String,
    /// The payment method it was sent for.
    pub payment_method: String,
    /// When it was first sent.
    pub sent_at: Timestamp,
    /// How many times it was sent.
    #[serde(default)]
    pub attempts: u32,
    /// When the worker asks again (the first time [`MONEY_MOVE_GRACE_MILLIS`] after it was
    /// sent, then backing off as money moves do).
    pub next_attempt_at: Timestamp,
}

impl UnansweredAuthorization {
    /// Whether asking again under its key at `now` still learns its outcome
    /// ([`UNANSWERED_AUTHORIZATION_WINDOW_MILLIS`]).
    pub fn can_ask_again(&self, now: Timestamp) -> bool {
        now < self
            .sent_at
            .plus_millis(UNANSWERED_AUTHORIZATION_WINDOW_MILLIS)
    }

    /// An authorization sent under `key` for `payment_method` at `now`, or sent again.
    pub fn sent(
        earlier: Option<&UnansweredAuthorization>,
        key: &str,
        payment_method: &str,
        now: Timestamp,
    ) -> UnansweredAuthorization {
        match earlier {
            Some(earlier) if earlier.idempotency_key == key => UnansweredAuthorization {
                attempts: earlier.attempts + 1,
                next_attempt_at: now.plus_millis(money_move_retry_delay(earlier.attempts + 1)),
                ..earlier.clone()
            },
            _ => UnansweredAuthorization {
                idempotency_key: key.to_string(),
                payment_method: payment_method.to_string(),
                sent_at: now,
                attempts: 1,
                next_attempt_at: now.plus_millis(MONEY_MOVE_GRACE_MILLIS),
            },
        }
    }
}

impl PaymentIntent {
    /// A new intent for `amount`, waiting for a payment method.
    pub fn new(
        id: String,
        order_id: String,
        amount: Money,
        capture_method: CaptureMethod,
        now: Timestamp,
    ) -> PaymentIntent {
        let zero = Money::zero(amount.currency());
        PaymentIntent {
            id,
            order_id,
            amount,
            status: IntentStatus::RequiresPaymentMethod,
            capture_method,
            amount_capturable: zero,
            amount_received: zero,
            amount_refunded: zero,
            payment_method: None,
            gateway_reference: None,
            authorization_expires_at: None,
            last_error: None,
            moves: Vec::new(),
            unanswered_authorization: None,
            next_action: None,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    fn refuse(&self, to: IntentStatus) -> Error {
        Error::transition("payment_intent", self.status, to)
    }

    fn touch(&mut self, now: Timestamp) {
        self.version += 1;
        self.updated_at = now;
    }

    /// Checks a payment method token: 1 to 255 characters, no control character.
    ///
    /// # Errors
    ///
    /// `invalid_input` at `payment_method`.
    pub fn check_payment_method(token: &str) -> Result<()> {
        if token.is_empty() || token.chars().count() > 255 {
            return Err(
                Error::invalid("a payment method token has 1 to 255 characters")
                    .at("payment_method"),
            );
        }
        crate::text::check_line(token).map_err(|e| e.at("payment_method"))
    }

    /// Attaches a payment method: `requires_payment_method` → `requires_confirmation`.
    ///
    /// # Errors
    ///
    /// As [`PaymentIntent::check_payment_method`]; [`ErrorKind::InvalidTransition`] from any
    /// other state.
    pub fn attach_payment_method(&mut self, token: &str, now: Timestamp) -> Result<()> {
        PaymentIntent::check_payment_method(token)?;
        match self.status {
            IntentStatus::RequiresPaymentMethod | IntentStatus::RequiresConfirmation => {
                self.payment_method = Some(token.to_string());
                self.status = IntentStatus::RequiresConfirmation;
                self.touch(now);
                Ok(())
            }
            _ => Err(self.refuse(IntentStatus::RequiresConfirmation)),
        }
    }

    /// The idempotency key of the next authorization for `payment_method`: the unanswered one's,
    /// when it was for the same method (asking again learns its outcome), else a new one per
    /// version of the intent.
    pub fn authorization_key(&self, payment_method: &str) -> String {
        match &self.unanswered_authorization {
            Some(sent) if sent.payment_method == payment_method => sent.idempotency_key.clone(),
            _ => format!("{}:authorize:{}", self.id, self.version),
        }
    }

    /// Checks that the intent can be confirmed now.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidTransition`] unless it is `requires_confirmation`.
    pub fn check_confirmable(&self) -> Result<()> {
        match self.status {
            IntentStatus::RequiresConfirmation => Ok(()),
            _ => Err(self.refuse(IntentStatus::Processing)),
        }
    }

    /// Applies the gateway's answer to a confirmation.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidTransition`] unless it is `requires_confirmation`.
    pub fn apply_confirmation(&mut self, outcome: &GatewayOutcome, now: Timestamp) -> Result<()> {
        self.check_confirmable()?;
        self.apply_outcome(outcome, now);
        Ok(())
    }

    fn authorize(&mut self, now: Timestamp) {
        match self.capture_method {
            CaptureMethod::Automatic => {
                self.amount_received = self.amount;
                self.status = IntentStatus::Succeeded;
            }
            CaptureMethod::Manual => {
                self.amount_capturable = self.amount;
                self.authorization_expires_at = Some(now.plus_millis(AUTHORIZATION_TTL_MILLIS));
                self.status = IntentStatus::RequiresCapture;
            }
        }
    }

    fn apply_outcome(&mut self, outcome: &GatewayOutcome, now: Timestamp) {
        // Answered: whatever was sent before is known now.
        self.unanswered_authorization = None;
        self.next_action = None;
        match outcome {
            GatewayOutcome::Authorized { reference } => {
                self.gateway_reference = Some(reference.clone());
                self.authorize(now);
            }
            GatewayOutcome::RequiresAction {
                reference,
                next_action,
            } => {
                self.gateway_reference = Some(reference.clone());
                self.next_action = next_action.clone();
                self.status = IntentStatus::RequiresAction;
            }
            GatewayOutcome::Processing { reference } => {
                self.gateway_reference = Some(reference.clone());
                self.status = IntentStatus::Processing;
            }
            GatewayOutcome::Declined { reason } => {
                self.last_error = Some(reason.clone());
                self.payment_method = None;
                self.status = IntentStatus::RequiresPaymentMethod;
            }
        }
        self.touch(now);
    }

    /// Applies an asynchronous gateway event. Returns whether anything changed: an event that
    /// arrives late (the intent has moved on) or out of order never moves the intent backwards
    /// and is ignored. (Deduplication by event id is the store's job.)
    pub fn apply_event(&mut self, event: &GatewayEventKind, now: Timestamp) -> bool {
        let waiting = matches!(
            self.status,
            IntentStatus::RequiresAction | IntentStatus::Processing
        );
        if !waiting {
            return false;
        }
        self.next_action = None;
        match event {
            GatewayEventKind::PaymentSucceeded => {
                self.authorize(now);
            }
            GatewayEventKind::PaymentFailed { reason } => {
                self.last_error = Some(reason.clone());
                self.payment_method = None;
                self.status = IntentStatus::RequiresPaymentMethod;
            }
        }
        debug_assert!(self.status.stage() != 2);
        self.touch(now);
        true
    }

    /// Captures `amount` of an authorization. With `final_capture`, whatever is left is
    /// released and the intent succeeds; otherwise it succeeds once nothing is left to capture.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidTransition`] unless `requires_capture`;
    /// [`ErrorKind::AmountExceeded`] beyond `amount_capturable`; an amount of zero, negative or
    /// in another currency is [`ErrorKind::InvalidInput`] / a currency mismatch.
    pub fn capture(&mut self, amount: Money, final_capture: bool, now: Timestamp) -> Result<()> {
        if self.status != IntentStatus::RequiresCapture {
            return Err(self.refuse(IntentStatus::Succeeded));
        }
        self.check_positive(&amount)?;
        if amount.checked_cmp(&self.amount_capturable)?.is_gt() {
            return Err(Error::new(ErrorKind::AmountExceeded {
                what: "capture".to_string(),
                requested: amount.amount().to_string(),
                allowed: self.amount_capturable.amount().to_string(),
            }));
        }
        self.amount_received = self.amount_received.checked_add(&amount)?;
        self.amount_capturable = self.amount_capturable.checked_sub(&amount)?;
        if final_capture || self.amount_capturable.is_zero() {
            self.amount_capturable = Money::zero(self.amount.currency());
            self.status = IntentStatus::Succeeded;
        }
        self.touch(now);
        Ok(())
    }

    /// Refunds `amount` of what was captured.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidTransition`] if nothing was captured;
    /// [`ErrorKind::AmountExceeded`] beyond `amount_received − amount_refunded`.
    pub fn refund(&mut self, amount: Money, now: Timestamp) -> Result<()> {
        if self.amount_received.is_zero() {
            return Err(Error::transition("payment_intent", self.status, "refunded"));
        }
        self.check_positive(&amount)?;
        let refundable = self.refundable()?;
        if amount.checked_cmp(&refundable)?.is_gt() {
            return Err(Error::new(ErrorKind::AmountExceeded {
                what: "refund".to_string(),
                requested: amount.amount().to_string(),
                allowed: refundable.amount().to_string(),
            }));
        }
        self.amount_refunded = self.amount_refunded.checked_add(&amount)?;
        self.touch(now);
        Ok(())
    }

    /// What can still be refunded: `amount_received − amount_refunded`.
    ///
    /// # Errors
    ///
    /// Only on overflow, which cannot happen for amounts built by this type.
    pub fn refundable(&self) -> Result<Money> {
        self.amount_received.checked_sub(&self.amount_refunded)
    }

    /// Cancels the intent, voiding any uncaptured authorization. Money already captured stays
    /// captured (refund it).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidTransition`] from `succeeded` or `canceled`.
    pub fn cancel(&mut self, now: Timestamp) -> Result<()> {
        match self.status {
            IntentStatus::Succeeded | IntentStatus::Canceled => {
                Err(self.refuse(IntentStatus::Canceled))
            }
            IntentStatus::RequiresCapture if !self.amount_received.is_zero() => {
                // Partly captured: release the rest and keep what was taken.
                self.amount_capturable = Money::zero(self.amount.currency());
                self.status = IntentStatus::Succeeded;
                self.touch(now);
                Ok(())
            }
            _ => {
                self.amount_capturable = Money::zero(self.amount.currency());
                self.status = IntentStatus::Canceled;
                self.touch(now);
                Ok(())
            }
        }
    }

    /// Releases an authorization that can no longer be captured (`authorization_expires_at ≤
    /// now`). Returns whether anything changed.
    pub fn expire_authorization(&mut self, now: Timestamp) -> bool {
        let expired = self.status == IntentStatus::RequiresCapture
            && self.authorization_expires_at.is_some_and(|t| t <= now);
        if expired {
            // Cannot fail from requires_capture.
            let _ = self.cancel(now);
        }
        expired
    }

    fn check_positive(&self, amount: &Money) -> Result<()> {
        if amount.currency() != self.amount.currency() {
            return Err(Error::new(ErrorKind::CurrencyMismatch {
                left: self.amount.currency().code().to_string(),
                right: amount.currency().code().to_string(),
            }));
        }
        if amount.is_zero() || amount.is_negative() {
            return Err(Error::invalid("the amount must be greater than zero"));
        }
        Ok(())
    }

    /// True if the amount invariants hold (used by tests and stores' last-line checks),
    /// pending money moves included: they never reserve more than there is.
    pub fn amounts_are_consistent(&self) -> bool {
        let sum = self.amount_received.checked_add(&self.amount_capturable);
        let pending_fit = self.capturable_unreserved().is_ok_and(|m| !m.is_negative())
            && self.refundable_unreserved().is_ok_and(|m| !m.is_negative());
        pending_fit
            && !self.amount_capturable.is_negative()
            && !self.amount_received.is_negative()
            && !self.amount_refunded.is_negative()
            && sum.is_ok_and(|s| s.checked_cmp(&self.amount).is_ok_and(|o| o.is_le()))
            && self
                .amount_refunded
                .checked_cmp(&self.amount_received)
                .is_ok_and(|o| o.is_le())
    }
}

#[cfg(test)]
mod model_tests {
    //! Random operation sequences against a reference model written independently of the
    //! implementation: after every step the two agree on success, state and amounts.

    use proptest::prelude::*;

    use super::*;
    use crate::money::Currency;

    const AMOUNT: i64 = 10_000;

    #[derive(Debug, Clone)]
    enum Op {
        Attach,
        Confirm(u8),
        Event(bool),
        Capture(i64, bool),
        Refund(i64),
        Cancel,
        Advance(i64),
        Expire,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            Just(Op::Attach),
            (0u8..4).prop_map(Op::Confirm),
            any::<bool>().prop_map(Op::Event),
            (-100i64..12_000, any::<bool>()).prop_map(|(a, f)| Op::Capture(a, f)),
            (-100i64..12_000).prop_map(Op::Refund),
            Just(Op::Cancel),
            (0i64..AUTHORIZATION_TTL_MILLIS).prop_map(Op::Advance),
            Just(Op::Expire),
        ]
    }

    /// The reference: statuses as short strings, amounts as integers.
    #[derive(Debug, Clone, PartialEq)]
    struct Model {
        status: &'static str,
        manual: bool,
        capturable: i64,
        received: i64,
        refunded: i64,
        authorized_until: Option<i64>,
        now: i64,
    }

    impl Model {
        fn authorize(&mut self) {
            if self.manual {
                self.status = "requires_capture";
                self.capturable = AMOUNT;
                self.authorized_until = Some(self.now + AUTHORIZATION_TTL_MILLIS);
            } else {
                self.status = "succeeded";
                self.received = AMOUNT;
            }
        }

        fn cancel(&mut self) -> bool {
            match self.status {
                "succeeded" | "canceled" => false,
                "requires_capture" if self.received > 0 => {
                    self.capturable = 0;
                    self.status = "succeeded";
                    true
                }
                _ => {
                    self.capturable = 0;
                    self.status = "canceled";
                    true
                }
            }
        }

        fn apply(&mut self, op: &Op) -> bool {
            match *op {
                Op::Attach => match self.status {
                    "requires_payment_method" | "requires_confirmation" => {
                        self.status = "requires_confirmation";
                        true
                    }
                    _ => false,
                },
                Op::Confirm(outcome) => {
                    if self.status != "requires_confirmation" {
                        return false;
                    }
                    match outcome {
                        0 => self.authorize(),
                        1 => self.status = "requires_action",
                        2 => self.status = "processing",
                        _ => self.status = "requires_payment_method",
                    }
                    true
                }
                Op::Event(success) => {
                    if matches!(self.status, "requires_action" | "processing") {
                        if success {
                            self.authorize();
                        } else {
                            self.status = "requires_payment_method";
                        }
                    }
                    true
                }
                Op::Capture(amount, last) => {
                    if self.status != "requires_capture" || amount <= 0 || amount > self.capturable
                    {
                        return false;
                    }
                    self.received += amount;
                    self.capturable -= amount;
                    if last || self.capturable == 0 {
                        self.capturable = 0;
                        self.status = "succeeded";
                    }
                    true
                }
                Op::Refund(amount) => {
                    if self.received == 0 || amount <= 0 || amount > self.received - self.refunded {
                        return false;
                    }
                    self.refunded += amount;
                    true
                }
                Op::Cancel => self.cancel(),
                Op::Advance(millis) => {
                    self.now += millis;
                    true
                }
                Op::Expire => {
                    if self.status == "requires_capture"
                        && self.authorized_until.is_some_and(|t| t <= self.now)
                    {
                        self.cancel();
                    }
                    true
                }
            }
        }
    }

    fn run(intent: &mut PaymentIntent, op: &Op, now: &mut Timestamp) -> bool {
        let usd = |minor: i64| Money::from_minor(minor, Currency::USD);
        match *op {
            Op::Attach => intent.attach_payment_method("tok_visa", *now).is_ok(),
            Op::Confirm(outcome) => {
                let outcome = match outcome {
                    0 => GatewayOutcome::Authorized {
                        reference: "r".into(),
                    },
                    1 => GatewayOutcome::RequiresAction {
                        reference: "r".into(),
                        next_action: None,
                    },
                    2 => GatewayOutcome::Processing {
                        reference: "r".into(),
                    },
                    _ => GatewayOutcome::Declined {
                        reason: "no".into(),
                    },
                };
                intent.apply_confirmation(&outcome, *now).is_ok()
            }
            Op::Event(success) => {
                let kind = if success {
                    GatewayEventKind::PaymentSucceeded
                } else {
                    GatewayEventKind::PaymentFailed {
                        reason: "no".into(),
                    }
                };
                intent.apply_event(&kind, *now);
                true
            }
            Op::Capture(amount, last) => intent.capture(usd(amount), last, *now).is_ok(),
            Op::Refund(amount) => intent.refund(usd(amount), *now).is_ok(),
            Op::Cancel => intent.cancel(*now).is_ok(),
            Op::Advance(millis) => {
                *now = now.plus_millis(millis);
                true
            }
            Op::Expire => {
                intent.expire_authorization(*now);
                true
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        #[test]
        fn payment_intents_follow_the_reference_model(
            manual in any::<bool>(),
            ops in proptest::collection::vec(op(), 1..40),
        ) {
            let method = if manual { CaptureMethod::Manual } else { CaptureMethod::Automatic };
            let mut now = Timestamp::EPOCH;
            let mut intent = PaymentIntent::new(
                "pi".into(), "o".into(), Money::from_minor(AMOUNT, Currency::USD), method, now,
            );
            let mut model = Model {
                status: "requires_payment_method",
                manual,
                capturable: 0,
                received: 0,
                refunded: 0,
                authorized_until: None,
                now: 0,
            };
            for op in &ops {
                let before = intent.clone();
                let ok = run(&mut intent, op, &mut now);
                let model_ok = model.apply(op);
                prop_assert_eq!(ok, model_ok, "{:?} from {:?}", op, before.status);
                if !ok {
                    prop_assert_eq!(&intent, &before, "a refused operation changes nothing");
                }
                prop_assert_eq!(intent.status.as_str(), model.status, "after {:?}", op);
                prop_assert_eq!(intent.amount_capturable.to_minor().unwrap(), model.capturable);
                prop_assert_eq!(intent.amount_received.to_minor().unwrap(), model.received);
                prop_assert_eq!(intent.amount_refunded.to_minor().unwrap(), model.refunded);
                prop_assert!(intent.amounts_are_consistent());
            }
        }
    }
}
