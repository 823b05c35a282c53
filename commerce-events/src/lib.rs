//! # commerce-events
//!
//! Where the shop's events go: the destinations of `commerce_core::delivery`, each behind the
//! core's [`Destination`] (or [`WebhookSender`]) trait, so that the core decides what is sent,
//! when, how often and in which order, and this crate only does the I/O.
//!
//! - [`NatsDestination`]: NATS JetStream, subject `commerce.<type>` on the stream `COMMERCE`,
//!   the event id as `Nats-Msg-Id` (the broker drops duplicates within its window), delivered
//!   once the broker acknowledges it.
//! - [`AmqpDestination`]: RabbitMQ (AMQP 0-9-1), a durable topic exchange `commerce.events`,
//!   routing key the event type, persistent messages with `message_id` the event id, delivered
//!   once the broker confirms it (publisher confirms).
//! - [`HttpWebhooks`]: the shop's webhook endpoints, signed in the Standard Webhooks format,
//!   refusing loopback, private and link-local addresses unless allowed.
//! - [`EmailDestination`]: transactional email over SMTP, rendered from templates.
//!
//! [`run_worker`] runs the worker's passes on a schedule.
//!
//! [`destinations`] builds them from URLs (`nats://…`, `amqp://…`, `smtp://…`), as the server's
//! `--events` and `--smtp-url` options give them.
//!
//! [`Destination`]: commerce_core::worker::Destination
//! [`WebhookSender`]: commerce_core::worker::WebhookSender

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod amqp;
mod email;
mod guard;
pub mod nats;
mod webhook;
mod worker;

#[cfg(feature = "testkit")]
pub mod testkit;

use std::sync::Arc;

use commerce_core::worker::Destinations;
use commerce_core::{Commerce, Error};

pub use amqp::AmqpDestination;
pub use email::{EMAILED, EmailDestination, EmailSettings, Rendered, render, sample_order};
pub use guard::AddressPolicy;
pub use nats::NatsDestination;
pub use webhook::{HttpWebhooks, sign};
pub use worker::{IDLE_PAUSE, run_worker, worker_name};

/// How long a broker is given to take one event: 5 seconds.
pub const BROKER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// What a worker sends events to.
#[derive(Debug, Clone, Default)]
pub struct EventsConfig {
    /// Brokers, by URL: `nats://host:4222`, `amqp://user:password@host:5672/%2f`.
    pub brokers: Vec<String>,
    /// Where email goes: `smtp://host:port` (or `smtps://…`); none sends no email.
    pub smtp: Option<EmailSettings>,
    /// Whether webhooks may go to loopback, private and link-local addresses (for tests and
    /// shops whose receivers are on their own network).
    pub webhooks_to_private_addresses: bool,
}

/// The destinations `config` names, with the shop's webhook endpoints; email needs the
/// service, to read orders and customers.
///
/// # Errors
///
/// `invalid_input` for a URL of another scheme, or a malformed one.
pub fn destinations(config: &EventsConfig, commerce: &Commerce) -> Result<Destinations, Error> {
    let mut destinations = Destinations::new();
    let mut names = Vec::new();
    for url in &config.brokers {
        let scheme = url.split("://").next().unwrap_or_default();
        // The first broker of a kind is named by its scheme, later ones numbered.
        let base = match scheme {
            "nats" | "tls" => "nats",
            "amqp" | "amqps" => "amqp",
            _ => {
                return Err(Error::invalid(format!(
                    "unsupported events URL `{}`: use nats://… or amqp://…",
                    redact(url)
                ))
                .at("events"));
            }
        };
        let count = names
            .iter()
            .filter(|n: &&String| n.starts_with(base))
            .count();
        let name = if count == 0 {
            base.to_string()
        } else {
            format!("{base}-{}", count + 1)
        };
        names.push(name.clone());
        destinations = match base {
            "nats" => destinations.with(Arc::new(NatsDestination::new(&name, url))),
            _ => destinations.with(Arc::new(AmqpDestination::new(&name, url))),
        };
    }
    if let Some(settings) = &config.smtp {
        destinations = destinations.with(Arc::new(EmailDestination::new(
            settings.clone(),
            commerce.clone(),
        )?));
    }
    let policy = if config.webhooks_to_private_addresses {
        AddressPolicy::AnyAddress
    } else {
        AddressPolicy::PublicOnly
    };
    Ok(destinations.with_webhooks(Arc::new(HttpWebhooks::new(policy)?)))
}

/// A URL without its credentials, for messages and logs.
pub(crate) fn redact(url: &str) -> String {
    match (url.split_once("://"), url.rfind('@')) {
        (Some((scheme, _)), Some(at)) => format!("{scheme}://…@{}", &url[at + 1..]),
        _ => url.to_string(),
    }
}
