//! Idempotency keys in memory.

use async_trait::async_trait;

use super::{IdempotencyEntry, MemoryStore};
use crate::error::{Error, ErrorKind, Result};
use crate::store::{IDEMPOTENCY_LOCK_MILLIS, IdempotencyBegin, IdempotencyStore};
use crate::time::Timestamp;

#[async_trait]
impl IdempotencyStore for MemoryStore {
    async fn begin_idempotent(
        &self,
        scope: &str,
        key: &str,
        fingerprint: &str,
        now: Timestamp,
    ) -> Result<IdempotencyBegin> {
        let mut state = self.lock();
        let id = (scope.to_string(), key.to_string());
        match state.idempotency.get_mut(&id) {
            None => {
                state.idempotency.insert(
                    id,
                    IdempotencyEntry {
                        fingerprint: fingerprint.to_string(),
                        response: None,
                        started_at: now,
                    },
                );
                Ok(IdempotencyBegin::Started)
            }
            Some(entry) if entry.fingerprint != fingerprint && !entry.fingerprint.is_empty() => {
                Err(Error::new(ErrorKind::IdempotencyMismatch {
                    key: key.to_string(),
                }))
            }
            Some(entry) => match &entry.response {
                Some(response) => Ok(IdempotencyBegin::Replay(response.clone())),
                None if now.unix_millis() - entry.started_at.unix_millis()
                    < IDEMPOTENCY_LOCK_MILLIS =>
                {
                    Err(Error::new(ErrorKind::IdempotencyInFlight {
                        key: key.to_string(),
                        retry_after_millis: IDEMPOTENCY_LOCK_MILLIS
                            - (now.unix_millis() - entry.started_at.unix_millis()),
                    }))
                }
                None => {
                    entry.started_at = now;
                    entry.fingerprint = fingerprint.to_string();
                    Ok(IdempotencyBegin::Started)
                }
            },
        }
    }

    async fn abandon_idempotent(&self, scope: &str, key: &str) -> Result<()> {
        let mut state = self.lock();
        let id = (scope.to_string(), key.to_string());
        if state
            .idempotency
            .get(&id)
            .is_some_and(|e| e.response.is_none())
        {
            state.idempotency.remove(&id);
        }
        Ok(())
    }

    async fn purge_idempotency(&self, before: Timestamp) -> Result<u64> {
        let mut state = self.lock();
        let count = state.idempotency.len();
        state.idempotency.retain(|_, e| e.started_at >= before);
        Ok((count - state.idempotency.len()) as u64)
    }
}
