//! The storage conformance suite, written once and run against every store.
//!
//! Each check takes a fresh, empty store and panics (with a message naming the broken rule) if
//! the store breaks it. [`run_all`] runs them all; a store's test file only builds stores:
//!
//! ```
//! use std::sync::Arc;
//! use commerce_core::store::{MemoryStore, Store};
//!
//! futures::executor::block_on(commerce_core::testkit::run_all(|| async {
//!     Arc::new(MemoryStore::new()) as Arc<dyn Store>
//! }));
//! ```
//!
//! Concurrency is exercised with many futures polled together ([`futures::future::join_all`]):
//! on a store that does real I/O (a connection pool) they are really in flight at once.

mod access;
mod breaker;
mod catalog;
mod checkout;
mod contact;
mod deliveries;
mod idempotency;
mod inventory;
mod listings;
mod moves;
mod orders;
mod outbox;
mod payments;
mod search;
mod shipment;
mod text;
mod usage;

pub use access::*;
pub use breaker::*;
pub use catalog::*;
pub use checkout::*;
pub use contact::*;
pub use deliveries::*;
pub use idempotency::*;
pub use inventory::*;
pub use listings::*;
pub use moves::*;
pub use orders::*;
pub use outbox::*;
pub use payments::*;
pub use search::*;
pub use shipment::*;
pub use text::*;
pub use usage::*;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use crate::catalog::{Product, ProductStatus, Variant, VariantPrice};
use crate::clock::ManualClock;
use crate::events::DomainEvent;
use crate::gateway::TestGateway;
use crate::ids::SequentialIds;
use crate::inventory::{DEFAULT_LOCATION, ReservationRequest};
use crate::money::{Currency, Money};
use crate::order::Order;
use crate::payment::CaptureMethod;
use crate::pricing::{Benefit, Promotion, Target};
use crate::service::{CheckoutRequest, Commerce};
use crate::settings::ShopConfig;
use crate::store::{Changes, Store};
use crate::time::Timestamp;

/// The instant every check starts at.
pub const START: Timestamp = Timestamp::from_unix_millis(1_800_000_000_000);

