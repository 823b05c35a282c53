//! # commerce-runtime
//!
//! The one place a [`Commerce`] is built from configuration: the reference server
//! (`commerce-http`) and the Python package (`commerce-py`) both call [`build`], so a setting
//! means the same in each, and a new adapter (a payment gateway, a broker) is wired here once.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use commerce_runtime::Config;
//!
//! let commerce = commerce_runtime::build(&Config::new("sqlite::memory:")).await?;
//! let cart = commerce.create_cart(commerce_core::Currency::USD, None).await?;
//! assert!(cart.id.starts_with("cart_"));
//! # Ok::<(), commerce_core::Error>(())
//! # }).unwrap();
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::sync::Arc;
use std::time::Duration;

use commerce_core::gateway::{PaymentGateway, TestGateway};
use commerce_core::{Commerce, Error, RandomIds, SystemClock};

/// Which payment gateway takes the money.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum GatewayConfig {
    /// The built-in test gateway, driven by tokens (`tok_visa`, `tok_decline_…`): for demos,
    /// tests and development; it moves no real money.
    #[default]
    Test,
}

/// What a [`Commerce`] is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// The store: `sqlite://path`, `sqlite::memory:` or `postgres://…`.
    pub database_url: String,
    /// The payment gateway.
    pub gateway: GatewayConfig,
    /// How long checkout holds stock; `None` for the core's default (15 minutes).
    pub reservation_ttl: Option<Duration>,
}

impl Config {
    /// The defaults, on the store `database_url` names.
    pub fn new(database_url: impl Into<String>) -> Config {
        Config {
            database_url: database_url.into(),
            gateway: GatewayConfig::default(),
            reservation_ttl: None,
        }
    }

    /// The same, with another reservation hold.
    #[must_use]
    pub fn with_reservation_ttl(mut self, ttl: Duration) -> Config {
        self.reservation_ttl = Some(ttl);
        self
    }
}

/// Opens the store (applying its migrations), builds the gateway and returns the service, with
/// the system clock and random 128-bit ids.
///
/// # Errors
///
/// As [`commerce_sql::connect`]: `invalid_input` for a URL of another scheme, `backend_error`
/// if the database cannot be opened or migrated.
pub async fn build(config: &Config) -> Result<Commerce, Error> {
    let store = commerce_sql::connect(&config.database_url).await?;
    let gateway: Arc<dyn PaymentGateway> = match config.gateway {
        GatewayConfig::Test => Arc::new(TestGateway::new()),
    };
    let mut commerce = Commerce::new(store, gateway, Arc::new(SystemClock), Arc::new(RandomIds));
    if let Some(ttl) = config.reservation_ttl {
        let millis = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        commerce = commerce.with_reservation_ttl_millis(millis);
    }
    Ok(commerce)
}
