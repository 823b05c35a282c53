//! Storage traits: what the [`Commerce`](crate::service::Commerce) service needs from a
//! database, and the atomicity each method promises.
//!
//! There are two kinds of writes:
//!
//! - **Single-record writes** (`put_product`, `put_customer`, `put_cart`, `adjust_stock`, ...),
//!   each atomic on its own.
//! - **The unit of work**, [`OrderStore::apply`]: a [`Changes`] value that reserves, commits or
//!   releases stock, inserts or updates orders and payment intents, records a gateway event id,
//!   appends domain events to the outbox and completes an idempotency key, **all or nothing**.
//!   Updates are compare-and-set on the record's `version`: if another writer changed the
//!   record since it was read, `apply` fails with [`conflict`](crate::ErrorKind::Conflict) and
//!   changes nothing, so two concurrent callers can never both succeed.
//!
//! Every implementation runs the same conformance suite (`commerce_core::testkit`, feature
//! `testkit`): the in-memory store here, SQLite and PostgreSQL in `commerce-sql`.

mod memory;

pub use memory::MemoryStore;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::cart::Cart;
use crate::catalog::{Category, Product, ProductStatus};
use crate::customer::Customer;
use crate::error::Result;
use crate::events::DomainEvent;
use crate::inventory::{Movement, Reservation, ReservationRequest, StockAdjustment, StockLevel};
use crate::money::RoundingMode;
use crate::order::{Order, OrderStatus};
use crate::payment::PaymentIntent;
use crate::pricing::{Promotion, ShippingMethod, TaxLevel, TaxRate};
use crate::time::Timestamp;

/// A page of results and the cursor of the next page, if any.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass as `after` to get the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

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

/// Which orders a listing returns: every filter that is set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderFilter {
    /// Only this customer's orders.
    pub customer_id: Option<String>,
    /// Only orders with this status.
    pub status: Option<OrderStatus>,
}

impl OrderFilter {
    /// Whether an order passes the filter: the definition every store implements.
    pub fn matches(&self, order: &Order) -> bool {
        self.customer_id
            .as_ref()
            .is_none_or(|c| order.customer_id.as_ref() == Some(c))
            && self.status.is_none_or(|s| s == order.status)
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
}

/// Customers.
#[async_trait]
pub trait CustomerStore: Send + Sync {
    /// Inserts or replaces a customer.
    ///
    /// # Errors
    ///
    /// [`duplicate_id`](crate::ErrorKind::DuplicateId) if another customer has the e-mail.
    async fn put_customer(&self, customer: &Customer) -> Result<()>;
    /// A customer by id.
    async fn customer(&self, id: &str) -> Result<Option<Customer>>;
    /// A customer by e-mail address (compared case-insensitively).
    async fn customer_by_email(&self, email: &str) -> Result<Option<Customer>>;
}

/// A cart as stored: the aggregate, its owner and a version for compare-and-set.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredCart {
    /// The cart's id.
    pub id: String,
    /// The customer, or `None` for a guest cart.
    pub customer_id: Option<String>,
    /// The shipping address's country and region, which pick tax rates and shipping.
    pub destination: Option<Destination>,
    /// The cart.
    pub cart: Cart,
    /// Incremented by every write.
    pub version: u64,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// Where an order ships: what tax zones and shipping methods are chosen by.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Destination {
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// Region, state or province code; empty if none.
    #[serde(default)]
    pub region: String,
}

/// Carts.
#[async_trait]
pub trait CartStore: Send + Sync {
    /// Inserts a cart (`expected_version` `None`: it must not exist) or updates it if its stored
    /// version is `expected_version` and no order was placed from it (a checked-out cart is
    /// frozen).
    ///
    /// # Errors
    ///
    /// [`conflict`](crate::ErrorKind::Conflict) if the version does not match, the cart was
    /// checked out, or (for an insert) the cart exists.
    async fn put_cart(&self, cart: &StoredCart, expected_version: Option<u64>) -> Result<()>;
    /// A cart by id.
    async fn cart(&self, id: &str) -> Result<Option<StoredCart>>;
}

