//! What a hostile or careless client sends: NUL and control characters, the wrong method, a
//! body too large, bytes that are not UTF-8. Every answer is a problem with a stable code and
//! a request id, never a 500, and the same on every database.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::cart_with;
use crate::support::{Backend, send, send_as, start, unlimited};

/// A raw request: its status, its headers, its body as JSON.
async fn raw(
    method: Method,
    url: &str,
    body: Option<String>,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let client = reqwest::Client::new();
    let mut request = client.request(method, url);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body);
    }
    let response = request.send().await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let text = response.text().await.unwrap();
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn assert_problem(
    status: StatusCode,
    headers: &reqwest::header::HeaderMap,
    body: &Value,
    code: &str,
) {
    assert_eq!(
        headers.get("content-type").map(|v| v.to_str().unwrap()),
        Some("application/problem+json"),
        "{status}: {body}"
    );
    assert_eq!(body["code"], json!(code), "{status}: {body}");
    assert_eq!(body["status"], json!(status.as_u16()), "{body}");
    assert!(
        headers.contains_key("x-request-id"),
        "{status}: no request id"
    );
}

pub async fn hostile_requests_get_problems(backend: Backend) {
    let shop = start(backend, unlimited()).await;
    let base = &shop.base;
    // NUL and control characters in a path, a query string, a JSON body.
    for (method, path, body, status, code) in [
        (Method::GET, "/v1/products/mug%00", None, 404, "not_found"),
        (Method::GET, "/v1/carts/cart%00x", None, 404, "not_found"),
        (Method::GET, "/v1/variants/TEE%01M", None, 404, "not_found"),
        (Method::GET, "/v1/inventory/TEE-M%00", None, 200, ""),
        (
            Method::GET,
            "/v1/products?q=mug%00",
            None,
            422,
            "invalid_input",
        ),
        (
            Method::GET,
            "/v1/products?category=apparel%00",
            None,
            200,
            "",
        ),
        (
            Method::POST,
            "/v1/customers",
            Some(
                r#"{"email": "ada\u0000@example.com", "name": "Ada", "password": "a long password"}"#,
            ),
            422,
            "invalid_input",
        ),
        (
            Method::POST,
            "/v1/sessions",
            Some(r#"{"email": "ada\u0000@example.com", "password": "a long password"}"#),
            401,
            "unauthorized",
        ),
        (
            Method::POST,
            "/v1/carts",
            Some(r#"{"currency": "USD\u0000"}"#),
            400,
            "invalid_request",
        ),
    ] {
        let (got, headers, answer) = raw(
            method.clone(),
            &format!("{base}{path}"),
            body.map(str::to_string),
        )
        .await;
        assert_eq!(got.as_u16(), status, "{method} {path}: {answer}");
        if !code.is_empty() {
            assert_problem(got, &headers, &answer, code);
        }
    }
    let (cart, _) = cart_with(&shop, None, "TEE-M", 1).await;
    for (path, body, field) in [
        (
            "lines",
            r#"{"sku": "TEE-M", "quantity": 1, "options": {"size": "M\u0000"}}"#,
            "options.size",
        ),
        ("coupons", r#"{"code": "WELCOME\u000010"}"#, "code"),
    ] {
        let url = format!("{base}/v1/carts/{cart}/{path}");
        let (got, headers, answer) = raw(Method::POST, &url, Some(body.to_string())).await;
        assert_eq!(got, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {answer}");
        assert_problem(got, &headers, &answer, "invalid_input");
        assert_eq!(answer["errors"][0]["field"], json!(field), "{answer}");
    }
    let checkout = format!("{base}/v1/carts/{cart}/checkout");
    let (status, answer) = send(
        Method::POST,
        checkout,
        Some(json!({"payment_method": "tok_visa\u{0}"})),
        Some("hostile-1"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["errors"][0]["field"], json!("payment_method"));
    // Ids no store can hold, where a money move would claim an idempotency key for them.
    let admin_key = shop.admin_key().await;
    for (path, body) in [
        (
            "/v1/carts/cart%00/checkout",
            json!({"payment_method": "tok_visa"}),
        ),
        ("/v1/orders/ord%00/cancel", json!({})),
        (
            "/v1/orders/ord%00/refund",
            json!({"amount": {"amount": "1.00", "currency": "USD"}}),
        ),
        ("/v1/orders/ord%00/capture", json!({})),
        ("/v1/payment-intents/pi%00/confirm", json!({})),
    ] {
        let (status, answer) = send_as(
            Method::POST,
            format!("{base}{path}"),
            Some(body),
            Some("hostile-2"),
            Some(&admin_key),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {answer}");
    }
    // Adding nothing to a line that exists changes nothing, as for a new line.
    let (_, before) = send(Method::GET, format!("{base}/v1/carts/{cart}"), None, None).await;
    let (status, answer) = send(
        Method::POST,
        format!("{base}/v1/carts/{cart}/lines"),
        Some(json!({"sku": "TEE-M", "quantity": 0})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["code"], json!("quantity_out_of_range"));
    let (_, after) = send(Method::GET, format!("{base}/v1/carts/{cart}"), None, None).await;
    assert_eq!(
        before["version"], after["version"],
        "the cart did not change"
    );
    // A price pricing could never use is refused by the catalog, which would otherwise sell
    // something no cart could be priced with.
    let admin = shop.admin_key().await;
    let huge = json!({"id": "gold", "name": "Gold", "status": "active", "variants": [{"sku": "GOLD",
        "prices": [{"amount": {"amount": "10000000000000000000000000.00", "currency": "USD"}}]}]});
    let (status, answer) = send_as(
        Method::POST,
        format!("{base}/v1/products"),
        Some(huge),
        None,
        Some(&admin),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(
        answer["errors"][0]["field"],
        json!("variants[0].prices[0].amount")
    );
    // The wrong method, with the methods that are right.
    let (status, headers, answer) = raw(Method::DELETE, &format!("{base}/v1/quote"), None).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_problem(status, &headers, &answer, "method_not_allowed");
    assert!(headers.contains_key("allow"), "{headers:?}");
    // A body over the limit, announced by Content-Length.
    let big = format!(r#"{{"currency": "USD", "pad": "{}"}}"#, "x".repeat(2 << 20));
    let (status, headers, answer) = raw(Method::POST, &format!("{base}/v1/carts"), Some(big)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_problem(status, &headers, &answer, "payload_too_large");
    // Bytes that are not UTF-8, in a path segment and in a query string.
    for path in ["/v1/products/%FF%FE", "/v1/products?q=%FF"] {
        let (status, headers, answer) = raw(Method::GET, &format!("{base}{path}"), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {answer}");
        assert_problem(status, &headers, &answer, "invalid_request");
    }
}
