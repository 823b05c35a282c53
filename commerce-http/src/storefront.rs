//! The storefront at `/shop`: a small page that prices the cart in the browser with the
//! WebAssembly module and shows the server's order totals beside the browser's at checkout.
//! The page and its script are compiled in; the module is served from the built package
//! (`scripts/build-wasm`), at `COMMERCE_WASM_DIR` or the checkout's `commerce-wasm/pkg`.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use tower_http::services::ServeDir;

const INDEX: &str = include_str!("../storefront/index.html");
const APP: &str = include_str!("../storefront/app.js");

fn wasm_dir() -> String {
    std::env::var("COMMERCE_WASM_DIR").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../commerce-wasm/pkg").to_string()
    })
}

pub(crate) fn routes() -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { axum::response::Redirect::to("/shop/") }),
        )
        .route(
            "/shop",
            get(|| async { axum::response::Redirect::to("/shop/") }),
        )
        .route(
            "/shop/",
            get(|| async {
                ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], INDEX).into_response()
            }),
        )
        .route(
            "/shop/app.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    APP,
                )
                    .into_response()
            }),
        )
        .nest_service("/shop/pkg", ServeDir::new(wasm_dir()))
}
