//! The payment gateway interface, and a deterministic gateway for tests and demos.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::error::{Error, ErrorKind, Result};
use crate::money::Money;
use crate::payment::{CaptureMethod, GatewayEvent, GatewayEventKind, GatewayOutcome};

/// A request to authorize (and, for automatic capture, collect) a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeRequest {
    /// Our intent id.
    pub intent_id: String,
    /// The amount.
    pub amount: Money,
    /// The payment method token.
    pub payment_method: String,
    /// When the money is taken.
    pub capture_method: CaptureMethod,
    /// Passed to the gateway so that a retried call never charges twice.
    pub idempotency_key: String,
}

/// A payment service provider. Every mutating call carries an idempotency key, which the
/// gateway uses to answer a retried call with the first call's result.
///
/// Failures say what is known: [`Error::gateway_unavailable`] when the request certainly did
/// nothing (the gateway could not be reached), [`Error::gateway_outcome_unknown`] when it may
/// have (it was sent and not answered), and `payment_declined` when the gateway answered no to
/// a capture, refund or void. Only the first two are worth asking again, with the same key.
#[async_trait]
pub trait PaymentGateway: Send + Sync {
    /// Authorizes a payment (and collects it, for automatic capture).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Gateway`] if the gateway cannot be reached or does not answer; a decline is
    /// not an error but [`GatewayOutcome::Declined`].
    async fn authorize(&self, request: &AuthorizeRequest) -> Result<GatewayOutcome>;

    /// Captures part or all of an authorization.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Gateway`]; [`ErrorKind::PaymentDeclined`] if the gateway refuses.
    async fn capture(&self, reference: &str, amount: Money, idempotency_key: &str) -> Result<()>;

    /// Refunds part or all of what was captured.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Gateway`]; [`ErrorKind::PaymentDeclined`] if the gateway refuses.
    async fn refund(&self, reference: &str, amount: Money, idempotency_key: &str) -> Result<()>;

    /// Voids an authorization.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Gateway`]; [`ErrorKind::PaymentDeclined`] if the gateway refuses.
    async fn cancel(&self, reference: &str, idempotency_key: &str) -> Result<()>;

    /// What the gateway says now of a payment that waits for the customer's action or is
    /// processing: its outcome once it has one, `None` while it still waits (or where the
    /// gateway cannot say). The worker asks it of payments whose webhook never came.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Gateway`] if the gateway cannot be reached or does not answer.
    async fn payment_status(&self, _reference: &str) -> Result<Option<GatewayEventKind>> {
        Ok(None)
    }

    /// The state of the breaker in front of the gateway, where there is one
    /// ([`crate::breaker::GuardedGateway`]).
    fn health(&self) -> Option<crate::breaker::GatewayHealth> {
        None
    }
}

/// The gateway of a shop that has configured none: every call fails with
/// [`ErrorKind::PaymentsNotConfigured`] before anything is sent, so an order placed meanwhile
/// waits for its payment, as it would for a gateway that is down.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoGateway;

#[async_trait]
impl PaymentGateway for NoGateway {
    async fn authorize(&self, _request: &AuthorizeRequest) -> Result<GatewayOutcome> {
        Err(Error::new(ErrorKind::PaymentsNotConfigured))
    }

    async fn capture(&self, _reference: &str, _amount: Money, _key: &str) -> Result<()> {
        Err(Error::new(ErrorKind::PaymentsNotConfigured))
    }

    async fn refund(&self, _reference: &str, _amount: Money, _key: &str) -> Result<()> {
        Err(Error::new(ErrorKind::PaymentsNotConfigured))
    }

    async fn cancel(&self, _reference: &str, _key: &str) -> Result<()> {
        Err(Error::new(ErrorKind::PaymentsNotConfigured))
    }
}

