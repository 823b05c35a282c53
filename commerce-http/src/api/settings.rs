//! The shop's pricing settings, for admins: the whole document (`/v1/settings`), or one
//! promotion, tax zone or shipping method at a time. Every write is checked as quotes will use
//! it, so a bad promotion is refused here rather than breaking carts later.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use commerce_core::Error;
use commerce_core::pricing::{Promotion, TaxRate};
use commerce_core::pricing::{ShippingOption, TaxZone};
use commerce_core::settings::ShopConfig;
use commerce_core::usage::PromotionLimit;
use serde::Deserialize;

use crate::api::catalog::same_id;
use crate::api::{Access, Api, Method, Operation, Shared};
use crate::auth::Admin;
use crate::extract::{ApiJson, ApiResult, json};

/// The settings' operations: all for admins.
#[rustfmt::skip]
pub(crate) fn api() -> Api {
    use Access::Admin;
    use Method::{Delete, Get, Post, Put};
    Api::new()
        .at(Operation::new(Get, "/v1/settings", "Tax zones, promotions, shipping methods and rounding, with their version.", Admin).returns(200, "ShopConfig"), settings)
        .at(Operation::new(Put, "/v1/settings", "Replaces the settings if their version is still current.", Admin).body("ShopConfig").returns(200, "ShopConfig"), put_settings)
        .at(Operation::new(Get, "/v1/promotions", "Every promotion.", Admin).returns(200, "Promotions"), promotions)
        .at(Operation::new(Post, "/v1/promotions", "Adds a promotion.", Admin).body("Promotion").returns(201, "Promotion"), create_promotion)
        .at(Operation::new(Get, "/v1/promotions/{id}", "A promotion.", Admin).returns(200, "Promotion"), promotion)
        .at(Operation::new(Put, "/v1/promotions/{id}", "Adds or replaces a promotion.", Admin).body("Promotion").returns(200, "Promotion"), put_promotion)
        .at(Operation::new(Delete, "/v1/promotions/{id}", "Removes a promotion, and its usage limit.", Admin).no_content(), remove_promotion)
        .at(Operation::new(Get, "/v1/promotions/{id}/limit", "A promotion's usage limit and how many orders used it.", Admin).returns(200, "PromotionUsage"), promotion_limit)
        .at(Operation::new(Put, "/v1/promotions/{id}/limit", "Sets how many orders may use a promotion, in all and per customer.", Admin).body("UsageLimit").returns(200, "PromotionLimit"), put_promotion_limit)
        .at(Operation::new(Delete, "/v1/promotions/{id}/limit", "Lets a promotion be used without bound.", Admin).no_content(), remove_promotion_limit)
        .at(Operation::new(Get, "/v1/tax-zones", "Every tax zone and its rates.", Admin).returns(200, "TaxZones"), tax_zones)
        .at(Operation::new(Put, "/v1/tax-zones/{zone}", "Sets the rates of a zone: a country (`US`), a subdivision (`US-CA`) or `*` for everywhere else.", Admin).body("ZoneRates").returns(200, "TaxZone"), put_tax_zone)
        .at(Operation::new(Delete, "/v1/tax-zones/{zone}", "Removes a tax zone.", Admin).no_content(), remove_tax_zone)
        .at(Operation::new(Get, "/v1/shipping-methods", "Every shipping method and where it ships.", Admin).returns(200, "ShippingOptions"), shipping_methods)
        .at(Operation::new(Post, "/v1/shipping-methods", "Adds a shipping method.", Admin).body("ShippingOption").returns(201, "ShippingOption"), create_shipping_method)
        .at(Operation::new(Put, "/v1/shipping-methods/{id}", "Adds or replaces a shipping method.", Admin).body("ShippingOption").returns(200, "ShippingOption"), put_shipping_method)
        .at(Operation::new(Delete, "/v1/shipping-methods/{id}", "Removes a shipping method.", Admin).no_content(), remove_shipping_method)
}

/// `GET /v1/settings`: tax zones, promotions, shipping methods, rounding, with their version.
pub(crate) async fn settings(_admin: Admin, State(state): State<Shared>) -> ApiResult {
    Ok(json(StatusCode::OK, &state.commerce.config().await?))
}

/// `PUT /v1/settings`: replaces the settings if `version` is still current (else `409`).
pub(crate) async fn put_settings(
    _admin: Admin,
    State(state): State<Shared>,
    ApiJson(config): ApiJson<ShopConfig>,
) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &state.commerce.put_config(config).await?,
    ))
}

/// `GET /v1/promotions`.
pub(crate) async fn promotions(_admin: Admin, State(state): State<Shared>) -> ApiResult {
    let config = state.commerce.config().await?;
    Ok(json(StatusCode::OK, &config.promotions))
}

