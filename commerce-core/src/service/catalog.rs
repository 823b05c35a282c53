//! Catalog administration: products, categories and stock on hand.

use crate::catalog::{Category, Product, ProductStatus};
use crate::error::{Error, Result};
use crate::inventory::{DEFAULT_LOCATION, StockAdjustment, StockLevel};
use crate::store::{Changes, IdempotencyBegin, IdempotencyCompletion};

use super::Commerce;
use super::idempotency::IdempotencyKey;

impl Commerce {
    /// Validates and saves a product.
    ///
    /// # Errors
    ///
    /// As [`Product::validate`]; `duplicate_id` if a SKU belongs to another product.
    pub async fn put_product(&self, product: Product) -> Result<Product> {
        product.validate()?;
        self.store.put_product(&product).await?;
        Ok(product)
    }

    /// Archives a product: it stays for past orders but can no longer be sold.
    ///
    /// # Errors
    ///
    /// `not_found`.
    pub async fn archive_product(&self, id: &str) -> Result<Product> {
        let mut product = self
            .store
            .product(id)
            .await?
            .ok_or_else(|| Error::not_found("product", id))?;
        product.status = ProductStatus::Archived;
        self.store.put_product(&product).await?;
        Ok(product)
    }

    /// Saves a category.
    ///
    /// # Errors
    ///
    /// `invalid_input` for an empty id or name.
    pub async fn put_category(&self, category: Category) -> Result<Category> {
        if category.id.trim().is_empty() || category.name.trim().is_empty() {
            return Err(Error::invalid("a category needs an id and a name"));
        }
        self.store.put_category(&category).await?;
        Ok(category)
    }

    /// As [`Commerce::adjust_stock`], once per idempotency key: a retry with the same key and
    /// change adjusts nothing more and answers with the stock level as it is now; the same key
    /// with another change is `idempotency_mismatch`.
    ///
    /// # Errors
    ///
    /// As [`Commerce::adjust_stock`]; idempotency errors.
    pub async fn adjust_stock_once(
        &self,
        sku: &str,
        delta: i64,
        allow_backorder: Option<bool>,
        key: &IdempotencyKey,
    ) -> Result<StockLevel> {
        let now = self.now();
        let scope = format!("adjust:{}", key.scope);
        let fingerprint = format!("{sku}|{delta}|{allow_backorder:?}");
        let begun = self
            .store
            .begin_idempotent(&scope, &key.key, &fingerprint, now)
            .await?;
        if begun == IdempotencyBegin::Started {
            let applied = self
                .store
                .apply(Changes {
                    now,
                    adjustment: Some(StockAdjustment {
                        sku: sku.to_string(),
                        location: DEFAULT_LOCATION.to_string(),
                        delta,
                        allow_backorder,
                    }),
                    idempotency: Some(IdempotencyCompletion {
                        scope: scope.clone(),
                        key: key.key.clone(),
                        response: fingerprint,
                    }),
                    ..Changes::default()
                })
                .await;
            if let Err(err) = applied {
                self.store.abandon_idempotent(&scope, &key.key).await?;
                return Err(err);
            }
        }
        self.store
            .stock(sku)
            .await?
            .into_iter()
            .find(|level| level.location == DEFAULT_LOCATION)
            .ok_or_else(|| Error::not_found("stock level", sku))
    }

    /// Changes a SKU's stock on hand at the default location (and, if given, its backorder
    /// flag).
    ///
    /// # Errors
    ///
    /// `insufficient_stock` if stock would go below zero or below what is reserved.
    pub async fn adjust_stock(
        &self,
        sku: &str,
        delta: i64,
        allow_backorder: Option<bool>,
    ) -> Result<StockLevel> {
        self.store
            .adjust_stock(sku, DEFAULT_LOCATION, delta, allow_backorder, self.now())
            .await
    }
}
