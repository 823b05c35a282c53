//! A whole purchase, and the last units bought at once.

use commerce_http::Settings;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{Backend, get, post, send, start, unlimited};

/// Browses, fills a guest cart, enters a coupon, ships, quotes and checks out; replays and
/// misuses the idempotency key; follows the order through the cart.
pub async fn a_whole_purchase(backend: Backend) {
    let shop = start(backend, Settings::default()).await;
    let base = shop.base.clone();
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

    // A guest follows the order through the cart's token, never by the order's id alone.
    let (status, stored) = get(format!("{cart_url}/order")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stored["order"]["id"], order);
    assert_eq!(stored["order"]["quote"]["totals"]["grand_total"], "65.40");
    assert_eq!(stored["payment_intent"]["status"], "succeeded");
    let (status, problem) = get(format!("{base}/v1/orders/{order}")).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
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

/// 200 buyers at once for the last 100 units, through the API: exactly 100 orders and 100
/// clear out-of-stock refusals; never a 500, never a lock timeout.
pub async fn two_hundred_buyers_for_one_hundred_units(backend: Backend) {
    let shop = start(backend, unlimited()).await;
    let base = shop.base.clone();
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
