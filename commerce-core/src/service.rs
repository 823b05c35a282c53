//! The `Commerce` service: catalog administration, carts, checkout, payments and fulfilment
//! over any [`Store`], [`PaymentGateway`], [`Clock`] and [`IdGenerator`].
//!
//! **Checkout** is a saga of units of work, each all or nothing in the store:
//!
//! 1. *place*: quote the cart from catalog prices, reserve its stock, create the order
//!    (pending payment) and its payment intent, and write `order_placed` and `stock_reserved`;
//! 2. *confirm*: ask the gateway to authorize, with an idempotency key derived from the intent,
//!    so that a retried call never charges twice;
//! 3. *finish*: on authorization, commit the reservation (the sale) and confirm the order; on a
//!    decline, release the stock and cancel the order (compensation); on "requires action" or
//!    "processing", wait for the gateway's event ([`Commerce::handle_gateway_event`]).
//!
//! A retry finds the order already placed for the cart and resumes where the saga stopped; a
//! second checkout of the same cart returns the same order. With an idempotency key, a replay
//! returns the stored outcome, a different request with the same key is
//! `idempotency_mismatch`, and one still running is `idempotency_in_flight`.
//!
//! Money moves (capture, refund) are recorded in the store (compare-and-set on the intent's
//! version) **before** the gateway is called, so two concurrent captures can never both pass
//! the bound check; if the gateway call then fails, the record is rolled back.

mod accounts;
mod settings;

pub use accounts::{CustomerUpdate, MAX_ADDRESSES};

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::access::Caller;
use crate::cart::{Cart, CartLimits, CatalogItem, PricingContext};
use crate::catalog::{Category, Product, ProductStatus};
use crate::customer::{Customer, DEFAULT_SESSION_TTL_MILLIS};
use crate::error::{Error, ErrorKind, Result};
use crate::events::{DomainEvent, EventKind};
use crate::gateway::{AuthorizeRequest, PaymentGateway};
use crate::inventory::{
    DEFAULT_LOCATION, DEFAULT_RESERVATION_TTL_MILLIS, ReservationRequest, ReservationStatus,
    StockAdjustment, StockLevel,
};
use crate::money::{Currency, Money};
use crate::order::{FulfillmentStatus, Order, OrderStatus};
use crate::payment::{CaptureMethod, GatewayEvent, GatewayOutcome, IntentStatus, PaymentIntent};
use crate::pricing::{CustomerContext, PricingRequest, Quote, quote};
use crate::store::{
    Applied, Changes, Destination, IDEMPOTENCY_RETENTION_MILLIS, IdempotencyBegin,
    IdempotencyCompletion, OrderFilter, Store, StoredCart, Versioned,
};
use crate::time::Timestamp;

/// A source of the current time. Injected so that expiry can be tested.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> Timestamp;
}

/// A clock that only moves when told to.
#[derive(Debug, Default)]
pub struct ManualClock {
    millis: AtomicI64,
}

impl ManualClock {
    /// A clock stopped at `now`.
    pub fn new(now: Timestamp) -> ManualClock {
        ManualClock {
            millis: AtomicI64::new(now.unix_millis()),
        }
    }

    /// Moves the clock forward.
    pub fn advance_millis(&self, millis: i64) {
        self.millis.fetch_add(millis, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_unix_millis(self.millis.load(Ordering::SeqCst))
    }
}

/// The system clock.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

#[cfg(not(target_arch = "wasm32"))]
impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        Timestamp::from_unix_millis(millis)
    }
}

/// A source of new ids.
pub trait IdGenerator: Send + Sync {
    /// A new id, unique within this generator's store, starting with `prefix` (`ord`, `pi`).
    fn next_id(&self, prefix: &str) -> String;
}

/// Ids `prefix_000001`, `prefix_000002`, ... : readable and deterministic, for tests, examples
/// and single-process embedded use. [`SequentialIds::prefixed`] adds an instance name, so that
/// several instances sharing one store never collide: `prefix_a_000001`.
#[derive(Debug, Default)]
pub struct SequentialIds {
    instance: String,
    next: AtomicU64,
}

impl SequentialIds {
    /// Sequential ids that carry `instance` after the prefix.
    pub fn prefixed(instance: &str) -> SequentialIds {
        SequentialIds {
            instance: format!("{instance}_"),
            next: AtomicU64::new(0),
        }
    }
}

impl IdGenerator for SequentialIds {
    fn next_id(&self, prefix: &str) -> String {
        let n = self.next.fetch_add(1, Ordering::SeqCst) + 1;
        format!("{prefix}_{}{n:06}", self.instance)
    }
}

/// What to check out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutRequest {
    /// The cart.
    pub cart_id: String,
    /// The payment method token.
    pub payment_method: String,
    /// When the money is taken.
    #[serde(default)]
    pub capture_method: CaptureMethod,
    /// The caller's idempotency key, if any.
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// Whose key it is (the HTTP layer passes the caller's identity); keys of different scopes
    /// never collide.
    #[serde(default)]
    pub idempotency_scope: String,
}

/// A caller's idempotency key for one operation: the same key and request do the work once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyKey {
    /// Whose key it is (the caller's identity); keys of different scopes never collide.
    pub scope: String,
    /// The key.
    pub key: String,
}

enum Claim {
    Replay(Box<Checkout>),
    Proceed(Option<IdempotencyCompletion>),
}

/// An order and its payment intent.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkout {
    /// The order.
    pub order: Order,
    /// Its payment intent.
    pub payment_intent: PaymentIntent,
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum StoredOutcome {
    Done { order_id: String, intent_id: String },
    Failed { error_code: String, message: String },
}

/// The commerce service. Cheap to clone; share it between threads and tasks.
#[derive(Clone)]
pub struct Commerce {
    store: Arc<dyn Store>,
    gateway: Arc<dyn PaymentGateway>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    reservation_ttl_millis: i64,
    idempotency_retention_millis: i64,
    session_ttl_millis: i64,
    cart_limits: CartLimits,
}

/// How many times a compare-and-set write is retried after losing a race.
const CONFLICT_RETRIES: usize = 8;

