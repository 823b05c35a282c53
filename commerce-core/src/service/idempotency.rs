//! Idempotency keys: a replay returns the stored outcome, a new request claims the key.

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::order::Order;
use crate::payment::PaymentIntent;
use crate::store::{IdempotencyBegin, IdempotencyCompletion};

use super::Commerce;
use super::checkout::Checkout;

/// A caller's idempotency key for one operation: the same key and request do the work once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyKey {
    /// Whose key it is (the caller's identity); keys of different scopes never collide.
    pub scope: String,
    /// The key.
    pub key: String,
}

impl IdempotencyKey {
    /// Checks the key as [`crate::text`] checks an id (1 to 255 characters, no control
    /// character), and its scope as a line.
    ///
    /// # Errors
    ///
    /// `invalid_input` at `idempotency_key`.
    pub fn check(&self) -> Result<()> {
        check_key(&self.key)?;
        crate::text::check_line(&self.scope).map_err(|e| e.at("idempotency_key"))
    }
}

/// Checks an idempotency key's text.
pub(super) fn check_key(key: &str) -> Result<()> {
    crate::text::check_id(key).map_err(|e| e.at("idempotency_key"))
}

enum Claim {
    Replay(Box<Checkout>),
    Proceed(Option<IdempotencyCompletion>),
}

/// What an idempotency key replays, as stored with it: typed, so that a replay answers with
/// exactly the outcome of the first request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub(super) enum StoredOutcome {
    /// The work was done: the order and the intent, as they are when replayed.
    Done { order_id: String, intent_id: String },
    /// The work was recorded, with money moves the gateway settles: a replay answers as they
    /// did, and asks the gateway about those it has not answered yet.
    Moves {
        order_id: String,
        intent_id: String,
        keys: Vec<String>,
    },
    /// The work failed for good.
    Failed { error: StoredError },
}

/// The failures a key remembers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(super) enum StoredError {
    PaymentDeclined { reason: String },
    ReservationExpired { id: String },
}

impl StoredError {
    fn into_error(self) -> Error {
        match self {
            StoredError::PaymentDeclined { reason } => {
                Error::new(ErrorKind::PaymentDeclined { reason })
            }
            StoredError::ReservationExpired { id } => {
                Error::new(ErrorKind::ReservationExpired { id })
            }
        }
    }
}

/// The form keys were stored in before outcomes were typed: read, so that a key claimed
/// before an upgrade replays after it (keys live at least 24 hours).
#[derive(Deserialize)]
#[serde(untagged)]
enum LegacyOutcome {
    Done { order_id: String, intent_id: String },
    Failed { error_code: String, message: String },
}

impl StoredOutcome {
    /// The stored form.
    pub(super) fn to_json(&self) -> String {
        // Strings and sequences of strings only: this always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a stored outcome, typed or legacy; anything else is a storage error, never a
    /// guess.
    pub(super) fn from_json(stored: &str) -> Result<StoredOutcome> {
        if let Ok(outcome) = serde_json::from_str::<StoredOutcome>(stored) {
            return Ok(outcome);
        }
        let unreadable = || Error::storage(format!("unreadable stored outcome: {stored}"));
        match serde_json::from_str::<LegacyOutcome>(stored).map_err(|_| unreadable())? {
            LegacyOutcome::Done {
                order_id,
                intent_id,
            } => Ok(StoredOutcome::Done {
                order_id,
                intent_id,
            }),
            LegacyOutcome::Failed {
                error_code,
                message,
            } => {
                let error = match error_code.as_str() {
                    "payment_declined" => StoredError::PaymentDeclined { reason: message },
                    "reservation_expired" => StoredError::ReservationExpired { id: message },
                    _ => return Err(unreadable()),
                };
                Ok(StoredOutcome::Failed { error })
            }
        }
    }
}

impl Commerce {
    pub(super) async fn replay(&self, stored: &str) -> Result<Checkout> {
        match StoredOutcome::from_json(stored)? {
            StoredOutcome::Done {
                order_id,
                intent_id,
            } => Ok(Checkout {
                order: self.order(order_id.as_str()).await?,
                payment_intent: self.payment_intent(intent_id.as_str()).await?,
            }),
            StoredOutcome::Moves {
                order_id,
                intent_id,
                keys,
            } => self.drive_moves(&order_id, &intent_id, &keys).await,
            StoredOutcome::Failed { error } => Err(error.into_error()),
        }
    }

