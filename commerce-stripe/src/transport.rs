//! Requests to Stripe: form-encoded bodies, the secret key, the idempotency key, a timeout per
//! attempt, and retries with backoff for what Stripe says is safe to retry.

use std::sync::Arc;
use std::time::Duration;

use commerce_core::Error;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

use crate::{STRIPE_VERSION, StripeConfig};

/// An answer Stripe gave: its status and its JSON body.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Value,
}

/// How one attempt ended, when it did not end in an answer worth keeping.
enum Attempt {
    Answered(Answer),
    /// Retry: Stripe certainly did nothing (connection refused, 429) ...
    NothingDone(String, Option<Duration>),
    /// ... or may have done it (a timeout, a 5xx, a broken connection).
    MaybeDone(String, Option<Duration>),
}

pub(crate) struct Transport {
    pub(crate) config: StripeConfig,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

const USER_AGENT: &str = concat!("commerce-stripe/", env!("CARGO_PKG_VERSION"));

/// The longest `Retry-After` honoured inside one call; beyond it, the caller retries later.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(2);

impl Transport {
    pub(crate) fn new(config: StripeConfig) -> Result<Transport, Error> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(Duration::from_secs(2).min(config.timeout)));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(Arc::new(rustls::crypto::ring::default_provider()))
            .map_err(|e| Error::storage(format!("cannot set up TLS for Stripe: {e}")))?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new()).build(https);
        Ok(Transport { config, client })
    }

    pub(crate) async fn get(&self, path: &str) -> Result<Answer, Error> {
        self.send(hyper::Method::GET, path, String::new(), None)
            .await
    }

    pub(crate) async fn post(
        &self,
        path: &str,
        form: &[(&str, String)],
        idempotency_key: &str,
    ) -> Result<Answer, Error> {
        let body = {
            let mut body = form_urlencoded::Serializer::new(String::new());
            for (name, value) in form {
                body.append_pair(name, value);
            }
            body.finish()
        };
        self.send(hyper::Method::POST, path, body, Some(idempotency_key))
            .await
    }

    /// Sends, retrying what may be retried with the same key, and says what is known when the
    /// retries run out.
    async fn send(
        &self,
        method: hyper::Method,
        path: &str,
        body: String,
        idempotency_key: Option<&str>,
    ) -> Result<Answer, Error> {
        let mut maybe_done = false;
        let mut last = String::new();
        for attempt in 0..=self.config.max_retries {
            if attempt > 0 {
                tracing::warn!(path, attempt, reason = %last, "retrying a Stripe call with the same idempotency key");
            }
            let wait = match self.attempt(&method, path, &body, idempotency_key).await {
                Attempt::Answered(answer) => return Ok(answer),
                Attempt::NothingDone(why, wait) => {
                    last = why;
                    wait
                }
                Attempt::MaybeDone(why, wait) => {
                    maybe_done = true;
                    last = why;
                    wait
                }
            };
            if attempt < self.config.max_retries {
                let backoff = self.config.retry_delay * 4u32.saturating_pow(attempt);
                tokio::time::sleep(wait.unwrap_or(backoff).min(MAX_RETRY_AFTER.max(backoff))).await;
            }
        }
        Err(if maybe_done {
            Error::gateway_outcome_unknown(format!("Stripe did not answer: {last}"))
        } else {
            Error::gateway_unavailable(format!("Stripe could not be reached: {last}"))
        })
    }

    async fn attempt(
        &self,
        method: &hyper::Method,
        path: &str,
        body: &str,
        idempotency_key: Option<&str>,
    ) -> Attempt {
        let url = format!("{}{path}", self.config.api_base.trim_end_matches('/'));
        let mut request = hyper::Request::builder()
            .method(method.clone())
            .uri(url.as_str())
            .header(
                "authorization",
                format!("Bearer {}", self.config.secret_key),
            )
            .header("stripe-version", STRIPE_VERSION)
            .header("user-agent", USER_AGENT);
        if method == hyper::Method::POST {
            request = request.header("content-type", "application/x-www-form-urlencoded");
        }
        if let Some(key) = idempotency_key {
            request = request.header("idempotency-key", key);
        }
        let request = match request.body(Full::new(Bytes::from(body.to_string()))) {
            Ok(request) => request,
            Err(e) => return Attempt::NothingDone(format!("bad request: {e}"), None),
        };
        let exchange = async {
            let response = self.client.request(request).await?;
            let status = response.status().as_u16();
            let should_retry = response
                .headers()
                .get("stripe-should-retry")
                .and_then(|v| v.to_str().ok())
                .map(|v| v == "true");
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok())
                .map(Duration::from_secs);
            let bytes = response
                .into_body()
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            Ok::<_, hyper_util::client::legacy::Error>((status, should_retry, retry_after, bytes))
        };
        match tokio::time::timeout(self.config.timeout, exchange).await {
            Err(_) => Attempt::MaybeDone("no answer in time".into(), None),
            Ok(Err(e)) if e.is_connect() => Attempt::NothingDone(
                format!("cannot connect: {}", commerce_core::error_chain(&e)),
                None,
            ),
            Ok(Err(e)) => Attempt::MaybeDone(
                format!("the connection failed: {}", commerce_core::error_chain(&e)),
                None,
            ),
            Ok(Ok((status, should_retry, retry_after, bytes))) => {
                let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                let answer = Answer { status, body };
                // Stripe's own word first; without it, 409 (a concurrent request with this
                // key), 429 and 5xx are retried.
                let retry = should_retry.unwrap_or(matches!(status, 409 | 429 | 500..=599));
                match (retry, status) {
                    (false, _) => Attempt::Answered(answer),
                    (true, 409 | 429) => {
                        Attempt::NothingDone(format!("Stripe answered {status}"), retry_after)
                    }
                    (true, _) => {
                        Attempt::MaybeDone(format!("Stripe answered {status}"), retry_after)
                    }
                }
            }
        }
    }
}
