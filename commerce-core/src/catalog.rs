//! The catalog: products, their variants (SKUs), categories and prices.

use std::collections::BTreeMap;
use std::sync::Arc;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::cart::CatalogItem;
use crate::error::{Error, ErrorKind, Result};
use crate::money::{Currency, Money};
use crate::pricing::PriceTier;
use crate::text;

/// The name of the default price list: the price every customer sees.
pub const DEFAULT_PRICE_LIST: &str = "default";

/// Whether a product can be sold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProductStatus {
    /// Being prepared; not for sale.
    #[default]
    Draft,
    /// For sale.
    Active,
    /// No longer for sale; kept for past orders.
    Archived,
}

impl ProductStatus {
    /// The snake-case name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ProductStatus::Draft => "draft",
            ProductStatus::Active => "active",
            ProductStatus::Archived => "archived",
        }
    }
}

/// A product: what a customer browses. It is sold as one or more [`Variant`]s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Product {
    /// The product's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// A description.
    #[serde(default)]
    pub description: String,
    /// Whether it can be sold.
    #[serde(default)]
    pub status: ProductStatus,
    /// The categories it is in.
    #[serde(default)]
    pub category_ids: Vec<String>,
    /// The tax category of all its variants; `None` for exempt goods.
    #[serde(default)]
    pub tax_category: Option<String>,
    /// Its variants.
    pub variants: Vec<Variant>,
}

/// A sellable variant of a product: one SKU, with its options, weight and prices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Variant {
    /// The stock-keeping unit, unique across the catalog.
    pub sku: String,
    /// Options that distinguish it (`{"size": "M", "colour": "blue"}`).
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// The weight of one unit.
    #[serde(default, with = "crate::serde_decimal::option")]
    #[cfg_attr(feature = "schema", schema(value_type = Option<crate::schema::Decimal>))]
    pub weight: Option<Decimal>,
    /// Its prices: per currency and price list.
    pub prices: Vec<VariantPrice>,
}

/// One price of a variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct VariantPrice {
    /// The price list (`"default"` for the price everyone sees).
    #[serde(default = "default_price_list")]
    pub price_list: String,
    /// The unit price (its currency is the price's currency).
    pub amount: Money,
    /// Volume tiers in the same currency.
    #[serde(default)]
    pub tiers: Vec<PriceTier>,
}

fn default_price_list() -> String {
    DEFAULT_PRICE_LIST.to_string()
}

/// A category; categories form a tree through `parent_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Category {
    /// The category's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its parent, if it is not a root.
    #[serde(default)]
    pub parent_id: Option<String>,
}

