//! Money moves: the captures, refunds and voids of an intent, each recorded **before** the
//! gateway is asked and settled when it answers.
//!
//! A move is recorded pending, with the idempotency key the gateway will see on every attempt
//! ([`MoneyMove::key`]), in the same unit of work as whatever else the operation changes (the
//! order, its stock). A pending move reserves its amount: two captures, or two refunds, can
//! never together pass the bounds, however they interleave. The intent's amounts change only
//! when the gateway says the move was made ([`PaymentIntent::settle_move`]); a gateway that
//! refuses it fails the move and frees what it reserved; a gateway that does not answer leaves
//! it pending, to be asked again with the same key, which makes a repeated attempt safe: the
//! gateway does the move once. So the books never say money moved that did not.
//!
//! ```text
//! request_capture / request_refund / request_void ─▶ pending ─┬─ gateway did it ─▶ succeeded
//!                                                             ├─ gateway refused ─▶ failed
//!                                                             └─ no answer ─▶ pending (retry_move_later)
//! ```

use serde::{Deserialize, Serialize};

use super::{IntentStatus, PaymentIntent};
use crate::error::{Error, ErrorKind, Result};
use crate::money::Money;
use crate::time::Timestamp;

/// How long a pending move is left to the request that made it before anyone else asks the
/// gateway again: 30 seconds, longer than a gateway call may take.
pub const MONEY_MOVE_GRACE_MILLIS: i64 = 30_000;

/// How long to wait before asking the gateway again about a move it has not answered after
/// `attempts` attempts: 5 s, doubling each time, at most an hour. A move is asked about until
/// the gateway answers, however long that takes: money must not stay in doubt.
///
/// ```
/// use commerce_core::payment::money_move_retry_delay;
/// assert_eq!(money_move_retry_delay(1), 5_000);
/// assert_eq!(money_move_retry_delay(2), 10_000);
/// assert_eq!(money_move_retry_delay(40), 3_600_000);
/// ```
pub fn money_move_retry_delay(attempts: u32) -> i64 {
    let doublings = attempts.saturating_sub(1).min(20);
    (5_000_i64 << doublings).min(3_600_000)
}

/// What a money move does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MoveKind {
    /// Takes authorized money.
    Capture,
    /// Gives captured money back.
    Refund,
    /// Releases an authorization (what is left of it).
    Void,
}

impl MoveKind {
    /// The snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            MoveKind::Capture => "capture",
            MoveKind::Refund => "refund",
            MoveKind::Void => "void",
        }
    }
}

/// Where a money move is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MoveStatus {
    /// Recorded; the gateway has not answered yet.
    Pending,
    /// The gateway made it; the intent's amounts include it.
    Succeeded,
    /// The gateway refused it; nothing moved.
    Failed,
}

/// One capture, refund or void of a payment intent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct MoneyMove {
    /// The idempotency key the gateway sees on every attempt: unique to this move.
    pub key: String,
    /// What it does.
    pub kind: MoveKind,
    /// How much (for a void, what was left to capture).
    pub amount: Money,
    /// For a capture: whether whatever is left of the authorization is released with it.
    #[serde(default)]
    pub final_capture: bool,
    /// Where it is.
    pub status: MoveStatus,
    /// Why the gateway refused it.
    #[serde(default)]
    pub failure: Option<String>,
    /// When it was recorded.
    pub requested_at: Timestamp,
    /// How many times the gateway was asked without answering.
    #[serde(default)]
    pub attempts: u32,
    /// While pending: when the gateway may be asked (again).
    pub next_attempt_at: Timestamp,
    /// When the gateway answered.
    #[serde(default)]
    pub settled_at: Option<Timestamp>,
}

impl MoneyMove {
    /// Whether the gateway has yet to answer.
    pub fn is_pending(&self) -> bool {
        self.status == MoveStatus::Pending
    }
}

impl PaymentIntent {
    fn pending_total(&self, kind: MoveKind) -> Result<Money> {
        self.moves
            .iter()
            .filter(|m| m.is_pending() && m.kind == kind)
            .try_fold(Money::zero(self.amount.currency()), |sum, m| {
                sum.checked_add(&m.amount)
            })
    }

