//! Quoting carts of 1 to 10,000 lines in two shapes:
//!
//! - (a) one order-level 10 % promotion and one 20 % tax rate;
//! - (b) three promotions (10 % off the order, 15 % off one category, 5.00 off with a coupon)
//!   and two tax rates (20 % and 5 %, alternating by line), plus flat-rate shipping.
//!
//! The request is built once; the benchmark measures `quote(&request)` alone (the quote with
//! every amount explained), `quote_totals(&request)` (the same totals without the explanation),
//! and, for 100 lines, the JSON round trip the bindings use (`quote_json`).
//!
//! Run: `cargo bench -p commerce-benches --bench pricing`

use std::hint::black_box;
use std::sync::Arc;

use commerce_core::pricing::{
    Benefit, LineInput, LineSelector, PricingRequest, Promotion, ShippingMethod, ShippingRate,
    Target, TaxRate, quote, quote_json, quote_totals,
};
use commerce_core::{Currency, Timestamp};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rust_decimal::Decimal;

const SIZES: [usize; 6] = [1, 3, 10, 100, 1_000, 10_000];

fn line(i: usize, two_rates: bool) -> LineInput {
    LineInput {
        id: Arc::from(format!("line-{i:05}")),
        sku: Arc::from(format!("SKU-{i:05}")),
        product_id: Some(Arc::from(format!("P-{}", i / 2))),
        category_ids: vec![Arc::from(if i.is_multiple_of(3) {
            "sale"
        } else {
            "regular"
        })],
        quantity: 1 + (i % 4) as u32,
        unit_price: Decimal::new(199 + (i as i64 * 37) % 5_000, 2),
        tiers: Vec::new(),
        tax_category: Some(Arc::from(if two_rates && i % 2 == 1 {
            "reduced"
        } else {
            "standard"
        })),
        weight: None,
    }
}

fn rate(id: &str, rate: Decimal, category: &str) -> TaxRate {
    TaxRate::new(id, rate, &[category])
}

fn shape_a(lines: usize) -> PricingRequest {
    PricingRequest {
        currency: Currency::USD,
        now: Timestamp::from_unix_millis(1_790_000_000_000),
        prices_include_tax: false,
        tax_level: Default::default(),
        rounding_mode: Default::default(),
        customer: Default::default(),
        lines: (0..lines).map(|i| line(i, false)).collect(),
        price_lists: Vec::new(),
        tax_rates: vec![rate("vat", Decimal::new(20, 2), "standard")],
        promotions: vec![Promotion::new(
            "ten-percent",
            Benefit::PercentageOff {
                percent: Decimal::TEN,
                target: Target::Order,
            },
        )],
        coupon_codes: Vec::new(),
        shipping: None,
    }
}

fn shape_b(lines: usize) -> PricingRequest {
    let mut request = shape_a(lines);
    request.lines = (0..lines).map(|i| line(i, true)).collect();
    request
        .tax_rates
        .push(rate("reduced", Decimal::new(5, 2), "reduced"));
    let mut sale = Promotion::new(
        "sale-15",
        Benefit::PercentageOff {
            percent: Decimal::from(15),
            target: Target::Lines(LineSelector {
                category_ids: vec![Arc::from("sale")],
                ..LineSelector::default()
            }),
        },
    );
    sale.priority = 1;
    let mut coupon = Promotion::new(
        "five-off",
        Benefit::FixedAmountOff {
            amounts: [(Currency::USD, Decimal::new(500, 2))].into(),
            target: Target::Order,
        },
    );
    coupon.priority = 2;
    coupon.coupon_codes = vec!["FIVE".into()];
    request.promotions.extend([sale, coupon]);
    request.coupon_codes = vec!["five".into()];
    request.shipping = Some(ShippingMethod {
        id: Arc::from("ground"),
        rate: ShippingRate::Flat {
            amount: Decimal::new(595, 2),
        },
        free_above: None,
        tax_category: Some(Arc::from("standard")),
    });
    request
}

fn pricing(c: &mut Criterion) {
    for (shape, build) in [
        ("a", shape_a as fn(usize) -> PricingRequest),
        ("b", shape_b),
    ] {
        let mut group = c.benchmark_group(format!("shape_{shape}"));
        for size in SIZES {
            let request = build(size);
            // Fail loudly rather than measure an error path.
            let expected = quote(&request).expect("the benchmark request is valid");
            assert_eq!(expected.lines.len(), size);
            group.throughput(Throughput::Elements(size as u64));
            assert_eq!(quote_totals(&request).expect("valid"), expected.totals);
            group.bench_with_input(BenchmarkId::new("quote", size), &request, |b, r| {
                b.iter(|| quote(black_box(r)))
            });
            group.bench_with_input(BenchmarkId::new("totals", size), &request, |b, r| {
                b.iter(|| quote_totals(black_box(r)))
            });
        }
        group.finish();
    }
    let json = serde_json::to_string(&shape_a(100)).expect("serialisable");
    c.bench_function("quote_json/shape_a/100", |b| {
        b.iter(|| quote_json(black_box(&json)))
    });
}

criterion_group!(benches, pricing);
criterion_main!(benches);
