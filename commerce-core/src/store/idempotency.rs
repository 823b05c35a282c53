//! Idempotency keys' storage.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::time::Timestamp;

/// What completes an idempotency key: the response to replay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyCompletion {
    /// The key's scope (the caller, and the operation).
    pub scope: String,
    /// The key.
    pub key: String,
    /// The stored result, replayed verbatim.
    pub response: String,
}

/// What [`IdempotencyStore::begin_idempotent`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyBegin {
    /// The key is new (or its earlier attempt was abandoned): do the work, then complete it in
    /// the same unit of work.
    Started,
    /// The work was done before: here is its response.
    Replay(String),
}

/// How long an unfinished request holds its key before a retry may take it over: 60 seconds.
pub const IDEMPOTENCY_LOCK_MILLIS: i64 = 60_000;

/// How long completed idempotency keys are kept at least: 24 hours.
pub const IDEMPOTENCY_RETENTION_MILLIS: i64 = 24 * 60 * 60 * 1000;

/// Idempotency keys: scope, key, request fingerprint, stored result.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims a key for a request with the given fingerprint.
    ///
    /// # Errors
    ///
    /// [`idempotency_mismatch`](crate::ErrorKind::IdempotencyMismatch) if the key was used with
    /// another fingerprint; [`idempotency_in_flight`](crate::ErrorKind::IdempotencyInFlight) if
    /// a request with the key started less than [`IDEMPOTENCY_LOCK_MILLIS`] ago and has not
    /// finished.
    async fn begin_idempotent(
        &self,
        scope: &str,
        key: &str,
        fingerprint: &str,
        now: Timestamp,
    ) -> Result<IdempotencyBegin>;
    /// Gives up a started key whose work changed nothing, so that a retry can start afresh.
    async fn abandon_idempotent(&self, scope: &str, key: &str) -> Result<()>;
    /// Deletes completed keys created before `before`; returns how many.
    async fn purge_idempotency(&self, before: Timestamp) -> Result<u64>;
}
