//! What a process keeps of the catalog in memory: the active products (analysed for search, and
//! by SKU for pricing), the categories and the shop's settings, current with the store's
//! catalog version ([`crate::store::CatalogStore::catalog_version`]).
//!
//! Each use reads the version (one small read) and, only when it moved, reads and analyses the
//! catalog again: a change made through any process is seen by every process at its next
//! search or priced cart, and a priced cart reads the cart and the version instead of a product
//! per line and the settings.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::catalog::{Category, Product, ProductStatus};
use crate::error::Result;
use crate::search::Document;
use crate::settings::ShopConfig;
use crate::store::ProductFilter;

use super::Commerce;

/// The catalog at one version.
pub(crate) struct CatalogSnapshot {
    version: u64,
    /// The active products, in id order.
    pub(crate) products: Vec<Product>,
    /// Their search documents, in the same order.
    pub(crate) documents: Vec<Document>,
    /// Every category.
    pub(crate) categories: Vec<Category>,
    /// The shop's settings.
    pub(crate) config: ShopConfig,
    /// Each SKU of an active product: the product's place in `products`.
    by_sku: HashMap<String, usize>,
}

impl CatalogSnapshot {
    /// The active product that has a variant with `sku`.
    pub(crate) fn active_product_of(&self, sku: &str) -> Option<&Product> {
        self.by_sku.get(sku).map(|at| &self.products[*at])
    }
}

impl Commerce {
    /// This process's copy of the catalog, current with the store.
    pub(crate) async fn catalog_snapshot(&self) -> Result<Arc<CatalogSnapshot>> {
        let version = self.store.catalog_version().await?;
        if let Some(snapshot) = self.cached_snapshot().filter(|s| s.version == version) {
            return Ok(snapshot);
        }
        // Labelled with the version read before the catalog: a write that lands meanwhile
        // moves the stored version past it, and the next use reads again.
        let categories = self.store.categories().await?;
        let config = self.store.config().await?;
        let names: BTreeMap<String, String> = categories
            .iter()
            .map(|c| (c.id.clone(), c.name.clone()))
            .collect();
        let products = self.active_products().await?;
        let documents = products.iter().map(|p| Document::of(p, &names)).collect();
        let by_sku = products
            .iter()
            .enumerate()
            .flat_map(|(at, p)| p.variants.iter().map(move |v| (v.sku.clone(), at)))
            .collect();
        let snapshot = Arc::new(CatalogSnapshot {
            version,
            products,
            documents,
            categories,
            config,
            by_sku,
        });
        let mut cached = self
            .catalog_snapshot
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if cached.as_ref().is_none_or(|c| c.version <= version) {
            *cached = Some(snapshot.clone());
        }
        Ok(snapshot)
    }

    fn cached_snapshot(&self) -> Option<Arc<CatalogSnapshot>> {
        self.catalog_snapshot
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    async fn active_products(&self) -> Result<Vec<Product>> {
        let filter = ProductFilter {
            status: Some(ProductStatus::Active),
            ..ProductFilter::default()
        };
        let mut all = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self.store.products(&filter, after.as_deref(), 500).await?;
            all.extend(page.items);
            match page.next_cursor {
                Some(next) => after = Some(next),
                None => return Ok(all),
            }
        }
    }
}
