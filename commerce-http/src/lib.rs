//! # commerce-http
//!
//! The reference server over `commerce-core`: a REST JSON API, one binary
//! (`commerce-server`). Handlers parse, call one service method and map the result; every
//! error is RFC 9457 problem+json with the core's stable code.
//!
//! The API covers the catalog, guest and customer carts, checkout with a required
//! `Idempotency-Key`, orders and payment intents, customer accounts with sessions, the shop's
//! settings, signed gateway webhooks, health and metrics. [`auth`] says who may call what; the
//! object-level rules themselves are the core's [`commerce_core::access`].

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod api;
pub mod auth;
pub mod cli;
pub mod demo;
mod extract;
mod metrics;
mod middleware;
pub mod openapi;
mod pages;
mod problem;
mod storefront;
pub use storefront::storefront_package;
pub mod webhook;

use commerce_core::{Commerce, Error};

pub use api::{AppState, router};
pub use commerce_core::RandomIds;
pub use middleware::{ClientAddr, Settings};
pub use problem::Problem;

pub use commerce_runtime::{Config, GatewayConfig, StripeConfig};

/// The service `config` describes, built as every wrapper builds it
/// ([`commerce_runtime::build`]).
///
/// # Errors
///
/// As [`commerce_runtime::build`].
pub async fn commerce(config: &Config) -> Result<Commerce, Error> {
    commerce_runtime::build(config).await
}

/// The whole application with default [`Settings`]: the API, the storefront at `/shop`, and the
/// middleware. Serve it with `into_make_service_with_connect_info::<SocketAddr>()`, which the
/// per-client rate limit needs.
pub fn app(commerce: Commerce) -> axum::Router {
    app_with(commerce, &Settings::default())
}

/// The whole application with the given settings.
pub fn app_with(commerce: Commerce, settings: &Settings) -> axum::Router {
    let state = AppState {
        commerce,
        webhook_secret: settings.webhook_secret.clone(),
        stripe_webhook_secret: settings.stripe_webhook_secret.clone(),
    };
    middleware::wrap(
        storefront::routes(settings.wasm_dir.as_deref())
            .merge(openapi::routes())
            .merge(router(state)),
        settings,
    )
}