    fn has_pending(&self, kind: MoveKind) -> bool {
        self.moves.iter().any(|m| m.is_pending() && m.kind == kind)
    }

    /// What can still be asked to be captured: `amount_capturable` less pending captures.
    ///
    /// # Errors
    ///
    /// Only on overflow.
    pub fn capturable_unreserved(&self) -> Result<Money> {
        self.amount_capturable
            .checked_sub(&self.pending_total(MoveKind::Capture)?)
    }

    /// What can still be asked to be refunded: what was received and not refunded, less
    /// pending refunds.
    ///
    /// # Errors
    ///
    /// Only on overflow.
    pub fn refundable_unreserved(&self) -> Result<Money> {
        self.refundable()?
            .checked_sub(&self.pending_total(MoveKind::Refund)?)
    }

    /// A move by its key.
    pub fn money_move(&self, key: &str) -> Option<&MoneyMove> {
        self.moves.iter().find(|m| m.key == key)
    }

    /// When the earliest pending move may be asked about again, if any is pending; an
    /// authorization left unanswered counts as one while the intent awaits confirmation.
    pub fn next_move_due(&self) -> Option<Timestamp> {
        let unanswered = self
            .unanswered_authorization
            .as_ref()
            .filter(|sent| {
                self.status == IntentStatus::RequiresConfirmation
                    && sent.next_attempt_at
                        < sent
                            .sent_at
                            .plus_millis(super::UNANSWERED_AUTHORIZATION_WINDOW_MILLIS)
            })
            .map(|sent| sent.next_attempt_at);
        self.moves
            .iter()
            .filter(|m| m.is_pending())
            .map(|m| m.next_attempt_at)
            .chain(unanswered)
            .min()
    }

    fn record_move(
        &mut self,
        kind: MoveKind,
        amount: Money,
        final_capture: bool,
        now: Timestamp,
    ) -> String {
        self.touch(now);
        // The intent's version makes the key unique to this move and the same on every retry.
        let key = format!("{}:{}:{}", self.id, kind.as_str(), self.version);
        self.moves.push(MoneyMove {
            key: key.clone(),
            kind,
            amount,
            final_capture,
            status: MoveStatus::Pending,
            failure: None,
            requested_at: now,
            attempts: 0,
            next_attempt_at: now.plus_millis(MONEY_MOVE_GRACE_MILLIS),
            settled_at: None,
        });
        key
    }

    /// Records a pending capture of `amount`; returns its key. With `final_capture`, what is
    /// left of the authorization is released when it succeeds.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidTransition`] unless `requires_capture` with no void and no final
    /// capture pending (and, for a final capture, no capture at all pending: it releases what
    /// the others would take); [`ErrorKind::AmountExceeded`] beyond what is capturable and not
    /// already being captured; a zero, negative or foreign amount.
    pub fn request_capture(
        &mut self,
        amount: Money,
        final_capture: bool,
        now: Timestamp,
    ) -> Result<String> {
        let final_pending = self
            .moves
            .iter()
            .any(|m| m.is_pending() && m.kind == MoveKind::Capture && m.final_capture);
        if self.status != IntentStatus::RequiresCapture
            || self.has_pending(MoveKind::Void)
            || final_pending
            || (final_capture && self.has_pending(MoveKind::Capture))
        {
            return Err(self.refuse(IntentStatus::Succeeded));
        }
        self.check_positive(&amount)?;
        let allowed = self.capturable_unreserved()?;
        if amount.checked_cmp(&allowed)?.is_gt() {
            return Err(Error::new(ErrorKind::AmountExceeded {
                what: "capture".to_string(),
                requested: amount.amount().to_string(),
                allowed: allowed.amount().to_string(),
            }));
        }
        Ok(self.record_move(MoveKind::Capture, amount, final_capture, now))
    }

