//! The authorization matrix: every operation, called by every kind of caller.

use reqwest::Method;
use serde_json::{Value, json};

use super::{cart_with, check_out, register};
use crate::support::{Backend, send_as, start, unlimited};

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

    let (_, endpoint) = send_as(
        Method::POST,
        shop.url("/v1/webhook-endpoints"),
        Some(json!({"url": "https://hooks.example.com/in"})),
        None,
        Some(&admin),
    )
    .await;
    let endpoint = endpoint["endpoint"]["id"].as_str().unwrap().to_string();

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
            format!("/v1/carts/{cart}/shipping-options"),
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
            Some(crate::support::pay("tok_visa")),
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
            "/v1/promotions/welcome-10/limit".to_string(),
            Some(json!({"total": 1000})),
            false,
            admin_only,
        ),
        (
            Method::GET,
            "/v1/promotions/welcome-10/limit".to_string(),
            None,
            false,
            admin_only,
        ),
        (
            Method::DELETE,
            "/v1/promotions/welcome-10/limit".to_string(),
            None,
            false,
            admin_only,
        ),
        // Where events go, for admins.
        (
            Method::GET,
            "/v1/deliveries".to_string(),
            None,
            false,
            admin_only,
        ),
        (
            Method::POST,
            "/v1/deliveries/ord_x:order_placed:1/nats/retry".to_string(),
            None,
            false,
            [Forbidden, Unauthenticated, Forbidden, Hidden],
        ),
        (
            Method::GET,
            "/v1/webhook-endpoints".to_string(),
            None,
            false,
            admin_only,
        ),
        (
            Method::POST,
            "/v1/webhook-endpoints".to_string(),
            Some(json!({"url": "https://hooks.example.com/other"})),
            false,
            admin_only,
        ),
        (
            Method::GET,
            format!("/v1/webhook-endpoints/{endpoint}"),
            None,
            false,
            admin_only,
        ),
        (
            Method::PATCH,
            format!("/v1/webhook-endpoints/{endpoint}"),
            Some(json!({"enabled": false})),
            false,
            admin_only,
        ),
        (
            Method::POST,
            format!("/v1/webhook-endpoints/{endpoint}/rotate-secret"),
            None,
            false,
            admin_only,
        ),
        (
            Method::DELETE,
            format!("/v1/webhook-endpoints/{endpoint}"),
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
