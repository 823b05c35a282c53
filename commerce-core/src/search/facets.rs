//! Filters and facet counts over matched products.
//!
//! **Filters**: a product passes when it is in one of the chosen categories (a category
//! includes its descendants: the caller gives each product its categories with their
//! ancestors), its price in the shop's currency is within `[min_price, max_price]` (minor
//! units, both inclusive; a product without a price there passes no price filter), it has one
//! of the chosen values of **each** chosen attribute, and it is in stock when `in_stock` is
//! asked. Values within one facet are alternatives (OR); facets combine (AND).
//!
//! **Facet counts** are disjunctive within a facet and conjunctive across: a facet's counts are
//! taken over the products that pass every filter except that facet's own, so that choosing
//! "blue" still shows how many "red" there are, within the other choices.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// What filters and facets know of a product besides its text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// Its categories and all their ancestors.
    pub category_ids: BTreeSet<String>,
    /// Its lowest price in the shop's currency, in minor units, if it has one.
    pub price: Option<i128>,
    /// Attribute (option) name → the values its variants have.
    pub attributes: BTreeMap<String, BTreeSet<String>>,
    /// Whether some variant can be sold now.
    pub in_stock: bool,
}

/// What the shopper chose.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filters {
    /// Categories, any of which (or a descendant) will do.
    #[serde(default)]
    pub categories: BTreeSet<String>,
    /// The lowest price, minor units, inclusive.
    #[serde(default)]
    pub min_price: Option<i128>,
    /// The highest price, minor units, inclusive.
    #[serde(default)]
    pub max_price: Option<i128>,
    /// Attribute name → values, any of which will do; every named attribute must be met.
    #[serde(default)]
    pub attributes: BTreeMap<String, BTreeSet<String>>,
    /// Only what is in stock.
    #[serde(default)]
    pub in_stock: bool,
}

/// A facet, for leaving its own filter out when counting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Facet<'a> {
    Category,
    Price,
    Attribute(&'a str),
    Stock,
}

impl Filters {
    /// Whether `facts` pass every filter.
    pub fn pass(&self, facts: &Facts) -> bool {
        self.pass_except(facts, None)
    }

    fn pass_except(&self, facts: &Facts, except: Option<Facet<'_>>) -> bool {
        let category = except == Some(Facet::Category)
            || self.categories.is_empty()
            || self
                .categories
                .iter()
                .any(|c| facts.category_ids.contains(c));
        let price = except == Some(Facet::Price)
            || (self.min_price.is_none() && self.max_price.is_none())
            || facts.price.is_some_and(|p| {
                self.min_price.is_none_or(|min| p >= min)
                    && self.max_price.is_none_or(|max| p <= max)
            });
        let attributes = self.attributes.iter().all(|(name, wanted)| {
            except == Some(Facet::Attribute(name))
                || wanted.is_empty()
                || facts
                    .attributes
                    .get(name)
                    .is_some_and(|has| has.iter().any(|v| wanted.contains(v)))
        });
        let stock = except == Some(Facet::Stock) || !self.in_stock || facts.in_stock;
        category && price && attributes && stock
    }
}

/// The counts beside a result list.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacetCounts {
    /// Category id → products in it (or a descendant).
    pub categories: BTreeMap<String, usize>,
    /// Attribute name → value → products having it.
    pub attributes: BTreeMap<String, BTreeMap<String, usize>>,
    /// Products in stock.
    pub in_stock: usize,
    /// The lowest and highest price among the products counted for price, minor units (the
    /// service reports it as money: [`crate::service::SearchResults::price_range`]).
    #[serde(skip)]
    pub price_range: Option<(i128, i128)>,
}

