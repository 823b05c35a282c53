//! Listings, a page at a time.

use commerce_http::Settings;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::{cart_with, check_out, register};
use crate::support::{Backend, get, send_as, start};

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

/// `GET /v1/search` over the demo catalog: typos and plurals found, facets beside the
/// results, refusals as problems.
pub async fn search_finds_with_typos_and_facets(backend: Backend) {
    let shop = start(backend, Settings::default()).await;
    let (status, found) = get(shop.url("/v1/search?q=enamle%20mugs&currency=USD")).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["items"][0]["product"]["id"], "enamel-mug", "{found}");
    assert_eq!(found["items"][0]["matches"][0]["kind"], "typo");
    assert_eq!(found["items"][0]["matches"][1]["kind"], "stemmed");
    assert_eq!(
        found["facets"]["attributes"]["colour"]["blue"], 1,
        "{found}"
    );
    assert!(found["price_range"]["min"]["amount"].is_string(), "{found}");
    let (_, filtered) = get(shop.url("/v1/search?q=mug&currency=USD&option=colour:red")).await;
    assert_eq!(filtered["total"], 1, "{filtered}");
    let (_, dearest) =
        get(shop.url("/v1/search?currency=USD&sort=price_descending&limit=100")).await;
    let prices: Vec<f64> = dearest["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            i["product"]["variants"][0]["prices"][0]["amount"]["amount"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(
        prices.len() > 1 && prices.windows(2).all(|w| w[0] >= w[1]),
        "{prices:?}"
    );
    let (_, none) = get(shop.url("/v1/search?q=mug&currency=USD&max_price=1.00")).await;
    assert_eq!(none["total"], 0, "{none}");
    let long = format!("/v1/search?currency=USD&q={}", "a".repeat(201));
    let long_suggestion = format!("/v1/search/suggestions?currency=USD&q={}", "a".repeat(201));
    for (path, field) in [
        (long.as_str(), "q"),
        (long_suggestion.as_str(), "q"),
        ("/v1/search?q=mug", "currency"),
        ("/v1/search?q=mug&currency=USD&max_price=1.001", "max_price"),
        ("/v1/search?q=mug&currency=USD&option=blue", "option"),
        ("/v1/search?q=mug&currency=USD&limit=0", "limit"),
    ] {
        let (status, problem) = get(shop.url(path)).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {problem}"
        );
        assert_eq!(problem["errors"][0]["field"], field, "{path}: {problem}");
    }
    let (status, offered) = get(shop.url("/v1/search/suggestions?q=enam&currency=USD")).await;
    assert_eq!(status, StatusCode::OK, "{offered}");
    assert_eq!(offered[0]["product_id"], "enamel-mug", "{offered}");
    assert_eq!(offered[0]["name"], "Enamel mug");
    let (status, _) = get(shop.url("/v1/search/suggestions?q=enam&currency=USD&limit=11")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, document) = get(shop.url("/openapi.json")).await;
    assert!(document["paths"]["/v1/search"]["get"].is_object());
    assert!(document["paths"]["/v1/search/suggestions"]["get"].is_object());
    assert!(document["components"]["schemas"]["SearchResults"].is_object());
}

/// Two server processes on one database, each with its own search index: a product renamed
/// through one is found under its new name by the other at its next search (each search reads
/// the catalog's version, and rebuilds its index when it moved).
pub async fn two_servers_search_one_catalog(backend: Backend) {
    let url = crate::support::new_database(backend).await;
    let commerce = commerce_http::commerce(&crate::support::test_gateway(&url))
        .await
        .unwrap();
    assert!(commerce_http::demo::load(&commerce).await.unwrap());
    let admin = commerce_http::cli::keys::create_key(&commerce, "tests")
        .await
        .unwrap();
    let a = crate::support::ServerProcess::start_with(&url, false, &["--no-worker"]).await;
    let b = crate::support::ServerProcess::start_with(&url, false, &["--no-worker"]).await;
    let search = |base: &str, q: &str| format!("{base}/v1/search?q={q}&currency=USD");
    let (_, found) = get(search(&b.base, "speckled")).await;
    assert_eq!(found["total"], 0, "{found}");
    let (_, found) = get(search(&b.base, "enamel")).await;
    assert_eq!(found["items"][0]["product"]["id"], "enamel-mug", "{found}");

    let (_, mut product) = get(format!("{}/v1/products/enamel-mug", a.base)).await;
    product["name"] = "Speckled Camp Cup".into();
    let (status, saved) = send_as(
        Method::PUT,
        format!("{}/v1/products/enamel-mug", a.base),
        Some(product),
        None,
        Some(&admin),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let (_, found) = get(search(&b.base, "speckled")).await;
    assert_eq!(
        found["items"][0]["product"]["id"], "enamel-mug",
        "seen at once: {found}"
    );
    assert_eq!(found["items"][0]["product"]["name"], "Speckled Camp Cup");
}

/// The shared search cases (`testdata/search`) through `GET /v1/search`: the same catalog, the
/// same queries, the same products in the same order as the core's check and Python's.
pub async fn search_gives_the_shared_answers_over_http(backend: Backend) {
    let shop = crate::support::start_empty(backend, Settings::default()).await;
    let cases = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/search");
    let read = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(cases.join(name)).unwrap()).unwrap()
    };
    let catalog = read("catalog.json");
    let category = |id: &str, name: &str, parent: Option<&str>| {
        serde_json::from_value::<commerce_core::catalog::Category>(
            serde_json::json!({"id": id, "name": name, "parent_id": parent}),
        )
        .unwrap()
    };
    shop.commerce
        .put_category(category("home", "Home", None))
        .await
        .unwrap();
    for (id, name) in catalog["categories"].as_object().unwrap() {
        let parent = (id == "kitchen").then_some("home");
        let name = name.as_str().unwrap();
        shop.commerce
            .put_category(category(id, name, parent))
            .await
            .unwrap();
    }
    for (i, product) in catalog["products"].as_array().unwrap().iter().enumerate() {
        let mut product = product.clone();
        for variant in product["variants"].as_array_mut().unwrap() {
            variant["prices"] = serde_json::json!([{"price_list": "default",
                "amount": {"amount": format!("{}.00", 10 + i), "currency": "USD"}}]);
        }
        shop.commerce
            .put_product(serde_json::from_value(product).unwrap())
            .await
            .unwrap();
    }
    for case in read("queries.json").as_array().unwrap() {
        let query = case["query"].as_str().unwrap();
        let encoded: String = query
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        let (status, found) =
            get(shop.url(&format!("/v1/search?q={encoded}&currency=USD&limit=100"))).await;
        assert_eq!(status, StatusCode::OK, "{query:?}: {found}");
        let ids: Vec<&str> = found["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["product"]["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            case["expected"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e.as_str().unwrap())
                .collect::<Vec<_>>(),
            "{query:?}: {}",
            case["why"]
        );
    }
}
