//! Customer accounts: register, sign in and out, the profile, the password, the address book.
//! A customer reaches only their own account (`/v1/customers/me`); admins reach any.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use commerce_core::customer::{Address, check_password};
use commerce_core::service::CustomerUpdate;
use commerce_core::{Error, Timestamp};
use serde::{Deserialize, Serialize};

use crate::api::{Access, Api, AppState, Method, Operation, Shared};
use crate::auth::{Admin, SignedIn, hash_password, new_session, verify_password};
use crate::extract::{ApiJson, ApiResult, json};
use crate::middleware::AccountAttempts;
use crate::problem::Problem;

/// The accounts' operations.
#[rustfmt::skip]
pub(crate) fn api() -> Api {
    use Access::{Admin, Customer, Public};
    use Method::{Delete, Get, Patch, Post, Put};
    Api::new()
        .at(Operation::new(Post, "/v1/customers", "Registers a customer (password: 8 to 256 characters) and signs them in.", Public).body("Registration").returns(201, "SessionToken"), register)
        .at(Operation::new(Post, "/v1/sessions", "Signs a customer in: a session token for `Authorization: Bearer`.", Public).body("SignIn").returns(201, "SessionToken"), sign_in)
        .at(Operation::new(Delete, "/v1/sessions/current", "Signs out: the session's token stops working.", Customer).no_content(), sign_out)
        .at(Operation::new(Get, "/v1/customers/me", "The signed-in customer.", Customer).returns(200, "Customer"), me)
        .at(Operation::new(Patch, "/v1/customers/me", "Changes the signed-in customer's name.", Customer).body("Profile").returns(200, "Customer"), update_me)
        .at(Operation::new(Put, "/v1/customers/me/password", "Changes the password, ends every session and starts a new one.", Customer).body("PasswordChange").returns(200, "SessionToken"), change_password)
        .at(Operation::new(Get, "/v1/customers/me/addresses", "The address book.", Customer).returns(200, "Addresses"), addresses)
        .at(Operation::new(Post, "/v1/customers/me/addresses", "Adds an address.", Customer).body("AddressInput").returns(201, "Address"), add_address)
        .at(Operation::new(Put, "/v1/customers/me/addresses/{id}", "Replaces an address.", Customer).body("AddressInput").returns(200, "Address"), replace_address)
        .at(Operation::new(Delete, "/v1/customers/me/addresses/{id}", "Removes an address.", Customer).no_content(), remove_address)
        .at(Operation::new(Get, "/v1/customers/{id}", "A customer.", Admin).returns(200, "Customer"), get_customer)
        .at(Operation::new(Patch, "/v1/customers/{id}", "Changes a customer's name or group.", Admin).body("CustomerChange").returns(200, "Customer"), update_customer)
}

/// A session token, given once: send it as `Authorization: Bearer cs_…`.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SessionToken {
    /// The token.
    token: String,
    /// The customer it opens.
    customer_id: String,
    /// When it stops working by itself.
    expires_at: Timestamp,
}

