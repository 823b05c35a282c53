//! Laws of the pricing engine, as property tests over generated carts.

use std::sync::Arc;

use proptest::prelude::*;
use rust_decimal::Decimal;

use super::*;
use crate::money::{Currency, RoundingMode};
use crate::time::Timestamp;

fn id(s: String) -> Id {
    Arc::from(s)
}

fn amount(minor: i64, currency: Currency) -> Decimal {
    Decimal::new(minor, currency.exponent())
}

fn currency() -> impl Strategy<Value = Currency> {
    prop_oneof![
        Just(Currency::JPY),
        Just(Currency::USD),
        Just(Currency::KWD)
    ]
}

fn line(index: usize, currency: Currency) -> impl Strategy<Value = LineInput> {
    (
        0i64..100_000,
        1u32..20,
        prop_oneof![Just(None), Just(Some("standard")), Just(Some("reduced"))],
        0u8..3,
    )
        .prop_map(move |(price, quantity, category, group)| LineInput {
            id: id(format!("line-{index}")),
            sku: id(format!("SKU-{index}")),
            product_id: Some(id(format!("P-{}", index % 3))),
            category_ids: vec![id(format!("C-{group}"))],
            quantity,
            unit_price: amount(price, currency),
            tiers: Vec::new(),
            tax_category: category.map(|c| id(c.to_string())),
            weight: Some(Decimal::new(i64::from(group) + 1, 1)),
        })
}

fn promotion(index: usize, currency: Currency) -> impl Strategy<Value = Promotion> {
    let target = prop_oneof![
        Just(Target::Order),
        Just(Target::Shipping),
        (0u8..3).prop_map(|c| Target::Lines(LineSelector {
            category_ids: vec![id(format!("C-{c}"))],
            ..LineSelector::default()
        })),
    ];
    let benefit = prop_oneof![
        (1i64..=100, target.clone()).prop_map(|(p, target)| Benefit::PercentageOff {
            percent: Decimal::from(p),
            target
        }),
        (0i64..50_000, target).prop_map(move |(a, target)| Benefit::FixedAmountOff {
            amounts: [(currency, amount(a, currency))].into(),
            target
        }),
        (1u32..3, 1u32..3, 1i64..=100).prop_map(|(b, g, p)| Benefit::BuyXGetY {
            buy: BuyGetItems {
                quantity: b,
                items: LineSelector::default()
            },
            get: BuyGetItems {
                quantity: g,
                items: LineSelector::default()
            },
            percent: Decimal::from(p),
            max_applications: None,
        }),
        Just(Benefit::FreeShipping),
    ];
    (
        benefit,
        -2i32..3,
        any::<bool>(),
        any::<bool>(),
        proptest::option::of(0i64..20_000),
    )
        .prop_map(
            move |(benefit, priority, exclusive, stop_further, cap)| Promotion {
                id: id(format!("promo-{index}")),
                name: None,
                priority,
                benefit,
                conditions: Conditions::default(),
                coupon_codes: Vec::new(),
                starts_at: None,
                ends_at: None,
                remaining_uses: None,
                exclusive: exclusive && index.is_multiple_of(3),
                stop_further: stop_further && index.is_multiple_of(4),
                combines_with: CombinesWith::default(),
                max_discount: cap
                    .map(|c| [(currency, amount(c, currency))].into())
                    .unwrap_or_default(),
            },
        )
}

fn request() -> impl Strategy<Value = PricingRequest> {
    currency().prop_flat_map(|currency| {
        let lines = (1usize..8)
            .prop_flat_map(move |n| (0..n).map(|i| line(i, currency)).collect::<Vec<_>>());
        let promotions = (0usize..4)
            .prop_flat_map(move |n| (0..n).map(|i| promotion(i, currency)).collect::<Vec<_>>());
        (
            lines,
            promotions,
            any::<bool>(),
            prop_oneof![Just(TaxLevel::Line), Just(TaxLevel::Unit)],
            proptest::sample::select(RoundingMode::ALL.to_vec()),
            proptest::option::of(0i64..5_000),
        )
            .prop_map(
                move |(lines, promotions, inclusive, tax_level, mode, shipping)| PricingRequest {
                    currency,
                    now: Timestamp::from_unix_millis(1_800_000_000_000),
                    prices_include_tax: inclusive,
                    tax_level,
                    rounding_mode: mode,
                    customer: CustomerContext::default(),
                    lines,
                    price_lists: Vec::new(),
                    tax_rates: vec![
                        TaxRate {
                            id: id("vat".into()),
                            name: None,
                            rate: Decimal::new(19, 2),
                            categories: vec![id("standard".into())],
                        },
                        TaxRate {
                            id: id("gst".into()),
                            name: None,
                            rate: Decimal::new(5, 2),
                            categories: vec![id("standard".into()), id("reduced".into())],
                        },
                        TaxRate {
                            id: id("pst".into()),
                            name: None,
                            rate: Decimal::new(7, 2),
                            categories: vec![id("reduced".into())],
                        },
                    ],
                    promotions,
                    coupon_codes: Vec::new(),
                    shipping: shipping.map(|s| ShippingMethod {
                        id: id("std".into()),
                        rate: ShippingRate::Flat {
                            amount: amount(s, currency),
                        },
                        free_above: None,
                        tax_category: Some(id("standard".into())),
                    }),
                },
            )
    })
}

