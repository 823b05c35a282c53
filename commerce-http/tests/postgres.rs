//! The scenarios of `tests/http.rs` over PostgreSQL, each server on a new schema. Built with
//! the `postgres-tests` feature, which `scripts/test` turns on when a server answers (and
//! always under `CI=true`).

mod scenarios;
mod support;

use reqwest::{Method, StatusCode};
use serde_json::json;
use support::{Backend, ServerProcess, send, send_as};

every_scenario!(Backend::Postgres);

/// A worker killed mid-delivery: its lease runs out and another worker process finishes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_delivery_loses_nothing() {
    scenarios::a_worker_killed_mid_delivery_loses_nothing(Backend::Postgres).await;
}

/// Two `commerce-server` processes on one database act as one shop: a session from one works
/// on the other, an idempotency key replays across them, and 150 buyers spread over both get
/// exactly the 100 units there are.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_server_processes_share_one_database() {
    let url = support::new_database(Backend::Postgres).await;
    let first = ServerProcess::start(&url, true).await;
    let second = ServerProcess::start(&url, false).await;
    let servers = [&first.base, &second.base];

    let (status, session) = send(
        Method::POST,
        format!("{}/v1/customers", first.base),
        Some(json!({"email": "twice@example.com", "password": "one shop, two doors"})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let token = session["token"].as_str().unwrap();
    let (status, me) = send_as(
        Method::GET,
        format!("{}/v1/customers/me", second.base),
        None,
        None,
        Some(token),
    )
    .await;
    assert_eq!(
        (status, me["email"].as_str()),
        (StatusCode::OK, Some("twice@example.com"))
    );

    let mut carts = Vec::new();
    for i in 0..150 {
        let base = servers[i % 2];
        let (_, cart) = send(
            Method::POST,
            format!("{base}/v1/carts"),
            Some(json!({"currency": "USD"})),
            None,
        )
        .await;
        let id = cart["id"].as_str().unwrap().to_string();
        let (status, _) = send(
            Method::POST,
            format!("{base}/v1/carts/{id}/lines"),
            Some(json!({"sku": "TEE-L", "quantity": 1})),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        carts.push((i, id));
    }
    let attempts = carts.iter().map(|(i, id)| {
        // Each cart is checked out on the other server than the one that filled it.
        let url = format!("{}/v1/carts/{id}/checkout", servers[(i + 1) % 2]);
        let key = format!("buy-{id}");
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
    let mut orders = Vec::new();
    let mut refused = 0;
    for (status, body) in &results {
        match *status {
            StatusCode::CREATED => orders.push(body["order"]["id"].clone()),
            StatusCode::CONFLICT if body["code"] == "insufficient_stock" => refused += 1,
            other => panic!("neither an order nor a clean refusal: {other} {body}"),
        }
    }
    assert_eq!((orders.len(), refused), (100, 50));

    // A retry on the other server replays the same order.
    let (i, id) = carts
        .iter()
        .zip(&results)
        .find(|(_, (status, _))| *status == StatusCode::CREATED)
        .map(|((i, id), _)| (*i, id.clone()))
        .unwrap();
    let (status, replay) = send(
        Method::POST,
        format!("{}/v1/carts/{id}/checkout", servers[i % 2]),
        Some(crate::support::pay("tok_visa")),
        Some(&format!("buy-{id}")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(orders.contains(&replay["order"]["id"]));
    let (_, stock) = send(
        Method::GET,
        format!("{}/v1/inventory/TEE-L", second.base),
        None,
        None,
    )
    .await;
    assert_eq!(
        (stock[0]["on_hand"].as_i64(), stock[0]["reserved"].as_i64()),
        (Some(0), Some(0))
    );
}
