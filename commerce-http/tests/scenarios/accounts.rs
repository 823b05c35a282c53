//! Customer accounts, from registration to a password change.

use commerce_http::Settings;
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{cart_with, check_out, register};
use crate::support::{Backend, get, post, send_as, start};

/// Registration, signing in and out, the profile, the address book, a customer's own cart and
/// orders, and a password change that ends every session.
pub async fn customer_accounts(backend: Backend) {
    let shop = start(backend, Settings::default()).await;
    let password = "correct horse battery";
    let (status, body) = post(
        shop.url("/v1/customers"),
        json!({"email": "ada@example.com", "name": "Ada", "password": "short"}),
    )
    .await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("password"))
    );
    let (status, body) = post(
        shop.url("/v1/customers"),
        json!({"email": "not-an-address", "name": "Ada", "password": password}),
    )
    .await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("email"))
    );
    let first = register(&shop, "Ada@Example.com", password).await;
    assert!(first.starts_with("cs_"), "{first}");
    let (status, body) = post(
        shop.url("/v1/customers"),
        json!({"email": "ada@example.COM", "name": "Twin", "password": password}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("duplicate_id"))
    );

    // Signing in: a wrong password and an unknown address get the same answer.
    for (email, attempt) in [
        ("ada@example.com", "wrong password"),
        ("bob@example.com", password),
    ] {
        let (status, body) = post(
            shop.url("/v1/sessions"),
            json!({"email": email, "password": attempt}),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("unauthorized"))
        );
    }
    let (status, session) = post(
        shop.url("/v1/sessions"),
        json!({"email": "ADA@example.com", "password": password}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let token = session["token"].as_str().unwrap().to_string();
    let me = |bearer: Option<String>| {
        let url = shop.url("/v1/customers/me");
        async move { send_as(Method::GET, url, None, None, bearer.as_deref()).await }
    };
    let (status, customer) = me(Some(token.clone())).await;
    assert_eq!(status, StatusCode::OK, "{customer}");
    assert_eq!(
        (customer["email"].as_str(), customer["name"].as_str()),
        (Some("Ada@Example.com"), Some("Test"))
    );
    let customer_id = customer["id"].as_str().unwrap().to_string();
    assert_eq!(session["customer_id"], customer_id.as_str());
    assert_eq!(me(None).await.0, StatusCode::UNAUTHORIZED);
    // The last hex digit of the secret, changed.
    let last = if token.ends_with('0') { '1' } else { '0' };
    let tampered = format!("{}{last}", &token[..token.len() - 1]);
    assert_eq!(me(Some(tampered)).await.0, StatusCode::UNAUTHORIZED);

    let (status, renamed) = send_as(
        Method::PATCH,
        shop.url("/v1/customers/me"),
        Some(json!({"name": "Ada Lovelace"})),
        None,
        Some(&token),
    )
    .await;
    assert_eq!(
        (status, renamed["name"].as_str()),
        (StatusCode::OK, Some("Ada Lovelace"))
    );

    // The address book.
    let home = json!({"name": "Ada", "line1": "1 Analytical Row", "city": "London", "postal_code": "N1", "country": "GB"});
    let (status, added) = send_as(
        Method::POST,
        shop.url("/v1/customers/me/addresses"),
        Some(home.clone()),
        None,
        Some(&token),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let address = added["id"].as_str().unwrap().to_string();
    let mut moved = home.clone();
    moved["city"] = json!("Oxford");
    let (status, replaced) = send_as(
        Method::PUT,
        shop.url(&format!("/v1/customers/me/addresses/{address}")),
        Some(moved),
        None,
        Some(&token),
    )
    .await;
    assert_eq!(
        (status, replaced["city"].as_str(), replaced["id"].as_str()),
        (StatusCode::OK, Some("Oxford"), Some(address.as_str()))
    );
    let mut bad = home.clone();
    bad["country"] = json!("gb");
    let (status, body) = send_as(
        Method::POST,
        shop.url("/v1/customers/me/addresses"),
        Some(bad),
        None,
        Some(&token),
    )
    .await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("addresses[1].country")
        )
    );
    let (_, book) = send_as(
        Method::GET,
        shop.url("/v1/customers/me/addresses"),
        None,
        None,
        Some(&token),
    )
    .await;
    assert_eq!(book.as_array().map(Vec::len), Some(1));

    // A customer's cart is theirs: their group prices, their orders.
    let (cart, _) = cart_with(&shop, Some(&token), "MUG-BLUE", 2).await;
    let (status, body) = get(shop.url(&format!("/v1/carts/{cart}"))).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found")),
        "the id alone does not open a customer's cart"
    );
    let (order, intent) = check_out(&shop, Some(&token), &cart).await;
    let (status, orders) = send_as(
        Method::GET,
        shop.url("/v1/orders"),
        None,
        None,
        Some(&token),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{orders}");
    assert_eq!(orders["items"][0]["id"], order.as_str());
    assert_eq!(orders["items"][0]["customer_id"], customer_id.as_str());
    let (status, body) = send_as(
        Method::GET,
        shop.url(&format!("/v1/payment-intents/{intent}")),
        None,
        None,
        Some(&token),
    )
    .await;
    assert_eq!(
        (status, body["order_id"].as_str()),
        (StatusCode::OK, Some(order.as_str()))
    );

    // A password change ends every session, this one and the one from registering too.
    let (status, body) = send_as(
        Method::PUT,
        shop.url("/v1/customers/me/password"),
        Some(json!({"current_password": "wrong password", "new_password": "another good one"})),
        None,
        Some(&token),
    )
    .await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("current_password"))
    );
    let (status, fresh) = send_as(
        Method::PUT,
        shop.url("/v1/customers/me/password"),
        Some(json!({"current_password": password, "new_password": "another good one"})),
        None,
        Some(&token),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{fresh}");
    let fresh = fresh["token"].as_str().unwrap().to_string();
    assert_eq!(me(Some(token)).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(me(Some(first)).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(me(Some(fresh.clone())).await.0, StatusCode::OK);
    let (status, _) = post(
        shop.url("/v1/sessions"),
        json!({"email": "ada@example.com", "password": password}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the old password no longer signs in"
    );

    // Signing out ends the session at once.
    let (status, _) = send_as(
        Method::DELETE,
        shop.url("/v1/sessions/current"),
        None,
        None,
        Some(&fresh),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(me(Some(fresh)).await.0, StatusCode::UNAUTHORIZED);
}
