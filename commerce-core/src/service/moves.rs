//! Money moves through the gateway: recorded first, then asked for, then settled
//! (see [`crate::payment`]'s moves).
//!
//! An operation that moves money (a capture, a refund, a cancellation) records its moves as
//! pending, in one unit of work with everything else it changes and with the caller's
//! idempotency key, which then replays *the moves* rather than a success. Only then is the
//! gateway asked, with each move's own key. Its answer settles the move in a second unit: the
//! amounts change if it was made, nothing does if it was refused. A move the gateway did not
//! answer stays pending, and is asked about again (with the same key, so never made twice) by
//! whoever comes next: a retry of the caller's key, or [`Commerce::settle_due_money_moves`],
//! which a shop runs on a schedule.

use crate::access::Target;
use crate::error::{Error, ErrorKind, Result};
use crate::events::{DomainEvent, EventKind};
use crate::order::Order;
use crate::payment::{IntentStatus, MoneyMove, MoveKind, MoveStatus, PaymentIntent};
use crate::store::{Changes, IdempotencyCompletion, Versioned};
use crate::time::Timestamp;

use super::Commerce;
use super::checkout::Checkout;
use super::idempotency::{StoredOutcome, completed};

/// How many times recording or settling a money move is retried after losing a race: each
/// lost race is another writer's progress, so this bounds only a pile-up on one payment, which
/// it should outlast rather than answer `conflict` while the money can still move.
const MOVE_RETRIES: usize = 64;

/// How many pending money moves one call of [`Commerce::settle_due_money_moves`] asks about.
const DUE_MOVES_PER_CALL: usize = 100;

/// What an operation recorded: the order and intent as written, and the moves to ask for.
pub(super) struct Recorded {
    pub(super) order: Order,
    pub(super) intent: PaymentIntent,
    pub(super) moves: Vec<String>,
}

/// What [`Commerce::settle_due_money_moves`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SettledMoves {
    /// Moves the gateway made.
    pub succeeded: usize,
    /// Moves the gateway refused.
    pub failed: usize,
    /// Moves the gateway still did not answer; they are asked about again later.
    pub unanswered: usize,
}