    /// Records a pending refund of `amount`; returns its key.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidTransition`] if nothing was captured; [`ErrorKind::AmountExceeded`]
    /// beyond what was captured and is neither refunded nor being refunded.
    pub fn request_refund(&mut self, amount: Money, now: Timestamp) -> Result<String> {
        if self.amount_received.is_zero() {
            return Err(Error::transition("payment_intent", self.status, "refunded"));
        }
        self.check_positive(&amount)?;
        let allowed = self.refundable_unreserved()?;
        if amount.checked_cmp(&allowed)?.is_gt() {
            return Err(Error::new(ErrorKind::AmountExceeded {
                what: "refund".to_string(),
                requested: amount.amount().to_string(),
                allowed: allowed.amount().to_string(),
            }));
        }
        Ok(self.record_move(MoveKind::Refund, amount, false, now))
    }

    /// Records a pending void of what is left of an authorization; returns its key.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidTransition`] unless `requires_capture` with no capture or void
    /// pending.
    pub fn request_void(&mut self, now: Timestamp) -> Result<String> {
        if self.status != IntentStatus::RequiresCapture
            || self.has_pending(MoveKind::Capture)
            || self.has_pending(MoveKind::Void)
        {
            return Err(self.refuse(IntentStatus::Canceled));
        }
        let left = self.amount_capturable;
        Ok(self.record_move(MoveKind::Void, left, false, now))
    }

    /// Settles a pending move with the gateway's answer: `Ok(())` if it made the move (the
    /// amounts change now), `Err(reason)` if it refused (nothing moves). Returns whether the
    /// intent changed: a move already settled is left as it is, so a late or repeated answer
    /// changes nothing.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NotFound`] for an unknown key.
    pub fn settle_move(
        &mut self,
        key: &str,
        answer: std::result::Result<(), String>,
        now: Timestamp,
    ) -> Result<bool> {
        let index = self
            .moves
            .iter()
            .position(|m| m.key == key)
            .ok_or_else(|| Error::not_found("money move", key))?;
        if !self.moves[index].is_pending() {
            return Ok(false);
        }
        let taken = self.moves[index].clone();
        match answer {
            Ok(()) => {
                // The move reserved its amount when it was recorded, so these cannot fail.
                let before = self.version;
                match taken.kind {
                    MoveKind::Capture => {
                        self.capture(taken.amount, taken.final_capture, now)?;
                    }
                    MoveKind::Refund => self.refund(taken.amount, now)?,
                    MoveKind::Void => self.cancel(now)?,
                }
                // One change, one version.
                self.version = before;
                self.moves[index].status = MoveStatus::Succeeded;
            }
            Err(reason) => {
                self.moves[index].status = MoveStatus::Failed;
                self.moves[index].failure = Some(reason.clone());
                self.last_error = Some(reason);
            }
        }
        self.moves[index].settled_at = Some(now);
        self.touch(now);
        Ok(true)
    }

