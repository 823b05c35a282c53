//! Product search through the service: the core's matching, ranking, filters and facets
//! ([`crate::search`]) over the active products of the store, so that every store gives the
//! same answer.
//!
//! This first version reads the active catalog (and, for the products a query matches, their
//! stock) on each search: right for catalogs of a few thousand products; an index kept per
//! process is to follow.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::catalog::Product;
use crate::error::{Error, Result};
use crate::money::{Currency, Money};
use crate::search::facets::{FacetCounts, Facts, Filters, count};
use crate::search::{Query, WordMatch, search};

use super::Commerce;

/// The most results one page holds.
pub const MAX_SEARCH_LIMIT: usize = 100;
/// The most suggestions a search box is given.
pub const MAX_SUGGESTIONS: usize = 10;

/// A product to offer as the shopper types.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    /// The product's id.
    pub product_id: String,
    /// Its name, as the catalog writes it.
    pub name: String,
}

/// The order of results.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchSort {
    /// Best match first ([`crate::search`]'s ranking).
    #[default]
    Relevance,
    /// Cheapest first (the lowest price of a product's variants in the search's currency);
    /// equal prices by relevance; products without a price last.
    PriceAscending,
    /// Dearest first; equal prices by relevance; products without a price last.
    PriceDescending,
}

/// What a shopper searches for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchRequest {
    /// The words typed (empty: every active product, by id).
    #[serde(default)]
    pub query: String,
    /// The currency prices are filtered and counted in.
    pub currency: Currency,
    /// What the shopper chose.
    #[serde(default)]
    pub filters: Filters,
    /// The order of results.
    #[serde(default)]
    pub sort: SearchSort,
    /// The `next_cursor` of the page before.
    #[serde(default)]
    pub cursor: Option<String>,
    /// How many results, 1 to [`MAX_SEARCH_LIMIT`].
    pub limit: usize,
}

/// One product found.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchItem {
    /// The product.
    pub product: Product,
    /// How each query word matched it.
    pub matches: Vec<WordMatch>,
}

/// The prices the results span, in the search's currency.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceRange {
    /// The lowest.
    pub min: Money,
    /// The highest.
    pub max: Money,
}

/// A page of results, with the facet counts of all of them.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    /// This page, best first.
    pub items: Vec<SearchItem>,
    /// How many products match and pass the filters.
    pub total: usize,
    /// The facet counts (see [`crate::search::facets`]).
    pub facets: FacetCounts,
    /// The lowest and highest price of the products counted for the price facet.
    pub price_range: Option<PriceRange>,
    /// Pass as `cursor` for the next page; `None` on the last.
    pub next_cursor: Option<String>,
}

