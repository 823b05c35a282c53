//! The catalog: products, variants, categories and stock. Anyone browses what is for sale;
//! admins see everything and change it.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use commerce_core::access::Caller;
use commerce_core::catalog::{Category, Product, ProductStatus, Variant};
use commerce_core::service::IdempotencyKey;
use commerce_core::store::ProductFilter;
use commerce_core::{Error, ErrorKind};
use serde::{Deserialize, Serialize};

use crate::api::Shared;
use crate::auth::{Admin, Authenticated};
use crate::extract::{ApiJson, ApiQuery, ApiResult, idempotency_key, json, page_limit};
use crate::problem::Problem;

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
    Authenticated(caller): Authenticated,
    State(state): State<Shared>,
    ApiQuery(query): ApiQuery<ProductQuery>,
) -> ApiResult {
    let status = match query.status.unwrap_or(StatusQuery::Active) {
        StatusQuery::Active => Some(ProductStatus::Active),
        _ if caller == Caller::Anonymous => {
            return Err(Problem::unauthorized(
                "an admin API key is required to list products that are not active",
            ));
        }
        _ if !caller.is_admin() => {
            return Err(Problem::forbidden(
                "only admins list products that are not active",
            ));
        }
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
        .store()
        .products(&filter, query.after.as_deref(), page_limit(query.limit))
        .await?;
    Ok(json(StatusCode::OK, &page))
}

/// `GET /v1/products/{id}`: an active product (any product, for admins).
pub(crate) async fn get_product(
    Authenticated(caller): Authenticated,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult {
    let product = state
        .commerce
        .store()
        .product(&id)
        .await?
        .filter(|p| caller.may_see_product(p))
        .ok_or_else(|| Error::not_found("product", id))?;
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
    Authenticated(caller): Authenticated,
    State(state): State<Shared>,
    Path(sku): Path<String>,
) -> ApiResult {
    let found = state
        .commerce
        .store()
        .product_by_sku(&sku)
        .await?
        .filter(|p| caller.may_see_product(p))
        .and_then(|p| {
            let variant = p.variant(&sku)?.clone();
            Some(VariantOf {
                product_id: p.id,
                product_name: p.name,
                variant,
            })
        })
        .ok_or_else(|| Error::not_found("variant", sku))?;
    Ok(json(StatusCode::OK, &found))
}

/// `POST /v1/products`: creates a product (`422 duplicate_id` if the id exists).
pub(crate) async fn create_product(
    _admin: Admin,
    State(state): State<Shared>,
    ApiJson(product): ApiJson<Product>,
) -> ApiResult {
    if state.commerce.store().product(&product.id).await?.is_some() {
        return Err(Error::new(ErrorKind::DuplicateId { id: product.id }).into());
    }
    let product = state.commerce.put_product(product).await?;
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
    Ok(json(
        StatusCode::OK,
        &state.commerce.store().categories().await?,
    ))
}

/// `GET /v1/categories/{id}`.
pub(crate) async fn get_category(State(state): State<Shared>, Path(id): Path<String>) -> ApiResult {
    let category = state
        .commerce
        .store()
        .category(&id)
        .await?
        .ok_or_else(|| Error::not_found("category", id))?;
    Ok(json(StatusCode::OK, &category))
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
    Ok(json(
        StatusCode::OK,
        &state.commerce.store().stock(&sku).await?,
    ))
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