impl Commerce {
    /// A service over the given store, gateway, clock and id generator.
    pub fn new(
        store: Arc<dyn Store>,
        gateway: Arc<dyn PaymentGateway>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Commerce {
        Commerce {
            store,
            gateway,
            clock,
            ids,
            reservation_ttl_millis: DEFAULT_RESERVATION_TTL_MILLIS,
            idempotency_retention_millis: IDEMPOTENCY_RETENTION_MILLIS,
            session_ttl_millis: DEFAULT_SESSION_TTL_MILLIS,
            cart_limits: CartLimits::default(),
        }
    }

    /// Sets how long checkout holds stock (default 15 minutes).
    #[must_use]
    pub fn with_reservation_ttl_millis(mut self, millis: i64) -> Commerce {
        self.reservation_ttl_millis = millis;
        self
    }

    /// Sets how long idempotency keys are kept after they were first used (default and minimum
    /// 24 hours: a client may retry for at least that long).
    #[must_use]
    pub fn with_idempotency_retention_millis(mut self, millis: i64) -> Commerce {
        self.idempotency_retention_millis = millis.max(IDEMPOTENCY_RETENTION_MILLIS);
        self
    }

    /// Sets how long a customer stays signed in (default 30 days).
    #[must_use]
    pub fn with_session_ttl_millis(mut self, millis: i64) -> Commerce {
        self.session_ttl_millis = millis;
        self
    }

    /// Sets the limits of new carts.
    #[must_use]
    pub fn with_cart_limits(mut self, limits: CartLimits) -> Commerce {
        self.cart_limits = limits;
        self
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The current time, by the injected clock.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    // ------------------------------------------------------------------ catalog and settings

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

    /// Validates and saves a customer.
    ///
    /// # Errors
    ///
    /// As [`Customer::validate`]; `duplicate_id` if another customer has the e-mail.
    pub async fn put_customer(&self, customer: Customer) -> Result<Customer> {
        customer.validate()?;
        self.store.put_customer(&customer).await?;
        Ok(customer)
    }

    // ------------------------------------------------------------------ carts

    /// Creates an empty cart.
    ///
    /// # Errors
    ///
    /// Storage errors only.
    pub async fn create_cart(
        &self,
        currency: Currency,
        customer_id: Option<String>,
    ) -> Result<StoredCart> {
        let cart = StoredCart {
            id: self.ids.next_id("cart"),
            customer_id,
            destination: None,
            cart: Cart::with_limits(currency, self.cart_limits),
            version: 1,
            updated_at: self.now(),
        };
        self.store.put_cart(&cart, None).await?;
        Ok(cart)
    }

    /// A cart.
    ///
    /// # Errors
    ///
    /// `not_found`.
    pub async fn cart(&self, id: &str) -> Result<StoredCart> {
        self.store
            .cart(id)
            .await?
            .ok_or_else(|| Error::not_found("cart", id))
    }

    /// A cart, if `caller` may open it ([`Caller::may_open_cart`]): otherwise `not_found`, as if
    /// it did not exist.
    ///
    /// # Errors
    ///
    /// `not_found`.
    pub async fn open_cart(&self, caller: &Caller, id: &str) -> Result<StoredCart> {
        let cart = self.cart(id).await?;
        if !caller.may_open_cart(&cart) {
            return Err(Error::not_found("cart", id));
        }
        Ok(cart)
    }

    /// Reads a cart (or starts from `read`, a copy just read), changes it and writes it back,
    /// retrying if another writer got there first. The store refuses to write a cart that was
    /// checked out; only then is its order looked for, to say so.
    async fn update_cart(
        &self,
        id: &str,
        read: Option<StoredCart>,
        change: impl Fn(&mut StoredCart) -> Result<()> + Send + Sync,
    ) -> Result<StoredCart> {
        let mut read = read;
        for _ in 0..CONFLICT_RETRIES {
            let mut cart = match read.take() {
                Some(cart) => cart,
                None => self.cart(id).await?,
            };
            let expected = cart.version;
            change(&mut cart)?;
            cart.version = expected + 1;
            cart.updated_at = self.now();
            match self.store.put_cart(&cart, Some(expected)).await {
                Err(err) if err.is_conflict() => {
                    if self.store.order_for_cart(id).await?.is_some() {
                        return Err(Error::invalid(format!(
                            "cart `{id}` was checked out and can no longer change"
                        )));
                    }
                    continue;
                }
                other => return other.map(|()| cart),
            }
        }
        Err(Error::conflict("cart", id))
    }

    /// Adds `quantity` units of a SKU, at the catalog's price (never the caller's).
    ///
    /// # Errors
    ///
    /// `unknown_sku` if the catalog does not sell it in the cart's currency; cart limits.
    pub async fn add_to_cart(
        &self,
        cart_id: &str,
        sku: &str,
        quantity: u32,
        options: BTreeMap<String, String>,
    ) -> Result<StoredCart> {
        let cart = self.cart(cart_id).await?;
        self.add_to_opened_cart(cart, sku, quantity, options).await
    }

    /// As [`Commerce::add_to_cart`], on a cart just read (by [`Commerce::open_cart`], say),
    /// which saves reading it again; a cart changed since is read afresh.
    ///
    /// # Errors
    ///
    /// As [`Commerce::add_to_cart`].
    pub async fn add_to_opened_cart(
        &self,
        cart: StoredCart,
        sku: &str,
        quantity: u32,
        options: BTreeMap<String, String>,
    ) -> Result<StoredCart> {
        let item = self
            .sellable_item(sku, cart.cart.currency())
            .await?
            .ok_or_else(|| {
                Error::new(ErrorKind::UnknownSku {
                    sku: sku.to_string(),
                })
            })?;
        let id = cart.id.clone();
        self.update_cart(&id, Some(cart), |c| {
            c.cart
                .add_item(&item, options.clone(), quantity)
                .map(|_| ())
        })
        .await
    }

    /// Sets a cart line's quantity.
    ///
    /// # Errors
    ///
    /// `line_not_found`, `quantity_out_of_range`.
    pub async fn set_cart_quantity(
        &self,
        cart_id: &str,
        line_id: &str,
        quantity: u32,
    ) -> Result<StoredCart> {
        self.update_cart(cart_id, None, |c| c.cart.set_quantity(line_id, quantity))
            .await
    }

    /// Removes a cart line.
    ///
    /// # Errors
    ///
    /// `line_not_found`.
    pub async fn remove_cart_line(&self, cart_id: &str, line_id: &str) -> Result<StoredCart> {
        self.update_cart(cart_id, None, |c| c.cart.remove_line(line_id).map(|_| ()))
            .await
    }

    /// Enters a coupon code.
    ///
    /// # Errors
    ///
    /// As [`Cart::apply_coupon`].
    pub async fn apply_coupon(&self, cart_id: &str, code: &str) -> Result<StoredCart> {
        self.update_cart(cart_id, None, |c| c.cart.apply_coupon(code))
            .await
    }

    /// Removes a coupon code.
    ///
    /// # Errors
    ///
    /// `not_found` for an unknown cart.
    pub async fn remove_coupon(&self, cart_id: &str, code: &str) -> Result<StoredCart> {
        self.update_cart(cart_id, None, |c| {
            c.cart.remove_coupon(code);
            Ok(())
        })
        .await
    }

    /// Sets where the cart ships and how.
    ///
    /// # Errors
    ///
    /// `not_found` for an unknown cart.
    pub async fn set_shipping(
        &self,
        cart_id: &str,
        destination: Option<Destination>,
        method: Option<&str>,
    ) -> Result<StoredCart> {
        self.update_cart(cart_id, None, |c| {
            c.destination = destination.clone();
            c.cart.set_shipping_method(method);
            Ok(())
        })
        .await
    }

    async fn sellable_item(&self, sku: &str, currency: Currency) -> Result<Option<CatalogItem>> {
        let product = self.store.product_by_sku(sku).await?;
        Ok(product
            .filter(|p| p.status == ProductStatus::Active)
            .and_then(|p| p.catalog_item(sku, currency, None)))
    }

    /// Prices a cart now, with the catalog's current prices and the shop's settings.
    ///
    /// # Errors
    ///
    /// `not_found`; `unknown_sku` if a SKU is no longer sold; pricing errors.
    pub async fn quote_cart(&self, cart_id: &str) -> Result<Quote<'static>> {
        let cart = self.cart(cart_id).await?;
        self.price(&cart).await
    }

    async fn price(&self, stored: &StoredCart) -> Result<Quote<'static>> {
        let request = self.request_for(stored).await?;
        Ok(quote(&request)?.into_owned())
    }

