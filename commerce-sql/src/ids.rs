//! Ids for servers and embedded services: random, 128 bits, so that a guest's cart id is an
//! unguessable token and several processes on one database never collide.

use commerce_core::IdGenerator;

/// `prefix_` + 32 hex digits of operating-system randomness.
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomIds;

impl IdGenerator for RandomIds {
    fn next_id(&self, prefix: &str) -> String {
        let mut bytes = [0u8; 16];
        // The OS generator does not fail on the platforms we serve from; if it ever did, an id
        // must still never repeat, so fall back to time and a counter rather than zeros.
        if getrandom::fill(&mut bytes).is_err() {
            static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            bytes = (nanos ^ u128::from(COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst)))
                .to_le_bytes();
        }
        let mut id = String::with_capacity(prefix.len() + 1 + 2 * bytes.len());
        id.push_str(prefix);
        id.push('_');
        push_hex(&bytes, &mut id);
        id
    }
}

/// Appends `bytes` in lower-case hex to `out`.
pub(crate) fn push_hex(bytes: &[u8], out: &mut String) {
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
/// assert_eq!(commerce_sql::hex(&[0x00, 0x7f, 0xab, 0xff]), "007fabff");
/// ```
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::new();
    push_hex(bytes, &mut out);
    out
}