impl Commerce {
    /// Records an operation on an order and its payment: `change` changes them (and adds to
    /// the unit of work) and returns the keys of the money moves it requested; the caller's key
    /// is completed in the same unit, with those moves (or as done, if there are none).
    /// Retries on a lost race, with fresh state.
    pub(super) async fn record_moves<F>(
        &self,
        order: Target<'_>,
        completion: Option<IdempotencyCompletion>,
        change: F,
    ) -> Result<Recorded>
    where
        F: Fn(&mut Order, &mut PaymentIntent, &mut Changes, Timestamp) -> Result<Vec<String>>
            + Send
            + Sync,
    {
        for _ in 0..MOVE_RETRIES {
            let now = self.now();
            let order = self.order(order).await?;
            let intent_id = order
                .payment_intent_id
                .clone()
                .ok_or_else(|| Error::not_found("payment_intent", order.id.as_str()))?;
            let intent = self.payment_intent(intent_id.as_str()).await?;
            let (mut new_order, mut new_intent) = (order.clone(), intent.clone());
            let mut changes = Changes {
                now,
                ..Changes::default()
            };
            let moves = change(&mut new_order, &mut new_intent, &mut changes, now)?;
            new_order.sync_payment(&new_intent, now)?;
            if new_order != order {
                if new_order.version == order.version {
                    new_order.version += 1;
                }
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
            changes.idempotency = completion.clone().map(|done| {
                let outcome = if moves.is_empty() {
                    StoredOutcome::Done {
                        order_id: new_order.id.clone(),
                        intent_id: new_intent.id.clone(),
                    }
                } else {
                    StoredOutcome::Moves {
                        order_id: new_order.id.clone(),
                        intent_id: new_intent.id.clone(),
                        keys: moves.clone(),
                    }
                };
                completed(done, &outcome)
            });
            match self.store.apply(changes).await {
                Err(err) if err.is_conflict() => continue,
                Err(err) => return Err(err),
                Ok(_) => {}
            }
            return Ok(Recorded {
                order: new_order,
                intent: new_intent,
                moves,
            });
        }
        Err(Error::conflict("order", order.id()))
    }

    /// Asks the gateway for each pending move of `keys` and settles it; answers with the order
    /// and intent as they are then. A move settled before is not asked for again.
    ///
    /// # Errors
    ///
    /// `payment_declined` if the gateway refused a move; the gateway's failure if it did not
    /// answer (the move stays pending, and a retry asks again).
    pub(super) async fn drive_moves(
        &self,
        order_id: &str,
        intent_id: &str,
        keys: &[String],
    ) -> Result<Checkout> {
        let mut first_error = None;
        for key in keys {
            if let Err(err) = self.drive_move(intent_id, key).await {
                first_error.get_or_insert(err);
            }
        }
        if let Some(err) = first_error {
            return Err(err);
        }
        Ok(Checkout {
            order: self.order(order_id).await?,
            payment_intent: self.payment_intent(intent_id).await?,
        })
    }

    /// Asks the gateway for one move (if it is still pending) and settles it with the answer.
    async fn drive_move(&self, intent_id: &str, key: &str) -> Result<()> {
        let intent = self.payment_intent(intent_id).await?;
        let found = intent
            .money_move(key)
            .cloned()
            .ok_or_else(|| Error::not_found("money move", key))?;
        match found.status {
            MoveStatus::Succeeded => return Ok(()),
            MoveStatus::Failed => return Err(declined(&found)),
            MoveStatus::Pending => {}
        }
        let reference = intent.gateway_reference.clone().unwrap_or_default();
        let answer = match found.kind {
            MoveKind::Capture => self.gateway.capture(&reference, found.amount, key).await,
            MoveKind::Refund => self.gateway.refund(&reference, found.amount, key).await,
            MoveKind::Void => self.gateway.cancel(&reference, key).await,
        };
        match answer {
            Ok(()) => self.settle_answer(intent_id, key, Ok(())).await,
            Err(err) => match err.kind() {
                ErrorKind::PaymentDeclined { reason } => {
                    self.settle_answer(intent_id, key, Err(reason.clone()))
                        .await?;
                    Err(err)
                }
                _ => {
                    // Not answered: left pending, asked again later with the same key.
                    self.leave_unanswered(intent_id, key).await?;
                    Err(err)
                }
            },
        }
    }

    /// Settles a move with the gateway's answer, and the order with it, in one unit of work.
    async fn settle_answer(
        &self,
        intent_id: &str,
        key: &str,
        answer: std::result::Result<(), String>,
    ) -> Result<()> {
        let order_id = self.payment_intent(intent_id).await?.order_id;
        for _ in 0..MOVE_RETRIES {
            let now = self.now();
            // The order before the intent: an order read earlier than its intent is at most
            // behind it, which its payment status can always catch up with.
            let order = self.order(order_id.as_str()).await?;
            let intent = self.payment_intent(intent_id).await?;
            let mut new_intent = intent.clone();
            if !new_intent.settle_move(key, answer.clone(), now)? {
                // Settled meanwhile (a retry, or the schedule, got the answer first).
                return match intent.money_move(key) {
                    Some(m) if m.status == MoveStatus::Failed => Err(declined(m)),
                    _ => Ok(()),
                };
            }
            let mut new_order = order.clone();
            new_order.sync_payment(&new_intent, now)?;
            let settled = new_intent
                .money_move(key)
                .cloned()
                .ok_or_else(|| Error::not_found("money move", key))?;
            let mut changes = Changes {
                now,
                events: move_events(&new_order, &new_intent, &settled, now),
                intents: vec![Versioned {
                    value: new_intent,
                    expected_version: Some(intent.version),
                }],
                ..Changes::default()
            };
            if new_order != order {
                if new_order.version == order.version {
                    new_order.version += 1;
                }
                changes.orders.push(Versioned {
                    value: new_order,
                    expected_version: Some(order.version),
                });
            }
            match self.store.apply(changes).await {
                Err(err) if err.is_conflict() => continue,
                Err(err) => return Err(err),
                Ok(_) => {}
            }
            return match settled.status {
                MoveStatus::Failed => Err(declined(&settled)),
                _ => Ok(()),
            };
        }
        Err(Error::conflict("payment_intent", intent_id))
    }

    /// Notes that the gateway did not answer about a move: it is asked again after a backoff.
    async fn leave_unanswered(&self, intent_id: &str, key: &str) -> Result<()> {
        for _ in 0..MOVE_RETRIES {
            let now = self.now();
            let intent = self.payment_intent(intent_id).await?;
            if !intent.money_move(key).is_some_and(MoneyMove::is_pending) {
                return Ok(());
            }
            let mut new_intent = intent.clone();
            new_intent.retry_move_later(key, now)?;
            let changes = Changes {
                now,
                intents: vec![Versioned {
                    value: new_intent,
                    expected_version: Some(intent.version),
                }],
                ..Changes::default()
            };
            match self.store.apply(changes).await {
                Err(err) if err.is_conflict() => continue,
                other => return other.map(|_| ()),
            }
        }
        Err(Error::conflict("payment_intent", intent_id))
    }

    /// Asks the gateway about every money move that is pending and due (recorded more than
    /// [`MONEY_MOVE_GRACE_MILLIS`](crate::payment::MONEY_MOVE_GRACE_MILLIS) ago, or past its
    /// backoff), and settles each with the answer: the moves a failed or interrupted request
    /// left behind. A shop runs this on a schedule; asking again is safe, as each move carries
    /// its own idempotency key.
    ///
    /// # Errors
    ///
    /// Storage errors only; a gateway that does not answer leaves its moves for later.
    pub async fn settle_due_money_moves(&self) -> Result<SettledMoves> {
        let now = self.now();
        let mut report = SettledMoves::default();
        for intent in self
            .store
            .intents_with_moves_due(now, DUE_MOVES_PER_CALL)
            .await?
        {
            let due: Vec<String> = intent
                .moves
                .iter()
                .filter(|m| m.is_pending() && m.next_attempt_at <= now)
                .map(|m| m.key.clone())
                .collect();
            for key in due {
                match self.drive_move(&intent.id, &key).await {
                    Ok(()) => report.succeeded += 1,
                    Err(err) if err.is_payment_declined() => report.failed += 1,
                    Err(err) if err.is_gateway_failure() => report.unanswered += 1,
                    Err(err) => return Err(err),
                }
            }
            // An authorization sent and never answered: asked again under its key, which
            // settles the order as the gateway says (paid, declined), or leaves it for later.
            if intent.status == IntentStatus::RequiresConfirmation
                && intent
                    .unanswered_authorization
                    .as_ref()
                    .is_some_and(|sent| sent.next_attempt_at <= now && sent.can_ask_again(now))
            {
                match self.confirm_payment(intent.id.as_str(), None, None).await {
                    Ok(_) => report.succeeded += 1,
                    Err(err) if err.is_payment_declined() => report.failed += 1,
                    Err(err) if err.is_gateway_failure() => report.unanswered += 1,
                    // The order moved on (cancelled, paid meanwhile): nothing to learn.
                    Err(err) if err.is_invalid_transition() || err.is_conflict() => {}
                    Err(err) => return Err(err),
                }
            }
        }
        Ok(report)
    }
}

fn declined(found: &MoneyMove) -> Error {
    Error::new(ErrorKind::PaymentDeclined {
        reason: found.failure.clone().unwrap_or_default(),
    })
}

/// The events of a settled move: the money that moved, or why it did not.
fn move_events(
    order: &Order,
    intent: &PaymentIntent,
    settled: &MoneyMove,
    now: Timestamp,
) -> Vec<DomainEvent> {
    let data =
        serde_json::json!({"order_id": order.id, "amount": settled.amount, "move": settled.key});
    let kind = match (settled.status, settled.kind) {
        (MoveStatus::Failed, _) => {
            let data = serde_json::json!({
                "order_id": order.id,
                "move": settled.key,
                "reason": settled.failure,
            });
            return vec![DomainEvent::new(
                EventKind::PaymentFailed,
                &intent.id,
                intent.version,
                now,
                data,
            )];
        }
        (_, MoveKind::Capture) => EventKind::PaymentCaptured,
        (_, MoveKind::Refund) => EventKind::PaymentRefunded,
        (_, MoveKind::Void) => EventKind::PaymentVoided,
    };
    vec![DomainEvent::new(
        kind,
        &intent.id,
        intent.version,
        now,
        data,
    )]
}