impl Product {
    /// Checks the product on its own: a non-empty id and name, at least one variant, unique
    /// SKUs, prices that are not negative, one default price per currency.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`], [`ErrorKind::DuplicateId`] or
    /// [`ErrorKind::NegativeAmount`], naming the field.
    ///
    /// # Example
    ///
    /// ```
    /// use commerce_core::catalog::{Product, Variant, VariantPrice};
    /// use commerce_core::{Currency, Money};
    ///
    /// let product = Product {
    ///     id: "mug".into(),
    ///     name: "Mug".into(),
    ///     description: String::new(),
    ///     status: Default::default(),
    ///     category_ids: vec![],
    ///     tax_category: Some("standard".into()),
    ///     variants: vec![Variant {
    ///         sku: "MUG-1".into(),
    ///         options: Default::default(),
    ///         weight: None,
    ///         prices: vec![VariantPrice {
    ///             price_list: "default".into(),
    ///             amount: Money::parse("-1.00", Currency::USD)?,
    ///             tiers: vec![],
    ///         }],
    ///     }],
    /// };
    /// assert_eq!(product.validate().unwrap_err().code(), "negative_amount");
    /// # Ok::<(), commerce_core::Error>(())
    /// ```
    pub fn validate(&self) -> Result<()> {
        if self.id.trim().is_empty() {
            return Err(Error::invalid("a product needs an id").at("id"));
        }
        text::check_id(&self.id).map_err(|e| e.at("id"))?;
        if self.name.trim().is_empty() {
            return Err(Error::invalid("a product needs a name").at("name"));
        }
        text::check_line(&self.name).map_err(|e| e.at("name"))?;
        text::check_free_text(&self.description).map_err(|e| e.at("description"))?;
        for (c, category) in self.category_ids.iter().enumerate() {
            text::check_id(category).map_err(|e| e.at(format_args!("category_ids[{c}]")))?;
        }
        if let Some(tax_category) = &self.tax_category {
            text::check_line(tax_category).map_err(|e| e.at("tax_category"))?;
        }
        if self.variants.is_empty() {
            return Err(Error::invalid("a product needs at least one variant").at("variants"));
        }
        for (i, variant) in self.variants.iter().enumerate() {
            let at = |e: Error| e.at(format_args!("[{i}]")).at("variants");
            if variant.sku.trim().is_empty() {
                return Err(at(Error::invalid("a variant needs a SKU").at("sku")));
            }
            text::check_id(&variant.sku).map_err(|e| at(e.at("sku")))?;
            for (name, value) in &variant.options {
                text::check_line(name)
                    .and_then(|()| text::check_line(value))
                    .map_err(|e| at(e.at(format_args!("options.{name}"))))?;
            }
            if self.variants[..i].iter().any(|v| v.sku == variant.sku) {
                return Err(at(Error::new(ErrorKind::DuplicateId {
                    id: variant.sku.clone(),
                })
                .at("sku")));
            }
            if variant
                .weight
                .is_some_and(|w| w.is_sign_negative() && !w.is_zero())
            {
                return Err(at(
                    Error::invalid("weight must not be negative").at("weight")
                ));
            }
            for (p, price) in variant.prices.iter().enumerate() {
                let at = |e: Error| at(e.at(format_args!("prices[{p}]")));
                if price.amount.is_negative() {
                    return Err(at(Error::new(ErrorKind::NegativeAmount {
                        input: price.amount.amount().to_string(),
                    })
                    .at("amount")));
                }
                // What pricing would refuse could never be quoted: refused here instead.
                crate::pricing::check_amount(price.amount.amount(), price.amount.currency())
                    .map_err(|e| at(e.at("amount")))?;
                text::check_line(&price.price_list).map_err(|e| at(e.at("price_list")))?;
                let currency = price.amount.currency();
                if variant.prices[..p]
                    .iter()
                    .any(|q| q.price_list == price.price_list && q.amount.currency() == currency)
                {
                    return Err(at(Error::invalid(format!(
                        "a second {currency} price in price list `{}`",
                        price.price_list
                    ))));
                }
                for (t, tier) in price.tiers.iter().enumerate() {
                    let at = |e: Error| at(e.at(format_args!("tiers[{t}]")));
                    let max = crate::pricing::MAX_QUANTITY;
                    if tier.min_quantity == 0 || tier.min_quantity > max {
                        return Err(at(Error::invalid(format!(
                            "min_quantity must be between 1 and {max}"
                        ))
                        .at("min_quantity")));
                    }
                    crate::pricing::check_amount(tier.unit_price, currency)
                        .map_err(|e| at(e.at("unit_price")))?;
                    Money::from_decimal(tier.unit_price, currency)
                        .and_then(|m| {
                            if m.is_negative() {
                                Err(Error::new(ErrorKind::NegativeAmount {
                                    input: m.amount().to_string(),
                                }))
                            } else {
                                Ok(m)
                            }
                        })
                        .map_err(|e| at(e.at("unit_price")))?;
                }
            }
        }
        Ok(())
    }

    /// The text a product is found by in a listing's text filter: its name, description and
    /// SKUs, lower-cased (Unicode lower case, so every store matches alike).
    ///
    /// # Example
    ///
    /// ```
    /// # use commerce_core::catalog::Product;
    /// # let product: Product = serde_json::from_str(r#"{"id": "mug", "name": "Blue Mug",
    /// #     "variants": [{"sku": "MUG-BLUE", "prices": []}]}"#).unwrap();
    /// assert_eq!(product.search_text(), "blue mug\n\nmug-blue");
    /// ```
    pub fn search_text(&self) -> String {
        let mut text = format!("{}\n{}", self.name, self.description);
        for variant in &self.variants {
            text.push('\n');
            text.push_str(&variant.sku);
        }
        text.to_lowercase()
    }

    /// The variant with this SKU.
    pub fn variant(&self, sku: &str) -> Option<&Variant> {
        self.variants.iter().find(|v| v.sku == sku)
    }

    /// What pricing needs to know about one variant, in one currency and price list (falling
    /// back to the default list). `None` if the variant has no such price.
    pub fn catalog_item(
        &self,
        sku: &str,
        currency: Currency,
        price_list: Option<&str>,
    ) -> Option<CatalogItem> {
        let variant = self.variant(sku)?;
        let find = |list: &str| {
            variant
                .prices
                .iter()
                .find(|p| p.price_list == list && p.amount.currency() == currency)
        };
        let price = price_list
            .and_then(find)
            .or_else(|| find(DEFAULT_PRICE_LIST))?;
        Some(CatalogItem {
            sku: Arc::from(variant.sku.as_str()),
            product_id: Some(Arc::from(self.id.as_str())),
            category_ids: self
                .category_ids
                .iter()
                .map(|c| Arc::from(c.as_str()))
                .collect(),
            unit_price: price.amount,
            tiers: price.tiers.clone(),
            tax_category: self.tax_category.as_deref().map(Arc::from),
            weight: variant.weight,
        })
    }
}

impl Category {
    /// The ids of this category and all its ancestors, nearest first, given every category.
    /// Cycles are cut rather than followed forever.
    pub fn with_ancestors(&self, all: &[Category]) -> Vec<String> {
        let mut path = vec![self.id.clone()];
        let mut current = self.parent_id.clone();
        while let Some(parent) = current {
            if path.contains(&parent) {
                break;
            }
            current = all
                .iter()
                .find(|c| c.id == parent)
                .and_then(|c| c.parent_id.clone());
            path.push(parent);
        }
        path
    }
}
