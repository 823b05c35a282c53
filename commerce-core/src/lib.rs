//! # commerce-core
//!
//! The commerce domain as a pure Rust library: exact money, a deterministic pricing engine
//! (price lists, volume tiers, tax, promotions, shipping), and carts.
//!
//! Everything here is pure: no clock (time is always passed in), no I/O, no global state, no
//! async runtime. The crate builds for `wasm32-unknown-unknown`, and the same code runs behind
//! the HTTP server, the Python bindings and the browser module, so a cart gets the same total
//! to the last minor unit everywhere.
//!
//! - [`money`]: [`Currency`], [`Money`], [`RoundingMode`], allocation.
//! - [`pricing`]: [`pricing::quote`] turns a [`pricing::PricingRequest`] into a
//!   [`pricing::Quote`] that explains every amount.
//! - [`cart`]: the [`Cart`] aggregate, which produces pricing requests from catalog prices.
//!
//! ## Example
//!
//! ```
//! use commerce_core::{Currency, Money};
//!
//! let price = Money::parse("19.99", Currency::USD)?;
//! let parts = price.split(3)?;
//! let shown: Vec<String> = parts.iter().map(|m| m.to_string()).collect();
//! assert_eq!(shown, ["6.67 USD", "6.66 USD", "6.66 USD"]);
//! # Ok::<(), commerce_core::Error>(())
//! ```
//!
//! ## Not supported
//!
//! - Floating-point amounts, anywhere: JSON amounts are decimal strings.
//! - Currency conversion: a request, a cart and a quote have one currency.
//! - Compound taxes (a tax charged on another tax, as in Québec before 2013); every rate is
//!   charged on the net amount.
//! - Rounding to cash denominations (the Swiss 0.05, Swedish öre); rounding is to the minor unit.
//! - Best-deal promotion selection: promotions apply in priority order, not the cheapest
//!   combination for the customer.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod access;
pub mod breaker;
pub mod cart;
pub mod catalog;
pub mod clock;
pub mod contact;
pub mod customer;
pub mod delivery;
mod error;
pub mod event_schema;
pub mod events;
pub mod gateway;
pub mod ids;
pub mod inventory;
pub mod json;
pub mod money;
pub mod order;
pub mod payment;
pub mod pricing;
#[cfg(feature = "schema")]
pub mod schema;
pub mod search;
mod serde_decimal;
pub mod service;
pub mod settings;
pub mod shipment;
pub mod store;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod text;
mod time;
pub mod usage;
pub mod webhooks;
pub mod worker;

pub use cart::{Cart, CartLimits, CartLine, CatalogItem};
#[cfg(not(target_arch = "wasm32"))]
pub use clock::SystemClock;
pub use clock::{Clock, ManualClock};
pub use error::{Error, ErrorKind, Result, error_chain};
#[cfg(feature = "random-ids")]
pub use ids::RandomIds;
pub use ids::{IdGenerator, SequentialIds};
pub use money::{Currency, Money, RoundingMode};
pub use serde_decimal::DECIMAL_NEWTYPE_NAME;
pub use service::{Checkout, CheckoutRequest, Commerce};
pub use time::Timestamp;