/// Stock levels, reservations and the movement ledger.
#[async_trait]
pub trait InventoryStore: Send + Sync {
    /// Changes `on_hand` by `delta` (a delivery, a count) and, if given, the backorder flag;
    /// creates the stock level if needed. Writes an adjustment movement.
    ///
    /// # Errors
    ///
    /// [`insufficient_stock`](crate::ErrorKind::InsufficientStock) if `on_hand` would go below
    /// zero, or (without backorders) below what is reserved.
    async fn adjust_stock(
        &self,
        sku: &str,
        location: &str,
        delta: i64,
        allow_backorder: Option<bool>,
        now: Timestamp,
    ) -> Result<StockLevel>;
    /// The stock of a SKU at every location.
    async fn stock(&self, sku: &str) -> Result<Vec<StockLevel>>;
    /// A reservation by id.
    async fn reservation(&self, id: &str) -> Result<Option<Reservation>>;
    /// Moves a live reservation's expiry.
    ///
    /// # Errors
    ///
    /// [`not_found`](crate::ErrorKind::NotFound); [`reservation_expired`](crate::ErrorKind::ReservationExpired)
    /// if it already expired (it is then released); [`invalid_transition`](crate::ErrorKind::InvalidTransition)
    /// if it was committed or released.
    async fn extend_reservation(
        &self,
        id: &str,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<Reservation>;
    /// Releases every active reservation whose expiry is at or before `now`; returns how many.
    async fn expire_reservations(&self, now: Timestamp) -> Result<u64>;
    /// The ledger of a SKU, oldest first.
    async fn movements(&self, sku: &str) -> Result<Vec<Movement>>;
}

/// A record to insert (`expected_version` `None`) or to update if its stored version is
/// `expected_version`.
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned<T> {
    /// The new state (with its new version).
    pub value: T,
    /// The version read before the change, or `None` for an insert.
    pub expected_version: Option<u64>,
}

/// What completes an idempotency key: the response to replay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyCompletion {
    /// The key's scope (the caller, and the operation).
    pub scope: String,
    /// The key.
    pub key: String,
    /// The stored result, replayed verbatim.
    pub response: String,
}

/// One unit of work, applied all or nothing by [`OrderStore::apply`], in this order: stock
/// (reserve, then commit, then release, restock, adjust), orders, payment intents, the gateway event id, the
/// events, the idempotency key.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    /// The instant of the change.
    pub now: Timestamp,
    /// Stock to reserve (all or nothing; expired holds on the same SKUs are released first).
    pub reserve: Option<ReservationRequest>,
    /// A live reservation to turn into a sale.
    pub commit_reservation: Option<String>,
    /// A reservation to release (a no-op if it is no longer active).
    pub release_reservation: Option<String>,
    /// Units to put back on hand: `(sku, location, quantity)` (a cancelled sale, a return).
    pub restock: Vec<(String, String, i64)>,
    /// A change of stock on hand, refused with
    /// [`insufficient_stock`](crate::ErrorKind::InsufficientStock) as
    /// [`InventoryStore::adjust_stock`] refuses it. A unit that restocks cannot also adjust
    /// (`invalid_input`).
    pub adjustment: Option<StockAdjustment>,
    /// Orders to insert or compare-and-set.
    pub orders: Vec<Versioned<Order>>,
    /// Payment intents to insert or compare-and-set.
    pub intents: Vec<Versioned<PaymentIntent>>,
    /// A gateway event id to record; if it was recorded before, nothing is applied and the
    /// result is [`Applied::DuplicateGatewayEvent`].
    pub gateway_event_id: Option<String>,
    /// Events to append to the outbox.
    pub events: Vec<DomainEvent>,
    /// An idempotency key to complete with its response.
    pub idempotency: Option<IdempotencyCompletion>,
}

