//! The storefront at `/shop`: a small page that prices the cart in the browser with the
//! WebAssembly module and shows the server's order totals beside the browser's at checkout.
//! The page, its script and its stylesheet are compiled in; the module is served from the built
//! package (`scripts/build-wasm`), found at run time by [`storefront_package`].

use std::path::{Path, PathBuf};

use axum::Router;
use axum::routing::get;
use tower_http::services::ServeDir;

use crate::pages::{STOREFRONT_POLICY, asset, page};

const INDEX: &str = include_str!("../storefront/index.html");
const APP: &str = include_str!("../storefront/app.js");
const STYLE: &str = include_str!("../storefront/style.css");

/// The file whose presence marks a directory as the storefront's WebAssembly package.
const MODULE: &str = "web/commerce_wasm_bg.wasm";

/// Where the storefront's WebAssembly package is, and whether it was found there.
///
/// `configured` (the server's `--wasm-dir`, or `COMMERCE_WASM_DIR`) wins when given. Otherwise
/// the first of these holding the module: `commerce-wasm/pkg` under the working directory (the
/// server started from a checkout), the same beside the checkout's `target/<profile>/` holding
/// the executable, and `pkg` beside the executable (an installation that ships the package with
/// the binary). None is a path from the machine the server was built on.
pub fn storefront_package(configured: Option<&Path>) -> (PathBuf, bool) {
    let has_module = |dir: &Path| dir.join(MODULE).is_file();
    if let Some(dir) = configured {
        return (dir.to_path_buf(), has_module(dir));
    }
    if let Some(dir) = std::env::var_os("COMMERCE_WASM_DIR") {
        let dir = PathBuf::from(dir);
        let found = has_module(&dir);
        return (dir, found);
    }
    let mut candidates = vec![PathBuf::from("commerce-wasm/pkg")];
    if let Some(exe_dir) = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
    {
        if let Some(checkout) = exe_dir.parent().and_then(Path::parent) {
            candidates.push(checkout.join("commerce-wasm/pkg"));
        }
        candidates.push(exe_dir.join("pkg"));
    }
    match candidates.iter().find(|dir| has_module(dir)) {
        Some(dir) => (dir.clone(), true),
        None => (candidates.swap_remove(0), false),
    }
}

pub(crate) fn routes(wasm_dir: Option<&Path>) -> Router {
    let (package, found) = storefront_package(wasm_dir);
    if found {
        tracing::debug!(package = %package.display(), "the storefront's pricing module");
    } else {
        // The page says so too; the API is unaffected.
        tracing::warn!(
            package = %package.display(),
            "the storefront's WebAssembly package is missing: /shop/ cannot price carts until \
             scripts/build-wasm has run or --wasm-dir (COMMERCE_WASM_DIR) names the package"
        );
    }
    Router::new()
        .route(
            "/",
            get(|| async { axum::response::Redirect::to("/shop/") }),
        )
        .route(
            "/shop",
            get(|| async { axum::response::Redirect::to("/shop/") }),
        )
        .route("/shop/", get(|| async { page(STOREFRONT_POLICY, INDEX) }))
        .route(
            "/shop/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", APP) }),
        )
        .route(
            "/shop/style.css",
            get(|| async { asset("text/css; charset=utf-8", STYLE) }),
        )
        .nest_service("/shop/pkg", ServeDir::new(package))
}
