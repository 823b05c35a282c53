//! The conformance suite against SQLite (a WAL file per test).

mod support;

commerce_core::store_conformance_tests!(block_on = support::block_on, new_store = support::sqlite);