fn shuffled(request: &PricingRequest, seed: u64) -> PricingRequest {
    let mut shuffled = request.clone();
    let n = shuffled.lines.len();
    let mut state = seed | 1;
    for i in (1..n).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        shuffled.lines.swap(i, (state % (i as u64 + 1)) as usize);
    }
    shuffled.promotions.reverse();
    shuffled
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn totals_reconcile_exactly(request in request()) {
        let quote = quote(&request).unwrap();
        let lines: Decimal = quote.lines.iter().map(|l| l.total).sum();
        let shipping = quote.shipping.as_ref().map_or(Decimal::ZERO, |s| s.total);
        prop_assert_eq!(lines + shipping, quote.totals.grand_total);
        prop_assert_eq!(quote.totals.net_total + quote.totals.tax_total, quote.totals.grand_total);
        prop_assert_eq!(shipping, quote.totals.shipping_total);
        let taxes: Decimal = quote.taxes.iter().map(|t| t.amount).sum();
        prop_assert_eq!(taxes, quote.totals.tax_total);
        for line in &quote.lines {
            prop_assert_eq!(line.net_total + line.tax_total, line.total);
            prop_assert_eq!(line.tax_lines.iter().map(|t| t.amount).sum::<Decimal>(), line.tax_total);
            prop_assert_eq!(line.discounts.iter().map(|d| d.amount).sum::<Decimal>(), line.discount_total);
            // Nothing below the minor unit, anywhere.
            prop_assert_eq!(line.total.scale(), request.currency.exponent());
        }
    }

    #[test]
    fn no_negative_totals_and_no_discount_beyond_what_it_discounts(request in request()) {
        let quote = quote(&request).unwrap();
        for line in &quote.lines {
            prop_assert!(line.total >= Decimal::ZERO);
            prop_assert!(line.net_total >= Decimal::ZERO);
            prop_assert!(line.discount_total <= line.subtotal);
            prop_assert!(line.discounts.iter().all(|d| d.amount > Decimal::ZERO));
        }
        if let Some(shipping) = &quote.shipping {
            prop_assert!(shipping.total >= Decimal::ZERO);
            prop_assert!(shipping.discount_total <= shipping.subtotal);
        }
        for outcome in &quote.promotions {
            if let PromotionOutcome::Applied { amount, allocations, shipping_amount, .. } = outcome {
                let spread: Decimal = allocations.iter().map(|a| a.amount).sum();
                prop_assert_eq!(spread + shipping_amount, *amount);
                prop_assert!(*amount > Decimal::ZERO);
            }
        }
    }

    #[test]
    fn the_grand_total_does_not_depend_on_line_or_promotion_order(request in request(), seed in any::<u64>()) {
        let shuffled = shuffled(&request, seed);
        let a = quote(&request).unwrap();
        let b = quote(&shuffled).unwrap();
        prop_assert_eq!(&a.totals, &b.totals);
        for line in &a.lines {
            let twin = b.lines.iter().find(|l| l.id == line.id).unwrap();
            prop_assert_eq!(line, twin);
        }
    }

    #[test]
    fn tax_inclusive_prices_keep_the_gross(mut request in request()) {
        request.prices_include_tax = true;
        let quote = quote(&request).unwrap();
        for line in &quote.lines {
            prop_assert_eq!(line.total, line.subtotal - line.discount_total);
        }
        if let Some(shipping) = &quote.shipping {
            prop_assert_eq!(shipping.total, shipping.subtotal - shipping.discount_total);
        }
    }

    #[test]
    fn quote_totals_are_the_quotes_totals(request in request(), seed in any::<u64>()) {
        // In order (ids ascending) and shuffled (ids checked the long way).
        for request in [request.clone(), shuffled(&request, seed)] {
            prop_assert_eq!(quote_totals(&request).unwrap(), quote(&request).unwrap().totals);
        }
    }

    #[test]
    fn every_promotion_is_explained_once(request in request()) {
        let quote = quote(&request).unwrap();
        prop_assert_eq!(quote.promotions.len(), request.promotions.len());
        for promotion in &request.promotions {
            prop_assert_eq!(quote.promotions.iter().filter(|o| o.id() == &*promotion.id).count(), 1);
        }
    }

    #[test]
    fn pricing_is_deterministic_and_survives_json(request in request()) {
        let first = quote(&request).unwrap();
        let json = serde_json::to_string(&request).unwrap();
        let reparsed: PricingRequest = serde_json::from_str(&json).unwrap();
        let second = quote(&reparsed).unwrap();
        prop_assert_eq!(serde_json::to_string(&first).unwrap(), serde_json::to_string(&second).unwrap());
        let quote_json = serde_json::to_string(&first).unwrap();
        prop_assert_eq!(serde_json::from_str::<Quote>(&quote_json).unwrap(), first.clone());
        let owned = serde_json::to_string(&first.clone().into_owned()).unwrap();
        prop_assert_eq!(owned, quote_json);
    }
}