    /// The exact pricing request the shop prices a cart with, for a client to price it itself
    /// (the browser module): the same request gives the same quote everywhere. Promotions that
    /// need a coupon code the cart has not entered are left out, so that no unentered code is
    /// revealed; they could not apply, so the totals are the same.
    ///
    /// # Errors
    ///
    /// As [`Commerce::quote_cart`].
    pub async fn pricing_request(&self, cart_id: &str) -> Result<PricingRequest> {
        let stored = self.cart(cart_id).await?;
        let mut request = self.request_for(&stored).await?;
        let entered = &request.coupon_codes;
        request.promotions.retain(|p| {
            p.coupon_codes.is_empty()
                || p.coupon_codes.iter().any(|code| {
                    let code = crate::pricing::normalize_coupon_code(code);
                    entered.contains(&code)
                })
        });
        Ok(request)
    }

    async fn request_for(&self, stored: &StoredCart) -> Result<PricingRequest> {
        let currency = stored.cart.currency();
        let mut items = Vec::with_capacity(stored.cart.lines().len());
        for line in stored.cart.lines() {
            if let Some(item) = self.sellable_item(&line.sku, currency).await? {
                items.push(item);
            }
        }
        let config = self.store.config().await?;
        let customer = match &stored.customer_id {
            Some(id) => {
                let group = self.store.customer(id).await?.and_then(|c| c.group);
                let filter = OrderFilter {
                    customer_id: Some(id.clone()),
                    status: None,
                };
                let previous = self.store.orders(&filter, None, 1).await?;
                CustomerContext {
                    group: group.as_deref().map(Arc::from),
                    previous_orders: u32::from(!previous.items.is_empty()),
                }
            }
            None => CustomerContext::default(),
        };
        let (country, region) = stored
            .destination
            .as_ref()
            .map_or(("", ""), |d| (d.country.as_str(), d.region.as_str()));
        let zone = config
            .tax_zones
            .iter()
            .filter(|z| z.matches(country, region))
            .max_by_key(|z| (z.country != "*", !z.region.is_empty()));
        let context = PricingContext {
            now: self.now(),
            prices_include_tax: config.prices_include_tax,
            tax_level: config.tax_level,
            rounding_mode: config.rounding_mode,
            customer,
            price_lists: Vec::new(),
            tax_rates: zone.map(|z| z.rates.clone()).unwrap_or_default(),
            promotions: config.promotions.clone(),
            shipping_methods: config
                .shipping_methods
                .iter()
                .filter(|o| o.serves(country))
                .map(|o| o.method.clone())
                .collect(),
        };
        stored.cart.pricing_request(&items, context)
    }

    // ------------------------------------------------------------------ checkout

    /// Checks a cart out: see the module documentation for the saga.
    ///
    /// # Errors
    ///
    /// `insufficient_stock` (nothing was reserved or created); `payment_declined` (the order was
    /// cancelled and its stock released); `reservation_expired` (the hold ran out before the
    /// payment completed; the order was cancelled and the payment voided or refunded);
    /// idempotency errors; `backend_error` if the gateway could not be reached (retry with the
    /// same key to resume).
    pub async fn checkout(&self, request: &CheckoutRequest) -> Result<Checkout> {
        let scope = format!("checkout:{}", request.idempotency_scope);
        let fingerprint = format!(
            "{}|{}|{:?}",
            request.cart_id, request.payment_method, request.capture_method
        );
        let key = match &request.idempotency_key {
            Some(key) => {
                let begun = self
                    .store
                    .begin_idempotent(&scope, key, &fingerprint, self.now())
                    .await?;
                if let IdempotencyBegin::Replay(stored) = begun {
                    return self.replay(&stored).await;
                }
                Some(IdempotencyCompletion {
                    scope,
                    key: key.clone(),
                    response: String::new(),
                })
            }
            None => None,
        };
        let result = self.checkout_saga(request, key.clone()).await;
        if let (Some(key), Err(err)) = (&key, &result) {
            if !matches!(
                err.kind(),
                ErrorKind::PaymentDeclined { .. } | ErrorKind::ReservationExpired { .. }
            ) {
                // Nothing was decided for good: let a retry with the same key start afresh.
                self.store.abandon_idempotent(&key.scope, &key.key).await?;
            }
        }
        result
    }

