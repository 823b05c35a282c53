//! # commerce-runtime
//!
//! The one place a [`Commerce`] is built from configuration: the reference server
//! (`commerce-http`) and the Python package (`commerce-py`) both call [`build`], so a setting
//! means the same in each, and a new adapter (a payment gateway, a broker) is wired here once.
//!
//! Every gateway it builds sits behind the same guards ([`resilience`]): a deadline on each
//! call, a limit on calls in flight (a bulkhead), and the core's circuit breaker
//! ([`commerce_core::breaker`]). Without a gateway named, none is built: payments are refused
//! with `payments_not_configured`, so that a shop never takes test tokens for real payments.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use commerce_runtime::{Config, GatewayConfig};
//!
//! let config = Config::new("sqlite::memory:").with_gateway(GatewayConfig::Test);
//! let commerce = commerce_runtime::build(&config).await?;
//! let cart = commerce.create_cart(commerce_core::Currency::USD, None).await?;
//! assert!(cart.id.starts_with("cart_"));
//! assert_eq!(commerce.gateway_health().unwrap().gateway, "test");
//! # Ok::<(), commerce_core::Error>(())
//! # }).unwrap();
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::sync::Arc;
use std::time::Duration;

pub mod resilience;

use commerce_core::breaker::{BreakerPolicy, GuardedGateway};
use commerce_core::gateway::{NoGateway, PaymentGateway, TestGateway};
use commerce_core::{Commerce, Error, RandomIds, SystemClock};
pub use commerce_stripe::StripeConfig;

/// Which payment gateway takes the money.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum GatewayConfig {
    /// None: every payment is refused with `payments_not_configured` (orders are kept).
    #[default]
    None,
    /// The built-in test gateway, driven by tokens (`tok_visa`, `tok_decline_…`): for demos,
    /// tests and development; it moves no real money.
    Test,
    /// Stripe ([`commerce_stripe`]).
    Stripe(StripeConfig),
}

impl GatewayConfig {
    /// The gateway a name chooses (`none`, `test`, `stripe`), as every wrapper takes it; Stripe's
    /// keys come from the environment ([`StripeConfig::from_env`]), never from the name's
    /// caller.
    ///
    /// # Errors
    ///
    /// `invalid_input` for another name, or for `stripe` without `STRIPE_SECRET_KEY`.
    pub fn from_name(name: &str) -> Result<GatewayConfig, Error> {
        match name {
            "none" => Ok(GatewayConfig::None),
            "test" => Ok(GatewayConfig::Test),
            "stripe" => Ok(GatewayConfig::Stripe(StripeConfig::from_env()?)),
            other => Err(Error::new(commerce_core::ErrorKind::InvalidInput {
                message: format!("unknown gateway `{other}`: use none, test or stripe"),
            })),
        }
    }

    /// The gateway's name, as `--gateway` and health reports spell it.
    pub fn name(&self) -> &'static str {
        match self {
            GatewayConfig::None => "none",
            GatewayConfig::Test => "test",
            GatewayConfig::Stripe(_) => "stripe",
        }
    }
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
    /// When the gateway's breaker opens, and for how long.
    pub breaker: BreakerPolicy,
    /// The longest a gateway call may take, retries included (default 15 s); past it, its
    /// outcome is unknown and it is settled later with the same key.
    pub gateway_deadline: Duration,
    /// The most gateway calls in flight at once (default 16); more wait for a place within
    /// their deadline.
    pub gateway_concurrency: usize,
}

impl Config {
    /// The defaults, on the store `database_url` names.
    pub fn new(database_url: impl Into<String>) -> Config {
        Config {
            database_url: database_url.into(),
            gateway: GatewayConfig::default(),
            reservation_ttl: None,
            breaker: BreakerPolicy::default(),
            gateway_deadline: Duration::from_secs(15),
            gateway_concurrency: 16,
        }
    }

    /// The same, with `gateway`.
    #[must_use]
    pub fn with_gateway(mut self, gateway: GatewayConfig) -> Config {
        self.gateway = gateway;
        self
    }

    /// The same, with another breaker policy.
    #[must_use]
    pub fn with_breaker(mut self, breaker: BreakerPolicy) -> Config {
        self.breaker = breaker;
        self
    }

    /// The same, with another reservation hold.
    #[must_use]
    pub fn with_reservation_ttl(mut self, ttl: Duration) -> Config {
        self.reservation_ttl = Some(ttl);
        self
    }
}

/// The gateway `config` names, behind its guards: the deadline and the bulkhead
/// ([`resilience::Resilient`]) inside the breaker, so that a call the breaker refuses takes no
/// place in the bulkhead, and a call past its deadline counts as a failure.
///
/// # Errors
///
/// `backend_error` if the gateway's client cannot be set up.
pub fn gateway(config: &Config) -> Result<Arc<dyn PaymentGateway>, Error> {
    let inner: Arc<dyn PaymentGateway> = match &config.gateway {
        GatewayConfig::None => return Ok(Arc::new(NoGateway)),
        GatewayConfig::Test => Arc::new(TestGateway::new()),
        GatewayConfig::Stripe(stripe) => {
            Arc::new(commerce_stripe::StripeGateway::new(stripe.clone())?)
        }
    };
    let guarded =
        resilience::Resilient::new(inner, config.gateway_deadline, config.gateway_concurrency);
    Ok(Arc::new(GuardedGateway::new(
        config.gateway.name(),
        Arc::new(guarded),
        Arc::new(SystemClock),
        config.breaker,
    )))
}

/// Opens the store (applying its migrations), builds the gateway ([`gateway`]) and returns the
/// service, with the system clock and random 128-bit ids.
///
/// # Errors
///
/// As [`commerce_sql::connect`]: `invalid_input` for a URL of another scheme, `backend_error`
/// if the database cannot be opened or migrated.
pub async fn build(config: &Config) -> Result<Commerce, Error> {
    let store = commerce_sql::connect(&config.database_url).await?;
    let gateway = gateway(config)?;
    let mut commerce = Commerce::new(store, gateway, Arc::new(SystemClock), Arc::new(RandomIds));
    if let Some(ttl) = config.reservation_ttl {
        let millis = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        commerce = commerce.with_reservation_ttl_millis(millis);
    }
    Ok(commerce)
}
