//! A whole shop in one process: catalog, stock, a cart with a coupon, checkout with the test
//! gateway, fulfilment, and a partial refund by returning one unit.
//!
//! Run: `cargo run -p commerce-examples --example embedded_checkout`

use std::collections::BTreeMap;
use std::sync::Arc;

use commerce_core::cart::Destination;
use commerce_core::catalog::{Product, ProductStatus, Variant, VariantPrice};
use commerce_core::contact::ContactRequest;
use commerce_core::customer::Address;
use commerce_core::gateway::TestGateway;
use commerce_core::order::FulfillmentStatus;
use commerce_core::pricing::TaxZone;
use commerce_core::pricing::{Benefit, Promotion, PromotionOutcome, Target, TaxRate};
use commerce_core::settings::ShopConfig;
use commerce_core::store::{MemoryStore, OutboxStore};
use commerce_core::{
    CheckoutRequest, Commerce, Currency, ManualClock, Money, SequentialIds, Timestamp,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    futures::executor::block_on(shop())
}

async fn shop() -> Result<(), Box<dyn std::error::Error>> {
    let clock = Arc::new(ManualClock::new(Timestamp::parse("2026-11-22T10:00:00Z")?));
    let gateway = Arc::new(TestGateway::new());
    let store = Arc::new(MemoryStore::new());
    let commerce = Commerce::new(
        store.clone(),
        gateway.clone(),
        clock,
        Arc::new(SequentialIds::default()),
    );

    // The catalog: a mug in two colours.
    let variant = |sku: &str, colour: &str| -> Result<Variant, commerce_core::Error> {
        Ok(Variant {
            sku: sku.into(),
            options: BTreeMap::from([("colour".to_string(), colour.to_string())]),
            weight: Some("0.35".parse().expect("a weight")),
            prices: vec![VariantPrice {
                price_list: "default".into(),
                amount: Money::parse("12.50", Currency::EUR)?,
                tiers: vec![],
            }],
        })
    };
    commerce
        .put_product(Product {
            id: "mug".into(),
            name: "Enamel mug".into(),
            description: "Keeps tea hot on the trail.".into(),
            status: ProductStatus::Active,
            category_ids: vec!["kitchen".into()],
            tax_category: Some("standard".into()),
            variants: vec![variant("MUG-BLUE", "blue")?, variant("MUG-RED", "red")?],
        })
        .await?;
    commerce.adjust_stock("MUG-BLUE", 10, None).await?;
    commerce.adjust_stock("MUG-RED", 2, None).await?;

    // Settings: German VAT, prices including tax, a 10 % coupon.
    let mut config = ShopConfig {
        prices_include_tax: true,
        ..ShopConfig::default()
    };
    config.tax_zones.push(TaxZone {
        country: "DE".into(),
        region: String::new(),
        rates: vec![TaxRate::new("de-vat", "0.19".parse()?, &["standard"])],
    });
    let mut welcome = Promotion::new(
        "welcome-10",
        Benefit::PercentageOff {
            percent: "10".parse()?,
            target: Target::Order,
        },
    );
    welcome.coupon_codes = vec!["WELCOME".into()];
    config.promotions.push(welcome);
    commerce.put_config(config).await?;

    // A customer's cart.
    let cart = commerce.create_cart(Currency::EUR, None).await?;
    commerce
        .add_to_cart(&cart.id, "MUG-BLUE", 2, BTreeMap::new())
        .await?;
    commerce
        .add_to_cart(&cart.id, "MUG-RED", 1, BTreeMap::new())
        .await?;
    commerce.apply_coupon(&cart.id, "welcome").await?;
    let destination = Destination {
        country: "DE".into(),
        region: String::new(),
    };
    commerce
        .set_shipping(&cart.id, Some(destination), None)
        .await?;
    let quote = commerce.quote_cart(&cart.id).await?;
    for promotion in &quote.promotions {
        if let PromotionOutcome::Applied { id, amount, .. } = promotion {
            println!("promotion {id}: -{amount} EUR");
        }
    }
    println!(
        "cart: {} EUR, of which {} EUR VAT",
        quote.totals.grand_total, quote.totals.tax_total
    );

    // Checkout with the test gateway, to where the order ships (which prices it) and who to
    // write to; a retry with the same key changes nothing.
    let request = CheckoutRequest {
        cart_id: cart.id.clone(),
        payment_method: "tok_visa".into(),
        idempotency_key: Some("checkout-1".into()),
        idempotency_scope: "guest".into(),
        contact: ContactRequest {
            email: Some("lena@example.com".into()),
            shipping_address: Some(Address {
                name: "Lena Weber".into(),
                line1: "Torstraße 1".into(),
                city: "Berlin".into(),
                postal_code: "10119".into(),
                country: "DE".into(),
                ..Address::default()
            }),
            ..ContactRequest::default()
        },
        ..CheckoutRequest::default()
    };
    let placed = commerce.checkout(&request).await?;
    let retried = commerce.checkout(&request).await?;
    assert_eq!(placed.order.id, retried.order.id);
    println!(
        "order {}: {}, payment {} ({} received)",
        placed.order.id,
        placed.order.status,
        placed.order.payment_status,
        placed.payment_intent.amount_received
    );
    let stock = commerce.store().stock("MUG-RED").await?;
    println!("MUG-RED on hand after the sale: {}", stock[0].on_hand);

    // Ship it, then the customer returns one blue mug.
    let blue_line = placed.order.lines[0].id.clone();
    let red_line = placed.order.lines[1].id.clone();
    commerce.fulfil(&placed.order.id, &blue_line, 2).await?;
    commerce.fulfil(&placed.order.id, &red_line, 1).await?;
    commerce
        .advance_fulfillment(&placed.order.id, FulfillmentStatus::Shipped)
        .await?;
    commerce
        .advance_fulfillment(&placed.order.id, FulfillmentStatus::Delivered)
        .await?;
    let returned = commerce
        .return_units(&placed.order.id, &blue_line, 1, None)
        .await?;
    println!(
        "returned one blue mug: refunded {}, payment now {}",
        returned.payment_intent.amount_refunded, returned.order.payment_status
    );

    // Every change wrote its events to the outbox.
    let now = commerce.now();
    let events = store
        .claim_events(100, now.plus_millis(30_000), now)
        .await?;
    let kinds: Vec<String> = events.iter().map(|e| e.event.kind.to_string()).collect();
    println!("events: {}", kinds.join(", "));
    let (authorizations, _, refunds) = gateway.charges();
    assert_eq!((authorizations, refunds), (1, 1));
    Ok(())
}
