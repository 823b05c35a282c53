//! # commerce-stripe
//!
//! A [`PaymentGateway`] on Stripe's PaymentIntents and Refunds APIs, for a `Commerce` built by
//! hand or by `commerce-runtime` (`commerce-server --gateway stripe`).
//!
//! | core call | Stripe |
//! | --- | --- |
//! | `authorize` | `POST /v1/payment_intents` with `confirm=true`, `capture_method` `manual` or `automatic`, `metadata[commerce_intent_id]` |
//! | `capture` | `POST /v1/payment_intents/{id}/capture` with `amount_to_capture` (full or partial) |
//! | `refund` | `POST /v1/refunds` with `payment_intent` and `amount` (full or partial) |
//! | `cancel` | `POST /v1/payment_intents/{id}/cancel` |
//! | [`StripeGateway::retrieve`] | `GET /v1/payment_intents/{id}`, to reconcile |
//!
//! Every `POST` carries `Idempotency-Key: commerce:<the core's key>`: the core's key names one
//! money move, so a retry after a timeout is answered by Stripe with the first result and never
//! charges twice. Amounts are converted by Stripe's own minor units ([`amounts`]), and a
//! currency Stripe does not take is refused before any call.
//!
//! Failures say what is known, as the trait asks: a connection refused, or `429` (Stripe did
//! nothing), is [`Error::gateway_unavailable`]; a timeout or a `5xx` (Stripe may have done it)
//! is [`Error::gateway_outcome_unknown`]. Both are retried here first, up to
//! [`StripeConfig::max_retries`] times with the same key, with backoff, unless Stripe's
//! `Stripe-Should-Retry: false` says not to. A card declined is
//! [`GatewayOutcome::Declined`] with Stripe's `decline_code` (or `code`).
//!
//! [`webhooks`] verifies `Stripe-Signature` and maps Stripe's events onto the core's.
//!
//! ```no_run
//! # async fn run() -> Result<(), commerce_core::Error> {
//! use commerce_stripe::{StripeConfig, StripeGateway};
//!
//! // STRIPE_SECRET_KEY (and STRIPE_WEBHOOK_SECRET for webhooks) from the environment.
//! let gateway = StripeGateway::new(StripeConfig::from_env()?)?;
//! # let _ = gateway;
//! # Ok(()) }
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod amounts;
mod transport;
pub mod webhooks;

use std::time::Duration;

use async_trait::async_trait;
use commerce_core::gateway::{AuthorizeRequest, PaymentGateway};
use commerce_core::payment::{CaptureMethod, GatewayEventKind, GatewayOutcome};
use commerce_core::{Error, ErrorKind, Money};
use serde_json::Value;

use transport::{Answer, Transport};

/// Stripe's API, where the gateway sends its calls unless told otherwise.
pub const STRIPE_API: &str = "https://api.stripe.com";

/// The API version the requests and the mapping are written for.
pub const STRIPE_VERSION: &str = "2024-06-20";

/// How to reach Stripe.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StripeConfig {
    /// The secret key (`sk_live_…` or `sk_test_…`).
    pub secret_key: String,
    /// The secret Stripe signs webhooks with (`whsec_…`), where webhooks are received.
    pub webhook_secret: Option<String>,
    /// Where the API is: [`STRIPE_API`], or a fake's address in tests.
    pub api_base: String,
    /// How long one attempt may take before its outcome counts as unknown (default 10 s).
    pub timeout: Duration,
    /// Attempts after the first, with the same idempotency key (default 2).
    pub max_retries: u32,
    /// The wait before the first retry, multiplied by 4 for each next (default 200 ms).
    pub retry_delay: Duration,
}

impl std::fmt::Debug for StripeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets never reach a log.
        f.debug_struct("StripeConfig")
            .field("secret_key", &"<hidden>")
            .field(
                "webhook_secret",
                &self.webhook_secret.as_ref().map(|_| "<hidden>"),
            )
            .field("api_base", &self.api_base)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("retry_delay", &self.retry_delay)
            .finish()
    }
}