#[test]
fn floats_are_refused_in_requests() {
    let json = r#"{"currency":"USD","now":"2026-01-01T00:00:00Z",
        "lines":[{"id":"a","sku":"A","quantity":1,"unit_price":19.99}]}"#;
    let err = serde_json::from_str::<PricingRequest>(json)
        .unwrap_err()
        .to_string();
    assert!(err.contains("write decimals as strings"), "{err}");
}

#[test]
fn unknown_fields_are_refused() {
    let json = r#"{"currency":"USD","now":"2026-01-01T00:00:00Z","total":"0.00","lines":[]}"#;
    assert!(serde_json::from_str::<PricingRequest>(json).is_err());
}

/// A duplicate line id is reported before any other error in the request, wherever it is and
/// whether or not the ids come in order.
#[test]
fn a_duplicate_line_id_is_reported_before_other_errors() {
    let line = |id: &str, quantity: u32| LineInput {
        id: Arc::from(id),
        sku: Arc::from("SKU"),
        product_id: None,
        category_ids: Vec::new(),
        quantity,
        unit_price: Decimal::new(100, 2),
        tiers: Vec::new(),
        tax_category: None,
        weight: None,
    };
    let request = |lines: Vec<LineInput>| PricingRequest {
        currency: Currency::USD,
        now: Timestamp::from_unix_millis(1_800_000_000_000),
        prices_include_tax: false,
        tax_level: TaxLevel::Line,
        rounding_mode: RoundingMode::HalfEven,
        customer: CustomerContext::default(),
        lines,
        price_lists: Vec::new(),
        tax_rates: Vec::new(),
        promotions: Vec::new(),
        coupon_codes: Vec::new(),
        shipping: None,
    };
    let cases = [
        // A bad quantity comes first; the ids are out of order.
        (
            vec![line("b", 0), line("a", 1), line("b", 1)],
            "lines[2].id",
        ),
        // A bad quantity comes first; the ids are in order up to the duplicate.
        (
            vec![line("a", 1), line("b", 0), line("b", 1)],
            "lines[2].id",
        ),
        (vec![line("a", 1), line("a", 1)], "lines[1].id"),
    ];
    for (lines, field) in cases {
        let mut request = request(lines);
        for result in [quote(&request).map(|q| q.totals), quote_totals(&request)] {
            let err = result.unwrap_err();
            assert_eq!((err.code(), err.field()), ("duplicate_id", Some(field)));
        }
        request.price_lists.push(PriceList {
            id: Arc::from("broken"),
            currency: Currency::USD,
            customer_group: None,
            starts_at: None,
            ends_at: None,
            prices: vec![PriceListEntry {
                sku: Arc::from("SKU"),
                min_quantity: 0,
                unit_price: Decimal::ONE,
            }],
        });
        // A price list that cannot be read is reported after the duplicate too.
        for result in [quote(&request).map(|q| q.totals), quote_totals(&request)] {
            let err = result.unwrap_err();
            assert_eq!((err.code(), err.field()), ("duplicate_id", Some(field)));
        }
        // Without the duplicate, the price list is what is wrong.
        request.lines.sort_by(|a, b| a.id.cmp(&b.id));
        request.lines.dedup_by(|a, b| a.id == b.id);
        let err = quote_totals(&request).unwrap_err();
        assert_eq!(err.field(), Some("price_lists[0].prices[0].min_quantity"));
    }
}
