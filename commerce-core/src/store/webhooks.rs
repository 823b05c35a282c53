//! Webhook endpoints' storage (see [`crate::webhooks`]).

use async_trait::async_trait;

use crate::error::Result;
use crate::webhooks::WebhookEndpoint;

/// The shop's webhook endpoints.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Writes an endpoint (with its new `version`) if the stored one's version is still
    /// `expected_version`; `0` inserts one that must not exist yet.
    ///
    /// # Errors
    ///
    /// [`conflict`](crate::ErrorKind::Conflict) if the stored version is another.
    async fn put_webhook_endpoint(
        &self,
        endpoint: &WebhookEndpoint,
        expected_version: u64,
    ) -> Result<()>;
    /// An endpoint.
    async fn webhook_endpoint(&self, id: &str) -> Result<Option<WebhookEndpoint>>;
    /// Every endpoint, by id.
    async fn webhook_endpoints(&self) -> Result<Vec<WebhookEndpoint>>;
    /// Removes an endpoint; whether there was one. Its deliveries stay, for the record.
    async fn remove_webhook_endpoint(&self, id: &str) -> Result<bool>;
}
