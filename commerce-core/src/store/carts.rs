//! Carts' storage.

use async_trait::async_trait;

use crate::cart::StoredCart;
use crate::error::Result;

/// Carts.
#[async_trait]
pub trait CartStore: Send + Sync {
    /// Inserts a cart (`expected_version` `None`: it must not exist) or updates it if its stored
    /// version is `expected_version` and no order was placed from it (a checked-out cart is
    /// frozen).
    ///
    /// # Errors
    ///
    /// [`conflict`](crate::ErrorKind::Conflict) if the version does not match, the cart was
    /// checked out, or (for an insert) the cart exists.
    async fn put_cart(&self, cart: &StoredCart, expected_version: Option<u64>) -> Result<()>;
    /// A cart by id.
    async fn cart(&self, id: &str) -> Result<Option<StoredCart>>;
}