/// What [`OrderStore::apply`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// Everything was applied.
    Done,
    /// The gateway event had been applied before; nothing was changed.
    DuplicateGatewayEvent,
}

/// Orders and payment intents, and the unit of work.
#[async_trait]
pub trait OrderStore: Send + Sync {
    /// Applies a unit of work, all or nothing.
    ///
    /// # Errors
    ///
    /// [`insufficient_stock`](crate::ErrorKind::InsufficientStock) if the reservation cannot be
    /// covered; [`reservation_expired`](crate::ErrorKind::ReservationExpired) if the reservation
    /// to commit has expired, swept or not (an unswept one is released in its own unit);
    /// [`conflict`](crate::ErrorKind::Conflict) if a version does not match, or an inserted
    /// record exists; [`not_found`](crate::ErrorKind::NotFound) for an unknown reservation.
    /// On any error nothing is changed.
    async fn apply(&self, changes: Changes) -> Result<Applied>;
    /// An order by id.
    async fn order(&self, id: &str) -> Result<Option<Order>>;
    /// The order placed from a cart, if any (at most one per cart).
    async fn order_for_cart(&self, cart_id: &str) -> Result<Option<Order>>;
    /// The orders that pass `filter`, newest first (ties by descending id), after the cursor
    /// `after` (an order id), at most `limit`.
    async fn orders(
        &self,
        filter: &OrderFilter,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<Order>>;
    /// A payment intent by id.
    async fn payment_intent(&self, id: &str) -> Result<Option<PaymentIntent>>;
}

/// What [`IdempotencyStore::begin_idempotent`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyBegin {
    /// The key is new (or its earlier attempt was abandoned): do the work, then complete it in
    /// the same unit of work.
    Started,
    /// The work was done before: here is its response.
    Replay(String),
}

/// How long an unfinished request holds its key before a retry may take it over: 60 seconds.
pub const IDEMPOTENCY_LOCK_MILLIS: i64 = 60_000;

/// How long completed idempotency keys are kept at least: 24 hours.
pub const IDEMPOTENCY_RETENTION_MILLIS: i64 = 24 * 60 * 60 * 1000;

/// Idempotency keys: scope, key, request fingerprint, stored result.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims a key for a request with the given fingerprint.
    ///
    /// # Errors
    ///
    /// [`idempotency_mismatch`](crate::ErrorKind::IdempotencyMismatch) if the key was used with
    /// another fingerprint; [`idempotency_in_flight`](crate::ErrorKind::IdempotencyInFlight) if
    /// a request with the key started less than [`IDEMPOTENCY_LOCK_MILLIS`] ago and has not
    /// finished.
    async fn begin_idempotent(
        &self,
        scope: &str,
        key: &str,
        fingerprint: &str,
        now: Timestamp,
    ) -> Result<IdempotencyBegin>;
    /// Gives up a started key whose work changed nothing, so that a retry can start afresh.
    async fn abandon_idempotent(&self, scope: &str, key: &str) -> Result<()>;
    /// Deletes completed keys created before `before`; returns how many.
    async fn purge_idempotency(&self, before: Timestamp) -> Result<u64>;
}

/// An API key as stored: its public id and a hash of its secret, never the secret itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    /// The public part of the key, by which it is found.
    pub id: String,
    /// What the key is for, as its creator named it.
    pub name: String,
    /// A hash of the secret part; the layer that issues keys chooses the hash and compares it.
    pub secret_hash: String,
    /// When the key was issued.
    pub created_at: Timestamp,
    /// When the key was revoked, if it was; a revoked key opens nothing.
    pub revoked_at: Option<Timestamp>,
}

