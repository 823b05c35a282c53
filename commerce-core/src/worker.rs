//! The background work a shop needs, as one call: [`Commerce::run_pending_jobs`] does
//! everything that is due once, and the wrappers (the server's worker, a Python program, a
//! host's own runtime) only call it on a schedule.
//!
//! One pass, in order:
//!
//! 1. settles money moves a request left pending ([`Commerce::settle_due_money_moves`]);
//! 2. under the lease [`MAINTENANCE_LEASE`] (one process at a time, at most every
//!    [`MAINTENANCE_EVERY_MILLIS`]): releases expired holds and purges old idempotency keys and
//!    sessions ([`Commerce::sweep`]), cancels orders left unpaid for
//!    [`DEFAULT_ABANDONED_AFTER_MILLIS`] and voids authorizations older than
//!    [`DEFAULT_AUTHORIZATION_WINDOW_MILLIS`] on unfulfilled orders (cancelling them), and asks
//!    the gateway about payments still waiting for an action or processing
//!    [`RECONCILE_WAITING_AFTER_MILLIS`] after their order was placed, whose webhook never came;
//! 3. routes new outbox events to their destinations, one delivery each;
//! 4. sends the deliveries that are due, and settles them with what their destinations said.
//!
//! Every step is safe with several workers at once: claims are leased, writes are
//! compare-and-set, and a delivery's attempt is counted when it is claimed.
//!
//! Where events go is given by [`Destinations`]: brokers and email are [`Destination`]s; the
//! shop's webhook endpoints, kept in the store, are reached through one [`WebhookSender`].
//!
//! [`Commerce::run_pending_jobs`]: crate::Commerce::run_pending_jobs
//! [`Commerce::settle_due_money_moves`]: crate::Commerce::settle_due_money_moves
//! [`Commerce::sweep`]: crate::Commerce::sweep

use std::sync::Arc;

use async_trait::async_trait;

use crate::delivery::{DestinationKind, Envelope, Outcome};
use crate::events::EventKind;
use crate::time::Timestamp;
use crate::webhooks::WebhookEndpoint;

/// The lease of the maintenance step.
pub const MAINTENANCE_LEASE: &str = "maintenance";
/// How often the maintenance step runs, across all workers: every 30 seconds.
pub const MAINTENANCE_EVERY_MILLIS: i64 = 30_000;
/// An order still unpaid this long after it was placed is cancelled: 24 hours.
pub const DEFAULT_ABANDONED_AFTER_MILLIS: i64 = 24 * 60 * 60 * 1000;
/// An authorization not captured this long after the order was placed is voided, before the
/// card network lets it lapse (7 days at most card schemes and Stripe): 7 days less an hour.
pub const DEFAULT_AUTHORIZATION_WINDOW_MILLIS: i64 = 7 * 24 * 60 * 60 * 1000 - 60 * 60 * 1000;
/// A payment still waiting for the customer's action, or processing, this long after its order
/// was placed is asked about at the gateway: 2 minutes (its webhook comes within seconds; this
/// is for the one that was lost), within the 5 minutes stock stays held for a payment that
/// waits ([`DEFAULT_UNPAID_HOLD_TTL_MILLIS`](crate::inventory::DEFAULT_UNPAID_HOLD_TTL_MILLIS)).
pub const RECONCILE_WAITING_AFTER_MILLIS: i64 = 2 * 60 * 1000;
/// Until when a waiting payment is asked about, on each maintenance pass: an hour after its
/// order was placed (a customer who has not acted by then is not waited for at the gateway's
/// expense; a webhook that comes later is still applied).
pub const RECONCILE_WAITING_UNTIL_MILLIS: i64 = 60 * 60 * 1000;
/// How many events are routed, and deliveries sent, per batch.
pub const BATCH: usize = 100;