    async fn replay(&self, stored: &str) -> Result<Checkout> {
        match serde_json::from_str::<StoredOutcome>(stored) {
            Ok(StoredOutcome::Done {
                order_id,
                intent_id,
            }) => Ok(Checkout {
                order: self.order(&order_id).await?,
                payment_intent: self.payment_intent(&intent_id).await?,
            }),
            Ok(StoredOutcome::Failed {
                error_code,
                message,
            }) => Err(match error_code.as_str() {
                "reservation_expired" => Error::new(ErrorKind::ReservationExpired { id: message }),
                "backend_error" => Error::new(ErrorKind::Backend {
                    source_name: "gateway".to_string(),
                    message,
                }),
                _ => Error::new(ErrorKind::PaymentDeclined { reason: message }),
            }),
            Err(err) => Err(Error::storage(format!(
                "unreadable idempotent response: {err}"
            ))),
        }
    }

    async fn checkout_saga(
        &self,
        request: &CheckoutRequest,
        completion: Option<IdempotencyCompletion>,
    ) -> Result<Checkout> {
        for _ in 0..CONFLICT_RETRIES {
            // Placing first keeps the common path to one unit of work; only when it fails does
            // the saga look for an order the cart already has, and resume it.
            let placed = self.place(request).await;
            let err = match placed {
                Ok((order, intent)) => return self.confirm(order, intent, completion).await,
                Err(err) => err,
            };
            let resumable = err.is_conflict()
                || err.is_insufficient_stock()
                || matches!(err.kind(), ErrorKind::InvalidInput { .. });
            if !resumable {
                return Err(err);
            }
            let Some(order) = self.store.order_for_cart(&request.cart_id).await? else {
                if err.is_conflict() {
                    continue;
                }
                return Err(err);
            };
            let intent_id = order
                .payment_intent_id
                .clone()
                .ok_or_else(|| Error::storage("an order without a payment intent"))?;
            let intent = self.payment_intent(&intent_id).await?;
            if intent.status == IntentStatus::RequiresConfirmation
                && order.status == OrderStatus::PendingPayment
            {
                return self.confirm(order, intent, completion).await;
            }
            if let Some(done) = completion {
                self.store
                    .apply(Changes {
                        now: self.now(),
                        idempotency: Some(done_with(done, &order, &intent)),
                        ..Changes::default()
                    })
                    .await?;
            }
            return Ok(Checkout {
                order,
                payment_intent: intent,
            });
        }
        Err(Error::conflict("cart", request.cart_id.clone()))
    }

    async fn place(&self, request: &CheckoutRequest) -> Result<(Order, PaymentIntent)> {
        let now = self.now();
        let stored = self.cart(&request.cart_id).await?;
        if stored.cart.is_empty() {
            return Err(Error::invalid("the cart is empty").at("cart_id"));
        }
        let quote = self.price(&stored).await?;
        let order_id = self.ids.next_id("ord");
        let intent_id = self.ids.next_id("pi");
        let reservation_id = self.ids.next_id("res");
        let mut order = Order::from_quote(
            order_id.clone(),
            Some(stored.id.clone()),
            stored.customer_id.clone(),
            quote,
            now,
        )?;
        order.reservation_id = Some(reservation_id.clone());
        order.payment_intent_id = Some(intent_id.clone());
        let mut intent = PaymentIntent::new(
            intent_id,
            order_id.clone(),
            order.grand_total(),
            request.capture_method,
            now,
        );
        intent.attach_payment_method(&request.payment_method, now)?;
        let reservation = ReservationRequest {
            id: reservation_id.clone(),
            items: order
                .lines
                .iter()
                .map(|l| (l.sku.clone(), i64::from(l.quantity)))
                .collect(),
            location: DEFAULT_LOCATION.to_string(),
            expires_at: now.plus_millis(self.reservation_ttl_millis),
            reference: Some(order_id.clone()),
        };
        let events = vec![
            DomainEvent::new(
                EventKind::OrderPlaced,
                &order_id,
                order.version,
                now,
                serde_json::json!({"cart_id": stored.id, "grand_total": order.grand_total()}),
            ),
            DomainEvent::new(
                EventKind::StockReserved,
                &reservation_id,
                1,
                now,
                serde_json::json!({"order_id": order_id, "items": reservation.demand()}),
            ),
        ];
        self.store
            .apply(Changes {
                now,
                reserve: Some(reservation),
                orders: vec![Versioned {
                    value: order.clone(),
                    expected_version: None,
                }],
                intents: vec![Versioned {
                    value: intent.clone(),
                    expected_version: None,
                }],
                events,
                ..Changes::default()
            })
            .await?;
        Ok((order, intent))
    }

    async fn confirm(
        &self,
        order: Order,
        intent: PaymentIntent,
        completion: Option<IdempotencyCompletion>,
    ) -> Result<Checkout> {
        let outcome = self
            .gateway
            .authorize(&AuthorizeRequest {
                intent_id: intent.id.clone(),
                amount: intent.amount,
                payment_method: intent.payment_method.clone().unwrap_or_default(),
                capture_method: intent.capture_method,
                // One attempt per version of the intent: a retry repeats it, a new payment
                // method (a new version) is a new attempt.
                idempotency_key: format!("{}:authorize:{}", intent.id, intent.version),
            })
            .await?;
        let mut confirmed = intent.clone();
        confirmed.apply_confirmation(&outcome, self.now())?;
        let declined = match &outcome {
            GatewayOutcome::Declined { reason } => Some(reason.clone()),
            _ => None,
        };
        let checkout = self
            .settle(order, intent, confirmed, None, completion)
            .await?;
        match declined {
            Some(reason) => Err(Error::new(ErrorKind::PaymentDeclined { reason })),
            None => Ok(checkout),
        }
    }

