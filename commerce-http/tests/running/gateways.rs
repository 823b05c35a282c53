//! The payment gateway as a running server chooses it: none unless named (and then payments are
//! refused, clearly), the breaker's pause as a `503` with `Retry-After`, and Stripe (against
//! localstripe) taking a payment and applying its own signed webhooks.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{ServerProcess, free_port, pay};

const SERVER: &str = env!("CARGO_BIN_EXE_commerce-server");

fn temp_database(name: &str) -> String {
    let path = std::env::temp_dir().join(format!("commerce-{name}-{}.db", free_port()));
    let _ = std::fs::remove_file(&path);
    format!("sqlite://{}", path.display())
}

/// A guest's cart with one blue mug, and its checkout paid with `token`: the status and body.
async fn buy(
    base: &str,
    token: &str,
    key: &str,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let client = reqwest::Client::new();
    let cart: Value = client
        .post(format!("{base}/v1/carts"))
        .header("content-type", "application/json")
        .body(json!({"currency": "USD"}).to_string())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .map(|b| serde_json::from_slice::<Value>(&b).unwrap())
        .unwrap();
    let id = cart["id"].as_str().unwrap();
    let added = client
        .post(format!("{base}/v1/carts/{id}/lines"))
        .header("content-type", "application/json")
        .body(json!({"sku": "MUG-BLUE", "quantity": 1}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), StatusCode::OK);
    let answer = client
        .post(format!("{base}/v1/carts/{id}/checkout"))
        .header("idempotency-key", key)
        // Each purchase from its own client, as the breaker test's guests are: one client may
        // hold only a few unpaid checkouts at once.
        .header(
            "x-forwarded-for",
            format!(
                "10.0.{}.{}",
                key.len(),
                key.bytes().map(u32::from).sum::<u32>() % 250
            ),
        )
        .header("content-type", "application/json")
        .body(pay(token).to_string())
        .send()
        .await
        .unwrap();
    let status = answer.status();
    let headers = answer.headers().clone();
    let body = answer.bytes().await.unwrap();
    (status, headers, serde_json::from_slice(&body).unwrap())
}

#[tokio::test]
async fn a_server_without_a_gateway_says_so_and_refuses_payments_clearly() {
    let port = free_port();
    let mut server = ServerProcess::spawn(
        Command::new(SERVER)
            .args(["serve", "--demo", "--gateway", "none", "--no-worker"])
            .args(["--database-url", &temp_database("no-gateway")])
            .args(["--bind", &format!("127.0.0.1:{port}")])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped()),
        port,
    )
    .await;
    let mut stderr = BufReader::new(server.take_stderr().unwrap()).lines();
    let warning = stderr
        .by_ref()
        .map_while(Result::ok)
        .find(|line| line.contains("no payment gateway"))
        .expect("a warning at start-up");
    // Keep reading, so that the server's log never meets a closed pipe.
    std::thread::spawn(move || stderr.for_each(drop));
    assert!(warning.contains("--gateway stripe"), "{warning}");

    let (status, headers, problem) = buy(&server.base, "tok_visa", "no-gateway-1").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{problem}");
    assert_eq!(problem["code"], "payments_not_configured");
    assert_eq!(headers["content-type"], "application/problem+json");
    let ready: Value = reqwest::get(format!("{}/readyz", server.base))
        .await
        .unwrap()
        .bytes()
        .await
        .map(|b| serde_json::from_slice::<Value>(&b).unwrap())
        .unwrap();
    assert_eq!(ready["gateway"]["gateway"], "none", "{ready}");
}

#[tokio::test]
async fn a_failing_gateway_opens_the_breaker_which_answers_at_once_with_retry_after() {
    let server =
        ServerProcess::start_with(&temp_database("breaker"), true, &["--trust-forwarded"]).await;
    let base = &server.base;
    for attempt in 0..5 {
        let (status, _, problem) = buy(base, "tok_gateway_down", &format!("down-{attempt}")).await;
        assert_eq!(status, StatusCode::BAD_GATEWAY, "{problem}");
    }
    let (status, headers, problem) = buy(base, "tok_visa", "while-open").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{problem}");
    assert_eq!(problem["code"], "gateway_circuit_open");
    let retry_after: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=30).contains(&retry_after), "{retry_after}");

    let metrics = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("commerce_gateway_breaker_state{gateway=\"test\",state=\"open\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("commerce_gateway_breaker_opened_total{gateway=\"test\"} 1"));
    assert!(metrics.contains("commerce_gateway_calls_refused_total{gateway=\"test\"} 1"));
    let ready = reqwest::get(format!("{base}/readyz")).await.unwrap();
    assert_eq!(
        ready.status(),
        StatusCode::OK,
        "still ready: the pause is the gateway's"
    );
    let ready: Value = serde_json::from_slice(&ready.bytes().await.unwrap()).unwrap();
    assert_eq!(ready["gateway"]["state"], "open", "{ready}");
}