/// `GET /v1/promotions/{id}`.
pub(crate) async fn promotion(
    _admin: Admin,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult {
    let config = state.commerce.config().await?;
    let promotion = config
        .promotions
        .into_iter()
        .find(|p| *p.id == *id)
        .ok_or_else(|| Error::not_found("promotion", id))?;
    Ok(json(StatusCode::OK, &promotion))
}

/// `POST /v1/promotions`: adds a promotion (`422 duplicate_id` if the id exists).
pub(crate) async fn create_promotion(
    _admin: Admin,
    State(state): State<Shared>,
    ApiJson(promotion): ApiJson<Promotion>,
) -> ApiResult {
    Ok(json(
        StatusCode::CREATED,
        &state.commerce.create_promotion(promotion).await?,
    ))
}

/// `PUT /v1/promotions/{id}`: adds or replaces a promotion.
pub(crate) async fn put_promotion(
    _admin: Admin,
    State(state): State<Shared>,
    Path(id): Path<String>,
    ApiJson(promotion): ApiJson<Promotion>,
) -> ApiResult {
    same_id(&id, &promotion.id)?;
    Ok(json(
        StatusCode::OK,
        &state.commerce.put_promotion(promotion).await?,
    ))
}

/// `DELETE /v1/promotions/{id}`.
pub(crate) async fn remove_promotion(
    _admin: Admin,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult {
    state.commerce.remove_promotion(&id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A promotion's usage limit as a client sends it; the promotion is named by the path.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UsageLimit {
    /// Orders in all; absent for no bound.
    #[serde(default)]
    total: Option<u64>,
    /// Orders per signed-in customer (guests then do not get the promotion); absent for no
    /// bound.
    #[serde(default)]
    per_customer: Option<u64>,
}

/// `GET /v1/promotions/{id}/limit`: the limit, and the orders that used the promotion.
pub(crate) async fn promotion_limit(
    _admin: Admin,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &state.commerce.promotion_usage(&id).await?,
    ))
}

/// `PUT /v1/promotions/{id}/limit`.
pub(crate) async fn put_promotion_limit(
    _admin: Admin,
    State(state): State<Shared>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UsageLimit>,
) -> ApiResult {
    let limit = PromotionLimit {
        promotion_id: id,
        total: body.total,
        per_customer: body.per_customer,
    };
    Ok(json(
        StatusCode::OK,
        &state.commerce.put_promotion_limit(limit).await?,
    ))
}

/// `DELETE /v1/promotions/{id}/limit`.
pub(crate) async fn remove_promotion_limit(
    _admin: Admin,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult {
    state.commerce.remove_promotion_limit(&id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /v1/tax-zones`.
pub(crate) async fn tax_zones(_admin: Admin, State(state): State<Shared>) -> ApiResult {
    let config = state.commerce.config().await?;
    Ok(json(StatusCode::OK, &config.tax_zones))
}

/// The rates of a tax zone, as a client sends them; the zone is named by the path.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ZoneRates {
    rates: Vec<TaxRate>,
}

/// `PUT /v1/tax-zones/{zone}`: sets the rates of a zone (`US`, `US-CA`, or `*` for everywhere
/// else).
pub(crate) async fn put_tax_zone(
    _admin: Admin,
    State(state): State<Shared>,
    Path(zone): Path<String>,
    ApiJson(body): ApiJson<ZoneRates>,
) -> ApiResult {
    let zone = TaxZone::from_code(&zone, body.rates).map_err(|e| match e.field() {
        Some(field) if field.starts_with("rates") => e,
        // The code comes from the path.
        _ => e.in_field("zone"),
    })?;
    Ok(json(
        StatusCode::OK,
        &state.commerce.put_tax_zone(zone).await?,
    ))
}

/// `DELETE /v1/tax-zones/{zone}`.
pub(crate) async fn remove_tax_zone(
    _admin: Admin,
    State(state): State<Shared>,
    Path(zone): Path<String>,
) -> ApiResult {
    state.commerce.remove_tax_zone(&zone).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /v1/shipping-methods`.
pub(crate) async fn shipping_methods(_admin: Admin, State(state): State<Shared>) -> ApiResult {
    let config = state.commerce.config().await?;
    Ok(json(StatusCode::OK, &config.shipping_methods))
}

/// `POST /v1/shipping-methods`: adds a shipping method (`422 duplicate_id` if the id exists).
pub(crate) async fn create_shipping_method(
    _admin: Admin,
    State(state): State<Shared>,
    ApiJson(option): ApiJson<ShippingOption>,
) -> ApiResult {
    Ok(json(
        StatusCode::CREATED,
        &state.commerce.create_shipping_option(option).await?,
    ))
}

/// `PUT /v1/shipping-methods/{id}`: adds or replaces a shipping method.
pub(crate) async fn put_shipping_method(
    _admin: Admin,
    State(state): State<Shared>,
    Path(id): Path<String>,
    ApiJson(option): ApiJson<ShippingOption>,
) -> ApiResult {
    same_id(&id, &option.method.id)?;
    Ok(json(
        StatusCode::OK,
        &state.commerce.put_shipping_option(option).await?,
    ))
}

/// `DELETE /v1/shipping-methods/{id}`.
pub(crate) async fn remove_shipping_method(
    _admin: Admin,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult {
    state.commerce.remove_shipping_option(&id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
