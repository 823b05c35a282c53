//! Products and categories on SQL: their documents, SKUs and the columns listings filter by.
//!
//! Stamped for each backend by `impl_store!` (`stamp.rs`), inside the block that imports the
//! names it uses; SQL both databases accept as is.

use commerce_core::store::ProductFilter;

pub(crate) const SELECT_PRODUCT: &str = "SELECT body FROM commerce_products WHERE id = $1";
pub(crate) const SELECT_PRODUCT_BY_SKU: &str = "SELECT p.body FROM commerce_skus s JOIN commerce_products p ON p.id = s.product_id WHERE s.sku = $1";
pub(crate) const SELECT_SKU_OWNER: &str = "SELECT product_id FROM commerce_skus WHERE sku = $1";
pub(crate) const DELETE_PRODUCT_SKUS: &str = "DELETE FROM commerce_skus WHERE product_id = $1";
pub(crate) const INSERT_SKU: &str = "INSERT INTO commerce_skus (sku, product_id) VALUES ($1, $2)";
pub(crate) const UPSERT_PRODUCT: &str = "INSERT INTO commerce_products (id, body, status, search_text) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (id) DO UPDATE SET body = excluded.body, status = excluded.status, search_text = excluded.search_text";
pub(crate) const DELETE_PRODUCT_CATEGORIES: &str =
    "DELETE FROM commerce_product_categories WHERE product_id = $1";
pub(crate) const INSERT_PRODUCT_CATEGORY: &str = "INSERT INTO commerce_product_categories (category_id, product_id) VALUES ($1, $2) ON CONFLICT DO NOTHING";
pub(crate) const SELECT_EVERY_PRODUCT: &str = "SELECT body FROM commerce_products ORDER BY id";
pub(crate) const SELECT_CATEGORY: &str = "SELECT body FROM commerce_categories WHERE id = $1";
pub(crate) const UPSERT_CATEGORY: &str = "INSERT INTO commerce_categories (id, body) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET body = excluded.body";
pub(crate) const SELECT_CATEGORIES: &str = "SELECT body FROM commerce_categories ORDER BY id";
pub(crate) const BUMP_CATALOG_VERSION: &str =
    "UPDATE commerce_catalog_version SET version = version + 1 WHERE id = 1";
pub(crate) const SELECT_CATALOG_VERSION: &str =
    "SELECT version FROM commerce_catalog_version WHERE id = 1";

/// The SQL of a product listing: `$1` is the cursor, then one parameter per filter that is
/// set (status, category, text pattern), then the limit. Built from fixed fragments only.
pub(crate) fn product_listing_sql(filter: &ProductFilter) -> String {
    let mut sql = String::from("SELECT p.body FROM commerce_products p WHERE p.id > $1");
    let mut n = 1;
    if filter.status.is_some() {
        n += 1;
        sql.push_str(&format!(" AND p.status = ${n}"));
    }
    if filter.category_id.is_some() {
        n += 1;
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM commerce_product_categories c WHERE c.category_id = ${n} AND c.product_id = p.id)"
        ));
    }
    if filter.text.is_some() {
        n += 1;
        sql.push_str(&format!(" AND p.search_text LIKE ${n} ESCAPE '\\'"));
    }
    sql.push_str(&format!(" ORDER BY p.id LIMIT ${}", n + 1));
    sql
}

/// The `LIKE` pattern of a text filter: the lower-cased text anywhere, with `%`, `_` and the
/// escape character taken literally.
pub(crate) fn contains_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