/// A deterministic gateway driven by test tokens, with no network:
///
/// | token | outcome |
/// | --- | --- |
/// | `tok_visa` (or any other) | authorized |
/// | `tok_decline` / `tok_decline_<reason>` | declined with `card_declined` / `<reason>` |
/// | `tok_requires_action` | requires action; [`TestGateway::complete_action`] then succeeds |
/// | `tok_processing_succeeds` | processing, then a `payment_succeeded` event |
/// | `tok_processing_fails` | processing, then a `payment_failed` event |
/// | `tok_gateway_down` | the call fails: the gateway cannot be reached |
///
/// Calls are recorded with their idempotency keys; a repeated key returns the first result
/// without charging again. [`TestGateway::charges`] counts the distinct money movements.
///
/// Failures can be injected into the next calls of a kind ([`TestGateway::fail_next`]): the
/// gateway refuses, cannot be reached, does the work and loses its answer, or never answers.
#[derive(Debug, Default)]
pub struct TestGateway {
    state: Mutex<TestGatewayState>,
}

/// A kind of gateway call, for [`TestGateway::fail_next`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GatewayCall {
    /// [`PaymentGateway::authorize`].
    Authorize,
    /// [`PaymentGateway::capture`].
    Capture,
    /// [`PaymentGateway::refund`].
    Refund,
    /// [`PaymentGateway::cancel`].
    Cancel,
}

/// How an injected call fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InjectedFailure {
    /// The gateway answers no (`payment_declined` with this reason); nothing moves.
    Refuse(String),
    /// The gateway cannot be reached; nothing moves.
    Unavailable,
    /// The gateway does the work, and its answer is lost (a timeout, outcome unknown).
    AnswerLost,
    /// The call never returns (the caller gives up, or the process stops, in between).
    Hang,
}

#[derive(Debug, Default)]
struct TestGatewayState {
    authorizations: HashMap<String, GatewayOutcome>,
    captures: HashMap<String, Money>,
    refunds: HashMap<String, Money>,
    cancels: HashMap<String, String>,
    pending: Vec<GatewayEvent>,
    next_event: u64,
    failures: Vec<(GatewayCall, InjectedFailure)>,
    calls: HashMap<GatewayCall, usize>,
    /// The outcome of each payment that waited, by reference, once it has one.
    outcomes: HashMap<String, GatewayEventKind>,
}

