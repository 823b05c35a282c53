//! The shop's settings, one part at a time.

use commerce_http::Settings;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::cart_with;
use crate::support::{Backend, get, send, send_as, start};

/// Promotions, tax zones and shipping methods, one at a time: created, refused when invalid
/// (naming the field), replaced, listed, removed; quotes follow at once.
pub async fn settings_one_part_at_a_time(backend: Backend) {
    let shop = start(backend, Settings::default()).await;
    let key = shop.admin_key().await;
    let admin = |method: Method, path: &str, body: Option<Value>| {
        let (url, key) = (shop.url(path), key.clone());
        async move { send_as(method, url, body, None, Some(&key)).await }
    };
    let (cart, _) = cart_with(&shop, None, "COFFEE-250", 2).await;
    let grand_total = || {
        let url = shop.url(&format!("/v1/carts/{cart}/quote"));
        async move {
            get(url).await.1["totals"]["grand_total"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    // 2 × 9.50 coffee, 2 % food tax, no shipping chosen.
    assert_eq!(grand_total().await, "19.38");

    let half =
        json!({"id": "half", "benefit": {"percentage_off": {"percent": "50", "target": "order"}}});
    let (status, body) = admin(Method::POST, "/v1/promotions", Some(half.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(grand_total().await, "9.69");
    let (status, body) = admin(Method::POST, "/v1/promotions", Some(half.clone())).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("duplicate_id"))
    );
    let too_much =
        json!({"id": "half", "benefit": {"percentage_off": {"percent": "150", "target": "order"}}});
    let (status, body) = admin(Method::PUT, "/v1/promotions/half", Some(too_much)).await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("benefit.percentage_off.percent")
        )
    );
    let quarter =
        json!({"id": "half", "benefit": {"percentage_off": {"percent": "25", "target": "order"}}});
    let (status, _) = admin(Method::PUT, "/v1/promotions/half", Some(quarter)).await;
    assert_eq!(status, StatusCode::OK);
    let (_, listed) = admin(Method::GET, "/v1/promotions/half", None).await;
    assert_eq!(listed["benefit"]["percentage_off"]["percent"], "25");
    // 14.25 after 25 % off; 2 % of it is 0.285, rounded half to even.
    assert_eq!(grand_total().await, "14.53");
    assert_eq!(
        admin(Method::DELETE, "/v1/promotions/half", None).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        admin(Method::DELETE, "/v1/promotions/half", None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(grand_total().await, "19.38");

    // A zone for the cart's destination replaces the catch-all one.
    let zone =
        json!({"rates": [{"id": "gst", "rate": "0.05", "categories": ["food", "standard"]}]});
    let (status, body) = admin(Method::PUT, "/v1/tax-zones/CA-BC", Some(zone.clone())).await;
    assert_eq!(
        (status, body["country"].as_str(), body["region"].as_str()),
        (StatusCode::OK, Some("CA"), Some("BC")),
        "{body}"
    );
    let (status, body) = admin(Method::PUT, "/v1/tax-zones/canada", Some(zone)).await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("zone"))
    );
    let (status, body) = admin(
        Method::PUT,
        "/v1/tax-zones/CA",
        Some(json!({"rates": [{"id": "x", "rate": "11", "categories": []}]})),
    )
    .await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("rates[0].rate")),
        "{body}"
    );
    send(
        Method::PUT,
        shop.url(&format!("/v1/carts/{cart}/shipping")),
        Some(json!({"country": "CA", "region": "BC"})),
        None,
    )
    .await;
    assert_eq!(grand_total().await, "19.95");
    let (_, zones) = admin(Method::GET, "/v1/tax-zones", None).await;
    assert_eq!(zones.as_array().map(Vec::len), Some(2));
    assert_eq!(
        admin(Method::DELETE, "/v1/tax-zones/CA-BC", None).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(grand_total().await, "19.38");

    // A shipping method for one country only.
    let pickup = json!({"method": {"id": "pickup", "rate": {"flat": {"amount": "1.00"}}}, "countries": ["CA"]});
    let (status, body) = admin(Method::POST, "/v1/shipping-methods", Some(pickup)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let negative = json!({"method": {"id": "pickup", "rate": {"flat": {"amount": "-1.00"}}}, "countries": ["CA"]});
    let (status, body) = admin(Method::PUT, "/v1/shipping-methods/pickup", Some(negative)).await;
    assert_eq!(
        (
            status,
            body["code"].as_str(),
            body["errors"][0]["field"].as_str()
        ),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("negative_amount"),
            Some("method.rate.flat.amount")
        )
    );
    send(
        Method::PUT,
        shop.url(&format!("/v1/carts/{cart}/shipping")),
        Some(json!({"country": "CA", "method": "pickup"})),
        None,
    )
    .await;
    assert_eq!(grand_total().await, "20.38");
    let (_, methods) = admin(Method::GET, "/v1/shipping-methods", None).await;
    assert_eq!(methods.as_array().map(Vec::len), Some(3));
    assert_eq!(
        admin(Method::DELETE, "/v1/shipping-methods/pickup", None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
}
