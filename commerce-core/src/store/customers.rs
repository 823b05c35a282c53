//! Customers' storage.

use async_trait::async_trait;

use crate::customer::Customer;
use crate::error::Result;

/// Customers.
#[async_trait]
pub trait CustomerStore: Send + Sync {
    /// Inserts or replaces a customer.
    ///
    /// # Errors
    ///
    /// [`duplicate_id`](crate::ErrorKind::DuplicateId) if another customer has the e-mail.
    async fn put_customer(&self, customer: &Customer) -> Result<()>;
    /// A customer by id.
    async fn customer(&self, id: &str) -> Result<Option<Customer>>;
    /// A customer by e-mail address (compared case-insensitively).
    async fn customer_by_email(&self, email: &str) -> Result<Option<Customer>>;
}