impl TestGateway {
    /// A new test gateway.
    pub fn new() -> TestGateway {
        TestGateway::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, TestGatewayState> {
        // A panic while holding the lock leaves plain data behind; keep going.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Events the gateway has produced and not yet delivered, as a webhook would send them.
    pub fn take_events(&self) -> Vec<GatewayEvent> {
        std::mem::take(&mut self.lock().pending)
    }

    /// The customer completed the action an intent required: queue its success event.
    pub fn complete_action(&self, intent_id: &str) {
        let mut state = self.lock();
        state.outcomes.insert(
            format!("pi_test_{intent_id}"),
            GatewayEventKind::PaymentSucceeded,
        );
        state.next_event += 1;
        let id = format!("evt_test_{}", state.next_event);
        state.pending.push(GatewayEvent {
            id,
            intent_id: intent_id.to_string(),
            kind: GatewayEventKind::PaymentSucceeded,
        });
    }

    /// Makes the next `times` calls of a kind fail as `how` (after any failures already queued).
    pub fn fail_next(&self, call: GatewayCall, times: usize, how: InjectedFailure) {
        let mut state = self.lock();
        for _ in 0..times {
            state.failures.push((call, how.clone()));
        }
    }

    /// How many calls of a kind were made, retries and failures included.
    pub fn calls(&self, call: GatewayCall) -> usize {
        self.lock().calls.get(&call).copied().unwrap_or(0)
    }

    /// How many voids were made (retries excluded).
    pub fn voids(&self) -> usize {
        self.lock().cancels.len()
    }

    /// Counts a call and takes the first failure queued for its kind, if any.
    fn injected(&self, call: GatewayCall) -> Option<InjectedFailure> {
        let mut state = self.lock();
        *state.calls.entry(call).or_default() += 1;
        let at = state.failures.iter().position(|(c, _)| *c == call)?;
        Some(state.failures.remove(at).1)
    }

    /// Runs a money move `work` (recorded under its key) as the injected failure says.
    async fn money_move(
        &self,
        call: GatewayCall,
        work: impl FnOnce(&mut TestGatewayState),
    ) -> Result<()> {
        match self.injected(call) {
            None => {
                work(&mut self.lock());
                Ok(())
            }
            Some(InjectedFailure::Refuse(reason)) => {
                Err(Error::new(ErrorKind::PaymentDeclined { reason }))
            }
            Some(InjectedFailure::Unavailable) => Err(Error::gateway_unavailable(
                "the test gateway cannot be reached",
            )),
            Some(InjectedFailure::AnswerLost) => {
                work(&mut self.lock());
                Err(Error::gateway_outcome_unknown(
                    "the test gateway did not answer in time",
                ))
            }
            Some(InjectedFailure::Hang) => std::future::pending().await,
        }
    }

    /// How many distinct authorizations, captures and refunds were made (retries excluded).
    pub fn charges(&self) -> (usize, usize, usize) {
        let state = self.lock();
        (
            state.authorizations.len(),
            state.captures.len(),
            state.refunds.len(),
        )
    }
}

#[async_trait]
impl PaymentGateway for TestGateway {
    async fn authorize(&self, request: &AuthorizeRequest) -> Result<GatewayOutcome> {
        let answer_lost = match self.injected(GatewayCall::Authorize) {
            Some(InjectedFailure::Unavailable | InjectedFailure::Refuse(_)) => {
                return Err(Error::gateway_unavailable(
                    "the test gateway cannot be reached",
                ));
            }
            Some(InjectedFailure::Hang) => return std::future::pending().await,
            Some(InjectedFailure::AnswerLost) => true,
            None => false,
        };
        let outcome = self.decide(request)?;
        if answer_lost {
            return Err(Error::gateway_outcome_unknown(
                "the test gateway did not answer in time",
            ));
        }
        Ok(outcome)
    }

    async fn capture(&self, _reference: &str, amount: Money, idempotency_key: &str) -> Result<()> {
        self.money_move(GatewayCall::Capture, |state| {
            state
                .captures
                .entry(idempotency_key.to_string())
                .or_insert(amount);
        })
        .await
    }

    async fn refund(&self, _reference: &str, amount: Money, idempotency_key: &str) -> Result<()> {
        self.money_move(GatewayCall::Refund, |state| {
            state
                .refunds
                .entry(idempotency_key.to_string())
                .or_insert(amount);
        })
        .await
    }

    async fn payment_status(&self, reference: &str) -> Result<Option<GatewayEventKind>> {
        Ok(self.lock().outcomes.get(reference).cloned())
    }

    async fn cancel(&self, reference: &str, idempotency_key: &str) -> Result<()> {
        self.money_move(GatewayCall::Cancel, |state| {
            state
                .cancels
                .entry(idempotency_key.to_string())
                .or_insert_with(|| reference.to_string());
        })
        .await
    }
}

impl TestGateway {
    /// The outcome of an authorization, once per idempotency key.
    fn decide(&self, request: &AuthorizeRequest) -> Result<GatewayOutcome> {
        let mut state = self.lock();
        if let Some(outcome) = state.authorizations.get(&request.idempotency_key) {
            return Ok(outcome.clone());
        }
        let token = request.payment_method.as_str();
        if token == "tok_gateway_down" {
            return Err(Error::gateway_unavailable("the test gateway is down"));
        }
        let reference = format!("pi_test_{}", request.intent_id);
        let outcome = if token == "tok_decline" {
            GatewayOutcome::Declined {
                reason: "card_declined".to_string(),
            }
        } else if let Some(reason) = token.strip_prefix("tok_decline_") {
            GatewayOutcome::Declined {
                reason: reason.to_string(),
            }
        } else if token == "tok_requires_action" {
            GatewayOutcome::RequiresAction {
                reference,
                next_action: Some(serde_json::json!({"type": "test_complete_action"})),
            }
        } else if let Some(result) = token.strip_prefix("tok_processing_") {
            state.next_event += 1;
            let id = format!("evt_test_{}", state.next_event);
            let kind = if result == "fails" {
                GatewayEventKind::PaymentFailed {
                    reason: "processing_error".to_string(),
                }
            } else {
                GatewayEventKind::PaymentSucceeded
            };
            state.outcomes.insert(reference.clone(), kind.clone());
            state.pending.push(GatewayEvent {
                id,
                intent_id: request.intent_id.clone(),
                kind,
            });
            GatewayOutcome::Processing { reference }
        } else {
            GatewayOutcome::Authorized { reference }
        };
        state
            .authorizations
            .insert(request.idempotency_key.clone(), outcome.clone());
        Ok(outcome)
    }
}