/// A customer's signed-in session as stored: its public id and a hash of its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The public part of the session token, by which it is found.
    pub id: String,
    /// Whose session it is.
    pub customer_id: String,
    /// A hash of the secret part of the token.
    pub secret_hash: String,
    /// When the customer signed in.
    pub created_at: Timestamp,
    /// When the session ends by itself.
    pub expires_at: Timestamp,
    /// When the customer signed out (or the session was ended), if they did.
    pub revoked_at: Option<Timestamp>,
}

impl Session {
    /// Whether the session still opens its customer's account at `now`.
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

/// Credentials: admin API keys, customers' password hashes and sessions.
#[async_trait]
pub trait AccessStore: Send + Sync {
    /// Saves a new key.
    ///
    /// # Errors
    ///
    /// `duplicate_id` if a key with the id exists.
    async fn put_api_key(&self, key: &ApiKey) -> Result<()>;
    /// A key by id.
    async fn api_key(&self, id: &str) -> Result<Option<ApiKey>>;
    /// Every key, revoked ones included, by id.
    async fn api_keys(&self) -> Result<Vec<ApiKey>>;
    /// Revokes a key (a second revocation keeps the first time).
    ///
    /// # Errors
    ///
    /// `not_found` for an unknown id.
    async fn revoke_api_key(&self, id: &str, now: Timestamp) -> Result<()>;
    /// Creates a customer together with their password hash, both or neither.
    ///
    /// # Errors
    ///
    /// [`duplicate_id`](crate::ErrorKind::DuplicateId) if the customer id or the e-mail address
    /// (compared case-insensitively) is taken.
    async fn create_account(&self, customer: &Customer, password_hash: &str) -> Result<()>;
    /// A customer's password hash, if they have an account.
    async fn password_hash(&self, customer_id: &str) -> Result<Option<String>>;
    /// Replaces a customer's password hash.
    ///
    /// # Errors
    ///
    /// `not_found` if the customer has no account.
    async fn set_password_hash(&self, customer_id: &str, password_hash: &str) -> Result<()>;
    /// Saves a new session.
    ///
    /// # Errors
    ///
    /// `duplicate_id` if a session with the id exists.
    async fn put_session(&self, session: &Session) -> Result<()>;
    /// A session by id, live or not.
    async fn session(&self, id: &str) -> Result<Option<Session>>;
    /// Ends a session (a second time keeps the first instant); unknown ids are a no-op.
    async fn revoke_session(&self, id: &str, now: Timestamp) -> Result<()>;
    /// Ends every live session of a customer; returns how many.
    async fn revoke_sessions_of(&self, customer_id: &str, now: Timestamp) -> Result<u64>;
    /// Deletes sessions that expired or were ended before `before`; returns how many.
    async fn purge_sessions(&self, before: Timestamp) -> Result<u64>;
}

/// An event claimed from the outbox, with how many times it has been claimed (this one
/// included), for backoff.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedEvent {
    /// The event.
    pub event: DomainEvent,
    /// How many times it has been claimed, this time included.
    pub attempts: u32,
}

/// The transactional outbox: events written by [`OrderStore::apply`], delivered at least once.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Claims up to `limit` undelivered events whose lease has run out, in the order they were
    /// written, and leases them until `lease_until`. An event whose transaction committed late
    /// is still claimed: claiming looks at delivery state, never at a high-water mark.
    async fn claim_events(
        &self,
        limit: usize,
        lease_until: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<ClaimedEvent>>;
    /// Marks events delivered.
    async fn ack_events(&self, ids: &[String]) -> Result<()>;
    /// Leaves undelivered events alone until `not_before` (a failed delivery's backoff).
    async fn retry_events(&self, ids: &[String], not_before: Timestamp) -> Result<()>;
}

