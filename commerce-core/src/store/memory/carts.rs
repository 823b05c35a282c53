//! Carts in memory.

use async_trait::async_trait;

use super::MemoryStore;
use crate::cart::StoredCart;
use crate::error::{Error, Result};
use crate::store::CartStore;

#[async_trait]
impl CartStore for MemoryStore {
    async fn put_cart(&self, cart: &StoredCart, expected_version: Option<u64>) -> Result<()> {
        let mut state = self.lock();
        let current = state.carts.get(&cart.id).map(|c| c.version);
        let frozen = state.order_by_cart.contains_key(&cart.id);
        if current != expected_version || (expected_version.is_some() && frozen) {
            return Err(Error::conflict("cart", cart.id.clone()));
        }
        state.carts.insert(cart.id.clone(), cart.clone());
        Ok(())
    }

    async fn cart(&self, id: &str) -> Result<Option<StoredCart>> {
        Ok(self.lock().carts.get(id).cloned())
    }
}