impl Commerce {
    /// Searches the active products (see [`crate::search`] for what matches and how results
    /// are ranked, [`crate::search::facets`] for filters and counts).
    ///
    /// # Errors
    ///
    /// `invalid_input` for a limit outside 1 to 100 or a malformed cursor; storage errors.
    pub async fn search(&self, request: &SearchRequest) -> Result<SearchResults> {
        if !(1..=MAX_SEARCH_LIMIT).contains(&request.limit) {
            return Err(Error::invalid(format!("between 1 and {MAX_SEARCH_LIMIT}")).at("limit"));
        }
        let offset = match &request.cursor {
            None => 0,
            Some(cursor) => cursor
                .parse::<usize>()
                .map_err(|_| Error::invalid("a cursor this search returned").at("cursor"))?,
        };
        crate::search::analysis::check_query(&request.query).map_err(|e| e.at("query"))?;
        let index = self.catalog_snapshot().await?;
        let parents: BTreeMap<&str, &str> = index
            .categories
            .iter()
            .filter_map(|c| c.parent_id.as_deref().map(|p| (c.id.as_str(), p)))
            .collect();
        let hits = search(&Query::new(&request.query), &index.documents);
        let by_id: BTreeMap<&str, &Product> =
            index.products.iter().map(|p| (p.id.as_str(), p)).collect();
        let mut facts = Vec::with_capacity(hits.len());
        for hit in &hits {
            let product = by_id[hit.product_id.as_str()];
            facts.push(self.facts_of(product, request.currency, &parents).await?);
        }
        let facet_counts = count(&facts.iter().collect::<Vec<_>>(), &request.filters);
        // `hits` is in relevance order: a stable sort by price keeps it among equal prices.
        let mut passing: Vec<_> = hits
            .into_iter()
            .zip(&facts)
            .filter(|(_, f)| request.filters.pass(f))
            .collect();
        match request.sort {
            SearchSort::Relevance => {}
            SearchSort::PriceAscending => {
                passing.sort_by_key(|(_, f)| (f.price.is_none(), f.price));
            }
            SearchSort::PriceDescending => {
                passing.sort_by_key(|(_, f)| (f.price.is_none(), f.price.map(std::cmp::Reverse)));
            }
        }
        let passing: Vec<_> = passing.into_iter().map(|(hit, _)| hit).collect();
        let total = passing.len();
        let items: Vec<SearchItem> = passing
            .into_iter()
            .skip(offset)
            .take(request.limit)
            .map(|hit| SearchItem {
                product: by_id[hit.product_id.as_str()].clone(),
                matches: hit.matches,
            })
            .collect();
        let next = offset + items.len();
        let price_range = match facet_counts.price_range {
            Some((min, max)) => Some(PriceRange {
                min: Money::from_minor_i128(min, request.currency)?,
                max: Money::from_minor_i128(max, request.currency)?,
            }),
            None => None,
        };
        Ok(SearchResults {
            items,
            total,
            facets: facet_counts,
            price_range,
            next_cursor: (next < total).then(|| next.to_string()),
        })
    }

    /// What a search box offers for the text typed so far: the names of the first (at most
    /// [`MAX_SUGGESTIONS`]) products [`Commerce::search`] ranks for it, so that a suggestion
    /// always leads to a result. Empty text suggests nothing.
    ///
    /// # Errors
    ///
    /// `invalid_input` for a limit outside 1 to 10; as [`Commerce::search`].
    pub async fn suggest(
        &self,
        text: &str,
        currency: Currency,
        limit: usize,
    ) -> Result<Vec<Suggestion>> {
        if !(1..=MAX_SUGGESTIONS).contains(&limit) {
            return Err(Error::invalid(format!("between 1 and {MAX_SUGGESTIONS}")).at("limit"));
        }
        if Query::new(text).is_empty() {
            return Ok(Vec::new());
        }
        let results = self
            .search(&SearchRequest {
                query: text.to_owned(),
                currency,
                filters: Filters::default(),
                sort: SearchSort::Relevance,
                cursor: None,
                limit,
            })
            .await?;
        Ok(results
            .items
            .into_iter()
            .map(|item| Suggestion {
                product_id: item.product.id,
                name: item.product.name,
            })
            .collect())
    }

    async fn facts_of(
        &self,
        product: &Product,
        currency: Currency,
        parents: &BTreeMap<&str, &str>,
    ) -> Result<Facts> {
        let mut category_ids = BTreeSet::new();
        for id in &product.category_ids {
            let mut at = Some(id.as_str());
            // Bounded, so that a cycle in the tree cannot loop.
            for _ in 0..32 {
                let Some(category) = at else { break };
                if !category_ids.insert(category.to_string()) {
                    break;
                }
                at = parents.get(category).copied();
            }
        }
        let mut attributes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut price: Option<i128> = None;
        let mut in_stock = false;
        for variant in &product.variants {
            for (name, value) in &variant.options {
                attributes
                    .entry(name.clone())
                    .or_default()
                    .insert(value.clone());
            }
            if let Some(item) = product.catalog_item(&variant.sku, currency, None)
                && let Ok(minor) = item.unit_price.to_minor()
            {
                let minor = i128::from(minor);
                price = Some(price.map_or(minor, |p| p.min(minor)));
            }
            if !in_stock {
                in_stock = self
                    .store
                    .stock(&variant.sku)
                    .await?
                    .iter()
                    .any(|level| level.allow_backorder || level.available() > 0);
            }
        }
        Ok(Facts {
            category_ids,
            price,
            attributes,
            in_stock,
        })
    }
}
