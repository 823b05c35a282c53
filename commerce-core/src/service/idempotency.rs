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

enum Claim {
    Replay(Box<Checkout>),
    Proceed(Option<IdempotencyCompletion>),
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
pub(super) enum StoredOutcome {
    Done { order_id: String, intent_id: String },
    Failed { error_code: String, message: String },
}

impl Commerce {
    pub(super) async fn replay(&self, stored: &str) -> Result<Checkout> {
        match serde_json::from_str::<StoredOutcome>(stored) {
            Ok(StoredOutcome::Done {
                order_id,
                intent_id,
            }) => Ok(Checkout {
                order: self.order(&order_id).await?,
                payment_intent: self.payment_intent(&intent_id).await?,
            }),
            Ok(StoredOutcome::Failed {
                error_code,
                message,
            }) => Err(match error_code.as_str() {
                "reservation_expired" => Error::new(ErrorKind::ReservationExpired { id: message }),
                "backend_error" => Error::new(ErrorKind::Backend {
                    source_name: "gateway".to_string(),
                    message,
                }),
                _ => Error::new(ErrorKind::PaymentDeclined { reason: message }),
            }),
            Err(err) => Err(Error::storage(format!(
                "unreadable idempotent response: {err}"
            ))),
        }
    }

    /// Records a change of an order's intent (and order) first, then asks the gateway; if the
    /// gateway fails, the record is rolled back. Retries on conflicts with fresh state.
    async fn claim(
        &self,
        key: Option<&IdempotencyKey>,
        operation: &str,
        fingerprint: &str,
    ) -> Result<Claim> {
        let Some(key) = key else {
            return Ok(Claim::Proceed(None));
        };
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
    /// that decided nothing frees the key for a retry.
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
        if let (Err(err), Some(done)) = (&result, &completion) {
            if !matches!(err.kind(), ErrorKind::Backend { .. }) {
                self.store
                    .abandon_idempotent(&done.scope, &done.key)
                    .await?;
            }
        }
        result
    }
}

pub(super) fn done_with(
    done: IdempotencyCompletion,
    order: &Order,
    intent: &PaymentIntent,
) -> IdempotencyCompletion {
    IdempotencyCompletion {
        response: serde_json::to_string(&StoredOutcome::Done {
            order_id: order.id.clone(),
            intent_id: intent.id.clone(),
        })
        .unwrap_or_default(),
        ..done
    }
}
