//! How the server's own pages (`/shop/`, `/docs`) are served: every page with a strict
//! content-security policy (scripts and styles from the server only, no inline script, no
//! `eval`), so that data which reached a page as markup by mistake still could not run.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The storefront's policy: its script, its stylesheet, the WebAssembly module (compiled by the
/// browser, which `'wasm-unsafe-eval'` allows without allowing `eval`), calls to this server,
/// and product images from anywhere over HTTPS.
pub(crate) const STOREFRONT_POLICY: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; connect-src 'self'; img-src 'self' https: data:; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// The API page's policy: its script and stylesheet, and the OpenAPI document.
pub(crate) const DOCS_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// An HTML page under `policy`.
pub(crate) fn page(policy: &'static str, html: &'static str) -> Response {
    let mut response = asset("text/html; charset=utf-8", html);
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(policy),
    );
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// A script, stylesheet or other file compiled into the server, never sniffed as another type.
pub(crate) fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}