impl StripeConfig {
    /// A configuration with `secret_key` and the defaults.
    pub fn new(secret_key: impl Into<String>) -> StripeConfig {
        StripeConfig {
            secret_key: secret_key.into(),
            webhook_secret: None,
            api_base: STRIPE_API.to_string(),
            timeout: Duration::from_secs(10),
            max_retries: 2,
            retry_delay: Duration::from_millis(200),
        }
    }

    /// From the environment: `STRIPE_SECRET_KEY` (required), `STRIPE_WEBHOOK_SECRET`, and
    /// `STRIPE_API_BASE` (for a fake).
    ///
    /// # Errors
    ///
    /// `invalid_input` when `STRIPE_SECRET_KEY` is not set.
    pub fn from_env() -> Result<StripeConfig, Error> {
        let key = std::env::var("STRIPE_SECRET_KEY")
            .ok()
            .filter(|k| !k.is_empty())
            .ok_or_else(|| {
                Error::new(ErrorKind::InvalidInput {
                    message: "the Stripe gateway needs STRIPE_SECRET_KEY in the environment".into(),
                })
            })?;
        let mut config = StripeConfig::new(key);
        config.webhook_secret = std::env::var("STRIPE_WEBHOOK_SECRET")
            .ok()
            .filter(|s| !s.is_empty());
        if let Ok(base) = std::env::var("STRIPE_API_BASE")
            && !base.is_empty()
        {
            config.api_base = base;
        }
        Ok(config)
    }

    /// The same, with Stripe at `api_base`.
    #[must_use]
    pub fn with_api_base(mut self, api_base: impl Into<String>) -> StripeConfig {
        self.api_base = api_base.into();
        self
    }

    /// The same, with another timeout per attempt.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> StripeConfig {
        self.timeout = timeout;
        self
    }

    /// The same, with another number of retries and first wait.
    #[must_use]
    pub fn with_retries(mut self, max_retries: u32, retry_delay: Duration) -> StripeConfig {
        self.max_retries = max_retries;
        self.retry_delay = retry_delay;
        self
    }
}

/// A PaymentIntent as Stripe reports it, for reconciliation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StripeIntent {
    /// Stripe's id (`pi_…`), the core's gateway reference.
    pub id: String,
    /// Stripe's status: `requires_capture`, `succeeded`, `requires_action`, `processing`,
    /// `requires_payment_method`, `canceled`, …
    pub status: String,
    /// Our intent's id, from the metadata the gateway sets.
    pub commerce_intent_id: Option<String>,
    /// What the intent may still capture, in Stripe's units.
    pub amount_capturable: i64,
    /// What it received, in Stripe's units.
    pub amount_received: i64,
    /// What the customer must do next (3-D Secure), as Stripe gives it.
    pub next_action: Option<Value>,
    /// Why the last attempt failed: Stripe's decline code, or its error code.
    pub last_error: Option<String>,
}

impl StripeIntent {
    fn from_json(value: &Value) -> StripeIntent {
        StripeIntent {
            id: text(value, "id").unwrap_or_default(),
            status: text(value, "status").unwrap_or_default(),
            commerce_intent_id: value
                .pointer("/metadata/commerce_intent_id")
                .and_then(Value::as_str)
                .map(str::to_string),
            amount_capturable: value["amount_capturable"].as_i64().unwrap_or(0),
            amount_received: value["amount_received"].as_i64().unwrap_or(0),
            next_action: value.get("next_action").filter(|v| !v.is_null()).cloned(),
            last_error: value
                .pointer("/last_payment_error/decline_code")
                .or_else(|| value.pointer("/last_payment_error/code"))
                .and_then(Value::as_str)
                .map(str::to_string),
        }
    }
}

fn text(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_string)
}

/// Stripe's reason for an error answer: the `decline_code`, else the `code`, else the type.
fn reason(body: &Value) -> String {
    let error = &body["error"];
    ["decline_code", "code", "type"]
        .iter()
        .find_map(|key| error.get(*key).and_then(Value::as_str))
        .unwrap_or("stripe_error")
        .to_string()
}

/// The gateway. Cheap to share behind an `Arc`; one connection pool.
pub struct StripeGateway {
    transport: Transport,
}

impl std::fmt::Debug for StripeGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeGateway")
            .field("config", &self.transport.config)
            .finish()
    }
}