macro_rules! impl_catalog {
    ($store:ty, $dialect:ident) => {
        /// Writes a product's document and what listings filter it by: its status, its search
        /// text and its categories.
        async fn save_product(
            tx: &mut Tx<'_>,
            product: &Product,
            body: &str,
        ) -> std::result::Result<(), Failure> {
            sqlx::query(UPSERT_PRODUCT)
                .bind(&product.id)
                .bind(body)
                .bind(product.status.as_str())
                .bind(product.search_text())
                .execute(&mut **tx)
                .await
                .map_err($dialect::failure)?;
            sqlx::query(DELETE_PRODUCT_CATEGORIES)
                .bind(&product.id)
                .execute(&mut **tx)
                .await
                .map_err($dialect::failure)?;
            for category in &product.category_ids {
                sqlx::query(INSERT_PRODUCT_CATEGORY)
                    .bind(category)
                    .bind(&product.id)
                    .execute(&mut **tx)
                    .await
                    .map_err($dialect::failure)?;
            }
            Ok(())
        }

        impl $store {
            /// Fills the listing columns of every stored product from its document, once,
            /// when the migration that added them is applied.
            pub(crate) async fn index_every_product(tx: &mut Tx<'_>) -> Result<()> {
                let rows = sqlx::query(SELECT_EVERY_PRODUCT)
                    .fetch_all(&mut **tx)
                    .await
                    .map_err(db)?;
                for row in rows {
                    let body: String = row.try_get("body").map_err(db)?;
                    let product: Product = from_json(&body)?;
                    match save_product(tx, &product, &body).await {
                        Ok(()) => {}
                        Err(Failure::Error(error)) => return Err(error),
                        Err(Failure::Retry) => {
                            return Err(Error::storage("the database is busy; retry"));
                        }
                    }
                }
                Ok(())
            }
        }

        #[async_trait]
        impl CatalogStore for $store {
            async fn put_product(&self, product: &Product) -> Result<()> {
                let body = to_json(product)?;
                let product = product.clone();
                self.write(move |tx| {
                    let (product, body) = (product.clone(), body.clone());
                    Box::pin(async move {
                        for variant in &product.variants {
                            let owner = sqlx::query(SELECT_SKU_OWNER)
                                .bind(&variant.sku)
                                .fetch_optional(&mut **tx)
                                .await
                                .map_err($dialect::failure)?;
                            if let Some(owner) = owner {
                                let owner: String =
                                    owner.try_get("product_id").map_err($dialect::failure)?;
                                if owner != product.id {
                                    return Err(Failure::Error(Error::new(
                                        ErrorKind::DuplicateId {
                                            id: variant.sku.clone(),
                                        },
                                    )));
                                }
                            }
                        }
                        sqlx::query(DELETE_PRODUCT_SKUS)
                            .bind(&product.id)
                            .execute(&mut **tx)
                            .await
                            .map_err($dialect::failure)?;
                        for variant in &product.variants {
                            sqlx::query(INSERT_SKU)
                                .bind(&variant.sku)
                                .bind(&product.id)
                                .execute(&mut **tx)
                                .await
                                .map_err($dialect::failure)?;
                        }
                        save_product(tx, &product, &body).await?;
                        sqlx::query(BUMP_CATALOG_VERSION)
                            .execute(&mut **tx)
                            .await
                            .map_err($dialect::failure)?;
                        Ok(())
                    })
                })
                .await
            }

            async fn product(&self, id: &str) -> Result<Option<Product>> {
                self.fetch_body(SELECT_PRODUCT, id)
                    .await?
                    .map(|b| from_json(&b))
                    .transpose()
            }

            async fn product_by_sku(&self, sku: &str) -> Result<Option<Product>> {
                self.fetch_body(SELECT_PRODUCT_BY_SKU, sku)
                    .await?
                    .map(|b| from_json(&b))
                    .transpose()
            }

            async fn products(
                &self,
                filter: &ProductFilter,
                after: Option<&str>,
                limit: usize,
            ) -> Result<Page<Product>> {
                let limit = limit.max(1);
                let sql = product_listing_sql(filter);
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(after.unwrap_or(""));
                if let Some(status) = filter.status {
                    query = query.bind(status.as_str());
                }
                if let Some(category) = &filter.category_id {
                    query = query.bind(category.clone());
                }
                if let Some(text) = &filter.text {
                    query = query.bind(contains_pattern(text));
                }
                let rows = query
                    .bind(i64::try_from(limit + 1).unwrap_or(i64::MAX))
                    .fetch_all(&mut *self.reading().await?)
                    .await
                    .map_err(db)?;
                let items: Vec<Product> = rows
                    .iter()
                    .map(|row| from_json(&row.try_get::<String, _>("body").map_err(db)?))
                    .collect::<Result<_>>()?;
                Ok(page(items, limit, |p| p.id.clone()))
            }

            async fn put_category(&self, category: &Category) -> Result<()> {
                let body = to_json(category)?;
                let id = category.id.clone();
                self.write(move |tx| {
                    let (id, body) = (id.clone(), body.clone());
                    Box::pin(async move {
                        sqlx::query(UPSERT_CATEGORY)
                            .bind(&id)
                            .bind(&body)
                            .execute(&mut **tx)
                            .await
                            .map_err($dialect::failure)?;
                        sqlx::query(BUMP_CATALOG_VERSION)
                            .execute(&mut **tx)
                            .await
                            .map_err($dialect::failure)?;
                        Ok(())
                    })
                })
                .await
            }

            async fn catalog_version(&self) -> Result<u64> {
                let row = sqlx::query(SELECT_CATALOG_VERSION)
                    .fetch_one(&mut *self.reading().await?)
                    .await
                    .map_err(db)?;
                let version: i64 = row.try_get("version").map_err(db)?;
                Ok(u64::try_from(version).unwrap_or(0))
            }

            async fn category(&self, id: &str) -> Result<Option<Category>> {
                self.fetch_body(SELECT_CATEGORY, id)
                    .await?
                    .map(|b| from_json(&b))
                    .transpose()
            }

            async fn categories(&self) -> Result<Vec<Category>> {
                let rows = sqlx::query(SELECT_CATEGORIES)
                    .fetch_all(&mut *self.reading().await?)
                    .await
                    .map_err(db)?;
                rows.iter()
                    .map(|row| from_json(&row.try_get::<String, _>("body").map_err(db)?))
                    .collect()
            }
        }
    };
}

pub(crate) use impl_catalog;
