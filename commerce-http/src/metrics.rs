//! The request log and the request metrics of `/metrics`: one log line per request (its id,
//! method, path, status and time), and per route a latency histogram and responses by status
//! class, in the Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, State};
use axum::middleware::Next;

use crate::problem::Failure;

/// The upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The route label of a request that matched no route: the path itself would let a scan of
/// made-up paths grow the metrics without bound.
const UNMATCHED: &str = "unmatched";

/// The route a response was answered by (its template, `/v1/orders/{id}`), copied from the
/// request to the response so that the outer measuring layer can read it.
#[derive(Debug, Clone)]
struct Route(MatchedPath);

/// One route's figures.
#[derive(Debug, Default)]
struct RouteFigures {
    /// Requests at or under each bound of [`BUCKETS`], not cumulative (summed when rendered).
    buckets: [u64; BUCKETS.len()],
    count: u64,
    micros: u64,
    by_class: [u64; 5],
}

/// Request counters for `/metrics`.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    by_class: [AtomicU64; 5],
    /// By method and route template.
    routes: Mutex<BTreeMap<(String, String), RouteFigures>>,
}

impl Metrics {
    fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.by_class[class].fetch_add(1, Ordering::Relaxed);
        let mut routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        let figures = routes
            .entry((method.to_string(), route.to_string()))
            .or_default();
        if let Some(bucket) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            figures.buckets[bucket] += 1;
        }
        figures.count += 1;
        figures.micros += (seconds * 1e6) as u64;
        figures.by_class[class] += 1;
    }

    /// The figures in the Prometheus text format.
    pub(crate) fn render(&self) -> String {
        let mut text = String::from(
            "# HELP commerce_http_responses_total HTTP responses by status class.\n\
             # TYPE commerce_http_responses_total counter\n",
        );
        for (i, count) in self.by_class.iter().enumerate() {
            let _ = writeln!(
                text,
                "commerce_http_responses_total{{class=\"{}xx\"}} {}",
                i + 1,
                count.load(Ordering::Relaxed)
            );
        }
        let routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        text.push_str(
            "# HELP commerce_http_route_responses_total HTTP responses by method, route and status class.\n\
             # TYPE commerce_http_route_responses_total counter\n",
        );
        for ((method, route), figures) in routes.iter() {
            for (i, count) in figures.by_class.iter().enumerate() {
                if *count > 0 {
                    let _ = writeln!(
                        text,
                        "commerce_http_route_responses_total{{method=\"{method}\",route=\"{}\",class=\"{}xx\"}} {count}",
                        label(route),
                        i + 1
                    );
                }
            }
        }
        text.push_str(
            "# HELP commerce_http_request_duration_seconds Time to answer a request, by method and route.\n\
             # TYPE commerce_http_request_duration_seconds histogram\n",
        );
        for ((method, route), figures) in routes.iter() {
            let labels = format!("method=\"{method}\",route=\"{}\"", label(route));
            let mut cumulative = 0;
            for (bound, count) in BUCKETS.iter().zip(figures.buckets) {
                cumulative += count;
                let _ = writeln!(
                    text,
                    "commerce_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                text,
                "commerce_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}\n\
                 commerce_http_request_duration_seconds_sum{{{labels}}} {}\n\
                 commerce_http_request_duration_seconds_count{{{labels}}} {}",
                figures.count,
                figures.micros as f64 / 1e6,
                figures.count
            );
        }
        text
    }
}

/// A label value with the characters the text format escapes, escaped.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Copies the matched route onto the response (a route layer: it runs only for matched routes).
pub(crate) async fn remember_route(
    route: Option<MatchedPath>,
    request: axum::extract::Request,
    next: Next,
) -> axum::response::Response {
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(Route(route));
    }
    response
}

/// Logs every request in one line and counts it; a server-side failure is logged at `error`
/// with what happened, which the client's problem does not say.
pub(crate) async fn measure(
    State(metrics): State<Arc<Metrics>>,
    request: axum::extract::Request,
    next: Next,
) -> axum::response::Response {
    let start = Instant::now();
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let (method, path) = (request.method().clone(), request.uri().path().to_string());
    let response = next.run(request).await;
    let elapsed = start.elapsed();
    let status = response.status().as_u16();
    let route = response
        .extensions()
        .get::<Route>()
        .map_or(UNMATCHED, |route| route.0.as_str());
    metrics.record(method.as_str(), route, status, elapsed.as_secs_f64());
    let millis = elapsed.as_secs_f64() * 1e3;
    if let Some(Failure(failure)) = response.extensions().get::<Failure>() {
        // The client saw a generic problem; the log has what happened, by request id.
        tracing::error!(
            request_id,
            %method,
            path,
            status,
            millis,
            failure,
            "request failed on the server side"
        );
    } else {
        tracing::info!(request_id, %method, path, status, millis, "request");
    }
    response
}
