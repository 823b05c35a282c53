//! Products and categories in memory.

use async_trait::async_trait;

use super::{MemoryStore, page};
use crate::catalog::{Category, Product};
use crate::error::{Error, ErrorKind, Result};
use crate::store::{CatalogStore, Page, ProductFilter};

#[async_trait]
impl CatalogStore for MemoryStore {
    async fn put_product(&self, product: &Product) -> Result<()> {
        let mut state = self.lock();
        for variant in &product.variants {
            if let Some(owner) = state.sku_owner.get(&variant.sku)
                && *owner != product.id
            {
                return Err(Error::new(ErrorKind::DuplicateId {
                    id: variant.sku.clone(),
                }));
            }
        }
        if let Some(old) = state.products.remove(&product.id) {
            for variant in &old.variants {
                state.sku_owner.remove(&variant.sku);
            }
        }
        for variant in &product.variants {
            state
                .sku_owner
                .insert(variant.sku.clone(), product.id.clone());
        }
        state.products.insert(product.id.clone(), product.clone());
        state.catalog_version += 1;
        Ok(())
    }

    async fn product(&self, id: &str) -> Result<Option<Product>> {
        Ok(self.lock().products.get(id).cloned())
    }

    async fn product_by_sku(&self, sku: &str) -> Result<Option<Product>> {
        let state = self.lock();
        Ok(state
            .sku_owner
            .get(sku)
            .and_then(|id| state.products.get(id))
            .cloned())
    }

    async fn products(
        &self,
        filter: &ProductFilter,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<Product>> {
        let state = self.lock();
        let range = match after {
            Some(after) => state
                .products
                .range::<str, _>((std::ops::Bound::Excluded(after), std::ops::Bound::Unbounded)),
            None => state.products.range::<str, _>(..),
        };
        let matching = range.map(|(_, p)| p).filter(|p| filter.matches(p));
        Ok(page(matching, limit, |p| p.id.clone()))
    }

    async fn put_category(&self, category: &Category) -> Result<()> {
        let mut state = self.lock();
        state
            .categories
            .insert(category.id.clone(), category.clone());
        state.catalog_version += 1;
        Ok(())
    }

    async fn catalog_version(&self) -> Result<u64> {
        Ok(self.lock().catalog_version)
    }

    async fn categories(&self) -> Result<Vec<Category>> {
        Ok(self.lock().categories.values().cloned().collect())
    }

    async fn category(&self, id: &str) -> Result<Option<Category>> {
        Ok(self.lock().categories.get(id).cloned())
    }
}
