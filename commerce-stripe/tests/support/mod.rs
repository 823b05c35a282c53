//! What the Stripe tests share: a Stripe fake for what localstripe lacks (Stripe's
//! Idempotency-Key replays, and faults: 5xx after the work, stalls past the timeout, 429), and
//! localstripe itself, started per test.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

/// A fault the fake plays on the next calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Does the work, then answers 500.
    FailAfterWork,
    /// Answers 500 without doing anything, with `Stripe-Should-Retry` if given.
    Fail(Option<bool>),
    /// Answers 429 with `Retry-After: 0`.
    RateLimited,
    /// Does the work, then waits this long before answering.
    Stall(Duration),
}

#[derive(Default)]
struct Ledger {
    /// Replays by idempotency key: the request body and the answer.
    replays: HashMap<String, (String, u16, Value)>,
    intents: HashMap<String, Value>,
    /// Money moved: (kind, intent, amount), one per distinct key.
    moves: Vec<(String, String, i64)>,
    requests: usize,
    faults: Vec<Fault>,
    down: bool,
}

/// The fake's handle: its address, its ledger, and the faults to play.
#[derive(Clone, Default)]
pub struct FakeStripe {
    ledger: Arc<Mutex<Ledger>>,
    pub base: String,
}

impl FakeStripe {
    /// Starts the fake on a free port.
    pub async fn start() -> FakeStripe {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fake = FakeStripe {
            base: format!("http://{}", listener.local_addr().unwrap()),
            ..FakeStripe::default()
        };
        let app = Router::new()
            .route("/v1/payment_intents", post(create))
            .route("/v1/payment_intents/{id}", get(retrieve))
            .route("/v1/payment_intents/{id}/{action}", post(act))
            .route("/v1/refunds", post(refund))
            .with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        fake
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap()
    }

    /// Plays `fault` on the next call.
    pub fn fault(&self, fault: Fault) {
        self.lock().faults.push(fault);
    }

    /// Answers 503 to everything until [`FakeStripe::up`].
    pub fn down(&self) {
        self.lock().down = true;
    }

    /// Answers again.
    pub fn up(&self) {
        self.lock().down = false;
    }

    /// The money moves made, one per distinct idempotency key: (kind, intent, amount).
    pub fn moves(&self) -> Vec<(String, String, i64)> {
        self.lock().moves.clone()
    }

    /// How many authorizations each of our intents got (by `metadata[commerce_intent_id]`).
    pub fn authorizations_by_intent(&self) -> HashMap<String, usize> {
        let ledger = self.lock();
        let mut counts = HashMap::new();
        for (kind, reference, _) in &ledger.moves {
            if kind == "authorize" {
                let ours = ledger.intents[reference]["metadata"]["commerce_intent_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                *counts.entry(ours).or_insert(0) += 1;
            }
        }
        counts
    }

    /// How many requests arrived, retries included.
    pub fn requests(&self) -> usize {
        self.lock().requests
    }
}

type Form = HashMap<String, String>;

fn form(body: &str) -> Form {
    form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}

fn error(status: u16, kind: &str, code: &str) -> (u16, Value) {
    (
        status,
        json!({"error": {"type": kind, "code": code, "message": code}}),
    )
}

/// Stripe's idempotency and the faults around `work`, which answers and records.
async fn handle(
    fake: &FakeStripe,
    headers: &HeaderMap,
    body: String,
    work: impl FnOnce(&mut Ledger, &Form) -> (u16, Value),
) -> Response {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (fault, answer) = {
        let mut ledger = fake.lock();
        ledger.requests += 1;
        if ledger.down {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(json!({"error": {"type": "api_error"}})),
            )
                .into_response();
        }
        let fault = (!ledger.faults.is_empty()).then(|| ledger.faults.remove(0));
        if let Some(Fault::Fail(should_retry)) = &fault {
            let mut response = (
                StatusCode::INTERNAL_SERVER_ERROR,
                axum::Json(json!({"error": {"type": "api_error"}})),
            )
                .into_response();
            if let Some(retry) = should_retry {
                response
                    .headers_mut()
                    .insert("stripe-should-retry", retry.to_string().parse().unwrap());
            }
            return response;
        }
        if fault == Some(Fault::RateLimited) {
            let mut response = (
                StatusCode::TOO_MANY_REQUESTS,
                axum::Json(json!({"error": {"type": "rate_limit_error"}})),
            )
                .into_response();
            response
                .headers_mut()
                .insert("retry-after", "0".parse().unwrap());
            return response;
        }
        let answer = match key.as_ref().and_then(|k| ledger.replays.get(k)) {
            Some((first_body, _, _)) if *first_body != body => {
                error(400, "idempotency_error", "idempotency_key_in_use")
            }
            Some((_, status, value)) => (*status, value.clone()),
            None => {
                let answer = work(&mut ledger, &form(&body));
                if let Some(key) = &key {
                    ledger
                        .replays
                        .insert(key.clone(), (body, answer.0, answer.1.clone()));
                }
                answer
            }
        };
        (fault, answer)
    };
    match fault {
        Some(Fault::FailAfterWork) => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                axum::Json(json!({"error": {"type": "api_error"}})),
            )
                .into_response();
        }
        Some(Fault::Stall(wait)) => tokio::time::sleep(wait).await,
        _ => {}
    }
    (
        StatusCode::from_u16(answer.0).unwrap(),
        axum::Json(answer.1),
    )
        .into_response()
}