/// The facet counts of `products` (the facts of every product the query matched) under
/// `filters` (see the module documentation).
pub fn count(products: &[&Facts], filters: &Filters) -> FacetCounts {
    let mut counts = FacetCounts::default();
    for facts in products {
        if filters.pass_except(facts, Some(Facet::Category)) {
            for category in &facts.category_ids {
                *counts.categories.entry(category.clone()).or_default() += 1;
            }
        }
        for (name, values) in &facts.attributes {
            if filters.pass_except(facts, Some(Facet::Attribute(name))) {
                let slot = counts.attributes.entry(name.clone()).or_default();
                for value in values {
                    *slot.entry(value.clone()).or_default() += 1;
                }
            }
        }
        if filters.pass_except(facts, Some(Facet::Stock)) && facts.in_stock {
            counts.in_stock += 1;
        }
        if filters.pass_except(facts, Some(Facet::Price))
            && let Some(price) = facts.price
        {
            counts.price_range = Some(match counts.price_range {
                None => (price, price),
                Some((low, high)) => (low.min(price), high.max(price)),
            });
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn facts(categories: &[&str], price: i128, colours: &[&str], in_stock: bool) -> Facts {
        Facts {
            category_ids: categories.iter().map(|c| c.to_string()).collect(),
            price: Some(price),
            attributes: [(
                "colour".to_string(),
                colours.iter().map(|c| c.to_string()).collect(),
            )]
            .into(),
            in_stock,
        }
    }

    #[test]
    fn counts_are_disjunctive_within_and_conjunctive_across() {
        let products = [
            facts(&["kitchen", "mugs"], 1200, &["blue"], true),
            facts(&["kitchen", "mugs"], 1200, &["red"], false),
            facts(&["kitchen"], 3000, &["blue"], true),
            facts(&["clothing"], 2000, &["red"], true),
        ];
        let all: Vec<&Facts> = products.iter().collect();
        let filters = Filters {
            categories: ["mugs".to_string()].into(),
            attributes: [("colour".to_string(), ["blue".to_string()].into())].into(),
            ..Filters::default()
        };
        let counts = count(&all, &filters);
        // Colour counted within the mugs, ignoring the colour choice.
        assert_eq!(counts.attributes["colour"]["blue"], 1);
        assert_eq!(counts.attributes["colour"]["red"], 1);
        // Categories counted among the blue ones, ignoring the category choice.
        assert_eq!(counts.categories["kitchen"], 2);
        assert_eq!(counts.categories.get("clothing"), None);
        assert_eq!(counts.in_stock, 1);
        assert_eq!(counts.price_range, Some((1200, 1200)));
        let passing: Vec<_> = products.iter().filter(|f| filters.pass(f)).collect();
        assert_eq!(passing.len(), 1);
    }

    fn arb_facts() -> impl Strategy<Value = Facts> {
        (
            proptest::collection::btree_set("[a-c]", 0..3),
            proptest::option::of(0i128..50),
            proptest::collection::btree_set("[xyz]", 0..3),
            any::<bool>(),
        )
            .prop_map(|(categories, price, colours, in_stock)| Facts {
                category_ids: categories,
                price,
                attributes: [("colour".to_string(), colours)].into(),
                in_stock,
            })
    }

    fn arb_filters() -> impl Strategy<Value = Filters> {
        (
            proptest::collection::btree_set("[a-c]", 0..2),
            proptest::option::of(0i128..50),
            proptest::option::of(0i128..50),
            proptest::collection::btree_set("[xyz]", 0..2),
            any::<bool>(),
        )
            .prop_map(
                |(categories, min_price, max_price, colours, in_stock)| Filters {
                    categories,
                    min_price,
                    max_price,
                    attributes: [("colour".to_string(), colours)].into(),
                    in_stock,
                },
            )
    }

    proptest! {
        /// Each count is the number of products that would pass if that value were the
        /// facet's only choice, with every other filter kept.
        #[test]
        fn a_count_is_what_choosing_that_value_would_give(
            products in proptest::collection::vec(arb_facts(), 0..12),
            filters in arb_filters(),
        ) {
            let all: Vec<&Facts> = products.iter().collect();
            let counts = count(&all, &filters);
            for (category, n) in &counts.categories {
                let chosen = Filters { categories: [category.clone()].into(), ..filters.clone() };
                prop_assert_eq!(*n, products.iter().filter(|f| chosen.pass(f)).count());
            }
            for (value, n) in counts.attributes.get("colour").into_iter().flatten() {
                let mut chosen = filters.clone();
                chosen.attributes.insert("colour".into(), [value.clone()].into());
                prop_assert_eq!(*n, products.iter().filter(|f| chosen.pass(f)).count());
            }
            let stocked = Filters { in_stock: true, ..filters.clone() };
            prop_assert_eq!(counts.in_stock, products.iter().filter(|f| stocked.pass(f)).count());
        }
    }
}
