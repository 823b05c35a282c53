//! The server over real HTTP on a SQLite file: the scenarios every backend runs (a full
//! purchase, accounts, the authorization matrix, settings, listings, the last units bought at
//! once, an admin's day) and what only needs one backend (every shared pricing case through
//! `POST /v1/quote`, problem+json errors, rate limits, request ids and CORS, webhooks).

mod running;
mod scenarios;
mod support;

use std::path::Path;

use reqwest::StatusCode;
use serde_json::{Value, json};

use support::{Backend, get, post, send, send_as};

/// Starts a server on a new SQLite file with the demo catalog.
async fn server() -> String {
    server_with(commerce_http::Settings::default()).await
}

async fn server_with(settings: commerce_http::Settings) -> String {
    support::start(Backend::Sqlite, settings).await.base
}

every_scenario!(Backend::Sqlite);

/// A worker killed mid-delivery, on SQLite (a file two processes share): the lease it held
/// runs out and another worker finishes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_delivery_loses_nothing() {
    scenarios::a_worker_killed_mid_delivery_loses_nothing(Backend::Sqlite).await;
}

#[tokio::test]
async fn client_mistakes_are_problems_never_500() {
    let base = server().await;
    let (status, problem) = get(format!("{base}/v1/carts/cart_nope")).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (status, problem) = post(
        format!("{base}/v1/carts"),
        json!({"currency": "USD", "customer_id": "someone"}),
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
    let (status, _) = post(format!("{base}/v1/carts"), json!({"currency": "XAU"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, cart) = post(format!("{base}/v1/carts"), json!({"currency": "USD"})).await;
    let cart_url = format!("{base}/v1/carts/{}", cart["id"].as_str().unwrap());
    let (status, problem) = post(
        format!("{cart_url}/lines"),
        json!({"sku": "TEE-M", "quantity": 0}),
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("quantity_out_of_range")
        )
    );
    let (status, problem) = post(
        format!("{cart_url}/lines"),
        json!({"sku": "NOPE", "quantity": 1}),
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_sku"))
    );
    let (status, _) = post(
        format!("{cart_url}/lines"),
        json!({"sku": "TEE-M", "quantity": 101}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the cart accepts it; stock is checked at checkout"
    );
    let (status, problem) = send(
        reqwest::Method::POST,
        format!("{cart_url}/checkout"),
        Some(crate::support::pay("tok_visa")),
        Some("k"),
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("insufficient_stock"))
    );
    let (status, problem) = get(format!("{base}/v1/nowhere")).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
}

/// Every shared pricing case through `POST /v1/quote`, matched with the same rule as the Rust
/// runner; refused requests are problems carrying the case's code.
#[tokio::test]
async fn every_shared_pricing_case_through_the_api() {
    let base = server().await;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/pricing");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 60);
    let mut failures = Vec::new();
    for file in files {
        let case: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let (status, body) = post(format!("{base}/v1/quote"), case["request"].clone()).await;
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let mut out = Vec::new();
        match case.get("expected_error") {
            Some(expected) => {
                if !status.is_client_error() {
                    out.push(format!("expected a 4xx, got {status}"));
                }
                let actual = json!({"code": body["code"], "field": body["errors"][0]["field"]});
                mismatches(expected, &actual, "error", &mut out);
            }
            None => {
                if status != StatusCode::OK {
                    out.push(format!("status {status}: {body}"));
                } else {
                    mismatches(&case["expected"], &body, "quote", &mut out);
                }
            }
        }
        failures.extend(out.into_iter().map(|m| format!("{name}: {m}")));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn mismatches(expected: &Value, actual: &Value, path: &str, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (key, value) in e {
                match a.get(key) {
                    Some(actual) => mismatches(value, actual, &format!("{path}.{key}"), out),
                    None => out.push(format!("{path}.{key}: missing")),
                }
            }
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            for (i, (e, a)) in e.iter().zip(a).enumerate() {
                mismatches(e, a, &format!("{path}[{i}]"), out);
            }
        }
        (e, a) if e == a => {}
        (e, a) => out.push(format!("{path}: expected {e}, got {a}")),
    }
}

#[tokio::test]
async fn clients_are_rate_limited_with_retry_after() {
    let base = server_with(commerce_http::Settings {
        rate_per_second: 1,
        rate_burst: 3,
        ..commerce_http::Settings::default()
    })
    .await;
    let client = reqwest::Client::new();
    let mut limited = None;
    for _ in 0..10 {
        let response = client
            .get(format!("{base}/v1/products"))
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(response);
            break;
        }
    }
    let response = limited.expect("a burst of 10 against a limit of 3 is refused");
    assert!(
        response.headers().get("retry-after").is_some(),
        "Retry-After is set"
    );
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(body["code"], "rate_limited");
    // A spoofed X-Forwarded-For does not reset the quota when forwarded headers are not trusted.
    let spoofed = client
        .get(format!("{base}/v1/products"))
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(spoofed.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn password_attempts_have_a_stricter_limit_of_their_own() {
    let base = server_with(commerce_http::Settings {
        credential_attempts_per_minute: 3,
        ..commerce_http::Settings::default()
    })
    .await;
    let client = reqwest::Client::new();
    let call = |method: reqwest::Method, path: &str, token: Option<&str>, body: Option<Value>| {
        let mut request = client.request(method, format!("{base}{path}"));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let change_password = |token: &str| {
        call(
            reqwest::Method::PUT,
            "/v1/customers/me/password",
            Some(token),
            Some(
                json!({"current_password": "not the password", "new_password": "another passphrase"}),
            ),
        )
    };
    let sign_in = || {
        call(
            reqwest::Method::POST,
            "/v1/sessions",
            None,
            Some(json!({"email": "ada@example.com", "password": "wrong password"})),
        )
    };
    // Three attempts on the three routes use up the allowance...
    let registered = call(
        reqwest::Method::POST,
        "/v1/customers",
        None,
        Some(json!({"email": "ada@example.com", "password": "a long passphrase"})),
    )
    .await
    .unwrap();
    assert_eq!(registered.status(), StatusCode::CREATED);
    let session: Value = serde_json::from_str(&registered.text().await.unwrap()).unwrap();
    let token = session["token"].as_str().unwrap().to_string();
    let wrong = change_password(&token).await.unwrap();
    assert_ne!(wrong.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(sign_in().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    // ...and the fourth, on any of them, is refused until one comes back.
    let limited = sign_in().await.unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    // One attempt comes back every 20 s at 3 a minute.
    assert!((1..=20).contains(&wait), "Retry-After: {wait}");
    let body: Value = serde_json::from_str(&limited.text().await.unwrap()).unwrap();
    assert_eq!(body["code"], "rate_limited");
    assert_eq!(
        change_password(&token).await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // Everything else keeps the general allowance, signed-in requests included.
    let me = call(reqwest::Method::GET, "/v1/customers/me", Some(&token), None)
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
}

#[tokio::test]
async fn every_response_has_a_request_id_and_cors_is_opt_in() {
    let base = server_with(commerce_http::Settings {
        cors_origins: vec!["https://shop.example".into()],
        ..commerce_http::Settings::default()
    })
    .await;
    let client = reqwest::Client::new();
    let response = client.get(format!("{base}/healthz")).send().await.unwrap();
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(id.starts_with("req_") && id.len() > 20, "{id}");
    let allowed = client
        .request(reqwest::Method::OPTIONS, format!("{base}/v1/products"))
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://shop.example"
    );
    let other = client
        .get(format!("{base}/v1/products"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
    let metrics = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("# TYPE commerce_http_responses_total counter"),
        "{metrics}"
    );
    let ok: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("commerce_http_responses_total{class=\"2xx\"} "))
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(ok >= 2, "{metrics}");
}

/// A checkout that needs an action completes when the gateway's signed event arrives; tampered,
/// stale or wrongly signed deliveries are refused; a duplicate changes nothing.
#[tokio::test]
async fn signed_gateway_webhooks() {
    use commerce_http::webhook::sign;

    let secret = "whsec_test";
    let base = server_with(commerce_http::Settings {
        webhook_secret: Some(secret.into()),
        ..commerce_http::Settings::default()
    })
    .await;
    let (_, cart) = post(format!("{base}/v1/carts"), json!({"currency": "USD"})).await;
    let id = cart["id"].as_str().unwrap().to_string();
    post(
        format!("{base}/v1/carts/{id}/lines"),
        json!({"sku": "MUG-RED", "quantity": 1}),
    )
    .await;
    let (status, pending) = send(
        reqwest::Method::POST,
        format!("{base}/v1/carts/{id}/checkout"),
        Some(crate::support::pay("tok_requires_action")),
        Some("k"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(pending["payment_intent"]["status"], "requires_action");
    let intent = pending["payment_intent"]["id"].as_str().unwrap();
    let body = json!({"id": "evt_1", "intent_id": intent, "kind": {"type": "payment_succeeded"}})
        .to_string();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let deliver = |body: String, signature: String| {
        let url = format!("{base}/v1/webhooks/gateway");
        async move {
            let response = reqwest::Client::new()
                .post(url)
                .header("commerce-signature", signature)
                .body(body)
                .send()
                .await
                .unwrap();
            let status = response.status();
            (
                status,
                serde_json::from_str::<Value>(&response.text().await.unwrap()).unwrap(),
            )
        }
    };
    // Refused: wrong secret, tampered body, a timestamp 301 s old, no signature at all.
    let (status, problem) = deliver(body.clone(), sign(b"other", body.as_bytes(), now)).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_signature"))
    );
    let tampered = body.replace("payment_succeeded", "payment_failed");
    assert_eq!(
        deliver(tampered, sign(secret.as_bytes(), body.as_bytes(), now))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        deliver(
            body.clone(),
            sign(secret.as_bytes(), body.as_bytes(), now - 301)
        )
        .await
        .0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        deliver(body.clone(), String::new()).await.0,
        StatusCode::BAD_REQUEST
    );
    // Accepted, with a rotated secret listed beside the current one.
    let current = sign(secret.as_bytes(), body.as_bytes(), now);
    let old = sign(b"whsec_old", body.as_bytes(), now);
    let rotated = format!("{old},{}", current.split(',').nth(1).unwrap());
    let (status, done) = deliver(body.clone(), rotated).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["order"]["status"], "confirmed");
    assert_eq!(done["payment_intent"]["status"], "succeeded");
    // The same event again, and a late failure event: nothing moves backwards.
    let (status, again) =
        deliver(body.clone(), sign(secret.as_bytes(), body.as_bytes(), now)).await;
    assert_eq!(
        (status, &again["order"]["status"]),
        (StatusCode::OK, &json!("confirmed"))
    );
    let late = json!({"id": "evt_2", "intent_id": intent, "kind": {"type": "payment_failed", "reason": "late"}}).to_string();
    let (status, after) =
        deliver(late.clone(), sign(secret.as_bytes(), late.as_bytes(), now)).await;
    assert_eq!(
        (status, &after["payment_intent"]["status"]),
        (StatusCode::OK, &json!("succeeded"))
    );
}

#[tokio::test]
async fn admin_routes_need_a_valid_unrevoked_key() {
    let shop = support::start(Backend::Sqlite, commerce_http::Settings::default()).await;
    let (s, commerce) = (shop.base.clone(), shop.commerce.clone());
    let key = shop.admin_key().await;
    let settings = |bearer: Option<String>| {
        let url = format!("{s}/v1/settings");
        async move { send_as(reqwest::Method::GET, url, None, None, bearer.as_deref()).await }
    };
    let (status, body) = settings(None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "unauthorized");
    let id = key.split('_').nth(1).unwrap().to_string();
    for wrong in [
        "ck_nope".to_string(),
        format!("ck_{id}_{}", "0".repeat(64)),
        format!("ck_{id}"),
        key.replace("ck_", "pk_"),
    ] {
        assert_eq!(settings(Some(wrong)).await.0, StatusCode::UNAUTHORIZED);
    }
    let (status, body) = settings(Some(key.clone())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["promotions"].is_array());
    let response = reqwest::get(format!("{s}/v1/settings")).await.unwrap();
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    commerce_http::cli::keys::revoke_key(&commerce, &id)
        .await
        .unwrap();
    assert_eq!(settings(Some(key)).await.0, StatusCode::UNAUTHORIZED);
}

/// A request that takes longer than the timeout is answered `408`, as a problem with a request
/// id, even when its body never arrives.
#[tokio::test]
async fn a_request_that_times_out_is_a_problem() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let base = server_with(commerce_http::Settings {
        request_timeout: std::time::Duration::from_millis(200),
        ..commerce_http::Settings::default()
    })
    .await;
    let address = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream
        .write_all(
            b"POST /v1/carts HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 20\r\nconnection: close\r\n\r\n{",
        )
        .await
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 408"), "{head}");
    let head = head.to_ascii_lowercase();
    assert!(
        head.contains("content-type: application/problem+json"),
        "{head}"
    );
    assert!(head.contains("x-request-id: "), "{head}");
    let body: Value = serde_json::from_str(body).unwrap();
    assert_eq!(body["code"], json!("request_timeout"));
}

/// Sign-ins to one account are bounded whichever clients they come from: a slow guess spread
/// over many addresses is refused past the account's hourly budget, with `Retry-After`.
#[tokio::test]
async fn sign_ins_to_one_account_are_bounded() {
    let base = server_with(commerce_http::Settings {
        account_sign_ins_per_hour: 3,
        trust_forwarded: true,
        ..support::unlimited()
    })
    .await;
    let (status, _) = post(
        format!("{base}/v1/customers"),
        json!({"email": "ada@example.com", "name": "Ada", "password": "the right one"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let client = reqwest::Client::new();
    let mut statuses = Vec::new();
    for i in 0..4 {
        let response = client
            .post(format!("{base}/v1/sessions"))
            .header("x-forwarded-for", format!("198.51.100.{i}"))
            .header("content-type", "application/json")
            .body(json!({"email": "ADA@example.com", "password": "a guess"}).to_string())
            .send()
            .await
            .unwrap();
        let retry_after = response.headers().get("retry-after").is_some();
        statuses.push((response.status().as_u16(), retry_after));
    }
    assert_eq!(
        statuses,
        [(401, false), (401, false), (401, false), (429, true)],
        "three guesses an hour, from any address"
    );
}

/// Stripe's webhook: off without its secret (a 404 problem); with it, a Stripe event is checked
/// on the raw body, applied to the intent it names, and events that are not this shop's, or not
/// about a payment, are acknowledged without change.
#[tokio::test]
async fn stripe_webhooks_are_verified_and_applied_once() {
    let off = server().await;
    let (status, problem) = post(format!("{off}/v1/webhooks/stripe"), json!({})).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );

    let secret = "whsec_tests";
    let base = server_with(commerce_http::Settings {
        stripe_webhook_secret: Some(secret.into()),
        ..support::unlimited()
    })
    .await;
    let (_, cart) = post(format!("{base}/v1/carts"), json!({"currency": "USD"})).await;
    let id = cart["id"].as_str().unwrap();
    post(
        format!("{base}/v1/carts/{id}/lines"),
        json!({"sku": "TEE-M", "quantity": 1}),
    )
    .await;
    let (_, pending) = send(
        reqwest::Method::POST,
        format!("{base}/v1/carts/{id}/checkout"),
        Some(crate::support::pay("tok_requires_action")),
        Some("k"),
    )
    .await;
    let intent = pending["payment_intent"]["id"].as_str().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let deliver = |body: String, signature: String| {
        let url = format!("{base}/v1/webhooks/stripe");
        async move {
            let response = reqwest::Client::new()
                .post(url)
                .header("stripe-signature", signature)
                .body(body)
                .send()
                .await
                .unwrap();
            let status = response.status();
            let body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
            (status, body)
        }
    };
    let event = |id: &str, kind: &str, ours: &str| {
        json!({"id": id, "type": kind, "data": {"object": {"id": "pi_1", "metadata": {"commerce_intent_id": ours}}}})
            .to_string()
    };
    let succeeded = event("evt_1", "payment_intent.succeeded", intent);
    let signed = commerce_stripe::webhooks::sign(secret, succeeded.as_bytes(), now);
    let (status, answer) = deliver(succeeded.clone(), signed.clone()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        (
            answer["applied"].as_bool(),
            answer["payment_status"].as_str()
        ),
        (Some(true), Some("succeeded"))
    );
    let (status, again) = deliver(succeeded.clone(), signed).await;
    assert_eq!(
        (status, again["payment_status"].as_str()),
        (StatusCode::OK, Some("succeeded")),
        "once"
    );

    let stale = commerce_stripe::webhooks::sign(secret, succeeded.as_bytes(), now - 301);
    let (status, problem) = deliver(succeeded.clone(), stale).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_signature"))
    );
    let forged = commerce_stripe::webhooks::sign("whsec_other", succeeded.as_bytes(), now);
    assert_eq!(deliver(succeeded, forged).await.0, StatusCode::BAD_REQUEST);

    for body in [
        event("evt_2", "payment_intent.succeeded", "pay_of_another_shop"),
        event("evt_3", "charge.refunded", intent),
    ] {
        let signature = commerce_stripe::webhooks::sign(secret, body.as_bytes(), now);
        let (status, answer) = deliver(body, signature).await;
        assert_eq!(
            (status, answer["applied"].as_bool()),
            (StatusCode::OK, Some(false)),
            "{answer}"
        );
    }
}

/// A body of the wrong shape names the field at fault, as Python's errors do: a quantity that is
/// negative or past 32 bits, a price of the wrong type deep in a product.
#[tokio::test]
async fn malformed_bodies_name_their_field() {
    let base = server().await;
    let (_, cart) = post(format!("{base}/v1/carts"), json!({"currency": "USD"})).await;
    let lines = format!("{base}/v1/carts/{}/lines", cart["id"].as_str().unwrap());
    for quantity in [json!(-1), json!(4_294_967_296_u64), json!("2")] {
        let (status, problem) =
            post(lines.clone(), json!({"sku": "TEE-M", "quantity": quantity})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
        assert_eq!(problem["code"], "invalid_request");
        assert_eq!(problem["errors"][0]["field"], "quantity", "{problem}");
    }
    let (status, problem) = post(
        format!("{base}/v1/quote"),
        json!({"currency": "USD", "lines": [{"id": "1", "sku": "A", "quantity": 1, "unit_price": 1.5}]}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    let (status, problem) = post(lines, json!({"sku": "TEE-M"})).await;
    assert_eq!(
        (status, problem["errors"][0]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("quantity")),
        "{problem}"
    );
}

/// A cart's shipping options: none before it has a destination (a problem naming the field),
/// then every method serving it, each priced as the cart's quote prices it with that method.
#[tokio::test]
async fn a_cart_lists_its_shipping_options_priced() {
    let base = server().await;
    let (_, cart) = post(format!("{base}/v1/carts"), json!({"currency": "USD"})).await;
    let cart = format!("{base}/v1/carts/{}", cart["id"].as_str().unwrap());
    post(
        format!("{cart}/lines"),
        json!({"sku": "MUG-BLUE", "quantity": 2}),
    )
    .await;
    let (status, problem) = get(format!("{cart}/shipping-options")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "destination");

    let (status, _) = send(
        reqwest::Method::PUT,
        format!("{cart}/shipping"),
        Some(json!({"country": "US", "region": "CA"})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, offers) = get(format!("{cart}/shipping-options")).await;
    assert_eq!(status, StatusCode::OK, "{offers}");
    let offers = offers.as_array().unwrap().clone();
    assert!(!offers.is_empty(), "the demo ships to the US");
    for offer in offers {
        let method = offer["method"].as_str().unwrap();
        send(
            reqwest::Method::PUT,
            format!("{cart}/shipping"),
            Some(json!({"country": "US", "region": "CA", "method": method})),
            None,
        )
        .await;
        let (_, quote) = get(format!("{cart}/quote")).await;
        assert_eq!(
            offer["grand_total"]["amount"], quote["totals"]["grand_total"],
            "{method}: {offer} / {quote}"
        );
        assert_eq!(
            offer["shipping_total"]["amount"],
            quote["totals"]["shipping_total"]
        );
    }
}
