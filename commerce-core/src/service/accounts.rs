//! Customer accounts: registration, profiles, addresses and sessions.
//!
//! Passwords never reach the core: the front end checks them against
//! [`check_password`](crate::customer::check_password), hashes them with a slow password hash
//! of its choice (the server uses Argon2id) and hands over the hash. Sessions are stored as a
//! public id and a hash of their secret, so a stolen database opens no account.

use crate::access::{ApiKey, Session};
use crate::customer::{Address, Customer};
use crate::error::{Error, Result};

use super::{CONFLICT_RETRIES, Commerce, stored_id};

/// What a customer (or an admin) may change of a customer. `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerUpdate {
    /// A new name.
    pub name: Option<String>,
    /// A new customer group (`Some(None)` removes it). Only admins should be offered this.
    pub group: Option<Option<String>>,
}

impl Commerce {
    /// Validates and saves a customer, compare-and-set: `customer.version` is the version it
    /// was read at (0 for a new customer). Returns it as stored, with its new version.
    ///
    /// # Errors
    ///
    /// As [`Customer::validate`]; `duplicate_id` if another customer has the e-mail;
    /// `conflict` if it changed since it was read (or, with version 0, exists).
    pub async fn put_customer(&self, customer: Customer) -> Result<Customer> {
        customer.validate()?;
        let expected = customer.version;
        let stored = Customer {
            version: expected + 1,
            ..customer
        };
        self.store.put_customer(&stored, expected).await?;
        Ok(stored)
    }

    /// Registers a customer with an e-mail address, a name and a password hash, as one write.
    ///
    /// # Errors
    ///
    /// As [`Customer::validate`]; `duplicate_id` if the e-mail address is registered.
    pub async fn register(&self, email: &str, name: &str, password_hash: &str) -> Result<Customer> {
        let customer = Customer {
            id: self.ids.next_id("cus"),
            email: email.trim().to_string(),
            name: name.trim().to_string(),
            group: None,
            addresses: Vec::new(),
            version: 1,
        };
        customer.validate()?;
        self.store.create_account(&customer, password_hash).await?;
        Ok(customer)
    }

    /// A customer.
    ///
    /// # Errors
    ///
    /// `not_found`.
    pub async fn customer(&self, id: &str) -> Result<Customer> {
        self.store
            .customer(stored_id("customer", id)?)
            .await?
            .ok_or_else(|| Error::not_found("customer", id))
    }

    /// A customer and the hash of their password, by e-mail address, for signing in.
    ///
    /// # Errors
    ///
    /// Storage errors only; an unknown address or a customer without an account is `None`.
    pub async fn account_by_email(&self, email: &str) -> Result<Option<(Customer, String)>> {
        if crate::text::check_line(email).is_err() {
            return Ok(None);
        }
        let Some(customer) = self.store.customer_by_email(email.trim()).await? else {
            return Ok(None);
        };
        Ok(self
            .store
            .password_hash(&customer.id)
            .await?
            .map(|hash| (customer, hash)))
    }

    /// Reads a customer, applies `change`, checks and writes it back compare-and-set,
    /// retrying on a lost race, so that changes made at once are all kept.
    async fn update_customer_with(
        &self,
        id: &str,
        change: impl Fn(&mut Customer) -> Result<()> + Send + Sync,
    ) -> Result<Customer> {
        for _ in 0..CONFLICT_RETRIES {
            let mut customer = self.customer(id).await?;
            let expected = customer.version;
            change(&mut customer)?;
            customer.validate()?;
            customer.version = expected + 1;
            match self.store.put_customer(&customer, expected).await {
                Err(err) if err.is_conflict() => continue,
                other => return other.map(|()| customer),
            }
        }
        Err(Error::conflict("customer", id))
    }

    /// Changes a customer's name or group.
    ///
    /// # Errors
    ///
    /// `not_found`; as [`Customer::validate`].
    pub async fn update_customer(&self, id: &str, update: CustomerUpdate) -> Result<Customer> {
        self.update_customer_with(id, |customer| {
            if let Some(name) = &update.name {
                customer.name = name.trim().to_string();
            }
            if let Some(group) = &update.group {
                customer.group.clone_from(group);
            }
            Ok(())
        })
        .await
    }

    /// Adds an address to a customer's book; it gets a new id, whatever it had.
    ///
    /// # Errors
    ///
    /// `not_found`; as [`Address::validate`]; `invalid_input` past 20 addresses.
    pub async fn add_address(&self, customer_id: &str, address: Address) -> Result<Address> {
        let address = Address {
            id: self.ids.next_id("adr"),
            ..address
        };
        self.update_customer_with(customer_id, |customer| {
            if customer.addresses.len() >= MAX_ADDRESSES {
                return Err(Error::invalid(format!(
                    "a customer may keep at most {MAX_ADDRESSES} addresses"
                )));
            }
            customer.addresses.push(address.clone());
            Ok(())
        })
        .await?;
        Ok(address)
    }

