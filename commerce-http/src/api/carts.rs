//! Carts and checkout. A guest cart opens to whoever holds its id (an unguessable 128-bit
//! token); a signed-in customer's cart opens to that customer only, and admins.

use std::collections::BTreeMap;

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use commerce_core::cart::Destination;
use commerce_core::contact::ContactRequest;
use commerce_core::payment::CaptureMethod;
use commerce_core::{CheckoutRequest, Currency};
use serde::Deserialize;

use crate::api::accounts::AddressInput;
use crate::api::{Access, Api, Method, Operation, Shared};
use crate::auth::Authenticated;
use crate::extract::{ApiJson, ApiResult, idempotency_key, json};
use crate::middleware::ClientIdentity;

/// The carts' operations.
#[rustfmt::skip]
pub(crate) fn api() -> Api {
    use Access::{Anyone, CartHolder};
    use Method::{Delete, Get, Patch, Post, Put};
    Api::new()
        .at(Operation::new(Post, "/v1/carts", "Creates a cart: the signed-in customer's, or a guest cart whose id is the token that opens it.", Anyone).body("NewCart").returns(201, "StoredCart"), create_cart)
        .at(Operation::new(Get, "/v1/carts/{cart}", "A cart.", CartHolder).returns(200, "StoredCart"), get_cart)
        .at(Operation::new(Post, "/v1/carts/{cart}/lines", "Adds units of a SKU at the catalog's price.", CartHolder).body("NewLine").returns(200, "StoredCart"), add_line)
        .at(Operation::new(Patch, "/v1/carts/{cart}/lines/{line}", "Sets a line's quantity.", CartHolder).body("Quantity").returns(200, "StoredCart"), set_quantity)
        .at(Operation::new(Delete, "/v1/carts/{cart}/lines/{line}", "Removes a line.", CartHolder).returns(200, "StoredCart"), remove_line)
        .at(Operation::new(Post, "/v1/carts/{cart}/coupons", "Enters a coupon code.", CartHolder).body("Coupon").returns(200, "StoredCart"), apply_coupon)
        .at(Operation::new(Delete, "/v1/carts/{cart}/coupons/{code}", "Removes a coupon code.", CartHolder).returns(200, "StoredCart"), remove_coupon)
        .at(Operation::new(Put, "/v1/carts/{cart}/shipping", "Sets the destination and shipping method.", CartHolder).body("Shipping").returns(200, "StoredCart"), set_shipping)
        .at(Operation::new(Get, "/v1/carts/{cart}/quote", "Prices the cart now.", CartHolder).returns(200, "Quote"), quote_cart)
        .at(Operation::new(Get, "/v1/carts/{cart}/shipping-options", "The shipping methods that serve the cart's destination, each priced for the cart.", CartHolder).returns(200, "ShippingOffers"), shipping_options)
        .at(Operation::new(Get, "/v1/carts/{cart}/pricing-request", "The pricing request the shop prices the cart with.", CartHolder).returns(200, "PricingRequest"), pricing_request)
        .at(Operation::new(Post, "/v1/carts/{cart}/checkout", "Reserves the stock, places the order and takes the payment.", CartHolder).body("Pay").returns(201, "Checkout").keyed().calls_gateway(), checkout)
        .at(Operation::new(Get, "/v1/carts/{cart}/order", "The order placed from the cart, with its payment: how a guest follows an order.", CartHolder).returns(200, "Checkout"), cart_order)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewCart {
    currency: Currency,
}

/// `POST /v1/carts`: a signed-in customer's own cart, or a guest cart.
pub(crate) async fn create_cart(
    auth: Authenticated,
    State(state): State<Shared>,
    ApiJson(body): ApiJson<NewCart>,
) -> ApiResult {
    let owner = auth.caller.customer_id().map(str::to_string);
    let cart = state.commerce.create_cart(body.currency, owner).await?;
    Ok(json(StatusCode::CREATED, &cart))
}

/// `GET /v1/carts/{cart}`.
pub(crate) async fn get_cart(
    auth: Authenticated,
    State(state): State<Shared>,
    Path(cart): Path<String>,
) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &state.commerce.cart(auth.caller.target(&cart)).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewLine {
    sku: String,
    quantity: u32,
    #[serde(default)]
    options: BTreeMap<String, String>,
}

/// `POST /v1/carts/{cart}/lines`.
pub(crate) async fn add_line(
    auth: Authenticated,
    State(state): State<Shared>,
    Path(cart): Path<String>,
    ApiJson(body): ApiJson<NewLine>,
) -> ApiResult {
    let cart = state
        .commerce
        .add_to_cart(
            auth.caller.target(&cart),
            &body.sku,
            body.quantity,
            body.options,
        )
        .await?;
    Ok(json(StatusCode::OK, &cart))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Quantity {
    quantity: u32,
}

/// `PATCH /v1/carts/{cart}/lines/{line}`.
pub(crate) async fn set_quantity(
    auth: Authenticated,
    State(state): State<Shared>,
    Path((cart, line)): Path<(String, String)>,
    ApiJson(body): ApiJson<Quantity>,
) -> ApiResult {
    let cart = state
        .commerce
        .set_cart_quantity(auth.caller.target(&cart), &line, body.quantity)
        .await?;
    Ok(json(StatusCode::OK, &cart))
}

/// `DELETE /v1/carts/{cart}/lines/{line}`.
pub(crate) async fn remove_line(
    auth: Authenticated,
    State(state): State<Shared>,
    Path((cart, line)): Path<(String, String)>,
) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &state
            .commerce
            .remove_cart_line(auth.caller.target(&cart), &line)
            .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Coupon {
    code: String,
}

/// `POST /v1/carts/{cart}/coupons`.
pub(crate) async fn apply_coupon(
    auth: Authenticated,
    State(state): State<Shared>,
    Path(cart): Path<String>,
    ApiJson(body): ApiJson<Coupon>,
) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &state
            .commerce
            .apply_coupon(auth.caller.target(&cart), &body.code)
            .await?,
    ))
}

