//! The conformance suite against PostgreSQL (a fresh schema per test). Needs a server:
//! `COMMERCE_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/test`.

mod support;

mod postgres {
    use super::support;

    commerce_core::store_conformance_tests!(
        block_on = support::block_on,
        new_store = support::postgres
    );
}
