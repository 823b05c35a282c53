//! Checks of search through the service: the shared cases of `testdata/search/` give the same
//! products in the same order on every store, and filters, facets and pages hold.

use std::sync::Arc;

use crate::catalog::{Category, Product, ProductStatus};
use crate::money::Currency;
use crate::search::facets::Filters;
use crate::service::{SearchRequest, SearchSort};
use crate::store::Store;

use super::shop;

fn shared(file: &str) -> serde_json::Value {
    let path = format!("{}/../testdata/search/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("the shared search cases are read from {path}: {e}"));
    serde_json::from_str(&text).expect("valid JSON")
}

fn request(query: &str) -> SearchRequest {
    SearchRequest {
        query: query.into(),
        currency: Currency::USD,
        filters: Filters::default(),
        sort: SearchSort::Relevance,
        cursor: None,
        limit: 100,
    }
}

/// The ids `request` finds, in order.
async fn found(commerce: &crate::Commerce, request: &SearchRequest) -> Vec<String> {
    let results = commerce.search(request).await.unwrap();
    results.items.into_iter().map(|i| i.product.id).collect()
}

/// Every shared query finds its products in order; a draft product is never found; filters,
/// facet counts and cursor pages agree with the results.
pub async fn search_gives_the_shared_answers(store: Arc<dyn Store>) {
    let (commerce, _, _) = shop(store.clone(), 5).await;
    let catalog = shared("catalog.json");
    for (id, name) in catalog["categories"].as_object().unwrap() {
        commerce
            .put_category(Category {
                id: id.clone(),
                name: name.as_str().unwrap().into(),
                parent_id: (id == "kitchen").then(|| "home".to_string()),
            })
            .await
            .unwrap();
    }
    commerce
        .put_category(Category {
            id: "home".into(),
            name: "Home".into(),
            parent_id: None,
        })
        .await
        .unwrap();
    // The testkit shop's own product is archived, so that only the shared catalog is active.
    commerce.archive_product("mug").await.unwrap();
    let products: Vec<Product> = serde_json::from_value(catalog["products"].clone()).unwrap();
    for (i, mut product) in products.into_iter().enumerate() {
        for variant in &mut product.variants {
            variant.prices = vec![crate::catalog::VariantPrice {
                price_list: "default".into(),
                amount: crate::Money::parse(&format!("{}.00", 10 + i), Currency::USD).unwrap(),
                tiers: vec![],
            }];
        }
        commerce.put_product(product).await.unwrap();
    }
    let mut draft = super::product("p99", "DRAFT-MUG", "1.00");
    draft.name = "Draft mug".into();
    draft.status = ProductStatus::Draft;
    commerce.put_product(draft).await.unwrap();
    commerce.adjust_stock("ENM-BLUE", 3, None).await.unwrap();

    for case in shared("queries.json").as_array().unwrap() {
        let query = case["query"].as_str().unwrap();
        let expected: Vec<String> = serde_json::from_value(case["expected"].clone()).unwrap();
        assert_eq!(
            found(&commerce, &request(query)).await,
            expected,
            "{query:?}: {}",
            case["why"]
        );
    }

    // `mug`: p01, p02, p04, p03, p12. In the kitchen (through `home`, its parent): p01, p02,
    // p03; facet counts ignore their own facet's choice.
    let mut kitchen = request("mug");
    kitchen.filters.categories = ["home".to_string()].into();
    let results = commerce.search(&kitchen).await.unwrap();
    let ids: Vec<&str> = results
        .items
        .iter()
        .map(|i| i.product.id.as_str())
        .collect();
    assert_eq!(ids, ["p01", "p02", "p03"]);
    assert_eq!(results.total, 3);
    assert_eq!(
        results.facets.categories["pantry"], 1,
        "p12, beside the choice"
    );
    assert_eq!(results.facets.categories["home"], 3);
    assert_eq!(results.facets.attributes["colour"]["blue"], 1);
    assert_eq!(results.facets.in_stock, 1, "only ENM-BLUE has stock");
    // Prices are 10.00 + the product's place: p01 10.00, p02 11.00, p03 12.00.
    assert_eq!(results.facets.price_range, Some((1000, 1200)));
    let range = results.price_range.unwrap();
    assert_eq!(
        (range.min.to_string(), range.max.to_string()),
        ("10.00 USD".into(), "12.00 USD".into())
    );
    let mut cheap = kitchen.clone();
    cheap.filters.max_price = Some(1100);
    cheap.filters.in_stock = true;
    assert_eq!(found(&commerce, &cheap).await, ["p01"]);

    // By price: p01 10.00, p02 11.00, p03 12.00, p04 13.00, p12 21.00.
    let mut by_price = request("mug");
    by_price.sort = SearchSort::PriceDescending;
    assert_eq!(
        found(&commerce, &by_price).await,
        ["p12", "p04", "p03", "p02", "p01"]
    );
    by_price.sort = SearchSort::PriceAscending;
    assert_eq!(
        found(&commerce, &by_price).await,
        ["p01", "p02", "p03", "p04", "p12"]
    );

    // Pages of one follow each other, then end.
    let mut paged = request("mug");
    paged.limit = 2;
    let mut seen = Vec::new();
    loop {
        let page = commerce.search(&paged).await.unwrap();
        seen.extend(page.items.into_iter().map(|i| i.product.id));
        match page.next_cursor {
            Some(next) => paged.cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, ["p01", "p02", "p04", "p03", "p12"]);
    // Suggestions lead to results: the first names search ranks for the text so far.
    let offered = commerce.suggest("te", Currency::USD, 10).await.unwrap();
    let ids: Vec<&str> = offered.iter().map(|s| s.product_id.as_str()).collect();
    assert_eq!(
        ids,
        ["p04", "p08", "p12"],
        "tee, teapot, tea: all prefixes, by id"
    );
    assert_eq!(offered[1].name, "Teapot");
    assert!(
        commerce
            .suggest("  ", Currency::USD, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        commerce
            .suggest("te", Currency::USD, 11)
            .await
            .unwrap_err()
            .field(),
        Some("limit")
    );
    let mut bad = request("mug");
    bad.limit = 0;
    assert_eq!(
        commerce.search(&bad).await.unwrap_err().field(),
        Some("limit")
    );
}
