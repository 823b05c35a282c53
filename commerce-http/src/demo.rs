//! The demo shop `commerce-server serve --demo` loads on first run: products with variants and
//! stock, two tax rates, two shipping methods, promotions with coupon codes.

use std::collections::BTreeMap;

use commerce_core::catalog::{Category, Product, ProductStatus, Variant, VariantPrice};
use commerce_core::pricing::{
    Benefit, BuyGetItems, LineSelector, Promotion, ShippingMethod, ShippingRate, Target, TaxRate,
    WeightTier,
};
use commerce_core::pricing::{ShippingOption, TaxZone};
use commerce_core::settings::ShopConfig;
use commerce_core::{Commerce, Currency, Error, Money};

fn variant(
    sku: &str,
    options: &[(&str, &str)],
    price: &str,
    weight: &str,
) -> Result<Variant, Error> {
    Ok(Variant {
        sku: sku.into(),
        options: options
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        weight: Some(weight.parse().map_err(|_| Error::invalid("a weight"))?),
        prices: vec![VariantPrice {
            price_list: "default".into(),
            amount: Money::parse(price, Currency::USD)?,
            tiers: vec![],
        }],
    })
}

fn product(id: &str, name: &str, category: &str, tax: &str, variants: Vec<Variant>) -> Product {
    Product {
        id: id.into(),
        name: name.into(),
        description: String::new(),
        status: ProductStatus::Active,
        category_ids: vec![category.into()],
        tax_category: Some(tax.into()),
        variants,
    }
}

/// Loads the demo shop unless the catalog already has products.
///
/// # Errors
///
/// Storage errors.
pub async fn load(commerce: &Commerce) -> Result<bool, Error> {
    if !commerce
        .products(None, &Default::default(), None, Some(1))
        .await?
        .items
        .is_empty()
    {
        return Ok(false);
    }
    for (id, name) in [
        ("kitchen", "Kitchen"),
        ("apparel", "Apparel"),
        ("pantry", "Pantry"),
    ] {
        commerce
            .put_category(Category {
                id: id.into(),
                name: name.into(),
                parent_id: None,
            })
            .await?;
    }
    let products = [
        product(
            "enamel-mug",
            "Enamel mug",
            "kitchen",
            "standard",
            vec![
                variant("MUG-BLUE", &[("colour", "blue")], "12.00", "0.35")?,
                variant("MUG-RED", &[("colour", "red")], "12.00", "0.35")?,
            ],
        ),
        product(
            "trail-tee",
            "Trail tee",
            "apparel",
            "standard",
            vec![
                variant("TEE-S", &[("size", "S")], "25.00", "0.20")?,
                variant("TEE-M", &[("size", "M")], "25.00", "0.20")?,
                variant("TEE-L", &[("size", "L")], "27.00", "0.22")?,
            ],
        ),
        product(
            "ground-coffee",
            "Ground coffee, 250 g",
            "pantry",
            "food",
            vec![variant("COFFEE-250", &[], "9.50", "0.25")?],
        ),
    ];
    for product in products {
        for v in &product.variants {
            commerce.adjust_stock(&v.sku, 100, None).await?;
        }
        commerce.put_product(product).await?;
    }
    let mut welcome = Promotion::new(
        "welcome-10",
        Benefit::PercentageOff {
            percent: "10".parse().map_err(|_| Error::invalid("a percentage"))?,
            target: Target::Order,
        },
    );
    welcome.name = Some("10 % off with WELCOME10".into());
    welcome.coupon_codes = vec!["WELCOME10".into()];
    let mut free_shipping = Promotion::new("free-shipping", Benefit::FreeShipping);
    free_shipping.name = Some("Free shipping with FREESHIP".into());
    free_shipping.coupon_codes = vec!["FREESHIP".into()];
    let mut tees = Promotion::new(
        "three-tees",
        Benefit::BuyXGetY {
            buy: BuyGetItems {
                quantity: 2,
                items: LineSelector {
                    category_ids: vec!["apparel".into()],
                    ..LineSelector::default()
                },
            },
            get: BuyGetItems {
                quantity: 1,
                items: LineSelector {
                    category_ids: vec!["apparel".into()],
                    ..LineSelector::default()
                },
            },
            percent: "100".parse().map_err(|_| Error::invalid("a percentage"))?,
            max_applications: None,
        },
    );
    tees.name = Some("Buy two tees, get the third free".into());
    let amount = |a: &str| a.parse().map_err(|_| Error::invalid("an amount"));
    let config = ShopConfig {
        tax_zones: vec![TaxZone {
            country: "*".into(),
            region: String::new(),
            rates: vec![
                TaxRate {
                    name: Some("Sales tax".into()),
                    ..TaxRate::new("sales-tax", amount("0.0825")?, &["standard"])
                },
                TaxRate {
                    name: Some("Food tax".into()),
                    ..TaxRate::new("food-tax", amount("0.02")?, &["food"])
                },
            ],
        }],
        promotions: vec![welcome, free_shipping, tees],
        shipping_methods: vec![
            ShippingOption {
                method: ShippingMethod {
                    id: "standard".into(),
                    rate: ShippingRate::Flat {
                        amount: amount("5.00")?,
                    },
                    free_above: Some(amount("75.00")?),
                    tax_category: None,
                },
                countries: vec![],
            },
            ShippingOption {
                method: ShippingMethod {
                    id: "express".into(),
                    rate: ShippingRate::WeightTiers(vec![
                        WeightTier {
                            min_weight: amount("0")?,
                            amount: amount("12.00")?,
                        },
                        WeightTier {
                            min_weight: amount("2")?,
                            amount: amount("18.00")?,
                        },
                    ]),
                    free_above: None,
                    tax_category: Some("standard".into()),
                },
                countries: vec![],
            },
        ],
        ..ShopConfig::default()
    };
    let current = commerce.config().await?;
    commerce
        .put_config(ShopConfig {
            version: current.version,
            ..config
        })
        .await?;
    Ok(true)
}