/// `DELETE /v1/carts/{cart}/coupons/{code}`.
pub(crate) async fn remove_coupon(
    auth: Authenticated,
    State(state): State<Shared>,
    Path((cart, code)): Path<(String, String)>,
) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &state
            .commerce
            .remove_coupon(auth.caller.target(&cart), &code)
            .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Shipping {
    country: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    method: Option<String>,
}

/// `PUT /v1/carts/{cart}/shipping`: where the cart ships and how.
pub(crate) async fn set_shipping(
    auth: Authenticated,
    State(state): State<Shared>,
    Path(cart): Path<String>,
    ApiJson(body): ApiJson<Shipping>,
) -> ApiResult {
    let destination = Destination {
        country: body.country,
        region: body.region,
    };
    let cart = state
        .commerce
        .set_shipping(
            auth.caller.target(&cart),
            Some(destination),
            body.method.as_deref(),
        )
        .await?;
    Ok(json(StatusCode::OK, &cart))
}

/// `GET /v1/carts/{cart}/pricing-request`: the request the shop prices the cart with, for the
/// browser module to price it itself.
pub(crate) async fn pricing_request(
    auth: Authenticated,
    State(state): State<Shared>,
    Path(cart): Path<String>,
) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &state
            .commerce
            .pricing_request(auth.caller.target(&cart))
            .await?,
    ))
}

/// `GET /v1/carts/{cart}/quote`: the live quote.
pub(crate) async fn quote_cart(
    auth: Authenticated,
    State(state): State<Shared>,
    Path(cart): Path<String>,
) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &state.commerce.quote_cart(auth.caller.target(&cart)).await?,
    ))
}

/// `GET /v1/carts/{cart}/shipping-options`: what the cart can be shipped with, and for how much.
pub(crate) async fn shipping_options(
    auth: Authenticated,
    State(state): State<Shared>,
    Path(cart): Path<String>,
) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &state
            .commerce
            .shipping_offers(auth.caller.target(&cart))
            .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Pay {
    payment_method: String,
    #[serde(default)]
    capture_method: CaptureMethod,
    /// Where to write about the order; a signed-in customer's own address if left out.
    #[serde(default)]
    email: Option<String>,
    /// Where the order ships, which prices it; a signed-in customer may name an address of
    /// their book instead (`shipping_address_id`) or leave both out for their first one.
    #[serde(default)]
    shipping_address: Option<AddressInput>,
    #[serde(default)]
    shipping_address_id: Option<String>,
    /// Who pays, if not the shipping address (or `billing_address_id` from the book).
    #[serde(default)]
    billing_address: Option<AddressInput>,
    #[serde(default)]
    billing_address_id: Option<String>,
}

/// `POST /v1/carts/{cart}/checkout` (with `Idempotency-Key`): the order and its payment.
pub(crate) async fn checkout(
    auth: Authenticated,
    State(state): State<Shared>,
    Path(cart): Path<String>,
    headers: HeaderMap,
    client: Option<Extension<ClientIdentity>>,
    ApiJson(body): ApiJson<Pay>,
) -> ApiResult {
    let key = idempotency_key(&headers)?;
    let request = CheckoutRequest {
        // Keys are scoped to the cart: only who may open it can use them.
        idempotency_scope: format!("cart:{cart}"),
        cart_id: cart,
        payment_method: body.payment_method,
        capture_method: body.capture_method,
        idempotency_key: Some(key),
        contact: ContactRequest {
            email: body.email,
            shipping_address: body.shipping_address.map(|a| a.with_id(String::new())),
            shipping_address_id: body.shipping_address_id,
            billing_address: body.billing_address.map(|a| a.with_id(String::new())),
            billing_address_id: body.billing_address_id,
        },
    };
    let client = client.map(|Extension(ClientIdentity(address))| address);
    let checkout = state
        .commerce
        .checkout_as(&auth.caller, client.as_deref(), &request)
        .await?;
    Ok(json(StatusCode::CREATED, &checkout))
}

/// `GET /v1/carts/{cart}/order`: the order placed from the cart and its payment: how a guest,
/// who holds only the cart's token, follows their order.
pub(crate) async fn cart_order(
    auth: Authenticated,
    State(state): State<Shared>,
    Path(cart): Path<String>,
) -> ApiResult {
    let checkout = state
        .commerce
        .checkout_of_cart(auth.caller.target(&cart))
        .await?;
    Ok(json(StatusCode::OK, &checkout))
}
