//! The catalog: products, variants, categories and stock. Anyone browses what is for sale;
//! admins see everything and change it.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use commerce_core::Error;
use commerce_core::catalog::{Category, Product, ProductStatus, Variant};
use commerce_core::service::IdempotencyKey;
use commerce_core::store::ProductFilter;
use serde::{Deserialize, Serialize};

use crate::api::Shared;
use crate::api::{Access, Api, Method, Operation, PAGE_PARAMS, Param};
use crate::auth::{Admin, Authenticated};
use crate::extract::{ApiJson, ApiQuery, ApiResult, idempotency_key, json};
use crate::problem::Problem;

const PRODUCT_PARAMS: [Param; 3] = [
    Param {
        name: "category",
        schema: r#"{"type": "string"}"#,
        description: "Only products in this category.",
    },
    Param {
        name: "q",
        schema: r#"{"type": "string", "maxLength": 200}"#,
        description: "Only products whose name, description or SKUs contain this text, ignoring case.",
    },
    Param {
        name: "status",
        schema: r#"{"type": "string", "enum": ["draft", "active", "archived", "any"], "default": "active"}"#,
        description: "Admins only, for other than `active`.",
    },
];

/// The catalog's operations.
#[rustfmt::skip]
pub(crate) fn api() -> Api {
    use Access::{Admin, Anyone, Public};
    use Method::{Get, Post, Put};
    Api::new()
        .at(Operation::new(Get, "/v1/products", "Products in id order, a page at a time (`after`, `limit`), by `category` and text (`q`); active ones only, unless an admin asks for a `status`.", Anyone).returns(200, "ProductPage").query(&[&PAGE_PARAMS, &PRODUCT_PARAMS]), list_products)
        .at(Operation::new(Post, "/v1/products", "Creates a product.", Admin).body("Product").returns(201, "Product"), create_product)
        .at(Operation::new(Get, "/v1/products/{id}", "An active product (any, for admins).", Anyone).returns(200, "Product"), get_product)
        .at(Operation::new(Put, "/v1/products/{id}", "Creates or replaces a product.", Admin).body("Product").returns(200, "Product"), put_product)
        .at(Operation::new(Post, "/v1/products/{id}/archive", "Archives a product: no longer sold, kept on past orders.", Admin).returns(200, "Product"), archive_product)
        .at(Operation::new(Get, "/v1/variants/{sku}", "A variant of an active product, by SKU, with its product's id and name.", Anyone).returns(200, "VariantOf"), get_variant)
        .at(Operation::new(Get, "/v1/categories", "Every category.", Public).returns(200, "Categories"), list_categories)
        .at(Operation::new(Get, "/v1/categories/{id}", "A category.", Public).returns(200, "Category"), get_category)
        .at(Operation::new(Put, "/v1/categories/{id}", "Creates or replaces a category.", Admin).body("Category").returns(200, "Category"), put_category)
        .at(Operation::new(Get, "/v1/inventory/{sku}", "A SKU's stock levels by location.", Public).returns(200, "StockLevels"), stock)
        .at(Operation::new(Post, "/v1/inventory/{sku}/adjustments", "Changes a SKU's stock on hand, once per key (a replay answers with the level as it is now).", Admin).body("Adjustment").returns(200, "StockLevel").keyed(), adjust_stock)
}

/// The status a product listing asks for; only admins may ask for other than `active`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StatusQuery {
    Draft,
    Active,
    Archived,
    Any,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProductQuery {
    after: Option<String>,
    limit: Option<usize>,
    category: Option<String>,
    q: Option<String>,
    status: Option<StatusQuery>,
}

/// `GET /v1/products`: a page of products in id order, filtered by category, text (`q`) and,
/// for admins, status.
pub(crate) async fn list_products(
    auth: Authenticated,
    State(state): State<Shared>,
    ApiQuery(query): ApiQuery<ProductQuery>,
) -> ApiResult {
    let status = match query.status.unwrap_or(StatusQuery::Active) {
        StatusQuery::Active => Some(ProductStatus::Active),
        StatusQuery::Draft => Some(ProductStatus::Draft),
        StatusQuery::Archived => Some(ProductStatus::Archived),
        StatusQuery::Any => None,
    };
    if query.q.as_ref().is_some_and(|q| q.chars().count() > 200) {
        return Err(Problem::invalid_request(
            "q may have at most 200 characters",
        ));
    }
    let filter = ProductFilter {
        status,
        category_id: query.category,
        text: query.q.filter(|q| !q.trim().is_empty()),
    };
    let page = state
        .commerce
        .products(
            Some(&auth.caller),
            &filter,
            query.after.as_deref(),
            query.limit,
        )
        .await?;
    Ok(json(StatusCode::OK, &page))
}