async fn create(State(fake): State<FakeStripe>, headers: HeaderMap, body: String) -> Response {
    handle(&fake, &headers, body, |ledger, form| {
        let id = format!("pi_fake{}", ledger.intents.len() + 1);
        let amount: i64 = form["amount"].parse().unwrap();
        let method = form.get("payment_method").cloned().unwrap_or_default();
        if method == "pm_card_chargeDeclined" {
            return (402, json!({"error": {"type": "card_error", "code": "card_declined", "decline_code": "generic_decline"}}));
        }
        let automatic = form.get("capture_method").map(String::as_str) == Some("automatic");
        let intent = json!({
            "id": id, "object": "payment_intent", "amount": amount,
            "status": if automatic { "succeeded" } else { "requires_capture" },
            "amount_capturable": if automatic { 0 } else { amount },
            "amount_received": if automatic { amount } else { 0 },
            "metadata": {"commerce_intent_id": form.get("metadata[commerce_intent_id]")},
        });
        ledger.moves.push(("authorize".into(), id.clone(), amount));
        ledger.intents.insert(id, intent.clone());
        (200, intent)
    })
    .await
}

async fn retrieve(State(fake): State<FakeStripe>, Path(id): Path<String>) -> Response {
    let ledger = fake.lock();
    match ledger.intents.get(&id) {
        Some(intent) => (StatusCode::OK, axum::Json(intent.clone())).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            axum::Json(
                json!({"error": {"type": "invalid_request_error", "code": "resource_missing"}}),
            ),
        )
            .into_response(),
    }
}

async fn act(
    State(fake): State<FakeStripe>,
    Path((id, action)): Path<(String, String)>,
    headers: HeaderMap,
    body: String,
) -> Response {
    handle(&fake, &headers, body, |ledger, form| {
        let Some(intent) = ledger.intents.get_mut(&id) else {
            return error(404, "invalid_request_error", "resource_missing");
        };
        match (action.as_str(), intent["status"].as_str()) {
            ("capture", Some("requires_capture")) => {
                let amount: i64 = form
                    .get("amount_to_capture")
                    .map_or(intent["amount"].as_i64().unwrap(), |a| a.parse().unwrap());
                intent["status"] = "succeeded".into();
                intent["amount_received"] = amount.into();
                intent["amount_capturable"] = 0.into();
                let intent = intent.clone();
                ledger.moves.push(("capture".into(), id.clone(), amount));
                (200, intent)
            }
            ("cancel", Some("requires_capture")) => {
                intent["status"] = "canceled".into();
                let intent = intent.clone();
                ledger.moves.push(("cancel".into(), id.clone(), 0));
                (200, intent)
            }
            _ => error(
                400,
                "invalid_request_error",
                "payment_intent_unexpected_state",
            ),
        }
    })
    .await
}

