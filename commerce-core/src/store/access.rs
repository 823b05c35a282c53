//! Credentials' storage: admin API keys, password hashes, sessions.

use async_trait::async_trait;

use crate::access::{ApiKey, Session};
use crate::customer::Customer;
use crate::error::Result;
use crate::time::Timestamp;

/// Credentials: admin API keys, customers' password hashes and sessions.
#[async_trait]
pub trait AccessStore: Send + Sync {
    /// Saves a new key.
    ///
    /// # Errors
    ///
    /// `duplicate_id` if a key with the id exists.
    async fn put_api_key(&self, key: &ApiKey) -> Result<()>;
    /// A key by id.
    async fn api_key(&self, id: &str) -> Result<Option<ApiKey>>;
    /// Every key, revoked ones included, by id.
    async fn api_keys(&self) -> Result<Vec<ApiKey>>;
    /// Revokes a key (a second revocation keeps the first time).
    ///
    /// # Errors
    ///
    /// `not_found` for an unknown id.
    async fn revoke_api_key(&self, id: &str, now: Timestamp) -> Result<()>;
    /// Creates a customer together with their password hash, both or neither.
    ///
    /// # Errors
    ///
    /// [`duplicate_id`](crate::ErrorKind::DuplicateId) if the customer id or the e-mail address
    /// (compared case-insensitively) is taken.
    async fn create_account(&self, customer: &Customer, password_hash: &str) -> Result<()>;
    /// A customer's password hash, if they have an account.
    async fn password_hash(&self, customer_id: &str) -> Result<Option<String>>;
    /// Replaces a customer's password hash.
    ///
    /// # Errors
    ///
    /// `not_found` if the customer has no account.
    async fn set_password_hash(&self, customer_id: &str, password_hash: &str) -> Result<()>;
    /// Saves a new session.
    ///
    /// # Errors
    ///
    /// `duplicate_id` if a session with the id exists.
    async fn put_session(&self, session: &Session) -> Result<()>;
    /// A session by id, live or not.
    async fn session(&self, id: &str) -> Result<Option<Session>>;
    /// Ends a session (a second time keeps the first instant); unknown ids are a no-op.
    async fn revoke_session(&self, id: &str, now: Timestamp) -> Result<()>;
    /// Ends every live session of a customer; returns how many.
    async fn revoke_sessions_of(&self, customer_id: &str, now: Timestamp) -> Result<u64>;
    /// Deletes sessions that expired or were ended before `before`; returns how many.
    async fn purge_sessions(&self, before: Timestamp) -> Result<u64>;
}