/// `GET /v1/products/{id}`: an active product (any product, for admins).
pub(crate) async fn get_product(
    auth: Authenticated,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult {
    let product = state.commerce.product(auth.caller.target(&id)).await?;
    Ok(json(StatusCode::OK, &product))
}

/// A variant and the product it belongs to.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct VariantOf {
    /// The product's id.
    product_id: String,
    /// The product's name.
    product_name: String,
    /// The variant.
    variant: Variant,
}

/// `GET /v1/variants/{sku}`: a variant of an active product, by SKU.
pub(crate) async fn get_variant(
    auth: Authenticated,
    State(state): State<Shared>,
    Path(sku): Path<String>,
) -> ApiResult {
    let product = state
        .commerce
        .product_by_sku(auth.caller.target(&sku))
        .await?;
    let variant = product
        .variant(&sku)
        .cloned()
        .ok_or_else(|| Error::not_found("variant", sku.as_str()))?;
    Ok(json(
        StatusCode::OK,
        &VariantOf {
            product_id: product.id,
            product_name: product.name,
            variant,
        },
    ))
}

/// `POST /v1/products`: creates a product (`422 duplicate_id` if the id exists).
pub(crate) async fn create_product(
    _admin: Admin,
    State(state): State<Shared>,
    ApiJson(product): ApiJson<Product>,
) -> ApiResult {
    let product = state.commerce.create_product(product).await?;
    Ok(json(StatusCode::CREATED, &product))
}

/// Refuses a body whose id is not the path's.
pub(crate) fn same_id(path: &str, body: &str) -> ApiResult<()> {
    if path == body {
        return Ok(());
    }
    Err(
        Error::invalid(format!("the body's id `{body}` is not the path's `{path}`"))
            .at("id")
            .into(),
    )
}

/// `PUT /v1/products/{id}`: creates or replaces a product.
pub(crate) async fn put_product(
    _admin: Admin,
    State(state): State<Shared>,
    Path(id): Path<String>,
    ApiJson(product): ApiJson<Product>,
) -> ApiResult {
    same_id(&id, &product.id)?;
    Ok(json(
        StatusCode::OK,
        &state.commerce.put_product(product).await?,
    ))
}

/// `POST /v1/products/{id}/archive`.
pub(crate) async fn archive_product(
    _admin: Admin,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &state.commerce.archive_product(&id).await?,
    ))
}

/// `GET /v1/categories`: every category.
pub(crate) async fn list_categories(State(state): State<Shared>) -> ApiResult {
    Ok(json(StatusCode::OK, &state.commerce.categories().await?))
}

/// `GET /v1/categories/{id}`.
pub(crate) async fn get_category(State(state): State<Shared>, Path(id): Path<String>) -> ApiResult {
    Ok(json(StatusCode::OK, &state.commerce.category(&id).await?))
}

/// `PUT /v1/categories/{id}`: creates or replaces a category.
pub(crate) async fn put_category(
    _admin: Admin,
    State(state): State<Shared>,
    Path(id): Path<String>,
    ApiJson(category): ApiJson<Category>,
) -> ApiResult {
    same_id(&id, &category.id)?;
    Ok(json(
        StatusCode::OK,
        &state.commerce.put_category(category).await?,
    ))
}

/// `GET /v1/inventory/{sku}`: stock levels by location.
pub(crate) async fn stock(State(state): State<Shared>, Path(sku): Path<String>) -> ApiResult {
    Ok(json(StatusCode::OK, &state.commerce.stock(&sku).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Adjustment {
    delta: i64,
    #[serde(default)]
    allow_backorder: Option<bool>,
}

/// `POST /v1/inventory/{sku}/adjustments` (with `Idempotency-Key`): changes stock on hand,
/// once per key.
pub(crate) async fn adjust_stock(
    admin: Admin,
    State(state): State<Shared>,
    Path(sku): Path<String>,
    headers: HeaderMap,
    ApiJson(adjustment): ApiJson<Adjustment>,
) -> ApiResult {
    let key = IdempotencyKey {
        scope: admin.caller().idempotency_scope(),
        key: idempotency_key(&headers)?,
    };
    if adjustment.delta.unsigned_abs() > 1_000_000_000 {
        return Err(Error::invalid("delta must be within ±1,000,000,000")
            .at("delta")
            .into());
    }
    let level = state
        .commerce
        .adjust_stock_once(&sku, adjustment.delta, adjustment.allow_backorder, &key)
        .await?;
    Ok(json(StatusCode::OK, &level))
}