    /// Writes the consequences of an intent's new state (`after`, computed from `before`) on its
    /// order: confirmation and the sale, or cancellation and the release of stock.
    async fn settle(
        &self,
        order: Order,
        before: PaymentIntent,
        after: PaymentIntent,
        gateway_event_id: Option<String>,
        completion: Option<IdempotencyCompletion>,
    ) -> Result<Checkout> {
        let now = self.now();
        let order_before = order.clone();
        let mut order = order;
        let mut intent = after;
        let intent_after = intent.clone();
        let order_version = order.version;
        let mut changes = Changes {
            now,
            gateway_event_id: gateway_event_id.clone(),
            ..Changes::default()
        };
        match intent.status {
            IntentStatus::Succeeded | IntentStatus::RequiresCapture => {
                order.sync_payment(&intent, now)?;
                order.transition(OrderStatus::Confirmed, now)?;
                changes.commit_reservation = order.reservation_id.clone();
                changes.events.push(DomainEvent::new(
                    EventKind::PaymentAuthorized,
                    &intent.id,
                    intent.version,
                    now,
                    serde_json::json!({"order_id": order.id, "amount": intent.amount}),
                ));
                if intent.status == IntentStatus::Succeeded {
                    changes.events.push(DomainEvent::new(
                        EventKind::PaymentCaptured,
                        &intent.id,
                        intent.version,
                        now,
                        serde_json::json!({"order_id": order.id, "amount": intent.amount_received}),
                    ));
                }
                changes.events.push(DomainEvent::new(
                    EventKind::OrderConfirmed,
                    &order.id,
                    order.version,
                    now,
                    serde_json::json!({}),
                ));
            }
            IntentStatus::RequiresPaymentMethod => {
                // Declined or failed: compensate.
                let reason = intent.last_error.clone().unwrap_or_default();
                intent.cancel(now)?;
                order.sync_payment(&intent, now)?;
                order.transition(OrderStatus::Cancelled, now)?;
                changes.release_reservation = order.reservation_id.clone();
                changes.events.extend(cancellation_events(&order, now));
                changes.events.push(DomainEvent::new(
                    EventKind::PaymentFailed,
                    &intent.id,
                    intent.version,
                    now,
                    serde_json::json!({"order_id": order.id, "reason": reason}),
                ));
                if let Some(done) = completion.clone() {
                    changes.idempotency = Some(IdempotencyCompletion {
                        response: serde_json::to_string(&StoredOutcome::Failed {
                            error_code: "payment_declined".to_string(),
                            message: reason,
                        })
                        .unwrap_or_default(),
                        ..done
                    });
                }
            }
            _ => {}
        }
        if changes.idempotency.is_none() {
            if let Some(done) = completion.clone() {
                changes.idempotency = Some(done_with(done, &order, &intent));
            }
        }
        if order.version != order_version {
            changes.orders.push(Versioned {
                value: order.clone(),
                expected_version: Some(order_version),
            });
        }
        changes.intents.push(Versioned {
            value: intent.clone(),
            expected_version: Some(before.version),
        });
        match self.store.apply(changes).await {
            Ok(Applied::Done) => Ok(Checkout {
                order,
                payment_intent: intent,
            }),
            Ok(Applied::DuplicateGatewayEvent) => Ok(Checkout {
                order: self.order(&order.id).await?,
                payment_intent: self.payment_intent(&intent.id).await?,
            }),
            Err(err) if matches!(err.kind(), ErrorKind::ReservationExpired { .. }) => {
                self.expired_after_payment(
                    order_before,
                    before,
                    intent_after,
                    gateway_event_id,
                    completion,
                )
                .await?;
                Err(err)
            }
            Err(err) => Err(err),
        }
    }

    /// The hold ran out before the payment completed: the gateway has the money (or an
    /// authorization), the stock is gone. Give the money back and cancel the order.
    async fn expired_after_payment(
        &self,
        order: Order,
        before: PaymentIntent,
        after: PaymentIntent,
        gateway_event_id: Option<String>,
        completion: Option<IdempotencyCompletion>,
    ) -> Result<()> {
        let now = self.now();
        let mut order = order;
        let order_version = order.version;
        let mut intent = after;
        let reference = intent.gateway_reference.clone().unwrap_or_default();
        order.sync_payment(&intent, now)?;
        let mut events = cancellation_events(&order, now);
        if intent.status == IntentStatus::RequiresCapture {
            self.gateway
                .cancel(&reference, &format!("{}:cancel", intent.id))
                .await?;
            intent.cancel(now)?;
        } else {
            let amount = intent.refundable()?;
            self.gateway
                .refund(&reference, amount, &format!("{}:refund:expired", intent.id))
                .await?;
            intent.refund(amount, now)?;
            events.push(DomainEvent::new(
                EventKind::PaymentRefunded,
                &intent.id,
                intent.version,
                now,
                serde_json::json!({"order_id": order.id, "amount": amount}),
            ));
        }
        order.sync_payment(&intent, now)?;
        order.transition(OrderStatus::Cancelled, now)?;
        let idempotency = completion.map(|done| IdempotencyCompletion {
            response: serde_json::to_string(&StoredOutcome::Failed {
                error_code: "reservation_expired".to_string(),
                message: order.reservation_id.clone().unwrap_or_default(),
            })
            .unwrap_or_default(),
            ..done
        });
        self.store
            .apply(Changes {
                now,
                orders: vec![Versioned {
                    value: order,
                    expected_version: Some(order_version),
                }],
                intents: vec![Versioned {
                    value: intent,
                    expected_version: Some(before.version),
                }],
                gateway_event_id,
                events,
                idempotency,
                ..Changes::default()
            })
            .await?;
        Ok(())
    }

    /// Applies an asynchronous gateway event (a webhook). Each event id is applied at most
    /// once; a late or out-of-order event never moves an intent backwards.
    ///
    /// # Errors
    ///
    /// `not_found` for an unknown intent; `reservation_expired` if the payment completed after
    /// the stock hold ran out (the order is cancelled and the payment voided or refunded).
    pub async fn handle_gateway_event(&self, event: &GatewayEvent) -> Result<Checkout> {
        for _ in 0..CONFLICT_RETRIES {
            let intent = self.payment_intent(&event.intent_id).await?;
            let order = self.order(&intent.order_id).await?;
            let mut after = intent.clone();
            if !after.apply_event(&event.kind, self.now()) {
                // Nothing to do but remember the event.
                self.store
                    .apply(Changes {
                        now: self.now(),
                        gateway_event_id: Some(event.id.clone()),
                        ..Changes::default()
                    })
                    .await?;
                return Ok(Checkout {
                    order,
                    payment_intent: intent,
                });
            }
            match self
                .settle(order, intent, after, Some(event.id.clone()), None)
                .await
            {
                Err(err) if err.is_conflict() => continue,
                other => return other,
            }
        }
        Err(Error::conflict("payment_intent", event.intent_id.clone()))
    }

    // ------------------------------------------------------------------ orders and payments

    /// An order.
    ///
    /// # Errors
    ///
    /// `not_found`.
    pub async fn order(&self, id: &str) -> Result<Order> {
        self.store
            .order(id)
            .await?
            .ok_or_else(|| Error::not_found("order", id))
    }

