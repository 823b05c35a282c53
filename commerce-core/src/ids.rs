//! Id generators: how the service names new carts, orders and payments; and hex, as ids,
//! tokens and signatures are written.
//!
//! [`RandomIds`] (feature `random-ids`) draws 128 bits from the operating system, so that a
//! guest's cart id is an unguessable token and several processes on one database never collide;
//! [`SequentialIds`] is readable and deterministic, for tests and examples.

use std::sync::atomic::{AtomicU64, Ordering};

/// A source of new ids.
pub trait IdGenerator: Send + Sync {
    /// A new id, unique within this generator's store, starting with `prefix` (`ord`, `pi`).
    fn next_id(&self, prefix: &str) -> String;
}

/// Ids `prefix_000001`, `prefix_000002`, ... : readable and deterministic, for tests, examples
/// and single-process embedded use. [`SequentialIds::prefixed`] adds an instance name, so that
/// several instances sharing one store never collide: `prefix_a_000001`.
#[derive(Debug, Default)]
pub struct SequentialIds {
    instance: String,
    next: AtomicU64,
}

impl SequentialIds {
    /// Sequential ids that carry `instance` after the prefix.
    pub fn prefixed(instance: &str) -> SequentialIds {
        SequentialIds {
            instance: format!("{instance}_"),
            next: AtomicU64::new(0),
        }
    }
}

impl IdGenerator for SequentialIds {
    fn next_id(&self, prefix: &str) -> String {
        let n = self.next.fetch_add(1, Ordering::SeqCst) + 1;
        format!("{prefix}_{}{n:06}", self.instance)
    }
}

/// `prefix_` + 32 hex digits of operating-system randomness.
#[cfg(feature = "random-ids")]
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomIds;

#[cfg(feature = "random-ids")]
impl IdGenerator for RandomIds {
    fn next_id(&self, prefix: &str) -> String {
        let mut bytes = [0u8; 16];
        // The OS generator does not fail on the platforms we serve from; if it ever did, an id
        // must still never repeat, so fall back to time and a counter rather than zeros.
        if getrandom::fill(&mut bytes).is_err() {
            static COUNTER: AtomicU64 = AtomicU64::new(0);
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            bytes = (nanos ^ u128::from(COUNTER.fetch_add(1, Ordering::SeqCst))).to_le_bytes();
        }
        let mut id = String::with_capacity(prefix.len() + 1 + 2 * bytes.len());
        id.push_str(prefix);
        id.push('_');
        push_hex(&bytes, &mut id);
        id
    }
}

/// `bytes` random bytes from the operating system, in hex: secrets for tokens and keys.
///
/// # Errors
///
/// `backend_error` if the operating system has no randomness to give.
#[cfg(feature = "random-ids")]
pub fn random_hex(bytes: usize) -> crate::Result<String> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer)
        .map_err(|e| crate::Error::storage(format!("no randomness for a secret: {e}")))?;
    Ok(hex(&buffer))
}

/// Appends `bytes` in lower-case hex to `out`.
pub fn push_hex(bytes: &[u8], out: &mut String) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.reserve(2 * bytes.len());
    for &byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
}

/// `bytes` in lower-case hex, as ids, tokens and signatures are written.
///
/// ```
/// assert_eq!(commerce_core::ids::hex(&[0x00, 0x7f, 0xab, 0xff]), "007fabff");
/// ```
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::new();
    push_hex(bytes, &mut out);
    out
}
