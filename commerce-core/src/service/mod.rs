//! The `Commerce` service: catalog administration, carts, checkout, payments and fulfilment
//! over any [`Store`], [`PaymentGateway`], [`Clock`] and [`IdGenerator`].
//!
//! **Checkout** is a saga of units of work, each all or nothing in the store:
//!
//! 1. *place*: quote the cart from catalog prices, reserve its stock, create the order
//!    (pending payment) and its payment intent, and write `order_placed` and `stock_reserved`;
//! 2. *confirm*: ask the gateway to authorize, with an idempotency key derived from the intent,
//!    so that a retried call never charges twice;
//! 3. *finish*: on authorization, commit the reservation (the sale) and confirm the order; on a
//!    decline, release the stock and cancel the order (compensation); on "requires action" or
//!    "processing", wait for the gateway's event ([`Commerce::handle_gateway_event`]).
//!
//! A retry finds the order already placed for the cart and resumes where the saga stopped; a
//! second checkout of the same cart returns the same order. With an idempotency key, a replay
//! returns the stored outcome, a different request with the same key is
//! `idempotency_mismatch`, and one still running is `idempotency_in_flight`.
//!
//! Money moves (capture, refund) are recorded in the store (compare-and-set on the intent's
//! version) **before** the gateway is called, so two concurrent captures can never both pass
//! the bound check; if the gateway call then fails, the record is rolled back.

mod accounts;
mod carts;
mod catalog;
mod checkout;
mod fulfilment;
mod idempotency;
mod maintenance;
mod moves;
mod orders;
mod payments;
mod settings;

pub use accounts::{CustomerUpdate, MAX_ADDRESSES};
pub use checkout::{Checkout, CheckoutRequest};
pub use idempotency::IdempotencyKey;
pub use moves::SettledMoves;

use std::sync::Arc;

use crate::cart::CartLimits;
use crate::clock::Clock;
use crate::customer::DEFAULT_SESSION_TTL_MILLIS;
use crate::error::Result;
use crate::gateway::PaymentGateway;
use crate::ids::IdGenerator;
use crate::inventory::DEFAULT_RESERVATION_TTL_MILLIS;
use crate::store::{IDEMPOTENCY_RETENTION_MILLIS, Store};
use crate::time::Timestamp;

/// The commerce service. Cheap to clone; share it between threads and tasks.
#[derive(Clone)]
pub struct Commerce {
    store: Arc<dyn Store>,
    gateway: Arc<dyn PaymentGateway>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    reservation_ttl_millis: i64,
    idempotency_retention_millis: i64,
    session_ttl_millis: i64,
    cart_limits: CartLimits,
}

/// `not_found` for an id that nothing can have been stored under ([`crate::text`]), before any
/// store is asked: the same answer on every store, for ids no store could hold.
fn stored_id<'a>(entity: &str, id: &'a str) -> Result<&'a str> {
    if crate::text::could_be_id(id) {
        Ok(id)
    } else {
        Err(crate::Error::not_found(entity, id))
    }
}

/// How many times a compare-and-set write is retried after losing a race.
const CONFLICT_RETRIES: usize = 8;

impl Commerce {
    /// A service over the given store, gateway, clock and id generator.
    pub fn new(
        store: Arc<dyn Store>,
        gateway: Arc<dyn PaymentGateway>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Commerce {
        Commerce {
            store,
            gateway,
            clock,
            ids,
            reservation_ttl_millis: DEFAULT_RESERVATION_TTL_MILLIS,
            idempotency_retention_millis: IDEMPOTENCY_RETENTION_MILLIS,
            session_ttl_millis: DEFAULT_SESSION_TTL_MILLIS,
            cart_limits: CartLimits::default(),
        }
    }

    /// Sets how long checkout holds stock (default 15 minutes).
    #[must_use]
    pub fn with_reservation_ttl_millis(mut self, millis: i64) -> Commerce {
        self.reservation_ttl_millis = millis;
        self
    }

    /// Sets how long idempotency keys are kept after they were first used (default and minimum
    /// 24 hours: a client may retry for at least that long).
    #[must_use]
    pub fn with_idempotency_retention_millis(mut self, millis: i64) -> Commerce {
        self.idempotency_retention_millis = millis.max(IDEMPOTENCY_RETENTION_MILLIS);
        self
    }

    /// Sets how long a customer stays signed in (default 30 days).
    #[must_use]
    pub fn with_session_ttl_millis(mut self, millis: i64) -> Commerce {
        self.session_ttl_millis = millis;
        self
    }

    /// Sets the limits of new carts.
    #[must_use]
    pub fn with_cart_limits(mut self, limits: CartLimits) -> Commerce {
        self.cart_limits = limits;
        self
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The current time, by the injected clock.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }
}
