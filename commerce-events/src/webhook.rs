//! Signed webhooks, in the Standard Webhooks format.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use commerce_core::delivery::{Envelope, Outcome};
use commerce_core::webhooks::{WebhookEndpoint, base64, host_of, signing_key};
use commerce_core::worker::WebhookSender;
use commerce_core::{Error, Timestamp};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::guard::{AddressPolicy, GuardedResolver};

const USER_AGENT: &str = concat!("commerce-webhooks/", env!("CARGO_PKG_VERSION"));

/// How long a receiver is given to accept the connection: 2 seconds.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a receiver is given to answer: 10 seconds, after which the attempt failed and is
/// retried on the webhook schedule.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// The `webhook-signature` header of a message, in the Standard Webhooks format: for each
/// secret, `v1,` and the base64 HMAC-SHA256 of `<id>.<timestamp>.<body>` keyed by the bytes
/// the secret (`whsec_…`) stands for; several separated by spaces. A receiver accepts the
/// message if any one matches.
///
/// ```
/// use commerce_core::webhooks::secret_from_bytes;
///
/// let secret = secret_from_bytes(b"a signing key of 24 byte");
/// let header = commerce_events::sign(&[secret.as_str()], "evt_1", 1_700_000_000, b"{}");
/// assert!(header.starts_with("v1,"));
/// assert_eq!(header, commerce_events::sign(&[secret.as_str()], "evt_1", 1_700_000_000, b"{}"));
/// assert_ne!(header, commerce_events::sign(&[secret.as_str()], "evt_1", 1_700_000_001, b"{}"));
/// ```
pub fn sign(secrets: &[&str], id: &str, timestamp_seconds: i64, body: &[u8]) -> String {
    secrets
        .iter()
        .filter_map(|secret| signing_key(secret))
        .map(|key| {
            let mut mac =
                Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes a key of any length");
            mac.update(id.as_bytes());
            mac.update(b".");
            mac.update(timestamp_seconds.to_string().as_bytes());
            mac.update(b".");
            mac.update(body);
            format!("v1,{}", base64(&mac.finalize().into_bytes()))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Posts events to webhook endpoints: the envelope as JSON, with the headers `webhook-id` (the
/// event id, for the receiver to drop a duplicate), `webhook-timestamp` (seconds) and
/// `webhook-signature` ([`sign`]), over HTTP/1.1 (TLS by rustls, with the webpki roots).
/// Redirects are not followed and proxies are not used; the
/// [`AddressPolicy`] decides which addresses may be reached.
pub struct HttpWebhooks {
    client: Client<HttpsConnector<HttpConnector<GuardedResolver>>, Full<Bytes>>,
    policy: AddressPolicy,
}

impl HttpWebhooks {
    /// A sender under `policy`.
    ///
    /// # Errors
    ///
    /// `backend_error` if TLS cannot be set up.
    pub fn new(policy: AddressPolicy) -> Result<HttpWebhooks, Error> {
        let mut http = HttpConnector::new_with_resolver(GuardedResolver(policy));
        http.enforce_http(false);
        http.set_connect_timeout(Some(CONNECT_TIMEOUT));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(Arc::new(rustls::crypto::ring::default_provider()))
            .map_err(|e| Error::storage(format!("cannot set up TLS for webhooks: {e}")))?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new()).build(https);
        Ok(HttpWebhooks { client, policy })
    }
}

#[async_trait]
impl WebhookSender for HttpWebhooks {
    async fn send(
        &self,
        endpoint: &WebhookEndpoint,
        envelope: &Envelope,
        now: Timestamp,
    ) -> Outcome {
        let (host, _) = match host_of(&endpoint.url) {
            Ok(host) => host,
            Err(e) => return Outcome::Refused(format!("bad endpoint URL: {e}")),
        };
        // A name is checked when it resolves; an address written in the URL, here.
        if let Ok(ip) = host.parse::<std::net::IpAddr>()
            && !self.policy.allows(ip)
        {
            return Outcome::Failed(format!(
                "{ip} is a loopback, private or link-local address, where webhooks may not go"
            ));
        }
        let body = match serde_json::to_vec(envelope) {
            Ok(body) => body,
            Err(e) => return Outcome::Refused(format!("cannot encode the event: {e}")),
        };
        let timestamp = now.unix_millis().div_euclid(1000);
        let signature = sign(
            &endpoint.signing_secrets(now),
            &envelope.id,
            timestamp,
            &body,
        );
        let request = hyper::Request::post(endpoint.url.as_str())
            .header("content-type", "application/json")
            .header("user-agent", USER_AGENT)
            .header("webhook-id", envelope.id.as_str())
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(Full::new(Bytes::from(body)));
        let request = match request {
            Ok(request) => request,
            Err(e) => return Outcome::Refused(format!("bad endpoint URL: {e}")),
        };
        // Redirects are not followed: a 3xx is an answer like any other that is not 2xx.
        match tokio::time::timeout(ANSWER_TIMEOUT, self.client.request(request)).await {
            Ok(Ok(answer)) if answer.status().is_success() => Outcome::Delivered,
            Ok(Ok(answer)) if answer.status() == hyper::StatusCode::GONE => {
                Outcome::Refused("the endpoint answered 410 Gone".into())
            }
            Ok(Ok(answer)) => Outcome::Failed(format!("the endpoint answered {}", answer.status())),
            Ok(Err(e)) => Outcome::Failed(format!(
                "cannot reach the endpoint: {}",
                commerce_core::error_chain(&e)
            )),
            Err(_) => Outcome::Failed("the endpoint did not answer in time".into()),
        }
    }
}