/// A place events are sent to: a broker, a mailer.
#[async_trait]
pub trait Destination: Send + Sync {
    /// Its name, unique among the destinations: deliveries are kept under it (`nats`,
    /// `amqp`, `email`).
    fn name(&self) -> &str;
    /// Its kind, which decides how failed deliveries are retried.
    fn kind(&self) -> DestinationKind;
    /// Whether it takes events of `kind` (all, unless it says otherwise): events it does not
    /// take get no delivery to it.
    fn wants(&self, kind: EventKind) -> bool {
        let _ = kind;
        true
    }
    /// Sends one event; the answer settles the attempt.
    async fn deliver(&self, envelope: &Envelope) -> Outcome;
}

/// Sends events to the shop's webhook endpoints.
#[async_trait]
pub trait WebhookSender: Send + Sync {
    /// Posts an event to an endpoint, signed with its secrets at `now`: `Delivered` for a 2xx
    /// answer, `Refused` for `410 Gone`, `Failed` for anything else.
    async fn send(
        &self,
        endpoint: &WebhookEndpoint,
        envelope: &Envelope,
        now: Timestamp,
    ) -> Outcome;
}

/// Where a worker sends events.
#[derive(Clone, Default)]
pub struct Destinations {
    pub(crate) fixed: Vec<Arc<dyn Destination>>,
    pub(crate) webhooks: Option<Arc<dyn WebhookSender>>,
}

impl Destinations {
    /// No destinations: events are routed to nobody (and marked routed).
    pub fn new() -> Destinations {
        Destinations::default()
    }

    /// With one more destination.
    #[must_use]
    pub fn with(mut self, destination: Arc<dyn Destination>) -> Destinations {
        self.fixed.push(destination);
        self
    }

    /// With the shop's webhook endpoints, reached through `sender`.
    #[must_use]
    pub fn with_webhooks(mut self, sender: Arc<dyn WebhookSender>) -> Destinations {
        self.webhooks = Some(sender);
        self
    }

    /// The names of the fixed destinations.
    pub fn names(&self) -> Vec<String> {
        self.fixed.iter().map(|d| d.name().to_string()).collect()
    }

    pub(crate) fn named(&self, name: &str) -> Option<&Arc<dyn Destination>> {
        self.fixed.iter().find(|d| d.name() == name)
    }
}

impl std::fmt::Debug for Destinations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Destinations")
            .field("fixed", &self.names())
            .field("webhooks", &self.webhooks.is_some())
            .finish()
    }
}

/// What one pass of deliveries did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Events routed to their destinations.
    pub routed: usize,
    /// Deliveries their destinations now have.
    pub delivered: usize,
    /// Deliveries that failed and will be tried again.
    pub failed: usize,
    /// Deliveries given up (dead letters).
    pub dead: usize,
    /// Webhook endpoints this pass disabled.
    pub disabled_endpoints: usize,
}

/// What one [`Commerce::run_pending_jobs`](crate::Commerce::run_pending_jobs) did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobsReport {
    /// Whether this worker ran the maintenance step (it holds the lease).
    pub maintained: bool,
    /// Money moves settled with the gateway.
    pub settled_moves: usize,
    /// Money moves the gateway still did not answer about.
    pub unanswered_moves: usize,
    /// Expired holds released.
    pub released_holds: u64,
    /// Unpaid orders cancelled as abandoned.
    pub abandoned_orders: usize,
    /// Authorizations voided (their orders cancelled) before they lapsed.
    pub voided_authorizations: usize,
    /// Waiting payments settled with what the gateway said of them.
    pub reconciled_payments: usize,
    /// The deliveries.
    pub deliveries: DeliveryReport,
}

impl JobsReport {
    /// Whether the pass found work: a worker that did some goes again at once, one that
    /// found none waits.
    pub fn found_work(&self) -> bool {
        let d = &self.deliveries;
        self.settled_moves > 0
            || self.abandoned_orders > 0
            || self.voided_authorizations > 0
            || self.reconciled_payments > 0
            || d.routed > 0
            || d.delivered + d.failed + d.dead > 0
    }
}
