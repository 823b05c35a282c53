//! The shop settings' storage.

use async_trait::async_trait;

use crate::error::Result;
use crate::settings::ShopConfig;

/// The shop's settings.
#[async_trait]
pub trait ConfigStore: Send + Sync {
    /// The current settings (defaults if none were stored).
    async fn config(&self) -> Result<ShopConfig>;
    /// Replaces the settings if the stored version is `expected_version`.
    ///
    /// # Errors
    ///
    /// [`conflict`](crate::ErrorKind::Conflict).
    async fn put_config(&self, config: &ShopConfig, expected_version: u64) -> Result<()>;
}
