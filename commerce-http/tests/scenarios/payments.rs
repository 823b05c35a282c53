//! A payment the gateway missed, finished later.

use commerce_http::Settings;
use reqwest::{Method, StatusCode};

use super::{cart_with, register};
use crate::support::{Backend, get, send_as, start};

/// A checkout the gateway never answered is a 502 that keeps the order and its hold; the
/// customer confirms the payment later with another card, once.
pub async fn a_payment_the_gateway_missed(backend: Backend) {
    let shop = start(backend, Settings::default()).await;
    let token = register(&shop, "patient@example.com", "patient password").await;
    let (cart, _) = cart_with(&shop, Some(&token), "MUG-RED", 2).await;
    let (status, problem) = send_as(
        Method::POST,
        shop.url(&format!("/v1/carts/{cart}/checkout")),
        Some(crate::support::pay("tok_gateway_down")),
        Some("first-try"),
        Some(&token),
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::BAD_GATEWAY, Some("gateway_error"))
    );
    let (_, placed) = send_as(
        Method::GET,
        shop.url(&format!("/v1/carts/{cart}/order")),
        None,
        None,
        Some(&token),
    )
    .await;
    assert_eq!(placed["order"]["status"], "pending_payment");
    assert_eq!(placed["payment_intent"]["status"], "requires_confirmation");
    let intent = placed["payment_intent"]["id"].as_str().unwrap().to_string();
    let (_, stock) = get(shop.url("/v1/inventory/MUG-RED")).await;
    assert_eq!(stock[0]["reserved"], 2, "the hold stays");

    let confirm = |key: &'static str| {
        let (url, token) = (
            shop.url(&format!("/v1/payment-intents/{intent}/confirm")),
            token.clone(),
        );
        async move {
            send_as(
                Method::POST,
                url,
                Some(serde_json::json!({"payment_method": "tok_visa"})),
                Some(key),
                Some(&token),
            )
            .await
        }
    };
    let (status, done) = confirm("confirm-1").await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["order"]["status"], "confirmed");
    assert_eq!(done["payment_intent"]["status"], "succeeded");
    assert_eq!(
        confirm("confirm-1").await.1["order"]["id"],
        done["order"]["id"],
        "a retry replays"
    );
    let (status, body) = confirm("confirm-2").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("invalid_transition"))
    );
    let (_, stock) = get(shop.url("/v1/inventory/MUG-RED")).await;
    assert_eq!(
        (stock[0]["on_hand"].as_i64(), stock[0]["reserved"].as_i64()),
        (Some(98), Some(0))
    );
}