impl StripeGateway {
    /// A gateway with `config`.
    ///
    /// # Errors
    ///
    /// `backend_error` if TLS cannot be set up.
    pub fn new(config: StripeConfig) -> Result<StripeGateway, Error> {
        Ok(StripeGateway {
            transport: Transport::new(config)?,
        })
    }

    /// The configuration (its secrets are hidden from `Debug`).
    pub fn config(&self) -> &StripeConfig {
        &self.transport.config
    }

    /// Reads a PaymentIntent back, to settle what a timeout left unknown.
    ///
    /// # Errors
    ///
    /// As the trait's calls; `not_found` when Stripe does not know `reference`.
    pub async fn retrieve(&self, reference: &str) -> Result<StripeIntent, Error> {
        let path = format!("/v1/payment_intents/{}", path_segment(reference)?);
        let answer = self.transport.get(&path).await?;
        match answer.status {
            200 => Ok(StripeIntent::from_json(&answer.body)),
            404 => Err(Error::not_found("stripe payment intent", reference)),
            _ => Err(unexpected(&answer)),
        }
    }

    /// Confirms an intent Stripe left waiting for confirmation.
    async fn confirm(&self, reference: &str, key: &str) -> Result<Answer, Error> {
        let path = format!("/v1/payment_intents/{}/confirm", path_segment(reference)?);
        self.transport
            .post(&path, &[], &format!("commerce:{key}:confirm"))
            .await
    }

    /// A money move on an intent: `Ok` for 200, `payment_declined` for Stripe's refusal.
    async fn money_move(
        &self,
        path: &str,
        form: &[(&str, String)],
        key: &str,
    ) -> Result<(), Error> {
        let answer = self
            .transport
            .post(path, form, &format!("commerce:{key}"))
            .await?;
        match answer.status {
            200 if answer.body["object"] == "refund"
                && (answer.body["status"] == "failed" || answer.body["status"] == "canceled") =>
            {
                Err(Error::new(ErrorKind::PaymentDeclined {
                    reason: answer.body["failure_reason"]
                        .as_str()
                        .unwrap_or("refund_failed")
                        .to_string(),
                }))
            }
            200 => Ok(()),
            400 | 402 | 404 if answer.body["error"]["type"] != "idempotency_error" => {
                Err(Error::new(ErrorKind::PaymentDeclined {
                    reason: reason(&answer.body),
                }))
            }
            _ => Err(unexpected(&answer)),
        }
    }
}

/// What an answer about a PaymentIntent means for the core.
enum Mapped {
    Outcome(GatewayOutcome),
    NeedsConfirmation(String),
}

fn outcome(answer: &Answer) -> Result<Mapped, Error> {
    if answer.status != 200 {
        return match answer.status {
            400 | 402 | 404 if answer.body["error"]["type"] != "idempotency_error" => {
                Ok(Mapped::Outcome(GatewayOutcome::Declined {
                    reason: reason(&answer.body),
                }))
            }
            _ => Err(unexpected(answer)),
        };
    }
    let intent = StripeIntent::from_json(&answer.body);
    let reference = intent.id.clone();
    Ok(Mapped::Outcome(match intent.status.as_str() {
        "requires_capture" | "succeeded" => GatewayOutcome::Authorized { reference },
        "requires_action" => GatewayOutcome::RequiresAction {
            reference,
            // Stripe.js completes the action from the intent's client secret.
            next_action: Some(serde_json::json!({
                "type": "stripe",
                "client_secret": answer.body["client_secret"],
                "stripe": answer.body["next_action"],
            })),
        },
        "processing" => GatewayOutcome::Processing { reference },
        "requires_confirmation" => return Ok(Mapped::NeedsConfirmation(reference)),
        "canceled" => GatewayOutcome::Declined {
            reason: "canceled".into(),
        },
        _ => GatewayOutcome::Declined {
            reason: answer
                .body
                .pointer("/last_payment_error/decline_code")
                .or_else(|| answer.body.pointer("/last_payment_error/code"))
                .and_then(Value::as_str)
                .unwrap_or("card_declined")
                .to_string(),
        },
    }))
}

