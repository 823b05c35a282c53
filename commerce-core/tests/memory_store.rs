//! The conformance suite against the in-memory store: one test per check.

use std::sync::Arc;

use commerce_core::store::{MemoryStore, Store};

commerce_core::store_conformance_tests!(
    block_on = futures::executor::block_on,
    new_store = || async { Arc::new(MemoryStore::new()) as Arc<dyn Store> },
);
