//! Scenarios that run on every backend: the SQLite tests (`tests/http.rs`) and the PostgreSQL
//! tests (`tests/postgres.rs`) each call them with their database.

#![allow(dead_code)]

use commerce_http::Settings;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Backend, Shop, get, post, send, send_as, start, unlimited};

/// One `#[tokio::test]` per scenario, on `$backend`: each test file that runs the scenarios
/// only names its database.
#[macro_export]
macro_rules! every_scenario {
    ($backend:expr) => {
        $crate::every_scenario!(
            @each $backend,
            a_whole_purchase,
            two_hundred_buyers_for_one_hundred_units,
            an_admin_runs_the_shop,
            customer_accounts,
            authorization_matrix,
            settings_one_part_at_a_time,
            listings_filter_and_page,
            a_payment_the_gateway_missed
        );
    };
    (@each $backend:expr, $($scenario:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $scenario() {
                scenarios::$scenario($backend).await;
            }
        )*
    };
}

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

/// Registers a customer and returns their session token.
pub async fn register(shop: &Shop, email: &str, password: &str) -> String {
    let (status, body) = post(
        shop.url("/v1/customers"),
        json!({"email": email, "name": "Test", "password": password}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["token"].as_str().unwrap().to_string()
}

/// A customer's cart with `quantity` of `sku`; its id and the line's.
pub async fn cart_with(
    shop: &Shop,
    bearer: Option<&str>,
    sku: &str,
    quantity: u32,
) -> (String, String) {
    let (status, cart) = send_as(
        Method::POST,
        shop.url("/v1/carts"),
        Some(json!({"currency": "USD"})),
        None,
        bearer,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{cart}");
    let id = cart["id"].as_str().unwrap().to_string();
    let (status, cart) = send_as(
        Method::POST,
        shop.url(&format!("/v1/carts/{id}/lines")),
        Some(json!({"sku": sku, "quantity": quantity})),
        None,
        bearer,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{cart}");
    let line = cart["cart"]["lines"][0]["id"].as_str().unwrap().to_string();
    (id, line)
}

/// Checks a cart out; the order's and the payment intent's ids.
pub async fn check_out(shop: &Shop, bearer: Option<&str>, cart: &str) -> (String, String) {
    let (status, body) = send_as(
        Method::POST,
        shop.url(&format!("/v1/carts/{cart}/checkout")),
        Some(json!({"payment_method": "tok_visa"})),
        Some(&format!("checkout-{cart}")),
        bearer,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (
        body["order"]["id"].as_str().unwrap().to_string(),
        body["payment_intent"]["id"].as_str().unwrap().to_string(),
    )
}

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

/// What one caller gets from one route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Authorised: anything but 401, 403, a `not_found` 404, a 400 (a request the handler
    /// never got to judge) or a 5xx.
    Allow,
    /// `404 not_found`: the resource is not theirs, and its existence is not revealed.
    Hidden,
    /// `401`: no credential where one is needed.
    Unauthenticated,
    /// `403`: a known caller who may not do this.
    Forbidden,
}

use Expect::{Allow, Forbidden, Hidden, Unauthenticated};

/// One route of the matrix: method, path, body, whether it needs an `Idempotency-Key`, and
/// what [another customer, an anonymous caller, the owner, an admin] get, in that order.
type Row = (Method, String, Option<Value>, bool, [Expect; 4]);

/// Every resource route, called by the owner of the resources, another customer, an anonymous
/// caller (who holds every id in the path) and an admin: each gets exactly what the rules in
/// `commerce_core::access` say, and never a 5xx.
pub async fn authorization_matrix(backend: Backend) {
    let shop = start(backend, unlimited()).await;
    let admin = shop.admin_key().await;
    let owner = register(&shop, "owner@example.com", "owner password").await;
    let other = register(&shop, "other@example.com", "other password").await;
    let (_, me) = send_as(
        Method::GET,
        shop.url("/v1/customers/me"),
        None,
        None,
        Some(&owner),
    )
    .await;
    let owner_id = me["id"].as_str().unwrap().to_string();

    // The owner's resources: an open cart, a cart to check out, an order, an order to cancel,
    // an address. A guest's: an open cart and an order.
    let (cart, line) = cart_with(&shop, Some(&owner), "TEE-M", 1).await;
    let (cart_to_buy, _) = cart_with(&shop, Some(&owner), "TEE-S", 1).await;
    let (bought, _) = cart_with(&shop, Some(&owner), "MUG-BLUE", 1).await;
    let (order, intent) = check_out(&shop, Some(&owner), &bought).await;
    let (to_cancel, _) = cart_with(&shop, Some(&owner), "MUG-RED", 1).await;
    let (order_to_cancel, _) = check_out(&shop, Some(&owner), &to_cancel).await;
    let (_, added) = send_as(
        Method::POST,
        shop.url("/v1/customers/me/addresses"),
        Some(json!({"name": "O", "line1": "1 Main St", "city": "Springfield", "country": "US"})),
        None,
        Some(&owner),
    )
    .await;
    let address = added["id"].as_str().unwrap().to_string();
    let (guest_cart, _) = cart_with(&shop, None, "TEE-L", 1).await;
    let (guest_bought, _) = cart_with(&shop, None, "COFFEE-250", 1).await;
    let (guest_order, guest_intent) = check_out(&shop, None, &guest_bought).await;

    let owned = [Hidden, Hidden, Allow, Allow];
    let guest_token = [Allow, Allow, Allow, Allow];
    let admin_only = [Forbidden, Unauthenticated, Forbidden, Allow];
    let customer_only = [Allow, Unauthenticated, Allow, Unauthenticated];
    let lamp = json!({"id": "lamp", "name": "Lamp", "variants": [{"sku": "LAMP", "prices": []}]});
    let money = json!({"amount": {"amount": "1.00", "currency": "USD"}});
    let promotion = json!({"id": "p", "benefit": "free_shipping"});
    let shipping = json!({"method": {"id": "pickup", "rate": {"flat": {"amount": "0"}}}});
    let rows: Vec<Row> = vec![
        // The owner's cart: holding its id is not enough.
        (Method::GET, format!("/v1/carts/{cart}"), None, false, owned),
        (
            Method::POST,
            format!("/v1/carts/{cart}/lines"),
            Some(json!({"sku": "TEE-M", "quantity": 1})),
            false,
            owned,
        ),
        (
            Method::PATCH,
            format!("/v1/carts/{cart}/lines/{line}"),
            Some(json!({"quantity": 3})),
            false,
            owned,
        ),
        (
            Method::POST,
            format!("/v1/carts/{cart}/coupons"),
            Some(json!({"code": "WELCOME10"})),
            false,
            owned,
        ),
        (
            Method::DELETE,
            format!("/v1/carts/{cart}/coupons/WELCOME10"),
            None,
            false,
            owned,
        ),
        (
            Method::PUT,
            format!("/v1/carts/{cart}/shipping"),
            Some(json!({"country": "US", "method": "standard"})),
            false,
            owned,
        ),
        (
            Method::GET,
            format!("/v1/carts/{cart}/quote"),
            None,
            false,
            owned,
        ),
        (
            Method::GET,
            format!("/v1/carts/{cart}/pricing-request"),
            None,
            false,
            owned,
        ),
        (
            Method::DELETE,
            format!("/v1/carts/{cart}/lines/{line}"),
            None,
            false,
            owned,
        ),
        (
            Method::POST,
            format!("/v1/carts/{cart_to_buy}/checkout"),
            Some(json!({"payment_method": "tok_visa"})),
            true,
            owned,
        ),
        (
            Method::GET,
            format!("/v1/carts/{bought}/order"),
            None,
            false,
            owned,
        ),
        // A guest cart: its id is its token, whoever holds it.
        (
            Method::GET,
            format!("/v1/carts/{guest_cart}"),
            None,
            false,
            guest_token,
        ),
        (
            Method::GET,
            format!("/v1/carts/{guest_cart}/quote"),
            None,
            false,
            guest_token,
        ),
        (
            Method::GET,
            format!("/v1/carts/{guest_bought}/order"),
            None,
            false,
            guest_token,
        ),
        // Orders and payments: their customer and admins; a guest order by its id, admins only.
        (
            Method::GET,
            format!("/v1/orders/{order}"),
            None,
            false,
            owned,
        ),
        (
            Method::GET,
            format!("/v1/payment-intents/{intent}"),
            None,
            false,
            owned,
        ),
        (
            Method::POST,
            format!("/v1/orders/{order_to_cancel}/cancel"),
            None,
            true,
            owned,
        ),
        (
            Method::GET,
            format!("/v1/orders/{guest_order}"),
            None,
            false,
            [Hidden, Hidden, Hidden, Allow],
        ),
        (
            Method::GET,
            format!("/v1/payment-intents/{guest_intent}"),
            None,
            false,
            [Hidden, Hidden, Hidden, Allow],
        ),
        (
            Method::POST,
            format!("/v1/orders/{guest_order}/cancel"),
            None,
            true,
            [Hidden, Hidden, Hidden, Allow],
        ),
        (
            Method::GET,
            "/v1/orders".to_string(),
            None,
            false,
            [Allow, Unauthenticated, Allow, Allow],
        ),
        (
            Method::GET,
            format!("/v1/orders?customer={owner_id}"),
            None,
            false,
            [Forbidden, Unauthenticated, Allow, Allow],
        ),
        // The account: one's own, through /me; another's address is not in one's book.
        (
            Method::GET,
            "/v1/customers/me".to_string(),
            None,
            false,
            customer_only,
        ),
        (
            Method::GET,
            "/v1/customers/me/addresses".to_string(),
            None,
            false,
            customer_only,
        ),
        (
            Method::PUT,
            format!("/v1/customers/me/addresses/{address}"),
            Some(
                json!({"name": "O", "line1": "2 Main St", "city": "Springfield", "country": "US"}),
            ),
            false,
            [Hidden, Unauthenticated, Allow, Unauthenticated],
        ),
        (
            Method::DELETE,
            format!("/v1/customers/me/addresses/{address}"),
            None,
            false,
            [Hidden, Unauthenticated, Allow, Unauthenticated],
        ),
        (
            Method::GET,
            format!("/v1/customers/{owner_id}"),
            None,
            false,
            admin_only,
        ),
        (
            Method::PATCH,
            format!("/v1/customers/{owner_id}"),
            Some(json!({"group": "vip"})),
            false,
            admin_only,
        ),
        // The shop: admins only.
        (
            Method::GET,
            "/v1/products?status=any".to_string(),
            None,
            false,
            admin_only,
        ),
        (
            Method::POST,
            "/v1/products".to_string(),
            Some(lamp.clone()),
            false,
            admin_only,
        ),
        (
            Method::PUT,
            "/v1/products/lamp".to_string(),
            Some(lamp),
            false,
            admin_only,
        ),
        (
            Method::POST,
            "/v1/products/lamp/archive".to_string(),
            None,
            false,
            admin_only,
        ),
        (
            Method::PUT,
            "/v1/categories/lighting".to_string(),
            Some(json!({"id": "lighting", "name": "Lighting"})),
            false,
            admin_only,
        ),
        (
            Method::POST,
            "/v1/inventory/TEE-M/adjustments".to_string(),
            Some(json!({"delta": 1})),
            true,
            admin_only,
        ),
        (
            Method::GET,
            "/v1/settings".to_string(),
            None,
            false,
            admin_only,
        ),
        (
            Method::GET,
            "/v1/promotions".to_string(),
            None,
            false,
            admin_only,
        ),
        (
            Method::POST,
            "/v1/promotions".to_string(),
            Some(promotion.clone()),
            false,
            admin_only,
        ),
        (
            Method::PUT,
            "/v1/promotions/p".to_string(),
            Some(promotion),
            false,
            admin_only,
        ),
        (
            Method::DELETE,
            "/v1/promotions/p".to_string(),
            None,
            false,
            admin_only,
        ),
        (
            Method::GET,
            "/v1/tax-zones".to_string(),
            None,
            false,
            admin_only,
        ),
        (
            Method::PUT,
            "/v1/tax-zones/CA".to_string(),
            Some(json!({"rates": []})),
            false,
            admin_only,
        ),
        (
            Method::GET,
            "/v1/shipping-methods".to_string(),
            None,
            false,
            admin_only,
        ),
        (
            Method::POST,
            "/v1/shipping-methods".to_string(),
            Some(shipping.clone()),
            false,
            admin_only,
        ),
        (
            Method::POST,
            format!("/v1/orders/{order}/fulfil"),
            Some(json!({"line_id": "x", "quantity": 1})),
            false,
            admin_only,
        ),
        (
            Method::POST,
            format!("/v1/orders/{order}/ship"),
            None,
            false,
            admin_only,
        ),
        (
            Method::POST,
            format!("/v1/orders/{order}/capture"),
            Some(json!({})),
            true,
            admin_only,
        ),
        (
            Method::POST,
            format!("/v1/orders/{order}/refund"),
            Some(money.clone()),
            true,
            admin_only,
        ),
        (
            Method::POST,
            format!("/v1/payment-intents/{intent}/refund"),
            Some(money),
            true,
            admin_only,
        ),
        (
            Method::POST,
            format!("/v1/payment-intents/{intent}/capture"),
            Some(json!({})),
            true,
            admin_only,
        ),
        (
            Method::POST,
            format!("/v1/payment-intents/{intent}/cancel"),
            None,
            true,
            admin_only,
        ),
        // Anyone may start a cart, and read what is for sale.
        (
            Method::POST,
            "/v1/carts".to_string(),
            Some(json!({"currency": "USD"})),
            false,
            guest_token,
        ),
        (
            Method::GET,
            "/v1/products/trail-tee".to_string(),
            None,
            false,
            guest_token,
        ),
        (
            Method::GET,
            "/v1/variants/TEE-M".to_string(),
            None,
            false,
            guest_token,
        ),
        // A customer's own account. A wrong current password is refused after the guard
        // (422), so no session ends here.
        (
            Method::PATCH,
            "/v1/customers/me".to_string(),
            Some(json!({"name": "Renamed"})),
            false,
            customer_only,
        ),
        (
            Method::POST,
            "/v1/customers/me/addresses".to_string(),
            Some(
                json!({"name": "O", "line1": "2 Main St", "city": "Springfield", "country": "US"}),
            ),
            false,
            customer_only,
        ),
        (
            Method::PUT,
            "/v1/customers/me/password".to_string(),
            Some(json!({"current_password": "not the password", "new_password": "a new password"})),
            false,
            customer_only,
        ),
        // The owner's payment, confirmed again (it already succeeded: 409 for those let in).
        (
            Method::POST,
            format!("/v1/payment-intents/{intent}/confirm"),
            Some(json!({})),
            true,
            owned,
        ),
        // The shop's running, for admins.
        (
            Method::POST,
            format!("/v1/orders/{order}/deliver"),
            None,
            false,
            admin_only,
        ),
        (
            Method::GET,
            "/v1/promotions/welcome-10".to_string(),
            None,
            false,
            admin_only,
        ),
        (
            Method::PUT,
            "/v1/settings".to_string(),
            Some(json!({})),
            false,
            admin_only,
        ),
        (
            Method::PUT,
            "/v1/shipping-methods/pickup".to_string(),
            Some(shipping.clone()),
            false,
            admin_only,
        ),
        (
            Method::DELETE,
            "/v1/shipping-methods/pickup".to_string(),
            None,
            false,
            admin_only,
        ),
        (
            Method::DELETE,
            "/v1/tax-zones/CA".to_string(),
            None,
            false,
            admin_only,
        ),
    ];
    // Every operation the API documents as needing more than nothing is in the matrix: a
    // route added without its row fails here.
    let (_, document) = send_as(Method::GET, shop.url("/openapi.json"), None, None, None).await;
    let matches = |template: &str, path: &str| {
        let path = path.split('?').next().unwrap_or(path);
        let (t, p): (Vec<&str>, Vec<&str>) =
            (template.split('/').collect(), path.split('/').collect());
        t.len() == p.len() && t.iter().zip(&p).all(|(t, p)| t.starts_with('{') || t == p)
    };
    let mut unlisted = Vec::new();
    for (template, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            // Signing out would end the session the matrix's callers use; the accounts
            // scenario signs out, and the guard's rule for it is the same as for
            // `/v1/customers/me`.
            let exempt = method == "delete" && template == "/v1/sessions/current";
            if operation["security"] == json!([]) || exempt {
                continue;
            }
            let listed = rows.iter().any(|(m, path, ..)| {
                m.as_str().eq_ignore_ascii_case(method) && matches(template, path)
            });
            if !listed {
                unlisted.push(format!("{method} {template}"));
            }
        }
    }
    assert!(
        unlisted.is_empty(),
        "not in the authorization matrix: {unlisted:?}"
    );
    let callers = [
        ("other", Some(other.as_str())),
        ("anonymous", None),
        ("owner", Some(owner.as_str())),
        ("admin", Some(admin.as_str())),
    ];
    let mut failures = Vec::new();
    for (row, (method, path, body, keyed, expected)) in rows.iter().enumerate() {
        for ((who, bearer), expect) in callers.iter().zip(expected) {
            let key = keyed.then(|| format!("matrix-{row}-{who}"));
            let (status, answer) = send_as(
                method.clone(),
                shop.url(path),
                body.clone(),
                key.as_deref(),
                *bearer,
            )
            .await;
            let code = answer["code"].as_str().unwrap_or_default();
            let got = match status.as_u16() {
                401 => Unauthenticated,
                403 => Forbidden,
                404 if code == "not_found" => Hidden,
                400 | 500.. => {
                    failures.push(format!("{method} {path} as {who}: {status} {answer}"));
                    continue;
                }
                _ => Allow,
            };
            if got != *expect {
                failures.push(format!(
                    "{method} {path} as {who}: expected {expect:?}, got {status} {answer}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} wrong answers:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // Listings show each customer only their own orders.
    let (_, mine) = send_as(
        Method::GET,
        shop.url("/v1/orders?limit=100"),
        None,
        None,
        Some(&owner),
    )
    .await;
    let mine: Vec<&str> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["customer_id"].as_str().unwrap())
        .collect();
    assert!(
        mine.len() >= 3 && mine.iter().all(|c| *c == owner_id),
        "{mine:?}"
    );
    let (_, theirs) = send_as(
        Method::GET,
        shop.url("/v1/orders"),
        None,
        None,
        Some(&other),
    )
    .await;
    assert_eq!(theirs["items"], json!([]));
    let (_, all) = send_as(
        Method::GET,
        shop.url("/v1/orders?limit=100"),
        None,
        None,
        Some(&admin),
    )
    .await;
    let ids: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&guest_order.as_str()) && ids.contains(&order.as_str()),
        "{ids:?}"
    );
}

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

/// Product listings by category, text and status; variants and categories; order listings by
/// status, a page at a time.
pub async fn listings_filter_and_page(backend: Backend) {
    let shop = start(backend, Settings::default()).await;
    let key = shop.admin_key().await;
    let ids = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, page) = get(shop.url("/v1/products?category=kitchen")).await;
    assert_eq!(ids(&page), ["enamel-mug"]);
    let (_, page) = get(shop.url("/v1/products?q=TEE")).await;
    assert_eq!(ids(&page), ["trail-tee"]);
    let (_, page) = get(shop.url("/v1/products?q=250%20g")).await;
    assert_eq!(ids(&page), ["ground-coffee"]);
    let (_, page) = get(shop.url("/v1/products?limit=2")).await;
    assert_eq!(ids(&page), ["enamel-mug", "ground-coffee"]);
    let after = page["next_cursor"].as_str().unwrap().to_string();
    let (_, page) = get(shop.url(&format!("/v1/products?limit=2&after={after}"))).await;
    assert_eq!(
        (ids(&page), page["next_cursor"].clone()),
        (vec!["trail-tee".to_string()], Value::Null)
    );
    let (status, body) = get(shop.url("/v1/products?colour=red")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );

    // An archived product leaves the public listing; admins still find it.
    send_as(
        Method::POST,
        shop.url("/v1/products/ground-coffee/archive"),
        None,
        None,
        Some(&key),
    )
    .await;
    let (_, page) = get(shop.url("/v1/products")).await;
    assert_eq!(ids(&page), ["enamel-mug", "trail-tee"]);
    let (_, page) = send_as(
        Method::GET,
        shop.url("/v1/products?status=archived"),
        None,
        None,
        Some(&key),
    )
    .await;
    assert_eq!(ids(&page), ["ground-coffee"]);
    assert_eq!(
        get(shop.url("/v1/products/ground-coffee")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(shop.url("/v1/variants/COFFEE-250")).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, variant) = get(shop.url("/v1/variants/TEE-L")).await;
    assert_eq!(
        (
            status,
            variant["product_id"].as_str(),
            variant["variant"]["options"]["size"].as_str()
        ),
        (StatusCode::OK, Some("trail-tee"), Some("L"))
    );
    let (_, categories) = get(shop.url("/v1/categories")).await;
    assert_eq!(categories.as_array().map(Vec::len), Some(3));
    let (status, category) = get(shop.url("/v1/categories/pantry")).await;
    assert_eq!(
        (status, category["name"].as_str()),
        (StatusCode::OK, Some("Pantry"))
    );

    // Orders by status, newest first.
    let token = register(&shop, "lister@example.com", "lister password").await;
    let mut placed = Vec::new();
    for sku in ["MUG-BLUE", "MUG-RED", "TEE-S"] {
        let (cart, _) = cart_with(&shop, Some(&token), sku, 1).await;
        placed.push(check_out(&shop, Some(&token), &cart).await.0);
        // Orders are listed by the millisecond they were placed in; keep these apart.
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    send_as(
        Method::POST,
        shop.url(&format!("/v1/orders/{}/cancel", placed[1])),
        None,
        Some("cancel-1"),
        Some(&token),
    )
    .await;
    let list = |query: &str| {
        let (url, token) = (shop.url(&format!("/v1/orders{query}")), token.clone());
        async move { send_as(Method::GET, url, None, None, Some(&token)).await.1 }
    };
    let newest_first: Vec<String> = placed.iter().rev().cloned().collect();
    assert_eq!(ids(&list("").await), newest_first);
    assert_eq!(ids(&list("?status=cancelled").await), [placed[1].clone()]);
    assert_eq!(
        ids(&list("?status=confirmed").await),
        [placed[2].clone(), placed[0].clone()]
    );
    let first = list("?limit=1").await;
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    assert_eq!(
        ids(&list(&format!("?limit=1&after={cursor}")).await),
        [placed[1].clone()]
    );
    let (status, _) = send_as(
        Method::GET,
        shop.url("/v1/orders?status=lost"),
        None,
        None,
        Some(&token),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// A checkout the gateway never answered is a 502 that keeps the order and its hold; the
/// customer confirms the payment later with another card, once.
pub async fn a_payment_the_gateway_missed(backend: Backend) {
    let shop = start(backend, Settings::default()).await;
    let token = register(&shop, "patient@example.com", "patient password").await;
    let (cart, _) = cart_with(&shop, Some(&token), "MUG-RED", 2).await;
    let (status, problem) = send_as(
        Method::POST,
        shop.url(&format!("/v1/carts/{cart}/checkout")),
        Some(json!({"payment_method": "tok_gateway_down"})),
        Some("first-try"),
        Some(&token),
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::BAD_GATEWAY, Some("backend_error"))
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
                Some(json!({"payment_method": "tok_visa"})),
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