    /// Replaces the address with `address.id` in a customer's book.
    ///
    /// # Errors
    ///
    /// `not_found` for an unknown customer or address; as [`Address::validate`].
    pub async fn replace_address(&self, customer_id: &str, address: Address) -> Result<Address> {
        self.update_customer_with(customer_id, |customer| {
            let slot = customer
                .addresses
                .iter_mut()
                .find(|a| a.id == address.id)
                .ok_or_else(|| Error::not_found("address", address.id.clone()))?;
            *slot = address.clone();
            Ok(())
        })
        .await?;
        Ok(address)
    }

    /// Removes an address from a customer's book.
    ///
    /// # Errors
    ///
    /// `not_found` for an unknown customer or address.
    pub async fn remove_address(&self, customer_id: &str, address_id: &str) -> Result<Customer> {
        self.update_customer_with(customer_id, |customer| {
            let before = customer.addresses.len();
            customer.addresses.retain(|a| a.id != address_id);
            if customer.addresses.len() == before {
                return Err(Error::not_found("address", address_id));
            }
            Ok(())
        })
        .await
    }

    /// Replaces a customer's password hash and ends all their sessions.
    ///
    /// # Errors
    ///
    /// `not_found` if the customer has no account.
    pub async fn change_password_hash(&self, customer_id: &str, password_hash: &str) -> Result<()> {
        self.store
            .set_password_hash(customer_id, password_hash)
            .await?;
        self.store
            .revoke_sessions_of(customer_id, self.now())
            .await?;
        Ok(())
    }

    /// Starts a session for a customer who proved who they are. `secret_hash` is a hash of the
    /// token's secret part, which the caller keeps and hands to the customer.
    ///
    /// # Errors
    ///
    /// Storage errors only.
    pub async fn start_session(&self, customer_id: &str, secret_hash: &str) -> Result<Session> {
        let now = self.now();
        let session = Session {
            id: self.ids.next_id("ses"),
            customer_id: customer_id.to_string(),
            secret_hash: secret_hash.to_string(),
            created_at: now,
            expires_at: now.plus_millis(self.session_ttl_millis),
            revoked_at: None,
        };
        self.store.put_session(&session).await?;
        Ok(session)
    }

    /// A session that still opens its account now, by id; `None` if it is unknown, ended or
    /// expired.
    ///
    /// # Errors
    ///
    /// Storage errors only.
    pub async fn live_session(&self, id: &str) -> Result<Option<Session>> {
        let now = self.now();
        if !crate::text::could_be_id(id) {
            return Ok(None);
        }
        Ok(self
            .store
            .session(id)
            .await?
            .filter(|session| session.is_live(now)))
    }

    /// Ends a session (signing out).
    ///
    /// # Errors
    ///
    /// Storage errors only.
    pub async fn end_session(&self, id: &str) -> Result<()> {
        self.store.revoke_session(id, self.now()).await
    }

    /// A customer's password hash, if they have an account, for the front end to verify a
    /// password against.
    ///
    /// # Errors
    ///
    /// Storage errors only.
    pub async fn password_hash(&self, customer_id: &str) -> Result<Option<String>> {
        self.store.password_hash(customer_id).await
    }

    /// Saves a new admin API key (its id and the hash of its secret).
    ///
    /// # Errors
    ///
    /// `duplicate_id` if a key with the id exists.
    pub async fn put_api_key(&self, key: &ApiKey) -> Result<()> {
        self.store.put_api_key(key).await
    }

    /// An admin API key that still opens the admin routes: known and not revoked.
    ///
    /// # Errors
    ///
    /// Storage errors only.
    pub async fn live_api_key(&self, id: &str) -> Result<Option<ApiKey>> {
        if !crate::text::could_be_id(id) {
            return Ok(None);
        }
        Ok(self
            .store
            .api_key(id)
            .await?
            .filter(|k| k.revoked_at.is_none()))
    }

    /// Revokes an admin API key now.
    ///
    /// # Errors
    ///
    /// `not_found` for an unknown id.
    pub async fn revoke_api_key(&self, id: &str) -> Result<()> {
        self.store.revoke_api_key(id, self.now()).await
    }
}

/// The most addresses a customer keeps.
pub const MAX_ADDRESSES: usize = 20;
