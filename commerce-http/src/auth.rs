//! Who is calling: admin API keys, customer sessions, passwords.
//!
//! Every credential travels as `Authorization: Bearer <token>`:
//!
//! - `ck_<id>_<secret>`: an admin API key, from `commerce-server admin create-key`;
//! - `cs_<id>_<secret>`: a customer session, from signing in (`POST /v1/sessions`).
//!
//! Both are a public id, by which the store finds the credential, and a 256-bit random secret,
//! of which only a SHA-256 hash is stored and compared in constant time. A slow hash would add
//! nothing for 256-bit secrets (nobody can search them) and would slow every request.
//!
//! **Why opaque session tokens and not JWTs**: a session ends the moment the customer signs
//! out or changes their password, because the server looks it up on every request; a JWT stays
//! valid until it expires, and revoking it early needs a deny list, which is a session table
//! again. There is no signing key to distribute to every server process, rotate or leak, and
//! no algorithm field to confuse. The cost is one indexed read per request, from the database
//! the server processes already share, so they stay stateless.
//!
//! **Passwords** are hashed with Argon2id (the `argon2` crate's defaults: 19 MiB, 2 passes,
//! the OWASP recommendation), on a blocking thread so that the async workers keep serving.
//! Signing in with an unknown address verifies a dummy hash, so that the time taken does not
//! reveal which addresses are registered.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use commerce_core::access::Caller;
use commerce_core::ids::{hex, random_hex};
use commerce_core::{Commerce, Error};
use sha2::{Digest, Sha256};

use crate::api::Shared;
use crate::problem::Problem;

/// The prefix of admin API keys.
pub(crate) const ADMIN_KEY_PREFIX: &str = "ck_";
/// The prefix of customer session tokens.
pub(crate) const SESSION_PREFIX: &str = "cs_";

/// The stored form of a token's secret.
pub(crate) fn secret_hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether `secret` is the one whose hash is stored.
pub(crate) fn secret_matches(secret: &str, stored_hash: &str) -> bool {
    constant_time_eq(secret_hash(secret).as_bytes(), stored_hash.as_bytes())
}

/// Splits `<prefix><id>_<secret>` into id and secret.
fn split_token<'t>(token: &'t str, prefix: &str) -> Option<(&'t str, &'t str)> {
    // The secret is hex; the id may itself hold underscores (`ses_…`).
    let (id, secret) = token.strip_prefix(prefix)?.rsplit_once('_')?;
    (!id.is_empty() && !secret.is_empty()).then_some((id, secret))
}

/// A new session for a customer who proved who they are: the token to hand to them, once.
pub(crate) async fn new_session(
    commerce: &Commerce,
    customer_id: &str,
) -> Result<(String, commerce_core::access::Session), Error> {
    let secret = random_hex(32)?;
    let session = commerce
        .start_session(customer_id, &secret_hash(&secret))
        .await?;
    Ok((format!("{SESSION_PREFIX}{}_{secret}", session.id), session))
}

/// A `401` problem response with `WWW-Authenticate: Bearer`.
pub(crate) fn unauthorized(detail: &str) -> Response {
    Problem::unauthorized(detail).into_response()
}

const BAD_CREDENTIAL: &str = "the credential is not valid: send an admin key (ck_…) or a \
     session token (cs_…) as Authorization: Bearer, or none";

/// Who the request comes from, as the operation's guard authenticated them (see
/// [`crate::api`]). No `Authorization` header is [`Caller::Anonymous`]; a header with a
/// credential that is malformed, unknown, revoked or expired is `401`, never silently
/// anonymous.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The caller.
    pub caller: Caller,
    /// The session's id, when the caller signed in with one (to sign out).
    pub session_id: Option<String>,
}