    /// Claims a caller's key for an operation: a replay if the key did the work before.
    async fn claim(
        &self,
        key: Option<&IdempotencyKey>,
        operation: &str,
        fingerprint: &str,
    ) -> Result<Claim> {
        let Some(key) = key else {
            return Ok(Claim::Proceed(None));
        };
        key.check()?;
        let scope = format!("{operation}:{}", key.scope);
        match self
            .store
            .begin_idempotent(&scope, &key.key, fingerprint, self.now())
            .await?
        {
            IdempotencyBegin::Replay(stored) => {
                Ok(Claim::Replay(Box::new(self.replay(&stored).await?)))
            }
            IdempotencyBegin::Started => Ok(Claim::Proceed(Some(IdempotencyCompletion {
                scope,
                key: key.key.clone(),
                response: String::new(),
            }))),
        }
    }

    /// Runs `work` under an idempotency key: a replay returns the stored outcome, a failure
    /// that recorded nothing frees the key for a retry (a key the work completed stays: its
    /// outcome is what a retry replays).
    pub(super) async fn idempotently<F, Fut>(
        &self,
        key: Option<&IdempotencyKey>,
        operation: &str,
        fingerprint: &str,
        work: F,
    ) -> Result<Checkout>
    where
        F: FnOnce(Option<IdempotencyCompletion>) -> Fut,
        Fut: std::future::Future<Output = Result<Checkout>>,
    {
        let completion = match self.claim(key, operation, fingerprint).await? {
            Claim::Replay(done) => return Ok(*done),
            Claim::Proceed(completion) => completion,
        };
        let result = work(completion.clone()).await;
        if let (Err(_), Some(done)) = (&result, &completion) {
            // Only a key without an outcome is freed; one the work completed is kept.
            self.store
                .abandon_idempotent(&done.scope, &done.key)
                .await?;
        }
        result
    }
}

/// A key completed with `outcome`.
pub(super) fn completed(
    done: IdempotencyCompletion,
    outcome: &StoredOutcome,
) -> IdempotencyCompletion {
    IdempotencyCompletion {
        response: outcome.to_json(),
        ..done
    }
}

/// A key completed with the order and intent as the work left them.
pub(super) fn done_with(
    done: IdempotencyCompletion,
    order: &Order,
    intent: &PaymentIntent,
) -> IdempotencyCompletion {
    let outcome = StoredOutcome::Done {
        order_id: order.id.clone(),
        intent_id: intent.id.clone(),
    };
    completed(done, &outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_outcomes_read_back_as_their_kind_and_nothing_is_guessed() {
        let moves = StoredOutcome::Moves {
            order_id: "ord_1".into(),
            intent_id: "pi_1".into(),
            keys: vec!["pi_1:refund:3".into()],
        };
        assert_eq!(StoredOutcome::from_json(&moves.to_json()).unwrap(), moves);
        // Keys stored before outcomes were typed still replay.
        let legacy = r#"{"error_code": "reservation_expired", "message": "res_1"}"#;
        assert_eq!(
            StoredOutcome::from_json(legacy).unwrap(),
            StoredOutcome::Failed {
                error: StoredError::ReservationExpired { id: "res_1".into() }
            }
        );
        let done = r#"{"order_id": "ord_1", "intent_id": "pi_1"}"#;
        assert!(matches!(
            StoredOutcome::from_json(done).unwrap(),
            StoredOutcome::Done { .. }
        ));
        // An unknown code is an error, never a decline.
        let unknown = r#"{"error_code": "something_new", "message": "x"}"#;
        let err = StoredOutcome::from_json(unknown).unwrap_err();
        assert!(err.is_storage_failure(), "{err}");
        assert!(StoredOutcome::from_json("not json").is_err());
    }
}
