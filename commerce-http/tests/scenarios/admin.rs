//! An admin's day: products, stock, settings, and an order from capture to refund.

use commerce_http::Settings;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Backend, get, post, send, send_as, start};

/// An admin creates a product, stocks it, changes settings, and captures, fulfils, ships,
/// delivers, refunds and archives.
pub async fn an_admin_runs_the_shop(backend: Backend) {
    let shop = start(backend, Settings::default()).await;
    let s = shop.base.clone();
    let key = shop.admin_key().await;
    let admin = |method: reqwest::Method, path: &str, body: Option<Value>, idem: Option<&str>| {
        let url = format!("{s}{path}");
        let key = key.clone();
        let idem = idem.map(str::to_string);
        async move { send_as(method, url, body, idem.as_deref(), Some(&key)).await }
    };
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
        "anonymous callers cannot write the catalog"
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
    let adjustments = "/v1/inventory/LAMP/adjustments";
    let (status, body) = admin(Method::POST, adjustments, Some(json!({"delta": 3})), None).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "stock moves only with an Idempotency-Key: {body}"
    );
    for _ in 0..2 {
        let delivery = Some(json!({"delta": 3}));
        let (status, body) = admin(Method::POST, adjustments, delivery, Some("delivery-1")).await;
        assert_eq!(
            (status, body["on_hand"].as_i64()),
            (StatusCode::OK, Some(3)),
            "a retried delivery is counted once: {body}"
        );
    }
    let (status, body) = admin(
        Method::POST,
        adjustments,
        Some(json!({"delta": -4})),
        Some("write-off-1"),
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
        Some({
            let mut body = crate::support::pay("tok_visa");
            body["capture_method"] = json!("manual");
            body
        }),
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
    // Shipped with its tracking (a hostile link is refused, and ships nothing).
    let parcel = json!({"carrier": "UPS", "tracking_number": "1Z999AA10123456784",
                        "tracking_url": "https://www.ups.com/track?tracknum=1Z999AA10123456784"});
    let mut hostile = parcel.clone();
    hostile["tracking_url"] = json!("javascript:alert(1)");
    let (status, problem) = admin(
        Method::POST,
        &format!("/v1/orders/{order}/ship"),
        Some(hostile),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "shipment.tracking_url");
    let (status, shipped) = admin(
        Method::POST,
        &format!("/v1/orders/{order}/ship"),
        Some(parcel.clone()),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{shipped}");
    assert_eq!(shipped["fulfillment_status"], "shipped");
    assert_eq!(shipped["shipment"], parcel);
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
