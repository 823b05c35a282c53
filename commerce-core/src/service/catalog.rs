//! Catalog administration: products, categories and stock on hand.

use crate::access::{Caller, Target};
use crate::catalog::{Category, Product, ProductStatus};
use crate::error::{Error, Result};
use crate::inventory::{DEFAULT_LOCATION, StockAdjustment, StockLevel};
use crate::store::{Changes, IdempotencyBegin, IdempotencyCompletion};
use crate::store::{Page, ProductFilter, page_size};

use super::idempotency::IdempotencyKey;
use super::{Commerce, stored_id};
use crate::text;

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

    /// Validates and saves a new product.
    ///
    /// # Errors
    ///
    /// `duplicate_id` if a product with its id exists, or a SKU belongs to another product;
    /// as [`Product::validate`].
    pub async fn create_product(&self, product: Product) -> Result<Product> {
        if self.store.product(&product.id).await?.is_some() {
            return Err(Error::duplicate_id(product.id));
        }
        self.put_product(product).await
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
        text::check_id(&category.id).map_err(|e| e.at("id"))?;
        text::check_line(&category.name).map_err(|e| e.at("name"))?;
        if let Some(parent) = &category.parent_id {
            text::check_id(parent).map_err(|e| e.at("parent_id"))?;
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
        text::check_id(sku).map_err(|e| e.at("sku"))?;
        key.check()?;
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
        text::check_id(sku).map_err(|e| e.at("sku"))?;
        self.store
            .adjust_stock(sku, DEFAULT_LOCATION, delta, allow_backorder, self.now())
            .await
    }

    /// A product: for a caller, only one they may see
    /// ([`Caller::may_see_product`](crate::access::Caller::may_see_product)), otherwise
    /// `not_found`.
    ///
    /// # Errors
    ///
    /// `not_found`.
    pub async fn product<'a>(&self, product: impl Into<Target<'a>>) -> Result<Product> {
        let target = product.into();
        self.store
            .product(stored_id("product", target.id())?)
            .await?
            .filter(|p| target.may_see_product(p))
            .ok_or_else(|| Error::not_found("product", target.id()))
    }

    /// The product that sells a SKU: for a caller, only one they may see.
    ///
    /// # Errors
    ///
    /// `not_found`.
    pub async fn product_by_sku<'a>(&self, sku: impl Into<Target<'a>>) -> Result<Product> {
        let target = sku.into();
        self.store
            .product_by_sku(stored_id("variant", target.id())?)
            .await?
            .filter(|p| target.may_see_product(p))
            .ok_or_else(|| Error::not_found("variant", target.id()))
    }

    /// A page of the products that pass `filter`, in id order, after the product `after`, at
    /// most [`page_size`]`(limit)`; for a caller, only what they may list
    /// ([`Caller::may_list_products`]).
    ///
    /// # Errors
    ///
    /// As [`Caller::may_list_products`].
    pub async fn products(
        &self,
        caller: Option<&Caller>,
        filter: &ProductFilter,
        after: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Page<Product>> {
        if let Some(caller) = caller {
            caller.may_list_products(filter.status)?;
        }
        if let Some(text) = &filter.text {
            text::check_line(text).map_err(|e| e.at("text"))?;
        }
        let nothing = || Page {
            items: Vec::new(),
            next_cursor: None,
        };
        let lookups = filter.category_id.iter().map(String::as_str).chain(after);
        if lookups.into_iter().any(|id| !text::could_be_id(id)) {
            return Ok(nothing());
        }
        self.store.products(filter, after, page_size(limit)).await
    }

    /// A category.
    ///
    /// # Errors
    ///
    /// `not_found`.
    pub async fn category(&self, id: &str) -> Result<Category> {
        self.store
            .category(stored_id("category", id)?)
            .await?
            .ok_or_else(|| Error::not_found("category", id))
    }

    /// Every category, by id.
    ///
    /// # Errors
    ///
    /// Storage errors only.
    pub async fn categories(&self) -> Result<Vec<Category>> {
        self.store.categories().await
    }

    /// A SKU's stock at every location.
    ///
    /// # Errors
    ///
    /// Storage errors only.
    pub async fn stock(&self, sku: &str) -> Result<Vec<StockLevel>> {
        if !text::could_be_id(sku) {
            return Ok(Vec::new());
        }
        self.store.stock(sku).await
    }
}
