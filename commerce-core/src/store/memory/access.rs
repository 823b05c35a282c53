//! Credentials in memory.

use async_trait::async_trait;

use super::MemoryStore;
use crate::access::{ApiKey, Session};
use crate::customer::Customer;
use crate::error::{Error, ErrorKind, Result};
use crate::store::AccessStore;
use crate::time::Timestamp;

#[async_trait]
impl AccessStore for MemoryStore {
    async fn put_api_key(&self, key: &ApiKey) -> Result<()> {
        let mut state = self.lock();
        if state.api_keys.contains_key(&key.id) {
            return Err(Error::new(ErrorKind::DuplicateId { id: key.id.clone() }));
        }
        state.api_keys.insert(key.id.clone(), key.clone());
        Ok(())
    }

    async fn api_key(&self, id: &str) -> Result<Option<ApiKey>> {
        Ok(self.lock().api_keys.get(id).cloned())
    }

    async fn api_keys(&self) -> Result<Vec<ApiKey>> {
        Ok(self.lock().api_keys.values().cloned().collect())
    }

    async fn revoke_api_key(&self, id: &str, now: Timestamp) -> Result<()> {
        let mut state = self.lock();
        let key = state
            .api_keys
            .get_mut(id)
            .ok_or_else(|| Error::not_found("api_key", id))?;
        key.revoked_at.get_or_insert(now);
        Ok(())
    }

    async fn create_account(&self, customer: &Customer, password_hash: &str) -> Result<()> {
        let mut state = self.lock();
        let email = customer.email.to_lowercase();
        if state.customers.contains_key(&customer.id) {
            return Err(Error::new(ErrorKind::DuplicateId {
                id: customer.id.clone(),
            }));
        }
        if state.emails.contains_key(&email) {
            return Err(Error::new(ErrorKind::DuplicateId { id: email }));
        }
        state.emails.insert(email, customer.id.clone());
        state
            .customers
            .insert(customer.id.clone(), customer.clone());
        state
            .password_hashes
            .insert(customer.id.clone(), password_hash.to_string());
        Ok(())
    }

    async fn password_hash(&self, customer_id: &str) -> Result<Option<String>> {
        Ok(self.lock().password_hashes.get(customer_id).cloned())
    }

    async fn set_password_hash(&self, customer_id: &str, password_hash: &str) -> Result<()> {
        let mut state = self.lock();
        let hash = state
            .password_hashes
            .get_mut(customer_id)
            .ok_or_else(|| Error::not_found("account", customer_id))?;
        *hash = password_hash.to_string();
        Ok(())
    }

    async fn put_session(&self, session: &Session) -> Result<()> {
        let mut state = self.lock();
        if state.sessions.contains_key(&session.id) {
            return Err(Error::new(ErrorKind::DuplicateId {
                id: session.id.clone(),
            }));
        }
        state.sessions.insert(session.id.clone(), session.clone());
        Ok(())
    }

    async fn session(&self, id: &str) -> Result<Option<Session>> {
        Ok(self.lock().sessions.get(id).cloned())
    }

    async fn revoke_session(&self, id: &str, now: Timestamp) -> Result<()> {
        if let Some(session) = self.lock().sessions.get_mut(id) {
            session.revoked_at.get_or_insert(now);
        }
        Ok(())
    }

    async fn revoke_sessions_of(&self, customer_id: &str, now: Timestamp) -> Result<u64> {
        let mut state = self.lock();
        let mut ended = 0;
        for session in state.sessions.values_mut() {
            if session.customer_id == customer_id && session.is_live(now) {
                session.revoked_at = Some(now);
                ended += 1;
            }
        }
        Ok(ended)
    }

    async fn purge_sessions(&self, before: Timestamp) -> Result<u64> {
        let mut state = self.lock();
        let count = state.sessions.len();
        state
            .sessions
            .retain(|_, s| s.expires_at >= before && s.revoked_at.is_none_or(|r| r >= before));
        Ok((count - state.sessions.len()) as u64)
    }
}