/// Reads the credential of a request, if any.
///
/// # Errors
///
/// A `401` response for a credential that is malformed, unknown, revoked or expired; a `500`
/// if the store cannot be read.
pub(crate) async fn authenticate(
    headers: &HeaderMap,
    state: &Shared,
) -> Result<Authenticated, Response> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(Authenticated {
            caller: Caller::Anonymous,
            session_id: None,
        });
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(|| unauthorized(BAD_CREDENTIAL))?;
    let internal = |e: Error| Problem::from(e).into_response();
    if let Some((id, secret)) = split_token(token, ADMIN_KEY_PREFIX) {
        let key = state
            .commerce
            .live_api_key(id)
            .await
            .map_err(internal)?
            .filter(|k| secret_matches(secret, &k.secret_hash))
            .ok_or_else(|| unauthorized(BAD_CREDENTIAL))?;
        return Ok(Authenticated {
            caller: Caller::Admin { key_id: key.id },
            session_id: None,
        });
    }
    if let Some((id, secret)) = split_token(token, SESSION_PREFIX) {
        let session = state
            .commerce
            .live_session(id)
            .await
            .map_err(internal)?
            .filter(|s| secret_matches(secret, &s.secret_hash))
            .ok_or_else(|| unauthorized("the session ended or is not valid: sign in again"))?;
        return Ok(Authenticated {
            caller: Caller::Customer {
                id: session.customer_id,
            },
            session_id: Some(session.id),
        });
    }
    Err(unauthorized(BAD_CREDENTIAL))
}

impl FromRequestParts<Shared> for Authenticated {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Self, Response> {
        match parts.extensions.get::<Authenticated>() {
            Some(known) => Ok(known.clone()),
            None => authenticate(&parts.headers, state).await,
        }
    }
}

/// An authenticated admin: the handler runs only with a valid, unrevoked admin key.
pub struct Admin {
    /// The key's id, for logs and idempotency scopes.
    pub key_id: String,
}

impl Admin {
    /// The admin as a [`Caller`].
    pub fn caller(&self) -> Caller {
        Caller::Admin {
            key_id: self.key_id.clone(),
        }
    }
}

impl FromRequestParts<Shared> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Self, Response> {
        match Authenticated::from_request_parts(parts, state)
            .await?
            .caller
        {
            Caller::Admin { key_id } => Ok(Admin { key_id }),
            Caller::Customer { .. } => Err(Problem::forbidden(
                "this needs an admin API key; a customer session cannot do it",
            )
            .into_response()),
            Caller::Anonymous => Err(unauthorized(
                "an admin API key is required: Authorization: Bearer ck_…",
            )),
        }
    }
}

/// A signed-in customer: the handler runs only with a live session.
pub struct SignedIn {
    /// The customer's id.
    pub customer_id: String,
    /// The session's id, to sign out.
    pub session_id: String,
}

impl FromRequestParts<Shared> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Self, Response> {
        match Authenticated::from_request_parts(parts, state).await? {
            Authenticated {
                caller: Caller::Customer { id },
                session_id: Some(session_id),
            } => Ok(SignedIn {
                customer_id: id,
                session_id,
            }),
            _ => Err(unauthorized(
                "sign in first: Authorization: Bearer cs_… from POST /v1/sessions",
            )),
        }
    }
}

/// The Argon2id hash of a password, as a PHC string, computed on a blocking thread.
pub(crate) async fn hash_password(password: String) -> Result<String, Error> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|e| Error::storage(format!("cannot hash a password: {e}")))
    })
    .await
    .map_err(|e| Error::storage(format!("the password hasher stopped: {e}")))?
}

/// A hash of a password nobody has, verified when an address is unknown so that signing in
/// takes as long whether or not the address is registered.
static DUMMY_HASH: LazyLock<Option<String>> = LazyLock::new(|| {
    Argon2::default()
        .hash_password(b"no account has this password")
        .ok()
        .map(|h| h.to_string())
});

/// Whether `password` matches the stored PHC hash (`None`: no account; a dummy hash is
/// verified instead, and the answer is no).
pub(crate) async fn verify_password(password: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let Some(hash) = stored.or_else(|| DUMMY_HASH.clone()) else {
            return false;
        };
        let Ok(parsed) = PasswordHash::new(&hash) else {
            return false;
        };
        let matches = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        known && matches
    })
    .await
    .unwrap_or(false)
}
