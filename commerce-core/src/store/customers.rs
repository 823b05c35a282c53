//! Customers' storage.

use async_trait::async_trait;

use crate::customer::Customer;
use crate::error::Result;

/// Customers.
#[async_trait]
pub trait CustomerStore: Send + Sync {
    /// Writes a customer (as given, with its new `version`) if the stored one's version is
    /// still `expected_version`; `0` inserts a customer that must not exist yet.
    ///
    /// # Errors
    ///
    /// [`duplicate_id`](crate::ErrorKind::DuplicateId) if another customer has the e-mail;
    /// [`conflict`](crate::ErrorKind::Conflict) if the stored version is not `expected_version`.
    async fn put_customer(&self, customer: &Customer, expected_version: u64) -> Result<()>;
    /// A customer by id.
    async fn customer(&self, id: &str) -> Result<Option<Customer>>;
    /// A customer by e-mail address (compared case-insensitively).
    async fn customer_by_email(&self, email: &str) -> Result<Option<Customer>>;
}
