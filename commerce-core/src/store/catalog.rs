//! The catalog's storage: products and categories.

use async_trait::async_trait;

use super::Page;
use crate::catalog::{Category, Product, ProductStatus};
use crate::error::Result;

/// Which products a listing returns: every filter that is set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductFilter {
    /// Only products with this status.
    pub status: Option<ProductStatus>,
    /// Only products in this category (the category itself, not its descendants).
    pub category_id: Option<String>,
    /// Only products whose [`Product::search_text`] contains this text, compared in lower case.
    pub text: Option<String>,
}

impl ProductFilter {
    /// Whether a product passes the filter: the definition every store implements.
    ///
    /// # Example
    ///
    /// ```
    /// # use commerce_core::catalog::Product;
    /// use commerce_core::store::ProductFilter;
    /// # let product: Product = serde_json::from_str(r#"{"id": "mug", "name": "Blue Mug",
    /// #     "category_ids": ["kitchen"], "variants": [{"sku": "MUG-BLUE", "prices": []}]}"#).unwrap();
    /// let filter = ProductFilter { text: Some("BLUE".into()), ..ProductFilter::default() };
    /// assert!(filter.matches(&product));
    /// let filter = ProductFilter { category_id: Some("garden".into()), ..ProductFilter::default() };
    /// assert!(!filter.matches(&product));
    /// ```
    pub fn matches(&self, product: &Product) -> bool {
        self.status.is_none_or(|s| s == product.status)
            && self
                .category_id
                .as_ref()
                .is_none_or(|c| product.category_ids.contains(c))
            && self
                .text
                .as_ref()
                .is_none_or(|t| product.search_text().contains(&t.to_lowercase()))
    }
}

/// Products and categories.
#[async_trait]
pub trait CatalogStore: Send + Sync {
    /// Inserts or replaces a product.
    ///
    /// # Errors
    ///
    /// [`duplicate_id`](crate::ErrorKind::DuplicateId) if one of its SKUs belongs to another
    /// product.
    async fn put_product(&self, product: &Product) -> Result<()>;
    /// A product by id.
    async fn product(&self, id: &str) -> Result<Option<Product>>;
    /// The product that has a variant with this SKU.
    async fn product_by_sku(&self, sku: &str) -> Result<Option<Product>>;
    /// The products that pass `filter`, in id order, after the cursor `after` (a product id),
    /// at most `limit`.
    async fn products(
        &self,
        filter: &ProductFilter,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<Product>>;
    /// Inserts or replaces a category.
    async fn put_category(&self, category: &Category) -> Result<()>;
    /// A category by id.
    async fn category(&self, id: &str) -> Result<Option<Category>>;
    /// Every category.
    async fn categories(&self) -> Result<Vec<Category>>;
    /// The catalog's version: it grows with every write of a product, a category or the shop's
    /// settings ([`ConfigStore::put_config`](super::ConfigStore::put_config)), in the same unit
    /// of work as the write, so that a process holding them in memory (the search index, the
    /// prices and settings carts are priced with) learns with one small read whether its copy is
    /// current.
    async fn catalog_version(&self) -> Result<u64>;
}