/// Runs every check, each on a fresh store from `new_store`.
pub async fn run_all<F, Fut>(mut new_store: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Arc<dyn Store>>,
{
    crate::store_conformance_tests!(@checks (@run new_store));
}

/// Defines one `#[test]` per conformance check for a store:
///
/// ```text
/// commerce_core::store_conformance_tests!(
///     block_on = futures::executor::block_on,
///     new_store = || async { std::sync::Arc::new(MemoryStore::new()) as Arc<dyn Store> },
/// );
/// ```
///
/// `block_on` runs a future to completion (a runtime's `block_on` for stores that need one);
/// `new_store` is an async closure that returns a fresh, empty store.
///
/// The list of checks is written once, here: `run_all` and the tests come from it.
#[macro_export]
macro_rules! store_conformance_tests {
    (block_on = $block_on:expr, new_store = $new_store:expr $(,)?) => {
        $crate::store_conformance_tests!(@checks (@each $block_on, $new_store));
    };
    (@checks ($($mode:tt)*)) => {
        $crate::store_conformance_tests!($($mode)*;
            reservation_is_all_or_nothing,
            bundle_lines_on_one_sku_are_summed,
            concurrent_last_units_never_oversell,
            expired_holds_never_block_a_buyer,
            sweep_releases_expired_reservations,
            commit_release_and_the_ledger,
            backorders_only_when_flagged,
            stock_never_goes_negative,
            compare_and_set_has_one_winner,
            idempotency_keys,
            gateway_events_apply_once,
            outbox_delivers_every_event,
            catalog_customers_and_carts,
            checkout_sells_stock_and_confirms,
            checkout_takes_its_contact_and_prices_from_the_address,
            unsellable_skus_say_why,
            a_shipment_carries_its_tracking,
            search_gives_the_shared_answers,
            the_catalog_version_moves_with_catalog_writes,
            an_open_breaker_pauses_payments_and_keeps_what_was_asked,
            a_card_switched_after_a_timeout_is_never_charged_twice,
            a_payment_whose_webhook_never_came_is_reconciled,
            idempotent_checkout_charges_once,
            declined_payment_restores_stock_exactly,
            expired_checkout_fails_cleanly,
            concurrent_captures_and_refunds_stay_in_bounds,
            cancelling_releases_stock_and_refunds,
            api_keys_are_kept_and_revoked,
            accounts_and_sessions,
            product_listings_filter_and_page,
            order_listings_filter_and_page,
            a_stuck_payment_is_confirmed_later,
            stock_adjustments_apply_once,
            low_stock_is_reported_as_the_core_defines,
            a_refused_refund_moves_nothing,
            an_unanswered_refund_is_settled_once,
            a_cancellation_whose_refund_fails_is_refunded_later,
            refused_refunds_among_others_leave_the_books_true,
            a_refund_stopped_at_the_gateway_is_settled_later,
            captures_settle_as_the_gateway_answers,
            control_characters_get_the_same_answer_everywhere,
            unpaid_checkouts_cannot_keep_stock_from_payers,
            a_guest_finishes_a_payment_the_gateway_missed,
            a_cancelled_order_is_not_a_previous_order,
            a_promotion_limit_holds_under_concurrency,
            a_cancelled_order_gives_its_promotion_use_back,
            a_per_customer_limit_counts_each_customer,
            concurrent_customer_changes_are_all_kept,
            events_are_routed_once_to_each_destination,
            deliveries_keep_order_per_order_and_retry,
            two_workers_never_send_one_attempt_twice,
            webhook_endpoints_are_kept_and_disabled,
            leases_have_one_holder,
            the_worker_cancels_abandoned_orders_and_voids_lapsing_authorizations
        );
    };
    (@each $block_on:expr, $new_store:expr; $($check:ident),*) => {
        $(
            #[test]
            fn $check() {
                let new_store = $new_store;
                $block_on(async move { $crate::testkit::$check(new_store().await).await });
            }
        )*
    };
    (@run $new_store:ident; $($check:ident),*) => {
        $( $crate::testkit::$check($new_store().await).await; )*
    };
}

// ------------------------------------------------------------------ helpers the checks share

pub(crate) fn request(
    id: &str,
    items: &[(&str, i64)],
    expires_at: Timestamp,
) -> ReservationRequest {
    ReservationRequest {
        id: id.to_string(),
        items: items.iter().map(|(s, q)| (s.to_string(), *q)).collect(),
        location: DEFAULT_LOCATION.to_string(),
        expires_at,
        reference: None,
    }
}

pub(crate) async fn reserve(
    store: &dyn Store,
    request: ReservationRequest,
    now: Timestamp,
) -> crate::Result<()> {
    store
        .apply(Changes {
            now,
            reserve: Some(request),
            ..Changes::default()
        })
        .await
        .map(|_| ())
}

pub(crate) async fn level(store: &dyn Store, sku: &str) -> (i64, i64) {
    let levels = store.stock(sku).await.expect("stock");
    let level = levels
        .iter()
        .find(|l| l.location == DEFAULT_LOCATION)
        .expect("a stock level");
    assert!(
        level.on_hand >= 0 || level.allow_backorder,
        "{sku}: negative on_hand"
    );
    assert!(level.reserved >= 0, "{sku}: negative reserved");
    (level.on_hand, level.reserved)
}

pub(crate) fn order(id: &str, cart: &str) -> Order {
    let request = crate::pricing::PricingRequest::from_json(
        r#"{"currency":"USD","now":"2026-01-01T00:00:00Z",
            "lines":[{"id":"l1","sku":"A","quantity":1,"unit_price":"10.00"}]}"#,
    )
    .expect("a valid request");
    let quote = crate::pricing::quote(&request)
        .expect("a quote")
        .into_owned();
    Order::from_quote(id.into(), Some(cart.into()), None, quote, START).expect("an order")
}