/// The shop's pricing settings: tax zones, promotions, shipping methods.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShopConfig {
    /// Whether catalog prices include tax.
    #[serde(default)]
    pub prices_include_tax: bool,
    /// Where tax is rounded.
    #[serde(default)]
    pub tax_level: TaxLevel,
    /// The rounding mode.
    #[serde(default)]
    pub rounding_mode: RoundingMode,
    /// Tax rates by destination.
    #[serde(default)]
    pub tax_zones: Vec<TaxZone>,
    /// Promotions.
    #[serde(default)]
    pub promotions: Vec<Promotion>,
    /// Shipping methods and where they ship.
    #[serde(default)]
    pub shipping_methods: Vec<ShippingOption>,
    /// A reservation that leaves a SKU with this many units available or fewer emits a
    /// `stock_low` event (default 0: when it runs out).
    #[serde(default)]
    pub low_stock_threshold: i64,
    /// Incremented by every write.
    #[serde(default)]
    pub version: u64,
}

impl ShopConfig {
    /// Checks the settings as quotes will use them: unique promotion ids and valid promotions,
    /// one zone per code and valid rates, unique and valid shipping methods.
    ///
    /// # Errors
    ///
    /// [`duplicate_id`](crate::ErrorKind::DuplicateId) or the validation errors of each part,
    /// naming the field (`promotions[2].benefit.percentage_off.percent`).
    ///
    /// # Example
    ///
    /// ```
    /// use commerce_core::store::{ShopConfig, TaxZone};
    ///
    /// let mut config = ShopConfig::default();
    /// config.tax_zones.push(TaxZone { country: "usa".into(), region: String::new(), rates: vec![] });
    /// assert_eq!(config.validate().unwrap_err().field(), Some("tax_zones[0].country"));
    /// ```
    pub fn validate(&self) -> Result<()> {
        for (i, promotion) in self.promotions.iter().enumerate() {
            let at = |e: crate::Error| e.at(format_args!("[{i}]")).at("promotions");
            if self.promotions[..i].iter().any(|p| p.id == promotion.id) {
                return Err(at(crate::Error::duplicate_id(&*promotion.id).at("id")));
            }
            promotion.validate().map_err(at)?;
        }
        for (i, zone) in self.tax_zones.iter().enumerate() {
            let at = |e: crate::Error| e.at(format_args!("[{i}]")).at("tax_zones");
            zone.validate().map_err(at)?;
            if self.tax_zones[..i].iter().any(|z| z.code() == zone.code()) {
                return Err(at(crate::Error::duplicate_id(zone.code()).at("country")));
            }
        }
        for (i, option) in self.shipping_methods.iter().enumerate() {
            let at = |e: crate::Error| e.at(format_args!("[{i}]")).at("shipping_methods");
            if self.shipping_methods[..i]
                .iter()
                .any(|o| o.method.id == option.method.id)
            {
                return Err(at(
                    crate::Error::duplicate_id(&*option.method.id).at("method.id")
                ));
            }
            option.validate().map_err(at)?;
        }
        Ok(())
    }
}

fn is_country_code(code: &str) -> bool {
    code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase())
}

fn country_error() -> crate::Error {
    crate::Error::invalid("a two-letter upper-case ISO 3166-1 country code such as US")
}

/// The tax rates of a destination. A zone matches a country (and region, if it names one); the
/// most specific matching zone wins; a zone with country `"*"` matches everywhere.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxZone {
    /// ISO country code, or `"*"`.
    pub country: String,
    /// Region code; empty for the whole country.
    #[serde(default)]
    pub region: String,
    /// The rates.
    pub rates: Vec<TaxRate>,
}

impl TaxZone {
    /// The zone's code: the country (`"US"`), the ISO 3166-2 subdivision (`"US-CA"`), or `"*"`
    /// for everywhere.
    ///
    /// # Example
    ///
    /// ```
    /// use commerce_core::store::TaxZone;
    ///
    /// let zone = TaxZone::from_code("US-CA", vec![]).expect("a zone code");
    /// assert_eq!((zone.country.as_str(), zone.region.as_str()), ("US", "CA"));
    /// assert_eq!(zone.code(), "US-CA");
    /// assert!(TaxZone::from_code("us-ca", vec![]).is_err());
    /// ```
    pub fn code(&self) -> String {
        if self.region.is_empty() {
            self.country.clone()
        } else {
            format!("{}-{}", self.country, self.region)
        }
    }

