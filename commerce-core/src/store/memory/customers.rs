//! Customers in memory.

use async_trait::async_trait;

use super::MemoryStore;
use crate::customer::Customer;
use crate::error::{Error, ErrorKind, Result};
use crate::store::CustomerStore;

#[async_trait]
impl CustomerStore for MemoryStore {
    async fn put_customer(&self, customer: &Customer, expected_version: u64) -> Result<()> {
        let mut state = self.lock();
        let stored = state.customers.get(&customer.id).map_or(0, |c| c.version);
        if stored != expected_version
            || (expected_version == 0 && state.customers.contains_key(&customer.id))
        {
            return Err(Error::conflict("customer", &customer.id));
        }
        let email = customer.email.to_lowercase();
        if let Some(owner) = state.emails.get(&email)
            && *owner != customer.id
        {
            return Err(Error::new(ErrorKind::DuplicateId { id: email }));
        }
        if let Some(old) = state.customers.get(&customer.id) {
            let old_email = old.email.to_lowercase();
            state.emails.remove(&old_email);
        }
        state.emails.insert(email, customer.id.clone());
        state
            .customers
            .insert(customer.id.clone(), customer.clone());
        Ok(())
    }

    async fn customer(&self, id: &str) -> Result<Option<Customer>> {
        Ok(self.lock().customers.get(id).cloned())
    }

    async fn customer_by_email(&self, email: &str) -> Result<Option<Customer>> {
        let state = self.lock();
        Ok(state
            .emails
            .get(&email.to_lowercase())
            .and_then(|id| state.customers.get(id))
            .cloned())
    }
}