    /// An order, if `caller` may open it ([`Caller::may_open_order`]): otherwise `not_found`,
    /// as if it did not exist.
    ///
    /// # Errors
    ///
    /// `not_found`.
    pub async fn open_order(&self, caller: &Caller, id: &str) -> Result<Order> {
        let order = self.order(id).await?;
        if !caller.may_open_order(&order) {
            return Err(Error::not_found("order", id));
        }
        Ok(order)
    }

    /// A payment intent, if `caller` may open the order it pays for: otherwise `not_found`.
    ///
    /// # Errors
    ///
    /// `not_found`.
    pub async fn open_payment_intent(&self, caller: &Caller, id: &str) -> Result<PaymentIntent> {
        let intent = self.payment_intent(id).await?;
        let order = self.order(&intent.order_id).await?;
        if !caller.may_open_order(&order) {
            return Err(Error::not_found("payment_intent", id));
        }
        Ok(intent)
    }

    /// The order placed from a cart, with its payment intent.
    ///
    /// # Errors
    ///
    /// `not_found` if the cart has no order.
    pub async fn checkout_of_cart(&self, cart_id: &str) -> Result<Checkout> {
        let order = self
            .store
            .order_for_cart(cart_id)
            .await?
            .ok_or_else(|| Error::not_found("order", format!("of cart {cart_id}")))?;
        let intent_id = order
            .payment_intent_id
            .clone()
            .ok_or_else(|| Error::storage("an order without a payment intent"))?;
        Ok(Checkout {
            payment_intent: self.payment_intent(&intent_id).await?,
            order,
        })
    }

    /// A payment intent.
    ///
    /// # Errors
    ///
    /// `not_found`.
    pub async fn payment_intent(&self, id: &str) -> Result<PaymentIntent> {
        self.store
            .payment_intent(id)
            .await?
            .ok_or_else(|| Error::not_found("payment_intent", id))
    }

    /// Records a change of an order's intent (and order) first, then asks the gateway; if the
    /// gateway fails, the record is rolled back. Retries on conflicts with fresh state.
    async fn claim(
        &self,
        key: Option<&IdempotencyKey>,
        operation: &str,
        fingerprint: &str,
    ) -> Result<Claim> {
        let Some(key) = key else {
            return Ok(Claim::Proceed(None));
        };
        let scope = format!("{operation}:{}", key.scope);
        match self
            .store
            .begin_idempotent(&scope, &key.key, fingerprint, self.now())
            .await?
        {
            IdempotencyBegin::Replay(stored) => {
                Ok(Claim::Replay(Box::new(self.replay(&stored).await?)))
            }
            IdempotencyBegin::Started => Ok(Claim::Proceed(Some(IdempotencyCompletion {
                scope,
                key: key.key.clone(),
                response: String::new(),
            }))),
        }
    }

    /// Runs `work` under an idempotency key: a replay returns the stored outcome, a failure
    /// that decided nothing frees the key for a retry.
    async fn idempotently<F, Fut>(
        &self,
        key: Option<&IdempotencyKey>,
        operation: &str,
        fingerprint: &str,
        work: F,
    ) -> Result<Checkout>
    where
        F: FnOnce(Option<IdempotencyCompletion>) -> Fut,
        Fut: std::future::Future<Output = Result<Checkout>>,
    {
        let completion = match self.claim(key, operation, fingerprint).await? {
            Claim::Replay(done) => return Ok(*done),
            Claim::Proceed(completion) => completion,
        };
        let result = work(completion.clone()).await;
        if let (Err(err), Some(done)) = (&result, &completion) {
            if !matches!(err.kind(), ErrorKind::Backend { .. }) {
                self.store
                    .abandon_idempotent(&done.scope, &done.key)
                    .await?;
            }
        }
        result
    }

    async fn move_money(
        &self,
        order_id: &str,
        kind: EventKind,
        completion: Option<IdempotencyCompletion>,
        restock: Vec<(String, String, i64)>,
        change: impl Fn(&mut Order, &mut PaymentIntent, Timestamp) -> Result<Money> + Send + Sync,
    ) -> Result<Checkout> {
        for _ in 0..CONFLICT_RETRIES {
            let now = self.now();
            let order = self.order(order_id).await?;
            let intent_id = order
                .payment_intent_id
                .clone()
                .ok_or_else(|| Error::not_found("payment_intent", order_id))?;
            let intent = self.payment_intent(&intent_id).await?;
            let (mut new_order, mut new_intent) = (order.clone(), intent.clone());
            let amount = change(&mut new_order, &mut new_intent, now)?;
            new_order.sync_payment(&new_intent, now)?;
            let mut orders = Vec::new();
            if new_order != order {
                if new_order.version == order.version {
                    new_order.version += 1;
                }
                orders.push(Versioned {
                    value: new_order.clone(),
                    expected_version: Some(order.version),
                });
            }
            let record = Changes {
                now,
                restock: restock.clone(),
                idempotency: completion
                    .clone()
                    .map(|done| done_with(done, &new_order, &new_intent)),
                orders,
                intents: vec![Versioned {
                    value: new_intent.clone(),
                    expected_version: Some(intent.version),
                }],
                events: vec![DomainEvent::new(
                    kind,
                    &new_intent.id,
                    new_intent.version,
                    now,
                    serde_json::json!({"order_id": order.id, "amount": amount}),
                )],
                ..Changes::default()
            };
            match self.store.apply(record).await {
                Err(err) if err.is_conflict() => continue,
                Err(err) => return Err(err),
                Ok(_) => {}
            }
            let reference = new_intent.gateway_reference.clone().unwrap_or_default();
            let gateway_key = format!("{}:{}:{}", new_intent.id, kind, new_intent.version);
            let called = match kind {
                EventKind::PaymentRefunded => {
                    self.gateway.refund(&reference, amount, &gateway_key).await
                }
                _ => self.gateway.capture(&reference, amount, &gateway_key).await,
            };
            if let Err(err) = called {
                // Roll the record back so that the bound is not consumed by a failed call.
                // A replay of the key answers with the same failure, as Stripe does.
                let rollback = Changes {
                    now: self.now(),
                    restock: restock
                        .iter()
                        .map(|(sku, location, quantity)| (sku.clone(), location.clone(), -quantity))
                        .collect(),
                    idempotency: completion.clone().map(|done| IdempotencyCompletion {
                        response: serde_json::to_string(&StoredOutcome::Failed {
                            error_code: "backend_error".to_string(),
                            message: err.to_string(),
                        })
                        .unwrap_or_default(),
                        ..done
                    }),
                    orders: if new_order != order {
                        vec![Versioned {
                            value: Order {
                                version: new_order.version + 1,
                                ..order.clone()
                            },
                            expected_version: Some(new_order.version),
                        }]
                    } else {
                        Vec::new()
                    },
                    intents: vec![Versioned {
                        value: PaymentIntent {
                            version: new_intent.version + 1,
                            ..intent.clone()
                        },
                        expected_version: Some(new_intent.version),
                    }],
                    ..Changes::default()
                };
                let _ = self.store.apply(rollback).await;
                return Err(err);
            }
            return Ok(Checkout {
                order: new_order,
                payment_intent: new_intent,
            });
        }
        Err(Error::conflict("order", order_id))
    }