    /// The zone a code names, with `rates`.
    ///
    /// # Errors
    ///
    /// `invalid_input` for a code that is not `"*"`, a country or a subdivision.
    pub fn from_code(code: &str, rates: Vec<TaxRate>) -> Result<TaxZone> {
        let (country, region) = code.split_once('-').unwrap_or((code, ""));
        let zone = TaxZone {
            country: country.to_string(),
            region: region.to_string(),
            rates,
        };
        zone.validate()?;
        Ok(zone)
    }

    /// Whether the zone applies to a destination.
    pub fn matches(&self, country: &str, region: &str) -> bool {
        self.country == "*"
            || (self.country == country && (self.region.is_empty() || self.region == region))
    }

    /// Checks the zone: `"*"` or a country code, an optional region of one to three upper-case
    /// letters or digits (not with `"*"`), and valid rates.
    ///
    /// # Errors
    ///
    /// `invalid_input` naming the field, or the rates' errors.
    pub fn validate(&self) -> Result<()> {
        if self.country != "*" && !is_country_code(&self.country) {
            return Err(country_error().at("country"));
        }
        let region_ok = self.region.is_empty()
            || (self.country != "*"
                && self.region.len() <= 3
                && self
                    .region
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
        if !region_ok {
            return Err(crate::Error::invalid(
                "a region is one to three upper-case letters or digits, as in ISO 3166-2 (CA for US-CA)",
            )
            .at("region"));
        }
        crate::pricing::check_tax_rates(&self.rates).map_err(|e| {
            // The rates' own errors say `tax_rates[...]`; here they are the zone's `rates`.
            let inner = e.field().and_then(|f| f.strip_prefix("tax_rates"));
            match inner.map(|inner| format!("rates{inner}")) {
                Some(field) => e.in_field(field),
                None => e,
            }
        })
    }
}

/// A shipping method and the countries it serves (empty: everywhere).
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShippingOption {
    /// The method.
    pub method: ShippingMethod,
    /// ISO country codes; empty for everywhere.
    #[serde(default)]
    pub countries: Vec<String>,
}

impl ShippingOption {
    /// Checks the method and the country codes.
    ///
    /// # Errors
    ///
    /// As [`ShippingMethod::validate`] (at `method`); `invalid_input` at `countries[i]`.
    pub fn validate(&self) -> Result<()> {
        self.method.validate().map_err(|e| e.at("method"))?;
        for (c, country) in self.countries.iter().enumerate() {
            if !is_country_code(country) {
                return Err(country_error().at(format_args!("countries[{c}]")));
            }
        }
        Ok(())
    }

    /// Whether the method ships to a country.
    pub fn serves(&self, country: &str) -> bool {
        self.countries.is_empty() || self.countries.iter().any(|c| c == country)
    }
}

/// The shop's settings.
#[async_trait]
pub trait ConfigStore: Send + Sync {
    /// The current settings (defaults if none were stored).
    async fn config(&self) -> Result<ShopConfig>;
    /// Replaces the settings if the stored version is `expected_version`.
    ///
    /// # Errors
    ///
    /// [`conflict`](crate::ErrorKind::Conflict).
    async fn put_config(&self, config: &ShopConfig, expected_version: u64) -> Result<()>;
}

/// Everything the service needs, in one trait object.
pub trait Store:
    AccessStore
    + CatalogStore
    + CustomerStore
    + CartStore
    + InventoryStore
    + OrderStore
    + IdempotencyStore
    + OutboxStore
    + ConfigStore
{
}

impl<T> Store for T where
    T: AccessStore
        + CatalogStore
        + CustomerStore
        + CartStore
        + InventoryStore
        + OrderStore
        + IdempotencyStore
        + OutboxStore
        + ConfigStore
{
}
