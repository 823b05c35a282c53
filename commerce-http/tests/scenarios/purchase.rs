//! A whole purchase, and the last units bought at once.

use commerce_http::Settings;
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::cart_with;
use crate::support::{Backend, get, post, send, send_as, start, unlimited};

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

    // An order nobody can ship is refused, naming what is missing, and holds nothing.
    for (body, field) in [
        (json!({"payment_method": "tok_visa"}), "email"),
        (
            json!({"payment_method": "tok_visa", "email": "guest@example.com"}),
            "shipping_address",
        ),
        (
            {
                let mut body = crate::support::pay("tok_visa");
                body["shipping_address"]["country"] = json!("usa");
                body
            },
            "shipping_address.country",
        ),
        (
            {
                let mut body = crate::support::pay("tok_visa");
                body["email"] = json!("guest at example.com");
                body
            },
            "email",
        ),
    ] {
        let (status, problem) = send(
            reqwest::Method::POST,
            format!("{cart_url}/checkout"),
            Some(body),
            Some("key-missing"),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let (_, stock) = get(format!("{base}/v1/inventory/TEE-M")).await;
    assert_eq!(stock[0]["reserved"], 0, "{stock}");
    // The document says what a checkout takes and what an order keeps.
    let (_, document) = get(format!("{base}/openapi.json")).await;
    let schemas = &document["components"]["schemas"];
    for field in [
        "email",
        "shipping_address",
        "shipping_address_id",
        "billing_address",
    ] {
        assert!(
            schemas["Pay"]["properties"][field].is_object(),
            "Pay.{field}"
        );
    }
    for field in ["email", "shipping_address", "billing_address"] {
        assert!(
            schemas["Order"]["properties"][field].is_object(),
            "Order.{field}"
        );
    }

    let pay = crate::support::pay("tok_visa");
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
    assert_eq!(checkout["order"]["email"], "guest@example.com");
    for field in ["name", "line1", "city", "region", "postal_code", "country"] {
        for address in ["shipping_address", "billing_address"] {
            assert_eq!(
                checkout["order"][address][field], pay["shipping_address"][field],
                "{address}.{field}"
            );
        }
    }

    // The same key replays the same order; another body with it is 422; no key is 400.
    let (_, replay) = send(
        reqwest::Method::POST,
        format!("{cart_url}/checkout"),
        Some(pay),
        Some("\"key-1\""),
    )
    .await;
    assert_eq!(replay["order"]["id"], order);
    let other = crate::support::pay("tok_other");
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
                Some(crate::support::pay("tok_visa")),
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

/// A coupon limited to 50 uses, and 200 buyers entering it at once: exactly 50 orders are
/// discounted, the other 150 are placed at full price (none refused, never a 500); the admin
/// sees 50 uses, and a cancelled discounted order gives its use back.
pub async fn two_hundred_buyers_for_fifty_coupon_uses(backend: Backend) {
    let shop = start(backend, unlimited()).await;
    let key = shop.admin_key().await;
    let limit = shop.url("/v1/promotions/welcome-10/limit");
    let (status, body) = send_as(
        Method::PUT,
        limit.clone(),
        Some(json!({"total": 50})),
        None,
        Some(&key),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = send_as(
        Method::PUT,
        shop.url("/v1/promotions/no-such/limit"),
        Some(json!({"total": 1})),
        None,
        Some(&key),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    // The demo has 100 TEE-L and 100 COFFEE-250: one unit in each of 200 carts.
    let mut carts = Vec::new();
    for i in 0..200 {
        let sku = if i % 2 == 0 { "TEE-L" } else { "COFFEE-250" };
        let (cart, _) = cart_with(&shop, None, sku, 1).await;
        let (status, body) = post(
            shop.url(&format!("/v1/carts/{cart}/coupons")),
            json!({"code": "WELCOME10"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        carts.push(cart);
    }
    let attempts = carts.iter().map(|cart| {
        let url = shop.url(&format!("/v1/carts/{cart}/checkout"));
        let key = format!("buy-{cart}");
        async move {
            send(
                Method::POST,
                url,
                Some(crate::support::pay("tok_visa")),
                Some(&key),
            )
            .await
        }
    });
    let results = futures::future::join_all(attempts).await;
    let mut discounted = Vec::new();
    for (status, body) in &results {
        assert_eq!(*status, StatusCode::CREATED, "{body}");
        if body["order"]["quote"]["totals"]["discount_total"] != "0.00" {
            discounted.push(body["order"]["id"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(
        discounted.len(),
        50,
        "a limit of 50 discounted {}",
        discounted.len()
    );
    let (status, usage) = send_as(Method::GET, limit.clone(), None, None, Some(&key)).await;
    assert_eq!(
        (status, usage["used"].as_u64(), usage["total"].as_u64()),
        (StatusCode::OK, Some(50), Some(50)),
        "{usage}"
    );
    let (status, body) = send_as(
        Method::POST,
        shop.url(&format!("/v1/orders/{}/cancel", discounted[0])),
        None,
        Some("cancel-one"),
        Some(&key),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, usage) = send_as(Method::GET, limit.clone(), None, None, Some(&key)).await;
    assert_eq!(usage["used"].as_u64(), Some(49), "{usage}");
    // Removing the promotion removes its limit.
    let (status, _) = send_as(
        Method::DELETE,
        shop.url("/v1/promotions/welcome-10"),
        None,
        None,
        Some(&key),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = send_as(Method::GET, limit, None, None, Some(&key)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