    /// Confirms a payment that was placed but never answered (the gateway could not be reached,
    /// or the process stopped in between), with another payment method if one is given: the
    /// checkout resumes where it stopped, and settles as it would have.
    ///
    /// # Errors
    ///
    /// `invalid_transition` unless the intent awaits confirmation and its order awaits payment;
    /// as [`Commerce::checkout`] after that (`payment_declined`, `backend_error`, ...).
    pub async fn confirm_payment(
        &self,
        intent_id: &str,
        payment_method: Option<&str>,
        key: Option<&IdempotencyKey>,
    ) -> Result<Checkout> {
        let fingerprint = format!("{intent_id}|{payment_method:?}");
        self.idempotently(key, "confirm", &fingerprint, |completion| async move {
            let mut intent = self.payment_intent(intent_id).await?;
            let order = self.order(&intent.order_id).await?;
            intent.check_confirmable()?;
            if order.status != OrderStatus::PendingPayment {
                return Err(Error::transition(
                    "order",
                    order.status,
                    OrderStatus::Confirmed,
                ));
            }
            if let Some(method) = payment_method {
                let expected = intent.version;
                intent.attach_payment_method(method, self.now())?;
                self.store
                    .apply(Changes {
                        now: self.now(),
                        intents: vec![Versioned {
                            value: intent.clone(),
                            expected_version: Some(expected),
                        }],
                        ..Changes::default()
                    })
                    .await?;
            }
            self.confirm(order, intent, completion).await
        })
        .await
    }

    /// Captures `amount` (or everything capturable) of an order's authorized payment.
    ///
    /// # Errors
    ///
    /// `invalid_transition` unless the intent awaits capture; `amount_exceeded` beyond what is
    /// capturable. Two concurrent captures can never together exceed the authorization.
    pub async fn capture(
        &self,
        order_id: &str,
        amount: Option<Money>,
        final_capture: bool,
        key: Option<&IdempotencyKey>,
    ) -> Result<Checkout> {
        let fingerprint = format!("{order_id}|{amount:?}|{final_capture}");
        self.idempotently(key, "capture", &fingerprint, |completion| {
            self.move_money(
                order_id,
                EventKind::PaymentCaptured,
                completion,
                Vec::new(),
                move |_: &mut Order, intent: &mut PaymentIntent, now| {
                    let amount = amount.unwrap_or(intent.amount_capturable);
                    intent.capture(amount, final_capture, now)?;
                    Ok(amount)
                },
            )
        })
        .await
    }

    /// Refunds `amount` of an order's captured payment.
    ///
    /// # Errors
    ///
    /// `amount_exceeded` beyond what was captured and not yet refunded.
    pub async fn refund(
        &self,
        order_id: &str,
        amount: Money,
        key: Option<&IdempotencyKey>,
    ) -> Result<Checkout> {
        let fingerprint = format!("{order_id}|{amount:?}");
        self.idempotently(key, "refund", &fingerprint, |completion| {
            self.move_money(
                order_id,
                EventKind::PaymentRefunded,
                completion,
                Vec::new(),
                move |_: &mut Order, intent: &mut PaymentIntent, now| {
                    intent.refund(amount, now)?;
                    Ok(amount)
                },
            )
        })
        .await
    }

    /// Records the return of delivered units, puts them back on hand and refunds what they were
    /// worth (their share of the line's total, cent-exact, never more than what is left to
    /// refund), all in one unit of work.
    ///
    /// # Errors
    ///
    /// As [`Order::return_units`] and [`Commerce::refund`].
    pub async fn return_units(
        &self,
        order_id: &str,
        line_id: &str,
        quantity: u32,
        key: Option<&IdempotencyKey>,
    ) -> Result<Checkout> {
        let fingerprint = format!("{order_id}|{line_id}|{quantity}");
        self.idempotently(key, "return", &fingerprint, |completion| async move {
            let order = self.order(order_id).await?;
            let sku = order
                .lines
                .iter()
                .find(|l| l.id == line_id)
                .map(|l| l.sku.clone())
                .ok_or_else(|| {
                    Error::new(ErrorKind::LineNotFound {
                        line: line_id.to_string(),
                    })
                })?;
            let restock = vec![(sku, DEFAULT_LOCATION.to_string(), i64::from(quantity))];
            self.move_money(
                order_id,
                EventKind::PaymentRefunded,
                completion,
                restock,
                |order: &mut Order, intent: &mut PaymentIntent, now| {
                    let worth = order.return_units(line_id, quantity, now)?;
                    let refundable = intent.refundable()?;
                    let amount = if worth.checked_cmp(&refundable)?.is_gt() {
                        refundable
                    } else {
                        worth
                    };
                    if !amount.is_zero() {
                        intent.refund(amount, now)?;
                    }
                    Ok(amount)
                },
            )
            .await
        })
        .await
    }

    /// Cancels an order that has not shipped: releases its stock (or puts sold units back),
    /// voids an uncaptured authorization and refunds what was captured.
    ///
    /// # Errors
    ///
    /// `invalid_transition` for an order that is completed, cancelled or already shipping.
    pub async fn cancel_order(
        &self,
        order_id: &str,
        key: Option<&IdempotencyKey>,
    ) -> Result<Checkout> {
        self.idempotently(key, "cancel", order_id, |completion| {
            self.cancel_once(order_id, completion)
        })
        .await
    }

