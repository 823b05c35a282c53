//! The shop's webhook endpoints, for admins (see [`crate::webhooks`]).

use crate::error::{Error, Result};
use crate::events::EventKind;
use crate::webhooks::WebhookEndpoint;

use super::{CONFLICT_RETRIES, Commerce, stored_id};

/// What an admin may change of an endpoint. `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookEndpointChange {
    /// A new URL.
    pub url: Option<String>,
    /// New event types (empty for all).
    pub event_types: Option<Vec<EventKind>>,
    /// A new description.
    pub description: Option<String>,
    /// Enabled (which counts dead letters afresh) or disabled.
    pub enabled: Option<bool>,
}

impl Commerce {
    /// Adds an endpoint that receives `event_types` (all, if empty), signed with `secret`
    /// ([`crate::webhooks::new_secret`] makes one).
    ///
    /// # Errors
    ///
    /// As [`WebhookEndpoint::validate`].
    pub async fn create_webhook_endpoint(
        &self,
        url: &str,
        event_types: Vec<EventKind>,
        description: &str,
        secret: &str,
    ) -> Result<WebhookEndpoint> {
        let mut endpoint = WebhookEndpoint::new(
            self.ids.next_id("wh"),
            url.trim().to_string(),
            secret.to_string(),
            dedup(event_types),
            self.now(),
        );
        endpoint.description = description.trim().to_string();
        endpoint.validate()?;
        self.store.put_webhook_endpoint(&endpoint, 0).await?;
        Ok(endpoint)
    }

    /// An endpoint.
    ///
    /// # Errors
    ///
    /// `not_found`.
    pub async fn webhook_endpoint(&self, id: &str) -> Result<WebhookEndpoint> {
        self.store
            .webhook_endpoint(stored_id("webhook_endpoint", id)?)
            .await?
            .ok_or_else(|| Error::not_found("webhook_endpoint", id))
    }

    /// Every endpoint, by id.
    ///
    /// # Errors
    ///
    /// Storage errors only.
    pub async fn webhook_endpoints(&self) -> Result<Vec<WebhookEndpoint>> {
        self.store.webhook_endpoints().await
    }

    /// Changes an endpoint's URL, event types, description or whether it is enabled.
    ///
    /// # Errors
    ///
    /// `not_found`; as [`WebhookEndpoint::validate`].
    pub async fn change_webhook_endpoint(
        &self,
        id: &str,
        change: WebhookEndpointChange,
    ) -> Result<WebhookEndpoint> {
        self.edit_endpoint(id, |endpoint| {
            if let Some(url) = &change.url {
                endpoint.url = url.trim().to_string();
            }
            if let Some(types) = &change.event_types {
                endpoint.event_types = dedup(types.clone());
            }
            if let Some(description) = &change.description {
                endpoint.description = description.trim().to_string();
            }
            match change.enabled {
                Some(true) => endpoint.enable(),
                Some(false) => {
                    endpoint.enabled = false;
                    endpoint.disabled_reason = None;
                }
                None => {}
            }
        })
        .await
    }

    /// Replaces an endpoint's secret; the old one signs beside it for a day
    /// ([`crate::webhooks::SECRET_OVERLAP_MILLIS`]).
    ///
    /// # Errors
    ///
    /// `not_found`; `invalid_input` for a secret that is not one.
    pub async fn rotate_webhook_secret(&self, id: &str, secret: &str) -> Result<WebhookEndpoint> {
        let now = self.now();
        self.edit_endpoint(id, |endpoint| {
            endpoint.rotate_secret(secret.to_string(), now)
        })
        .await
    }

    /// Removes an endpoint; its deliveries are kept, and those still pending die.
    ///
    /// # Errors
    ///
    /// `not_found`.
    pub async fn remove_webhook_endpoint(&self, id: &str) -> Result<()> {
        if self
            .store
            .remove_webhook_endpoint(stored_id("webhook_endpoint", id)?)
            .await?
        {
            Ok(())
        } else {
            Err(Error::not_found("webhook_endpoint", id))
        }
    }

    async fn edit_endpoint(
        &self,
        id: &str,
        change: impl Fn(&mut WebhookEndpoint) + Send + Sync,
    ) -> Result<WebhookEndpoint> {
        for _ in 0..CONFLICT_RETRIES {
            let mut endpoint = self.webhook_endpoint(id).await?;
            let expected = endpoint.version;
            change(&mut endpoint);
            endpoint.validate()?;
            endpoint.version = expected + 1;
            match self.store.put_webhook_endpoint(&endpoint, expected).await {
                Err(err) if err.is_conflict() => continue,
                other => return other.map(|()| endpoint),
            }
        }
        Err(Error::conflict("webhook_endpoint", id))
    }
}

fn dedup(mut kinds: Vec<EventKind>) -> Vec<EventKind> {
    let mut seen = Vec::with_capacity(kinds.len());
    kinds.retain(|k| {
        let new = !seen.contains(k);
        seen.push(*k);
        new
    });
    kinds
}