/// An active product `id` with one variant `sku` at `price` USD, in category `all`.
pub fn product(id: &str, sku: &str, price: &str) -> Product {
    Product {
        id: id.into(),
        name: id.into(),
        description: String::new(),
        status: ProductStatus::Active,
        category_ids: vec!["all".into()],
        tax_category: None,
        variants: vec![Variant {
            sku: sku.into(),
            options: BTreeMap::new(),
            weight: None,
            prices: vec![VariantPrice {
                price_list: "default".into(),
                amount: Money::parse(price, Currency::USD).expect("a price"),
                tiers: vec![],
            }],
        }],
    }
}

/// A shop with one product (10.00 USD, stock `stock`) and a service over `store`.
pub async fn shop(
    store: Arc<dyn Store>,
    stock: i64,
) -> (Commerce, Arc<TestGateway>, Arc<ManualClock>) {
    let gateway = Arc::new(TestGateway::new());
    let clock = Arc::new(ManualClock::new(START));
    let commerce = shop_over(store, gateway.clone(), clock.clone(), stock).await;
    (commerce, gateway, clock)
}

/// As [`shop`], with the service calling `gateway` (which may wrap a test gateway) on `clock`.
pub async fn shop_over(
    store: Arc<dyn Store>,
    gateway: Arc<dyn crate::gateway::PaymentGateway>,
    clock: Arc<ManualClock>,
    stock: i64,
) -> Commerce {
    let commerce = Commerce::new(store, gateway, clock, Arc::new(SequentialIds::default()));
    commerce
        .put_product(product("mug", "MUG", "10.00"))
        .await
        .unwrap();
    commerce.adjust_stock("MUG", stock, None).await.unwrap();
    let mut config = ShopConfig::default();
    config.promotions.push({
        let mut p = Promotion::new(
            "five-off",
            Benefit::FixedAmountOff {
                amounts: [(Currency::USD, "5.00".parse().expect("an amount"))].into(),
                target: Target::Order,
            },
        );
        p.coupon_codes = vec!["FIVE".into()];
        p
    });
    commerce.put_config(config).await.unwrap();
    commerce
}

/// The events a relay claims at `now` (up to 100, leased for a millisecond).
pub(crate) async fn claimed(store: &dyn Store, now: Timestamp) -> Vec<DomainEvent> {
    store
        .claim_events(100, now.plus_millis(1), now)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect()
}

pub(crate) async fn cart_with(commerce: &Commerce, quantity: u32) -> String {
    cart_for(commerce, None, quantity).await
}

/// A cart of `quantity` mugs for `customer` (a guest's for `None`).
pub(crate) async fn cart_for(commerce: &Commerce, customer: Option<&str>, quantity: u32) -> String {
    let cart = commerce
        .create_cart(Currency::USD, customer.map(str::to_string))
        .await
        .unwrap();
    commerce
        .add_to_cart(&cart.id, "MUG", quantity, BTreeMap::new())
        .await
        .unwrap();
    cart.id
}

pub(crate) fn checkout_request(cart: &str, token: &str, key: Option<&str>) -> CheckoutRequest {
    CheckoutRequest {
        cart_id: cart.into(),
        payment_method: token.into(),
        capture_method: CaptureMethod::Automatic,
        idempotency_key: key.map(str::to_string),
        idempotency_scope: "tester".into(),
        contact: sample_contact(),
    }
}

/// A guest's e-mail address and a shipping address in the United States (California), for
/// checkouts in tests and examples.
pub fn sample_contact() -> crate::contact::ContactRequest {
    crate::contact::ContactRequest {
        email: Some("guest@example.com".into()),
        shipping_address: Some(crate::customer::Address {
            name: "Grace Hopper".into(),
            line1: "1 Main St".into(),
            city: "Springfield".into(),
            region: "CA".into(),
            postal_code: "94016".into(),
            country: "US".into(),
            ..crate::customer::Address::default()
        }),
        ..crate::contact::ContactRequest::default()
    }
}

/// The ids of every page of a listing, following `next_cursor` from the start.
pub(crate) async fn every_page<F, Fut>(mut fetch: F) -> Vec<String>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = (Vec<String>, Option<String>)>,
{
    let mut ids = Vec::new();
    let mut after = None;
    loop {
        let (page, next) = fetch(after).await;
        ids.extend(page);
        match next {
            Some(cursor) => after = Some(cursor),
            None => return ids,
        }
    }
}
