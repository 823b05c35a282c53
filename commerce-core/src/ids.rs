//! Id generators: how the service names new carts, orders and payments.

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
