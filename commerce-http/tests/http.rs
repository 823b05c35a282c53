//! The server over real HTTP on a SQLite file: a full purchase, every shared pricing case
//! through `POST /v1/quote`, idempotency replay and misuse, problem+json errors.

use std::path::Path;

use reqwest::StatusCode;
use serde_json::{Value, json};

/// Starts the server on an ephemeral port over a new SQLite file with the demo catalog.
async fn server() -> String {
    server_with(commerce_http::Settings::default()).await
}

async fn server_with(settings: commerce_http::Settings) -> String {
    start(settings).await.0
}

/// Starts a server and returns its address and its service (to issue admin keys).
async fn start(settings: commerce_http::Settings) -> (String, commerce_core::Commerce) {
    let dir = std::env::temp_dir().join("commerce-http-tests");
    std::fs::create_dir_all(&dir).unwrap();
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let path = dir.join(format!("http-{}-{n}.db", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let commerce = commerce_http::commerce(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    assert!(commerce_http::demo::load(&commerce).await.unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = commerce_http::app_with(commerce.clone(), &settings)
        .into_make_service_with_connect_info::<commerce_http::ClientAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{address}"), commerce)
}

async fn send(
    method: reqwest::Method,
    url: String,
    body: Option<Value>,
    key: Option<&str>,
) -> (StatusCode, Value) {
    send_as(method, url, body, key, None).await
}

/// As [`send`], with an `Authorization: Bearer` credential.
async fn send_as(
    method: reqwest::Method,
    url: String,
    body: Option<Value>,
    key: Option<&str>,
    bearer: Option<&str>,
) -> (StatusCode, Value) {
    let client = reqwest::Client::new();
    let mut request = client.request(method, url);
    if let Some(bearer) = bearer {
        request = request.header("authorization", format!("Bearer {bearer}"));
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string());
    let text = response.text().await.unwrap();
    if !status.is_success() {
        assert_eq!(
            content_type.as_deref(),
            Some("application/problem+json"),
            "{status}: {text}"
        );
    }
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn post(url: String, body: Value) -> (StatusCode, Value) {
    send(reqwest::Method::POST, url, Some(body), None).await
}

async fn get(url: String) -> (StatusCode, Value) {
    send(reqwest::Method::GET, url, None, None).await
}

#[tokio::test]
async fn a_whole_purchase() {
    let base = server().await;
    assert_eq!(get(format!("{base}/healthz")).await.0, StatusCode::OK);
    assert_eq!(get(format!("{base}/readyz")).await.0, StatusCode::OK);
    let (status, products) = get(format!("{base}/v1/products")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(products["items"].as_array().unwrap().len(), 3);

    let (status, cart) = post(format!("{base}/v1/carts"), json!({"currency": "USD"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let id = cart["id"].as_str().unwrap().to_string();
    assert!(id.len() >= "cart_".len() + 32, "a 128-bit token: {id}");
    let cart_url = format!("{base}/v1/carts/{id}");
    assert_eq!(
        post(
            format!("{cart_url}/lines"),
            json!({"sku": "TEE-M", "quantity": 3})
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_eq!(
        post(
            format!("{cart_url}/lines"),
            json!({"sku": "MUG-BLUE", "quantity": 1})
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_eq!(
        post(format!("{cart_url}/coupons"), json!({"code": "welcome10"}))
            .await
            .0,
        StatusCode::OK
    );
    let shipping = json!({"country": "US", "region": "CA", "method": "standard"});
    assert_eq!(
        send(
            reqwest::Method::PUT,
            format!("{cart_url}/shipping"),
            Some(shipping),
            None
        )
        .await
        .0,
        StatusCode::OK
    );

    // 3 tees (one free) and a mug, 10 % off, 5.00 shipping, 8.25 % sales tax.
    let (_, quote) = get(format!("{cart_url}/quote")).await;
    assert_eq!(quote["totals"]["grand_total"], "65.40");

    let pay = json!({"payment_method": "tok_visa"});
    let (status, checkout) = send(
        reqwest::Method::POST,
        format!("{cart_url}/checkout"),
        Some(pay.clone()),
        Some("key-1"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{checkout}");
    assert_eq!(checkout["order"]["status"], "confirmed");
    assert_eq!(
        checkout["payment_intent"]["amount_received"]["amount"],
        "65.40"
    );
    let order = checkout["order"]["id"].as_str().unwrap();

    // The same key replays the same order; another body with it is 422; no key is 400.
    let (_, replay) = send(
        reqwest::Method::POST,
        format!("{cart_url}/checkout"),
        Some(pay),
        Some("\"key-1\""),
    )
    .await;
    assert_eq!(replay["order"]["id"], order);
    let other = json!({"payment_method": "tok_other"});
    let (status, problem) = send(
        reqwest::Method::POST,
        format!("{cart_url}/checkout"),
        Some(other.clone()),
        Some("key-1"),
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("idempotency_mismatch")
        )
    );
    let (status, _) = send(
        reqwest::Method::POST,
        format!("{cart_url}/checkout"),
        Some(other),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, stored) = get(format!("{base}/v1/orders/{order}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stored["quote"]["totals"]["grand_total"], "65.40");
    // The checked-out cart is frozen.
    let (status, problem) = post(
        format!("{cart_url}/lines"),
        json!({"sku": "TEE-S", "quantity": 1}),
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_input"))
    );
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
        Some(json!({"payment_method": "tok_visa"})),
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

/// 200 buyers at once for the last 100 units, through the API on a SQLite file: exactly 100
/// orders and 100 clear out-of-stock refusals; never a 500, never a lock timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_buyers_for_one_hundred_units() {
    let base = server_with(commerce_http::Settings {
        rate_per_second: 100_000,
        rate_burst: 100_000,
        ..commerce_http::Settings::default()
    })
    .await;
    // The demo has 100 TEE-L; prepare 200 carts with one each.
    let mut carts = Vec::new();
    for _ in 0..200 {
        let (_, cart) = post(format!("{base}/v1/carts"), json!({"currency": "USD"})).await;
        let id = cart["id"].as_str().unwrap().to_string();
        let (status, _) = post(
            format!("{base}/v1/carts/{id}/lines"),
            json!({"sku": "TEE-L", "quantity": 1}),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        carts.push(id);
    }
    let attempts = carts.iter().map(|id| {
        let url = format!("{base}/v1/carts/{id}/checkout");
        let key = format!("buy-{id}");
        async move {
            send(
                reqwest::Method::POST,
                url,
                Some(json!({"payment_method": "tok_visa"})),
                Some(&key),
            )
            .await
        }
    });
    let results = futures::future::join_all(attempts).await;
    let mut orders = 0;
    let mut refused = 0;
    for (status, body) in &results {
        match *status {
            StatusCode::CREATED => orders += 1,
            StatusCode::CONFLICT if body["code"] == "insufficient_stock" => refused += 1,
            other => panic!("neither an order nor a clean refusal: {other} {body}"),
        }
    }
    assert_eq!((orders, refused), (100, 100));
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
        Some(json!({"payment_method": "tok_requires_action"})),
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
    let (s, commerce) = start(commerce_http::Settings::default()).await;
    let key = commerce_http::admin::create_key(&commerce, "tests")
        .await
        .unwrap();
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
    commerce_http::admin::revoke_key(&commerce, &id)
        .await
        .unwrap();
    assert_eq!(settings(Some(key)).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_admin_runs_the_shop() {
    let (s, commerce) = start(commerce_http::Settings::default()).await;
    let key = commerce_http::admin::create_key(&commerce, "tests")
        .await
        .unwrap();
    let admin = |method: reqwest::Method, path: &str, body: Option<Value>, idem: Option<&str>| {
        let url = format!("{s}{path}");
        let key = key.clone();
        let idem = idem.map(str::to_string);
        async move { send_as(method, url, body, idem.as_deref(), Some(&key)).await }
    };
    use reqwest::Method;
    let lamp = json!({
        "id": "lamp", "name": "Lamp", "description": "", "status": "active",
        "category_ids": ["home"], "tax_category": "standard",
        "variants": [{"sku": "LAMP", "options": {}, "weight": null, "prices": [
            {"price_list": "default", "amount": {"amount": "40.00", "currency": "USD"}, "tiers": []}
        ]}]
    });
    let (status, _) = send(
        Method::POST,
        format!("{s}/v1/products"),
        Some(lamp.clone()),
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "customers cannot write the catalog"
    );
    let (status, body) = admin(Method::POST, "/v1/products", Some(lamp.clone()), None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = admin(Method::POST, "/v1/products", Some(lamp.clone()), None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("duplicate_id"))
    );
    let (status, body) = admin(Method::PUT, "/v1/products/other", Some(lamp.clone()), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = admin(
        Method::POST,
        "/v1/inventory/LAMP/adjustments",
        Some(json!({"delta": 3})),
        None,
    )
    .await;
    assert_eq!(
        (status, body["on_hand"].as_i64()),
        (StatusCode::OK, Some(3)),
        "{body}"
    );
    let (status, body) = admin(
        Method::POST,
        "/v1/inventory/LAMP/adjustments",
        Some(json!({"delta": -4})),
        None,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("insufficient_stock"))
    );
    let (_, levels) = get(format!("{s}/v1/inventory/LAMP")).await;
    assert_eq!(levels[0]["on_hand"], 3);

    // Settings are compare-and-set on their version.
    let (_, mut settings) = admin(Method::GET, "/v1/settings", None, None).await;
    settings["low_stock_threshold"] = json!(2);
    let (status, saved) = admin(Method::PUT, "/v1/settings", Some(settings.clone()), None).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let (status, body) = admin(Method::PUT, "/v1/settings", Some(settings), None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict"))
    );

    // A customer buys two lamps, authorizing now; the shop captures at shipping.
    let (_, cart) = post(format!("{s}/v1/carts"), json!({"currency": "USD"})).await;
    let cart = cart["id"].as_str().unwrap().to_string();
    post(
        format!("{s}/v1/carts/{cart}/lines"),
        json!({"sku": "LAMP", "quantity": 2}),
    )
    .await;
    let (status, bought) = send(
        Method::POST,
        format!("{s}/v1/carts/{cart}/checkout"),
        Some(json!({"payment_method": "tok_visa", "capture_method": "manual"})),
        Some("buy-lamps"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{bought}");
    let order = bought["order"]["id"].as_str().unwrap().to_string();
    let line = bought["order"]["lines"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let total = bought["payment_intent"]["amount"]["amount"]
        .as_str()
        .unwrap()
        .to_string();

    let capture = format!("/v1/orders/{order}/capture");
    let (status, body) = admin(Method::POST, &capture, Some(json!({})), None).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "money moves only with an Idempotency-Key: {body}"
    );
    let (status, captured) = admin(Method::POST, &capture, Some(json!({})), Some("cap-1")).await;
    assert_eq!(status, StatusCode::OK, "{captured}");
    assert_eq!(
        captured["payment_intent"]["amount_received"]["amount"],
        total.as_str()
    );
    let (status, again) = admin(Method::POST, &capture, Some(json!({})), Some("cap-1")).await;
    assert_eq!(
        (status, &again),
        (StatusCode::OK, &captured),
        "a retry replays"
    );

    let (status, body) = admin(
        Method::POST,
        &format!("/v1/orders/{order}/fulfil"),
        Some(json!({"line_id": line, "quantity": 2})),
        None,
    )
    .await;
    assert_eq!(
        (status, body["fulfillment_status"].as_str()),
        (StatusCode::OK, Some("fulfilled"))
    );
    admin(
        Method::POST,
        &format!("/v1/orders/{order}/ship"),
        None,
        None,
    )
    .await;
    let (status, body) = admin(
        Method::POST,
        &format!("/v1/orders/{order}/deliver"),
        None,
        None,
    )
    .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("completed"))
    );

    let refund = format!("/v1/orders/{order}/refund");
    let ten = json!({"amount": {"amount": "10.00", "currency": "USD"}});
    let (status, refunded) = admin(Method::POST, &refund, Some(ten.clone()), Some("r-1")).await;
    assert_eq!(status, StatusCode::OK, "{refunded}");
    assert_eq!(
        refunded["payment_intent"]["amount_refunded"]["amount"],
        "10.00"
    );
    let (status, body) = admin(
        Method::POST,
        &refund,
        Some(json!({"amount": {"amount": "11.00", "currency": "USD"}})),
        Some("r-1"),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("idempotency_mismatch")
        )
    );
    let (status, body) = admin(
        Method::POST,
        &refund,
        Some(json!({"amount": {"amount": "1000.00", "currency": "USD"}})),
        Some("r-2"),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("amount_exceeded"))
    );
    let (status, body) = admin(
        Method::POST,
        &format!("/v1/orders/{order}/cancel"),
        None,
        Some("c-1"),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("invalid_transition"))
    );

    let (status, body) = admin(Method::POST, "/v1/products/lamp/archive", None, None).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("archived"))
    );
    let (status, body) = post(
        format!("{s}/v1/carts/{cart}/lines"),
        json!({"sku": "LAMP", "quantity": 1}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_sku"))
    );
}
