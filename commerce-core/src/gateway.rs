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
#[async_trait]
pub trait PaymentGateway: Send + Sync {
    /// Authorizes a payment (and collects it, for automatic capture).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Backend`] if the gateway cannot be reached; a decline is not an error but
    /// [`GatewayOutcome::Declined`].
    async fn authorize(&self, request: &AuthorizeRequest) -> Result<GatewayOutcome>;

    /// Captures part or all of an authorization.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Backend`].
    async fn capture(&self, reference: &str, amount: Money, idempotency_key: &str) -> Result<()>;

    /// Refunds part or all of what was captured.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Backend`].
    async fn refund(&self, reference: &str, amount: Money, idempotency_key: &str) -> Result<()>;

    /// Voids an authorization.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Backend`].
    async fn cancel(&self, reference: &str, idempotency_key: &str) -> Result<()>;
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
/// | `tok_gateway_down` | the call fails with a backend error |
///
/// Calls are recorded with their idempotency keys; a repeated key returns the first result
/// without charging again. [`TestGateway::charges`] counts the distinct money movements.
#[derive(Debug, Default)]
pub struct TestGateway {
    state: Mutex<TestGatewayState>,
}

#[derive(Debug, Default)]
struct TestGatewayState {
    authorizations: HashMap<String, GatewayOutcome>,
    captures: HashMap<String, Money>,
    refunds: HashMap<String, Money>,
    cancels: HashMap<String, String>,
    pending: Vec<GatewayEvent>,
    next_event: u64,
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
        state.next_event += 1;
        let id = format!("evt_test_{}", state.next_event);
        state.pending.push(GatewayEvent {
            id,
            intent_id: intent_id.to_string(),
            kind: GatewayEventKind::PaymentSucceeded,
        });
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
        let mut state = self.lock();
        if let Some(outcome) = state.authorizations.get(&request.idempotency_key) {
            return Ok(outcome.clone());
        }
        let token = request.payment_method.as_str();
        if token == "tok_gateway_down" {
            return Err(Error::new(ErrorKind::Backend {
                source_name: "gateway".to_string(),
                message: "the test gateway is down".to_string(),
            }));
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
            GatewayOutcome::RequiresAction { reference }
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

    async fn capture(&self, _reference: &str, amount: Money, idempotency_key: &str) -> Result<()> {
        self.lock()
            .captures
            .entry(idempotency_key.to_string())
            .or_insert(amount);
        Ok(())
    }

    async fn refund(&self, _reference: &str, amount: Money, idempotency_key: &str) -> Result<()> {
        self.lock()
            .refunds
            .entry(idempotency_key.to_string())
            .or_insert(amount);
        Ok(())
    }

    async fn cancel(&self, reference: &str, idempotency_key: &str) -> Result<()> {
        self.lock()
            .cancels
            .entry(idempotency_key.to_string())
            .or_insert_with(|| reference.to_string());
        Ok(())
    }
}