async fn refund(State(fake): State<FakeStripe>, headers: HeaderMap, body: String) -> Response {
    handle(&fake, &headers, body, |ledger, form| {
        let intent = form["payment_intent"].clone();
        let amount: i64 = form["amount"].parse().unwrap();
        let refunded: i64 = ledger
            .moves
            .iter()
            .filter(|(kind, on, _)| kind == "refund" && *on == intent)
            .map(|m| m.2)
            .sum();
        let received = ledger.intents.get(&intent).map_or(0, |i| i["amount_received"].as_i64().unwrap());
        if refunded + amount > received {
            return error(400, "invalid_request_error", "amount_too_large");
        }
        ledger.moves.push(("refund".into(), intent.clone(), amount));
        (200, json!({"id": format!("re_fake{}", ledger.moves.len()), "object": "refund", "status": "succeeded", "amount": amount, "payment_intent": intent}))
    })
    .await
}

/// `CI=true`: a missing tool is a failure, not a skip.
pub fn required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// The `localstripe` executable: `COMMERCE_TEST_LOCALSTRIPE`, which the test script installs,
/// else one on the `PATH`.
pub fn localstripe_binary() -> Option<String> {
    let candidate =
        std::env::var("COMMERCE_TEST_LOCALSTRIPE").unwrap_or_else(|_| "localstripe".to_string());
    std::process::Command::new(&candidate)
        .arg("--help")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
        .then_some(candidate)
}

/// A localstripe server on a free port; stopped when dropped.
pub struct LocalStripe {
    child: std::process::Child,
    /// `http://127.0.0.1:port`.
    pub base: String,
}

impl LocalStripe {
    /// Starts one and waits until it answers.
    pub async fn start(binary: &str) -> LocalStripe {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new(binary)
            .args(["--port", &port.to_string(), "--from-scratch"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let server = LocalStripe {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("localstripe did not start on port {port}");
    }

    /// Registers a webhook endpoint at `url` signed with `secret`, as localstripe's own
    /// configuration route takes it.
    pub async fn register_webhook(&self, url: &str, secret: &str) {
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("url", url)
            .append_pair("secret", secret)
            .finish();
        self.post("/_config/webhooks/commerce", body).await;
    }

    /// Completes the 3-D Secure action an intent waits for, as the customer would.
    pub async fn authenticate(&self, reference: &str) {
        let intent: Value = serde_json::from_slice(
            &reqwest::Client::new()
                .get(format!("{}/v1/payment_intents/{reference}", self.base))
                .header("authorization", "Bearer sk_test_local")
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap(),
        )
        .unwrap();
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("client_secret", intent["client_secret"].as_str().unwrap())
            .append_pair("success", "true")
            .finish();
        self.post(
            &format!("/v1/payment_intents/{reference}/_authenticate"),
            body,
        )
        .await;
    }

    /// A card payment method for `number`.
    pub async fn card(&self, number: &str) -> String {
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("type", "card")
            .append_pair("card[number]", number)
            .append_pair("card[exp_month]", "12")
            .append_pair("card[exp_year]", "2030")
            .append_pair("card[cvc]", "123")
            .finish();
        self.post("/v1/payment_methods", body).await["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    async fn post(&self, path: &str, body: String) -> Value {
        let answer = reqwest::Client::new()
            .post(format!("{}{path}", self.base))
            .header("authorization", "Bearer sk_test_local")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success(), "{path}: {}", answer.status());
        serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap_or(Value::Null)
    }
}

impl Drop for LocalStripe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A webhook receiver on a free port: its URL, and what arrives (the `Stripe-Signature` header
/// and the raw body).
pub async fn webhook_receiver() -> (
    String,
    tokio::sync::mpsc::UnboundedReceiver<(String, Vec<u8>)>,
) {
    let (sender, received) = tokio::sync::mpsc::unbounded_channel();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/stripe", listener.local_addr().unwrap());
    let app = Router::new().route(
        "/stripe",
        post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let sender = sender.clone();
            async move {
                let header = headers
                    .get("stripe-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                let _ = sender.send((header, body.to_vec()));
                StatusCode::OK
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}