async fn session_for(state: &AppState, customer_id: &str) -> ApiResult<SessionToken> {
    let (token, session) = new_session(&state.commerce, customer_id).await?;
    Ok(SessionToken {
        token,
        customer_id: session.customer_id,
        expires_at: session.expires_at,
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Registration {
    email: String,
    #[serde(default)]
    name: String,
    password: String,
}

/// `POST /v1/customers`: registers a customer and signs them in.
pub(crate) async fn register(
    State(state): State<Shared>,
    ApiJson(body): ApiJson<Registration>,
) -> ApiResult {
    check_password(&body.password)?;
    let hash = hash_password(body.password).await?;
    let customer = state
        .commerce
        .register(&body.email, &body.name, &hash)
        .await?;
    Ok(json(
        StatusCode::CREATED,
        &session_for(&state, &customer.id).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignIn {
    email: String,
    password: String,
}

/// `POST /v1/sessions`: signs a customer in with their e-mail address and password.
pub(crate) async fn sign_in(
    State(state): State<Shared>,
    attempts: Option<Extension<Arc<AccountAttempts>>>,
    ApiJson(body): ApiJson<SignIn>,
) -> ApiResult {
    if let Some(Extension(attempts)) = attempts {
        attempts.attempt(&body.email)?;
    }
    // A bound in bytes (at most four per character), so that no huge body is ever hashed.
    if body.password.len() > 4 * commerce_core::customer::MAX_PASSWORD_CHARS {
        return Err(Problem::invalid_request("the password is too long"));
    }
    let account = state.commerce.account_by_email(&body.email).await?;
    let (customer, stored) = match account {
        Some((customer, hash)) => (Some(customer), Some(hash)),
        None => (None, None),
    };
    if !verify_password(body.password, stored).await {
        return Err(Problem::unauthorized(
            "the e-mail address or the password is wrong",
        ));
    }
    let customer = customer.ok_or_else(|| Error::storage("a verified account vanished"))?;
    Ok(json(
        StatusCode::CREATED,
        &session_for(&state, &customer.id).await?,
    ))
}

/// `DELETE /v1/sessions/current`: signs out; the token stops working at once.
pub(crate) async fn sign_out(signed_in: SignedIn, State(state): State<Shared>) -> ApiResult {
    state.commerce.end_session(&signed_in.session_id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /v1/customers/me`.
pub(crate) async fn me(signed_in: SignedIn, State(state): State<Shared>) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &state.commerce.customer(&signed_in.customer_id).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Profile {
    #[serde(default)]
    name: Option<String>,
}

/// `PATCH /v1/customers/me`: changes the customer's name.
pub(crate) async fn update_me(
    signed_in: SignedIn,
    State(state): State<Shared>,
    ApiJson(body): ApiJson<Profile>,
) -> ApiResult {
    let update = CustomerUpdate {
        name: body.name,
        group: None,
    };
    Ok(json(
        StatusCode::OK,
        &state
            .commerce
            .update_customer(&signed_in.customer_id, update)
            .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordChange {
    current_password: String,
    new_password: String,
}

/// `PUT /v1/customers/me/password`: changes the password, ends every session of the customer
/// (signed in elsewhere too) and returns a new one.
pub(crate) async fn change_password(
    signed_in: SignedIn,
    State(state): State<Shared>,
    ApiJson(body): ApiJson<PasswordChange>,
) -> ApiResult {
    check_password(&body.new_password).map_err(|e| e.in_field("new_password"))?;
    let stored = state.commerce.password_hash(&signed_in.customer_id).await?;
    if !verify_password(body.current_password, stored).await {
        return Err(Problem::from(
            Error::invalid("the current password is wrong").at("current_password"),
        ));
    }
    let hash = hash_password(body.new_password).await?;
    state
        .commerce
        .change_password_hash(&signed_in.customer_id, &hash)
        .await?;
    Ok(json(
        StatusCode::OK,
        &session_for(&state, &signed_in.customer_id).await?,
    ))
}

/// An address as a client sends it: the server gives it its id.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AddressInput {
    name: String,
    line1: String,
    #[serde(default)]
    line2: String,
    city: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    postal_code: String,
    country: String,
    #[serde(default)]
    phone: String,
}

impl AddressInput {
    pub(crate) fn with_id(self, id: String) -> Address {
        Address {
            id,
            name: self.name,
            line1: self.line1,
            line2: self.line2,
            city: self.city,
            region: self.region,
            postal_code: self.postal_code,
            country: self.country,
            phone: self.phone,
        }
    }
}

/// `GET /v1/customers/me/addresses`.
pub(crate) async fn addresses(signed_in: SignedIn, State(state): State<Shared>) -> ApiResult {
    let customer = state.commerce.customer(&signed_in.customer_id).await?;
    Ok(json(StatusCode::OK, &customer.addresses))
}

/// `POST /v1/customers/me/addresses`: adds an address to the book.
pub(crate) async fn add_address(
    signed_in: SignedIn,
    State(state): State<Shared>,
    ApiJson(body): ApiJson<AddressInput>,
) -> ApiResult {
    let address = state
        .commerce
        .add_address(&signed_in.customer_id, body.with_id(String::new()))
        .await?;
    Ok(json(StatusCode::CREATED, &address))
}

/// `PUT /v1/customers/me/addresses/{id}`: replaces an address in the book.
pub(crate) async fn replace_address(
    signed_in: SignedIn,
    State(state): State<Shared>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AddressInput>,
) -> ApiResult {
    let address = state
        .commerce
        .replace_address(&signed_in.customer_id, body.with_id(id))
        .await?;
    Ok(json(StatusCode::OK, &address))
}

/// `DELETE /v1/customers/me/addresses/{id}`.
pub(crate) async fn remove_address(
    signed_in: SignedIn,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult {
    state
        .commerce
        .remove_address(&signed_in.customer_id, &id)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /v1/customers/{id}`: any customer, for admins.
pub(crate) async fn get_customer(
    _admin: Admin,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(json(StatusCode::OK, &state.commerce.customer(&id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CustomerChange {
    #[serde(default)]
    name: Option<String>,
    /// A customer group, or `null` to remove it; absent leaves it as it is.
    #[serde(default, with = "present_or_absent")]
    #[schema(value_type = Option<String>)]
    group: Option<Option<String>>,
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
mod present_or_absent {
    use serde::{Deserialize, Deserializer};

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Option<String>>, D::Error> {
        Option::<String>::deserialize(deserializer).map(Some)
    }
}

/// `PATCH /v1/customers/{id}`: an admin changes a customer's name or group.
pub(crate) async fn update_customer(
    _admin: Admin,
    State(state): State<Shared>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CustomerChange>,
) -> ApiResult {
    let update = CustomerUpdate {
        name: body.name,
        group: body.group,
    };
    Ok(json(
        StatusCode::OK,
        &state.commerce.update_customer(&id, update).await?,
    ))
}