/// The `localstripe` executable, as the Stripe crate's tests find it.
fn localstripe() -> Option<String> {
    let candidate =
        std::env::var("COMMERCE_TEST_LOCALSTRIPE").unwrap_or_else(|_| "localstripe".to_string());
    Command::new(&candidate)
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
        .then_some(candidate)
}

struct LocalStripe(std::process::Child, String);

impl Drop for LocalStripe {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn local_post(base: &str, path: &str, form: &[(&str, &str)]) -> Value {
    let body = form
        .iter()
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let answer = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .header("authorization", "Bearer sk_test_local")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "{path}: {}", answer.status());
    serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap_or(Value::Null)
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn stripe_takes_payments_and_its_signed_webhooks_complete_a_3d_secure_one() {
    let Some(binary) = localstripe() else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "no localstripe, and CI=true"
        );
        eprintln!("skipped: no localstripe");
        return;
    };
    let stripe_port = free_port();
    let local = LocalStripe(
        Command::new(binary)
            .args(["--port", &stripe_port.to_string(), "--from-scratch"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
        format!("http://127.0.0.1:{stripe_port}"),
    );
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", stripe_port))
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let port = free_port();
    let server = ServerProcess::spawn(
        Command::new(SERVER)
            .args(["serve", "--demo", "--gateway", "stripe", "--no-worker"])
            .args(["--database-url", &temp_database("stripe")])
            .args(["--bind", &format!("127.0.0.1:{port}")])
            .env("STRIPE_SECRET_KEY", "sk_test_local")
            .env("STRIPE_WEBHOOK_SECRET", "whsec_server")
            .env("STRIPE_API_BASE", &local.1)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null()),
        port,
    )
    .await;
    let base = &server.base;

    let (status, _, paid) = buy(base, "pm_card_visa", "stripe-1").await;
    assert_eq!(status, StatusCode::CREATED, "{paid}");
    assert_eq!(paid["order"]["status"], "confirmed");
    assert!(
        paid["payment_intent"]["gateway_reference"]
            .as_str()
            .unwrap()
            .starts_with("pi_")
    );
    let (status, _, again) = buy(base, "tok_visa", "stripe-2").await;
    assert_eq!(
        status,
        StatusCode::PAYMENT_REQUIRED,
        "test tokens are not Stripe's: {again}"
    );

    local_post(
        &local.1,
        "/_config/webhooks/commerce",
        &[
            ("url", &format!("{base}/v1/webhooks/stripe")),
            ("secret", "whsec_server"),
        ],
    )
    .await;
    let card = local_post(
        &local.1,
        "/v1/payment_methods",
        &[
            ("type", "card"),
            ("card[number]", "4000002500003155"),
            ("card[exp_month]", "12"),
            ("card[exp_year]", "2030"),
            ("card[cvc]", "123"),
        ],
    )
    .await;
    let (status, _, waiting) = buy(base, card["id"].as_str().unwrap(), "stripe-3ds").await;
    assert_eq!(status, StatusCode::CREATED, "{waiting}");
    assert_eq!(waiting["payment_intent"]["status"], "requires_action");
    assert!(
        waiting["payment_intent"]["next_action"]["client_secret"].is_string(),
        "what Stripe.js needs is handed through: {waiting}"
    );
    let reference = waiting["payment_intent"]["gateway_reference"]
        .as_str()
        .unwrap();
    let intent: Value = reqwest::Client::new()
        .get(format!("{}/v1/payment_intents/{reference}", local.1))
        .header("authorization", "Bearer sk_test_local")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .map(|b| serde_json::from_slice::<Value>(&b).unwrap())
        .unwrap();
    local_post(
        &local.1,
        &format!("/v1/payment_intents/{reference}/_authenticate"),
        &[
            ("client_secret", intent["client_secret"].as_str().unwrap()),
            ("success", "true"),
        ],
    )
    .await;
    // localstripe posts its signed event to the server about a second later.
    let order = waiting["order"]["id"].as_str().unwrap();
    let cart = waiting["order"]["cart_id"].as_str().unwrap();
    let mut status = Value::Null;
    for _ in 0..100 {
        let order_now: Value = reqwest::get(format!("{base}/v1/carts/{cart}/order"))
            .await
            .unwrap()
            .bytes()
            .await
            .map(|b| serde_json::from_slice::<Value>(&b).unwrap())
            .unwrap();
        status = order_now["order"]["status"].clone();
        if status == "confirmed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, "confirmed", "order {order} after Stripe's webhook");

    let unsigned = reqwest::Client::new()
        .post(format!("{base}/v1/webhooks/stripe"))
        .header("stripe-signature", "t=1,v1=00")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), StatusCode::BAD_REQUEST);
}
