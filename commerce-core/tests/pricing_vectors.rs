//! Runs every shared pricing case in `testdata/pricing/` (the contract that the Python, WASM and
//! HTTP layers run too) and reports every mismatch at once.

use std::path::{Path, PathBuf};

use commerce_core::pricing::{PricingRequest, quote, quote_totals};
use serde_json::Value;

fn cases() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/pricing");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
}

/// `expected` matches `actual` if every key of an expected object is in the actual object with a
/// matching value, arrays have the same length and match element by element, and everything
/// else is equal. (testdata/pricing/README.md states the same rule for every language.)
fn mismatches(expected: &Value, actual: &Value, path: &str, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (key, value) in e {
                match a.get(key) {
                    Some(actual) => mismatches(value, actual, &format!("{path}.{key}"), out),
                    None => out.push(format!("{path}.{key}: missing")),
                }
            }
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            for (i, (e, a)) in e.iter().zip(a).enumerate() {
                mismatches(e, a, &format!("{path}[{i}]"), out);
            }
        }
        (e, a) if e == a => {}
        (e, a) => out.push(format!("{path}: expected {e}, got {a}")),
    }
}

fn run(path: &Path) -> Vec<String> {
    let case: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let request = serde_json::to_string(&case["request"]).unwrap();
    let result = PricingRequest::from_json(&request)
        .and_then(|r| quote(&r).map(|q| serde_json::to_value(&q).unwrap()));
    let mut out = Vec::new();
    match (case.get("expected_error"), result) {
        (Some(expected), Err(err)) => {
            let actual = serde_json::json!({"code": err.code(), "field": err.field()});
            mismatches(expected, &actual, "error", &mut out);
        }
        (Some(expected), Ok(_)) => out.push(format!("expected error {expected}, got a quote")),
        (None, Err(err)) => out.push(format!("unexpected error {}: {err}", err.code())),
        (None, Ok(actual)) => mismatches(&case["expected"], &actual, "quote", &mut out),
    }
    // The totals-only entry point gives the quote's totals, or the same error.
    if let Ok(request) = PricingRequest::from_json(&request) {
        match (quote(&request), quote_totals(&request)) {
            (Ok(quote), Ok(totals)) if quote.totals == totals => {}
            (Err(a), Err(b)) if (a.code(), a.field()) == (b.code(), b.field()) => {}
            (quote, totals) => out.push(format!(
                "quote_totals disagrees with quote: {:?} against {:?}",
                totals.map_err(|e| e.to_string()),
                quote.map(|q| q.totals).map_err(|e| e.to_string())
            )),
        }
    }
    out
}

#[test]
fn every_shared_pricing_case_matches() {
    let paths = cases();
    assert!(
        paths.len() >= 60,
        "the contract needs at least 60 cases, found {}",
        paths.len()
    );
    let mut failures = Vec::new();
    for path in &paths {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        for problem in run(path) {
            failures.push(format!("{name}: {problem}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
