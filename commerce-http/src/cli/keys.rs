//! Admin API keys: issued and revoked from the command line.
//!
//! A key is `ck_<id>_<secret>`: a 64-bit public id, by which the store finds it, and a 256-bit
//! secret, of which only a SHA-256 hash is stored (see [`crate::auth`]).
//! `commerce-server admin create-key` prints a new key once; it cannot be shown again.

use commerce_core::access::ApiKey;
use commerce_core::{Commerce, Error};

use commerce_core::ids::random_hex;

use crate::auth::{ADMIN_KEY_PREFIX, secret_hash};

/// Issues a new admin key named `name`, stores its hash and returns the key, which is shown
/// only this once.
///
/// # Errors
///
/// Storage errors.
pub async fn create_key(commerce: &Commerce, name: &str) -> Result<String, Error> {
    let id = random_hex(8)?;
    let secret = random_hex(32)?;
    commerce
        .put_api_key(&ApiKey {
            id: id.clone(),
            name: name.to_string(),
            secret_hash: secret_hash(&secret),
            created_at: commerce.now(),
            revoked_at: None,
        })
        .await?;
    Ok(format!("{ADMIN_KEY_PREFIX}{id}_{secret}"))
}

/// Revokes an admin key by its id (the part after `ck_`, before the second `_`).
///
/// # Errors
///
/// `not_found`; storage errors.
pub async fn revoke_key(commerce: &Commerce, id: &str) -> Result<(), Error> {
    commerce.revoke_api_key(id).await
}
