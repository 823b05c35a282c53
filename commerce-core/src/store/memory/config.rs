//! The shop settings in memory.

use async_trait::async_trait;

use super::MemoryStore;
use crate::error::{Error, Result};
use crate::settings::ShopConfig;
use crate::store::ConfigStore;

#[async_trait]
impl ConfigStore for MemoryStore {
    async fn config(&self) -> Result<ShopConfig> {
        Ok(self.lock().config.clone())
    }

    async fn put_config(&self, config: &ShopConfig, expected_version: u64) -> Result<()> {
        let mut state = self.lock();
        if state.config.version != expected_version {
            return Err(Error::conflict("config", "shop"));
        }
        let mut config = config.clone();
        config.version = expected_version + 1;
        state.config = config;
        state.catalog_version += 1;
        Ok(())
    }
}