    async fn cancel_once(
        &self,
        order_id: &str,
        completion: Option<IdempotencyCompletion>,
    ) -> Result<Checkout> {
        for _ in 0..CONFLICT_RETRIES {
            let now = self.now();
            let order = self.order(order_id).await?;
            if matches!(
                order.fulfillment_status,
                FulfillmentStatus::Shipped
                    | FulfillmentStatus::Delivered
                    | FulfillmentStatus::Returned
            ) {
                return Err(Error::transition(
                    "order",
                    order.fulfillment_status,
                    OrderStatus::Cancelled,
                ));
            }
            let intent_id = order.payment_intent_id.clone().unwrap_or_default();
            let intent = self.payment_intent(&intent_id).await?;
            let mut new_order = order.clone();
            let mut new_intent = intent.clone();
            new_order.transition(OrderStatus::Cancelled, now)?;
            let refund = new_intent.refundable()?;
            match new_intent.status {
                IntentStatus::Succeeded if !refund.is_zero() => new_intent.refund(refund, now)?,
                IntentStatus::Succeeded | IntentStatus::Canceled => {}
                _ => {
                    new_intent.cancel(now)?;
                    if !new_intent.amount_received.is_zero() && !refund.is_zero() {
                        new_intent.refund(refund, now)?;
                    }
                }
            }
            new_order.sync_payment(&new_intent, now)?;
            let mut changes = Changes {
                now,
                events: cancellation_events(&new_order, now),
                idempotency: completion
                    .clone()
                    .map(|done| done_with(done, &new_order, &new_intent)),
                ..Changes::default()
            };
            if let Some(id) = &order.reservation_id {
                match self.store.reservation(id).await? {
                    Some(r) if r.status == ReservationStatus::Active => {
                        changes.release_reservation = Some(id.clone());
                    }
                    Some(r) if r.status == ReservationStatus::Committed => {
                        changes.restock = r
                            .lines
                            .iter()
                            .map(|l| (l.sku.clone(), l.location.clone(), l.quantity))
                            .collect();
                    }
                    _ => {}
                }
            }
            changes.orders.push(Versioned {
                value: new_order.clone(),
                expected_version: Some(order.version),
            });
            if new_intent != intent {
                changes.intents.push(Versioned {
                    value: new_intent.clone(),
                    expected_version: Some(intent.version),
                });
            }
            match self.store.apply(changes).await {
                Err(err) if err.is_conflict() => continue,
                Err(err) => return Err(err),
                Ok(_) => {}
            }
            let reference = new_intent.gateway_reference.clone().unwrap_or_default();
            if !refund.is_zero() && new_intent.amount_refunded != intent.amount_refunded {
                let key = format!("{}:refund:{}", new_intent.id, new_intent.version);
                self.gateway.refund(&reference, refund, &key).await?;
            } else if intent.status == IntentStatus::RequiresCapture {
                let key = format!("{}:cancel", new_intent.id);
                self.gateway.cancel(&reference, &key).await?;
            }
            return Ok(Checkout {
                order: new_order,
                payment_intent: new_intent,
            });
        }
        Err(Error::conflict("order", order_id))
    }

    /// Fulfils `quantity` units of an order line.
    ///
    /// # Errors
    ///
    /// As [`Order::fulfil`].
    pub async fn fulfil(&self, order_id: &str, line_id: &str, quantity: u32) -> Result<Order> {
        self.update_order(order_id, EventKind::OrderFulfilled, |order, now| {
            order.fulfil(line_id, quantity, now)
        })
        .await
    }

    /// Marks a fulfilled order shipped, or a shipped order delivered (which completes it).
    ///
    /// # Errors
    ///
    /// As [`Order::advance_fulfillment`].
    pub async fn advance_fulfillment(
        &self,
        order_id: &str,
        to: FulfillmentStatus,
    ) -> Result<Order> {
        let kind = match to {
            FulfillmentStatus::Delivered => EventKind::OrderDelivered,
            _ => EventKind::OrderShipped,
        };
        self.update_order(order_id, kind, |order, now| {
            order.advance_fulfillment(to, now)
        })
        .await
    }

    async fn update_order(
        &self,
        order_id: &str,
        kind: EventKind,
        change: impl Fn(&mut Order, Timestamp) -> Result<()> + Send + Sync,
    ) -> Result<Order> {
        for _ in 0..CONFLICT_RETRIES {
            let now = self.now();
            let order = self.order(order_id).await?;
            let mut new_order = order.clone();
            change(&mut new_order, now)?;
            let changes = Changes {
                now,
                orders: vec![Versioned {
                    value: new_order.clone(),
                    expected_version: Some(order.version),
                }],
                events: vec![DomainEvent::new(
                    kind,
                    &new_order.id,
                    new_order.version,
                    now,
                    serde_json::json!({"fulfillment_status": new_order.fulfillment_status}),
                )],
                ..Changes::default()
            };
            match self.store.apply(changes).await {
                Err(err) if err.is_conflict() => continue,
                other => return other.map(|_| new_order),
            }
        }
        Err(Error::conflict("order", order_id))
    }

    /// Releases every reservation past its expiry, deletes idempotency keys older than the
    /// retention and sessions that ended; returns how many reservations it released. Reserving
    /// already treats expired holds as released, so the sweep only keeps stock figures tidy.
    ///
    /// # Errors
    ///
    /// Storage errors only.
    pub async fn sweep(&self) -> Result<u64> {
        let now = self.now();
        let released = self.store.expire_reservations(now).await?;
        self.store
            .purge_idempotency(now.plus_millis(-self.idempotency_retention_millis))
            .await?;
        self.store.purge_sessions(now).await?;
        Ok(released)
    }
}

fn done_with(
    done: IdempotencyCompletion,
    order: &Order,
    intent: &PaymentIntent,
) -> IdempotencyCompletion {
    IdempotencyCompletion {
        response: serde_json::to_string(&StoredOutcome::Done {
            order_id: order.id.clone(),
            intent_id: intent.id.clone(),
        })
        .unwrap_or_default(),
        ..done
    }
}

fn cancellation_events(order: &Order, now: Timestamp) -> Vec<DomainEvent> {
    let mut events = vec![DomainEvent::new(
        EventKind::OrderCancelled,
        &order.id,
        order.version,
        now,
        serde_json::json!({}),
    )];
    if let Some(reservation) = &order.reservation_id {
        events.push(DomainEvent::new(
            EventKind::StockReleased,
            reservation,
            "cancelled",
            now,
            serde_json::json!({"order_id": order.id}),
        ));
    }
    events
}
