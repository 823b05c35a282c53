//! The shared search cases (`testdata/search/`) against the core's matching and ranking.

use std::collections::BTreeMap;

use commerce_core::catalog::Product;
use commerce_core::search::{Document, Query, search};
use serde::Deserialize;

#[derive(Deserialize)]
struct Catalog {
    categories: BTreeMap<String, String>,
    products: Vec<Product>,
}

#[derive(Deserialize)]
struct Case {
    query: String,
    expected: Vec<String>,
    why: String,
}

#[test]
fn every_shared_query_returns_its_products_in_order() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/search");
    let catalog: Catalog =
        serde_json::from_str(&std::fs::read_to_string(format!("{root}/catalog.json")).unwrap())
            .unwrap();
    let cases: Vec<Case> =
        serde_json::from_str(&std::fs::read_to_string(format!("{root}/queries.json")).unwrap())
            .unwrap();
    assert!(cases.len() >= 20);
    let documents: Vec<Document> = catalog
        .products
        .iter()
        .map(|p| Document::of(p, &catalog.categories))
        .collect();
    let mut wrong = Vec::new();
    for case in &cases {
        let found: Vec<String> = search(&Query::new(&case.query), &documents)
            .into_iter()
            .map(|h| h.product_id)
            .collect();
        if found != case.expected {
            wrong.push(format!(
                "{:?}: expected {:?}, found {:?} ({})",
                case.query, case.expected, found, case.why
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
