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
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        format!("{prefix}_{hex}")
    }
}
