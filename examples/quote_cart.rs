//! Prices a small cart end to end: catalog prices, a coupon, shipping and tax, then prints the
//! quote with every promotion explained.
//!
//! Run: `cargo run -p commerce-examples --example quote_cart`

use std::collections::BTreeMap;
use std::sync::Arc;

use commerce_core::cart::PricingContext;
use commerce_core::pricing::{
    Benefit, Promotion, PromotionOutcome, ShippingMethod, ShippingRate, Target, TaxRate, quote,
};
use commerce_core::{Cart, CatalogItem, Currency, Money, Timestamp};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let usd = |amount: &str| Money::parse(amount, Currency::USD);
    let mut mug = CatalogItem::new("MUG-BLUE", usd("12.50")?);
    mug.tax_category = Some(Arc::from("standard"));
    let mut tea = CatalogItem::new("TEA-GREEN", usd("6.99")?);
    tea.tax_category = Some(Arc::from("food"));
    let catalog = vec![mug.clone(), tea.clone()];

    let mut cart = Cart::new(Currency::USD);
    cart.add_item(&mug, BTreeMap::new(), 2)?;
    cart.add_item(&tea, BTreeMap::new(), 3)?;
    cart.apply_coupon("welcome10")?;
    cart.apply_coupon("NOSUCHCODE")?;
    cart.set_shipping_method(Some("ground"));

    let mut welcome = Promotion::new(
        "welcome-10",
        Benefit::PercentageOff {
            percent: "10".parse()?,
            target: Target::Order,
        },
    );
    welcome.coupon_codes = vec!["WELCOME10".into()];
    welcome.remaining_uses = Some(100);
    let context = PricingContext {
        now: Timestamp::parse("2026-11-22T12:00:00Z")?,
        tax_rates: vec![
            TaxRate::new("state", "0.0625".parse()?, &["standard"]),
            TaxRate::new("food", "0.01".parse()?, &["food"]),
        ],
        promotions: vec![welcome],
        shipping_methods: vec![ShippingMethod {
            id: Arc::from("ground"),
            rate: ShippingRate::Flat {
                amount: "5.95".parse()?,
            },
            free_above: Some("75.00".parse()?),
            tax_category: None,
        }],
        ..PricingContext::default()
    };

    let request = cart.pricing_request(&catalog, context)?;
    let quote = quote(&request)?;

    for line in &quote.lines {
        println!(
            "{:>10} × {:<3} {:>8}  discount {:>6}  tax {:>5}  total {:>8}",
            line.sku, line.quantity, line.subtotal, line.discount_total, line.tax_total, line.total
        );
    }
    if let Some(shipping) = &quote.shipping {
        println!("{:>10}       {:>8}", shipping.method, shipping.total);
    }
    for outcome in &quote.promotions {
        match outcome {
            PromotionOutcome::Applied { id, amount, .. } => println!("promotion {id}: -{amount}"),
            PromotionOutcome::NotApplied { id, reason } => {
                println!("promotion {id}: not applied ({})", reason.code())
            }
        }
    }
    for coupon in &quote.coupon_codes {
        println!("coupon {}: {:?}", coupon.code, coupon.status);
    }
    let totals = &quote.totals;
    println!(
        "subtotal {}  discounts -{}  shipping {}  tax {}  grand total {} {}",
        totals.subtotal,
        totals.discount_total,
        totals.shipping_total,
        totals.tax_total,
        totals.grand_total,
        quote.currency
    );
    // 2 × 12.50 + 3 × 6.99 = 45.97; 10 % off = 4.60; tax and shipping on top.
    assert_eq!(totals.discount_total.to_string(), "4.60");
    Ok(())
}