    /// Leaves a pending move for a later attempt, after the gateway did not answer: it is asked
    /// again from [`money_move_retry_delay`] after now.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NotFound`] for an unknown key; [`ErrorKind::InvalidTransition`] for a move
    /// already settled.
    pub fn retry_move_later(&mut self, key: &str, now: Timestamp) -> Result<()> {
        let found = self
            .moves
            .iter_mut()
            .find(|m| m.key == key)
            .ok_or_else(|| Error::not_found("money move", key))?;
        if !found.is_pending() {
            return Err(Error::transition("money move", "settled", "pending"));
        }
        found.attempts = found.attempts.saturating_add(1);
        found.next_attempt_at = now.plus_millis(money_move_retry_delay(found.attempts));
        self.touch(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! Random requests and answers against the bounds: however moves interleave, pending ones
    //! never reserve more than there is, and the amounts are exactly the succeeded moves.

    use proptest::prelude::*;

    use super::*;
    use crate::money::Currency;
    use crate::payment::{CaptureMethod, GatewayOutcome};

    const AMOUNT: i64 = 10_000;

    #[derive(Debug, Clone)]
    enum Op {
        Capture(i64, bool),
        Refund(i64),
        Void,
        /// Answers the n-th pending move (modulo how many there are): made, refused or silent.
        Answer(usize, u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (-10i64..6_000, any::<bool>()).prop_map(|(a, f)| Op::Capture(a, f)),
            (-10i64..6_000).prop_map(Op::Refund),
            Just(Op::Void),
            (0usize..8, 0u8..3).prop_map(|(n, a)| Op::Answer(n, a)),
        ]
    }

    fn authorized(manual: bool) -> PaymentIntent {
        let method = if manual {
            CaptureMethod::Manual
        } else {
            CaptureMethod::Automatic
        };
        let usd = Money::from_minor(AMOUNT, Currency::USD);
        let mut intent = PaymentIntent::new("pi".into(), "o".into(), usd, method, Timestamp::EPOCH);
        intent
            .attach_payment_method("tok_visa", Timestamp::EPOCH)
            .unwrap();
        let outcome = GatewayOutcome::Authorized {
            reference: "r".into(),
        };
        intent
            .apply_confirmation(&outcome, Timestamp::EPOCH)
            .unwrap();
        intent
    }

    fn minor(money: Money) -> i64 {
        money.to_minor().unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        #[test]
        fn pending_moves_never_reserve_more_than_there_is(
            manual in any::<bool>(),
            ops in proptest::collection::vec(op(), 1..40),
        ) {
            let mut intent = authorized(manual);
            let usd = |minor: i64| Money::from_minor(minor, Currency::USD);
            let mut now = Timestamp::EPOCH;
            for op in &ops {
                now = now.plus_millis(1);
                let before = intent.clone();
                let done = match *op {
                    Op::Capture(amount, last) => intent.request_capture(usd(amount), last, now).map(|_| ()),
                    Op::Refund(amount) => intent.request_refund(usd(amount), now).map(|_| ()),
                    Op::Void => intent.request_void(now).map(|_| ()),
                    Op::Answer(n, answer) => {
                        let pending: Vec<String> = intent
                            .moves
                            .iter()
                            .filter(|m| m.is_pending())
                            .map(|m| m.key.clone())
                            .collect();
                        if pending.is_empty() {
                            Ok(())
                        } else {
                            let key = &pending[n % pending.len()];
                            match answer {
                                0 => intent.settle_move(key, Ok(()), now).map(|_| ()),
                                1 => intent.settle_move(key, Err("no".into()), now).map(|_| ()),
                                _ => intent.retry_move_later(key, now),
                            }
                        }
                    }
                };
                if done.is_err() {
                    prop_assert_eq!(&intent, &before, "a refused request changes nothing: {:?}", op);
                }
                prop_assert!(intent.amounts_are_consistent(), "after {:?}: {:?}", op, intent);
                // The amounts are the authorization and exactly the moves that succeeded.
                let made = |kind: MoveKind| -> i64 {
                    intent
                        .moves
                        .iter()
                        .filter(|m| m.kind == kind && m.status == MoveStatus::Succeeded)
                        .map(|m| minor(m.amount))
                        .sum()
                };
                let received = if manual { made(MoveKind::Capture) } else { AMOUNT };
                prop_assert_eq!(minor(intent.amount_received), received);
                prop_assert_eq!(minor(intent.amount_refunded), made(MoveKind::Refund));
            }
        }
    }

    #[test]
    fn a_settled_move_is_settled_once() {
        let mut intent = authorized(true);
        let now = Timestamp::EPOCH;
        let key = intent
            .request_capture(Money::from_minor(4_000, Currency::USD), false, now)
            .unwrap();
        assert!(intent.settle_move(&key, Ok(()), now).unwrap());
        assert!(!intent.settle_move(&key, Ok(()), now).unwrap());
        assert!(!intent.settle_move(&key, Err("late".into()), now).unwrap());
        assert_eq!(minor(intent.amount_received), 4_000);
        assert!(intent.retry_move_later(&key, now).is_err());
        assert!(intent.next_move_due().is_none());
    }
}
