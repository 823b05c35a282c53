//! What wraps every request: ids, logs, a body limit, a timeout, CORS, per-client rate limits,
//! and a stricter one on the routes that check or set a password.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, Request, Response, StatusCode, header};
use axum::middleware::Next;
use axum::response::IntoResponse;
use commerce_core::IdGenerator;
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tower_governor::GovernorLayer;
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::key_extractor::{KeyExtractor, PeerIpKeyExtractor, SmartIpKeyExtractor};
use tower_http::cors::{AllowOrigin, Any, CorsLayer};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::RandomIds;
use crate::metrics::{self, Metrics};
use crate::problem::Problem;

/// How the server protects itself and its clients.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Requests per second each client may make, on average.
    pub rate_per_second: u32,
    /// How many requests a client may make at once before the rate applies.
    pub rate_burst: u32,
    /// Whether to key clients by `X-Forwarded-For` / `Forwarded` (only behind a proxy you run
    /// that sets them); otherwise by the peer address.
    pub trust_forwarded: bool,
    /// Origins allowed to call the API from a browser (CORS); empty allows none.
    pub cors_origins: Vec<String>,
    /// How long a request may take before it is answered `408`.
    pub request_timeout: Duration,
    /// The largest request body, in bytes.
    pub body_limit: usize,
    /// The secret the payment gateway signs webhooks with; `None` turns the endpoint off.
    pub webhook_secret: Option<String>,
    /// The secret Stripe signs webhooks with (`STRIPE_WEBHOOK_SECRET`); `None` turns
    /// `/v1/webhooks/stripe` off.
    pub stripe_webhook_secret: Option<String>,
    /// Password attempts (sign-in, registration, password change) each client may make per
    /// minute, all of them at once if it likes; the general rate is far too generous for
    /// guessing passwords, and each attempt costs an Argon2 hash.
    pub credential_attempts_per_minute: u32,
    /// Sign-ins each account may have per hour, from all clients together.
    pub account_sign_ins_per_hour: u32,
    /// The storefront's WebAssembly package (the directory holding `web/commerce_wasm_bg.wasm`);
    /// `None` looks where a checkout or an installation keeps it (see [`crate::storefront_package`]).
    pub wasm_dir: Option<std::path::PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            rate_per_second: 100,
            rate_burst: 200,
            trust_forwarded: false,
            cors_origins: Vec::new(),
            request_timeout: Duration::from_secs(30),
            body_limit: 1 << 20,
            webhook_secret: None,
            stripe_webhook_secret: None,
            credential_attempts_per_minute: 10,
            account_sign_ins_per_hour: 20,
            wasm_dir: None,
        }
    }
}

/// Keys clients by peer address, or by forwarded headers when configured to trust them.
#[derive(Debug, Clone, Copy)]
struct ClientIp {
    trust_forwarded: bool,
}

impl KeyExtractor for ClientIp {
    type Key = IpAddr;

    fn extract<T>(&self, request: &Request<T>) -> Result<IpAddr, tower_governor::GovernorError> {
        if self.trust_forwarded {
            SmartIpKeyExtractor.extract(request)
        } else {
            PeerIpKeyExtractor.extract(request)
        }
    }
}

#[derive(Clone, Copy)]
struct MakeId;

impl MakeRequestId for MakeId {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&RandomIds.next_id("req"))
            .ok()
            .map(RequestId::new)
    }
}

fn too_many(error: tower_governor::GovernorError) -> Response<Body> {
    match error {
        tower_governor::GovernorError::TooManyRequests { wait_time, .. } => {
            rate_limited("too many requests", wait_time)
        }
        _ => unknown_client(),
    }
}

fn unknown_client() -> Response<Body> {
    Problem::invalid_request("the client address could not be determined").into_response()
}

/// `429` with the whole seconds to wait, at least one, in `Retry-After`.
fn rate_limited(what: &str, wait_seconds: u64) -> Response<Body> {
    let wait = wait_seconds.max(1);
    Problem::rate_limited(format!("{what}; retry in {wait} s"), wait).into_response()
}

/// Sign-ins per account, whichever clients they come from: a slow guess spread over many
/// addresses is bounded per account, as a fast one is per client. Kept per process, like the
/// other limits.
pub(crate) struct AccountAttempts {
    limiter: DefaultKeyedRateLimiter<String>,
}

impl AccountAttempts {
    fn new(per_hour: u32) -> AccountAttempts {
        let per_hour = NonZeroU32::new(per_hour).unwrap_or(NonZeroU32::MIN);
        AccountAttempts {
            limiter: RateLimiter::keyed(Quota::per_hour(per_hour)),
        }
    }

    /// Counts a sign-in to `email`'s account (compared case-insensitively).
    ///
    /// # Errors
    ///
    /// `429 rate_limited` once the account has had its sign-ins for the hour.
    pub(crate) fn attempt(&self, email: &str) -> Result<(), Problem> {
        let account = email.trim().to_lowercase();
        self.limiter.check_key(&account).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.limiter.clock().now());
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            Problem::rate_limited(
                format!("too many sign-ins to this account; retry in {seconds} s"),
                seconds,
            )
        })
    }
}

/// Where a request comes from, as the rate limits key it (the peer's address, or the
/// forwarded one behind a proxy the server is told to trust): what bounds a guest's unpaid
/// checkouts.
#[derive(Debug, Clone)]
pub(crate) struct ClientIdentity(pub(crate) String);

async fn identify_client(
    State(clients): State<ClientIp>,
    mut request: Request<Body>,
    next: Next,
) -> Response<Body> {
    if let Ok(ip) = clients.extract(&request) {
        request
            .extensions_mut()
            .insert(ClientIdentity(ip.to_string()));
    }
    next.run(request).await
}