/// An answer the mapping has no place for, logged loudly: a `4xx` (Stripe did nothing; an
/// `idempotency_error` is a bug here) or a `5xx` Stripe said not to retry (it may have done it).
fn unexpected(answer: &Answer) -> Error {
    let kind = answer.body["error"]["type"].as_str().unwrap_or("");
    tracing::error!(status = answer.status, kind, body = %answer.body, "unexpected answer from Stripe");
    let message = format!(
        "Stripe answered {} {}: {}",
        answer.status,
        kind,
        answer.body["error"]["message"].as_str().unwrap_or("")
    );
    if answer.status >= 500 {
        Error::gateway_outcome_unknown(message)
    } else {
        Error::gateway_unavailable(message)
    }
}

/// `reference` as one path segment: Stripe's ids are letters, digits and `_`.
fn path_segment(reference: &str) -> Result<&str, Error> {
    if !reference.is_empty()
        && reference
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        Ok(reference)
    } else {
        Err(Error::new(ErrorKind::InvalidInput {
            message: format!("`{reference}` is not a Stripe id"),
        }))
    }
}

#[async_trait]
impl PaymentGateway for StripeGateway {
    async fn authorize(&self, request: &AuthorizeRequest) -> Result<GatewayOutcome, Error> {
        let (amount, currency) = amounts::to_stripe(request.amount)?;
        let capture = match request.capture_method {
            CaptureMethod::Manual => "manual",
            CaptureMethod::Automatic => "automatic",
        };
        let form = [
            ("amount", amount.to_string()),
            ("currency", currency),
            ("capture_method", capture.to_string()),
            ("payment_method", request.payment_method.clone()),
            ("confirm", "true".to_string()),
            ("metadata[commerce_intent_id]", request.intent_id.clone()),
        ];
        let key = format!("commerce:{}", request.idempotency_key);
        let answer = self
            .transport
            .post("/v1/payment_intents", &form, &key)
            .await?;
        match outcome(&answer)? {
            Mapped::Outcome(outcome) => Ok(outcome),
            // Some Stripe-compatible servers create the intent and leave its confirmation to a
            // second call.
            Mapped::NeedsConfirmation(reference) => {
                let answer = self.confirm(&reference, &request.idempotency_key).await?;
                match outcome(&answer)? {
                    Mapped::Outcome(outcome) => Ok(outcome),
                    Mapped::NeedsConfirmation(_) => Err(unexpected(&answer)),
                }
            }
        }
    }

    async fn capture(
        &self,
        reference: &str,
        amount: Money,
        idempotency_key: &str,
    ) -> Result<(), Error> {
        let (units, _) = amounts::to_stripe(amount)?;
        let path = format!("/v1/payment_intents/{}/capture", path_segment(reference)?);
        self.money_move(
            &path,
            &[("amount_to_capture", units.to_string())],
            idempotency_key,
        )
        .await
    }

    async fn refund(
        &self,
        reference: &str,
        amount: Money,
        idempotency_key: &str,
    ) -> Result<(), Error> {
        let (units, _) = amounts::to_stripe(amount)?;
        let form = [
            ("payment_intent", path_segment(reference)?.to_string()),
            ("amount", units.to_string()),
        ];
        self.money_move("/v1/refunds", &form, idempotency_key).await
    }

    async fn payment_status(&self, reference: &str) -> Result<Option<GatewayEventKind>, Error> {
        let intent = match self.retrieve(reference).await {
            Err(err) if err.code() == "not_found" => return Ok(None),
            other => other?,
        };
        Ok(match intent.status.as_str() {
            "requires_capture" | "succeeded" => Some(GatewayEventKind::PaymentSucceeded),
            "requires_payment_method" | "canceled" => Some(GatewayEventKind::PaymentFailed {
                reason: intent.last_error.unwrap_or_else(|| intent.status.clone()),
            }),
            _ => None,
        })
    }

    async fn cancel(&self, reference: &str, idempotency_key: &str) -> Result<(), Error> {
        let path = format!("/v1/payment_intents/{}/cancel", path_segment(reference)?);
        match self.money_move(&path, &[], idempotency_key).await {
            // Voided already (by an earlier attempt, or by Stripe when the hold lapsed).
            Err(err) if err.is_payment_declined() => {
                let intent = self.retrieve(reference).await?;
                if intent.status == "canceled" {
                    Ok(())
                } else {
                    Err(err)
                }
            }
            other => other,
        }
    }
}
