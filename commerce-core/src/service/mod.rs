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
//!    decline, release the stock at once (compensation) and let the order wait for another
//!    payment method; on "requires action" or "processing", or a gateway that does not answer,
//!    wait for the gateway's event ([`Commerce::handle_gateway_event`]) or a retry, with the
//!    stock held only briefly and counted against the buyer's bound on unpaid holds.
//!
//! A retry finds the order already placed for the cart and resumes where the saga stopped,
//! with the payment method it brings (a declined cart is paid with another card this way,
//! under a new hold); a second checkout of a paid cart returns the same order. With an
//! idempotency key, a replay returns the stored outcome, a different request with the same key
//! is `idempotency_mismatch`, and one still running is `idempotency_in_flight`.
//!
//! Money moves after checkout (capture, refund, void) are recorded as pending in the store
//! before the gateway is asked, and settled when it answers (see `moves.rs`): two concurrent
//! captures can never both pass the bound check, and the books never say money moved that did
//! not.

mod accounts;
mod carts;
mod catalog;
mod checkout;
mod deliveries;
mod fulfilment;
mod idempotency;
mod jobs;
mod maintenance;
mod moves;
mod orders;
mod payments;
mod search;
mod settings;
mod shipping;
mod snapshot;
mod webhooks;

pub use accounts::{CustomerUpdate, MAX_ADDRESSES};
pub use checkout::{Checkout, CheckoutRequest};
pub use idempotency::IdempotencyKey;
pub use moves::SettledMoves;
pub use search::{
    MAX_SEARCH_LIMIT, MAX_SUGGESTIONS, PriceRange, SearchItem, SearchRequest, SearchResults,
    SearchSort, Suggestion,
};
pub use shipping::ShippingOffer;
pub use webhooks::WebhookEndpointChange;

use std::sync::Arc;

use crate::cart::CartLimits;
use crate::clock::Clock;
use crate::customer::DEFAULT_SESSION_TTL_MILLIS;
use crate::error::Result;
use crate::gateway::PaymentGateway;
use crate::ids::IdGenerator;
use crate::inventory::{
    DEFAULT_MAX_UNPAID_HOLDS, DEFAULT_RESERVATION_TTL_MILLIS, DEFAULT_UNPAID_HOLD_TTL_MILLIS,
};
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
    unpaid_hold_ttl_millis: i64,
    max_unpaid_holds: u64,
    idempotency_retention_millis: i64,
    session_ttl_millis: i64,
    cart_limits: CartLimits,
    abandoned_after_millis: i64,
    authorization_window_millis: i64,
    /// This process's copy of the catalog ([`snapshot`]), read again when the store's catalog
    /// version moves.
    catalog_snapshot: Arc<std::sync::Mutex<Option<Arc<snapshot::CatalogSnapshot>>>>,
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
            unpaid_hold_ttl_millis: DEFAULT_UNPAID_HOLD_TTL_MILLIS,
            max_unpaid_holds: DEFAULT_MAX_UNPAID_HOLDS,
            idempotency_retention_millis: IDEMPOTENCY_RETENTION_MILLIS,
            session_ttl_millis: DEFAULT_SESSION_TTL_MILLIS,
            cart_limits: CartLimits::default(),
            abandoned_after_millis: crate::worker::DEFAULT_ABANDONED_AFTER_MILLIS,
            authorization_window_millis: crate::worker::DEFAULT_AUTHORIZATION_WINDOW_MILLIS,
            catalog_snapshot: Arc::default(),
        }
    }

    /// The state of the payment gateway's breaker, where it has one.
    pub fn gateway_health(&self) -> Option<crate::breaker::GatewayHealth> {
        self.gateway.health()
    }

    /// Sets how long an order may stay unpaid before the worker cancels it (default 24
    /// hours).
    #[must_use]
    pub fn with_abandoned_after_millis(mut self, millis: i64) -> Commerce {
        self.abandoned_after_millis = millis;
        self
    }

    /// Sets how long an authorization may wait for its capture before the worker voids it
    /// and cancels its unfulfilled order (default 7 days less an hour).
    #[must_use]
    pub fn with_authorization_window_millis(mut self, millis: i64) -> Commerce {
        self.authorization_window_millis = millis;
        self
    }

    /// Sets how long checkout holds stock (default 15 minutes).
    #[must_use]
    pub fn with_reservation_ttl_millis(mut self, millis: i64) -> Commerce {
        self.reservation_ttl_millis = millis;
        self
    }

    /// Sets how long stock stays held for a payment that did not complete when asked: one that
    /// awaits the customer's action (3-D Secure) or the gateway's event, or whose gateway could
    /// not be reached (default 5 minutes, never longer than the checkout's own hold). A declined
    /// payment holds nothing.
    #[must_use]
    pub fn with_unpaid_hold_ttl_millis(mut self, millis: i64) -> Commerce {
        self.unpaid_hold_ttl_millis = millis;
        self
    }

    /// Sets how many live unpaid holds one customer (or, for guests, one client) may have at
    /// once (default 3): a checkout beyond it is refused with `too_many_unpaid_checkouts`
    /// until one is paid, declined or expires, so that nobody can keep a hot product from
    /// paying buyers with checkouts they never pay.
    #[must_use]
    pub fn with_max_unpaid_holds(mut self, holds: u64) -> Commerce {
        self.max_unpaid_holds = holds;
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
