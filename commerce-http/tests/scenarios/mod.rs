//! Scenarios that run on every backend: the SQLite tests (`tests/http.rs`) and the PostgreSQL
//! tests (`tests/postgres.rs`) each call them with their database.

#![allow(dead_code)]

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{Shop, post, send_as};

/// One `#[tokio::test]` per scenario, on `$backend`: each test file that runs the scenarios
/// only names its database.
#[macro_export]
macro_rules! every_scenario {
    ($backend:expr) => {
        $crate::every_scenario!(
            @each $backend,
            a_whole_purchase,
            two_hundred_buyers_for_one_hundred_units,
            two_hundred_buyers_for_fifty_coupon_uses,
            an_admin_runs_the_shop,
            customer_accounts,
            authorization_matrix,
            settings_one_part_at_a_time,
            listings_filter_and_page,
            search_finds_with_typos_and_facets,
            two_servers_search_one_catalog,
            search_gives_the_shared_answers_over_http,
            a_payment_the_gateway_missed,
            hostile_requests_get_problems,
            events_reach_every_destination
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

mod accounts;
mod admin;
mod events;
mod hostile;
mod listings;
mod matrix;
mod payments;
mod purchase;
mod settings;

pub use accounts::customer_accounts;
pub use admin::an_admin_runs_the_shop;
pub use events::{a_worker_killed_mid_delivery_loses_nothing, events_reach_every_destination};
pub use hostile::hostile_requests_get_problems;
pub use listings::{
    listings_filter_and_page, search_finds_with_typos_and_facets,
    search_gives_the_shared_answers_over_http, two_servers_search_one_catalog,
};
pub use matrix::authorization_matrix;
pub use payments::a_payment_the_gateway_missed;
pub use purchase::{
    a_whole_purchase, two_hundred_buyers_for_fifty_coupon_uses,
    two_hundred_buyers_for_one_hundred_units,
};
pub use settings::settings_one_part_at_a_time;

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

/// Checks a cart out, to a California address; a signed-in customer is written to at their
/// own e-mail address, a guest at the test's. The order's and the payment intent's ids.
pub async fn check_out(shop: &Shop, bearer: Option<&str>, cart: &str) -> (String, String) {
    let mut pay = crate::support::pay("tok_visa");
    if bearer.is_some() {
        pay.as_object_mut().unwrap().remove("email");
    }
    let (status, body) = send_as(
        Method::POST,
        shop.url(&format!("/v1/carts/{cart}/checkout")),
        Some(pay),
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
