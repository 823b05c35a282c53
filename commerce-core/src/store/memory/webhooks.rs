//! Webhook endpoints in memory.

use async_trait::async_trait;

use super::MemoryStore;
use crate::error::{Error, Result};
use crate::store::WebhookStore;
use crate::webhooks::WebhookEndpoint;

#[async_trait]
impl WebhookStore for MemoryStore {
    async fn put_webhook_endpoint(
        &self,
        endpoint: &WebhookEndpoint,
        expected_version: u64,
    ) -> Result<()> {
        let mut state = self.lock();
        let stored = state.webhook_endpoints.get(&endpoint.id).map(|e| e.version);
        if stored.unwrap_or(0) != expected_version || (expected_version == 0 && stored.is_some()) {
            return Err(Error::conflict("webhook_endpoint", &endpoint.id));
        }
        state
            .webhook_endpoints
            .insert(endpoint.id.clone(), endpoint.clone());
        Ok(())
    }

    async fn webhook_endpoint(&self, id: &str) -> Result<Option<WebhookEndpoint>> {
        Ok(self.lock().webhook_endpoints.get(id).cloned())
    }

    async fn webhook_endpoints(&self) -> Result<Vec<WebhookEndpoint>> {
        Ok(self.lock().webhook_endpoints.values().cloned().collect())
    }

    async fn remove_webhook_endpoint(&self, id: &str) -> Result<bool> {
        Ok(self.lock().webhook_endpoints.remove(id).is_some())
    }
}
