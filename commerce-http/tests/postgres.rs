//! The scenarios of `tests/http.rs` over PostgreSQL, each server on a new schema. Built with
//! the `postgres-tests` feature, which `scripts/test` turns on when a server answers (and
//! always under `CI=true`).

mod scenarios;
mod support;

use support::Backend;

macro_rules! on_postgres {
    ($($scenario:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $scenario() {
                scenarios::$scenario(Backend::Postgres).await;
            }
        )*
    };
}

on_postgres!(
    a_whole_purchase,
    two_hundred_buyers_for_one_hundred_units,
    an_admin_runs_the_shop,
    customer_accounts,
    authorization_matrix,
    settings_one_part_at_a_time,
    listings_filter_and_page,
);