/// The per-client limit on password attempts.
struct CredentialLimit {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    clients: ClientIp,
}

/// The routes that check or set a password: registration, sign-in, password change. A test
/// holds them to the routes the API documents, which another holds to the router.
pub(crate) const PASSWORD_ROUTES: [(&str, &str); 3] = [
    ("POST", "/v1/customers"),
    ("POST", "/v1/sessions"),
    ("PUT", "/v1/customers/me/password"),
];

/// True for the requests that check or set a password.
fn is_credential_attempt<B>(request: &Request<B>) -> bool {
    let (method, path) = (request.method().as_str(), request.uri().path());
    PASSWORD_ROUTES.contains(&(method, path))
}

async fn limit_credential_attempts(
    State(limit): State<Arc<CredentialLimit>>,
    request: Request<Body>,
    next: Next,
) -> Response<Body> {
    if is_credential_attempt(&request) {
        let Ok(client) = limit.clients.extract(&request) else {
            return unknown_client();
        };
        if let Err(not_until) = limit.limiter.check_key(&client) {
            let wait = not_until.wait_time_from(limit.limiter.clock().now());
            // Whole seconds, rounded up, so that a client retrying on time is let in.
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            return rate_limited("too many password attempts", seconds);
        }
        // Forget clients whose allowance is full again, so that the table cannot grow without
        // bound under a scan from many addresses.
        if limit.limiter.len() > 10_000 {
            limit.limiter.retain_recent();
        }
    }
    next.run(request).await
}

/// Turns every error response that is not already problem+json (axum's 405, the timeout's
/// 408, the body limit's 413, a path that is not UTF-8) into one, keeping its status and
/// headers (a 405's `Allow`): every error the server sends is a problem with a stable code.
async fn problems_only(request: axum::extract::Request, next: Next) -> axum::response::Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"application/problem+json"));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let problem = Problem::for_status(status).into_response();
    let (problem_parts, body) = problem.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    for (name, value) in &problem_parts.headers {
        parts.headers.insert(name, value.clone());
    }
    axum::response::Response::from_parts(parts, body)
}

/// Refuses a request whose path or query string, percent-decoded, is not UTF-8: it would be
/// read with replacement characters, as something the client did not send.
async fn utf8_only(request: axum::extract::Request, next: Next) -> axum::response::Response {
    let uri = request.uri();
    let decodes = |text: &str| percent_decoded_is_utf8(text.as_bytes());
    if !decodes(uri.path()) || !uri.query().is_none_or(decodes) {
        return Problem::invalid_request(
            "the path and the query string must be UTF-8, percent-encoded",
        )
        .into_response();
    }
    next.run(request).await
}

/// Whether `text`, with its `%XX` escapes decoded, is UTF-8.
fn percent_decoded_is_utf8(text: &[u8]) -> bool {
    let hex = |b: u8| (b as char).to_digit(16);
    let mut bytes = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        match (
            text[i],
            text.get(i + 1).copied().and_then(hex),
            text.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(high), Some(low)) => {
                bytes.push((high * 16 + low) as u8);
                i += 3;
            }
            (byte, _, _) => {
                bytes.push(byte);
                i += 1;
            }
        }
    }
    std::str::from_utf8(&bytes).is_ok()
}

/// Wraps a router in the middleware.
pub(crate) fn wrap(router: Router, settings: &Settings) -> Router {
    let metrics = Arc::new(Metrics::default());
    // `/metrics` itself is an operation of the API (`api::events`), which adds the events'.
    let router = router
        .route_layer(axum::middleware::from_fn(metrics::remember_route))
        .layer(axum::Extension(metrics.clone()));
    let period = Duration::from_nanos(1_000_000_000 / u64::from(settings.rate_per_second.max(1)));
    let attempts =
        NonZeroU32::new(settings.credential_attempts_per_minute).unwrap_or(NonZeroU32::MIN);
    let credential_limit = Arc::new(CredentialLimit {
        limiter: RateLimiter::keyed(Quota::per_minute(attempts)),
        clients: ClientIp {
            trust_forwarded: settings.trust_forwarded,
        },
    });
    let governor = GovernorConfigBuilder::default()
        .key_extractor(ClientIp {
            trust_forwarded: settings.trust_forwarded,
        })
        .period(period)
        .burst_size(settings.rate_burst.max(1))
        .finish()
        .map(Arc::new);
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(
            settings
                .cors_origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o).ok()),
        ))
        .allow_methods(Any)
        .allow_headers(Any)
        .expose_headers([HeaderName::from_static("x-request-id")]);
    let x_request_id = HeaderName::from_static("x-request-id");
    let mut router = router
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            settings.body_limit,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            settings.request_timeout,
        ))
        .layer(cors)
        .layer(axum::middleware::from_fn_with_state(
            credential_limit,
            limit_credential_attempts,
        ))
        .layer(axum::middleware::from_fn_with_state(
            ClientIp {
                trust_forwarded: settings.trust_forwarded,
            },
            identify_client,
        ))
        .layer(axum::Extension(Arc::new(AccountAttempts::new(
            settings.account_sign_ins_per_hour,
        ))));
    if let Some(governor) = governor {
        router = router.layer(GovernorLayer::new(governor).error_handler(too_many));
    }
    router
        .layer(axum::middleware::from_fn(utf8_only))
        .layer(axum::middleware::from_fn(problems_only))
        // Outside every layer that may answer on its own (429, 413, 408), inside the request id.
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            metrics::measure,
        ))
        .layer(PropagateRequestIdLayer::new(x_request_id.clone()))
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::new(x_request_id, MakeId))
}

/// The socket-address type the server must be served with, for per-client keys.
pub type ClientAddr = SocketAddr;
