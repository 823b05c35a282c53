//! Carts: creating, opening, changing and pricing them.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::access::Target;
use crate::cart::{Cart, CatalogItem, PricingContext};
use crate::cart::{Destination, StoredCart};
use crate::catalog::ProductStatus;
use crate::error::{Error, ErrorKind, Result};
use crate::money::Currency;
use crate::order::OrderStatus;
use crate::pricing::{CustomerContext, PricingRequest, PromotionOutcome, Quote, quote};
use crate::store::OrderFilter;
use crate::text;
use crate::usage::{PromotionLimit, PromotionUse};

use super::{CONFLICT_RETRIES, Commerce};

impl Commerce {
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

    /// A cart: for a caller ([`Caller::target`](crate::access::Caller::target)), only if they may open it
    /// ([`Caller::may_open_cart`](crate::access::Caller::may_open_cart)), otherwise `not_found` as if it did not exist.
    ///
    /// # Errors
    ///
    /// `not_found`.
    pub async fn cart<'a>(&self, cart: impl Into<Target<'a>>) -> Result<StoredCart> {
        let target = cart.into();
        self.store
            .cart(super::stored_id("cart", target.id())?)
            .await?
            .filter(|c| target.may_open_cart(c))
            .ok_or_else(|| Error::not_found("cart", target.id()))
    }

    /// Reads a cart (or starts from `read`, a copy just read), checks that the caller may open
    /// it, changes it and writes it back, retrying if another writer got there first. The store
    /// refuses to write a cart that was checked out; only then is its order looked for, to say
    /// so.
    async fn update_cart(
        &self,
        target: Target<'_>,
        read: Option<StoredCart>,
        change: impl Fn(&mut StoredCart) -> Result<()> + Send + Sync,
    ) -> Result<StoredCart> {
        let id = target.id();
        let mut read = read;
        for _ in 0..CONFLICT_RETRIES {
            let mut cart = match read.take() {
                Some(cart) => cart,
                None => self.cart(target).await?,
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
    /// `not_found`; `unknown_sku` for a SKU the catalog does not have, or does not sell now
    /// ([`ErrorKind::NotForSale`]: its product is not active, or it has no price in the
    /// cart's currency, and the message says which); cart limits.
    pub async fn add_to_cart<'a>(
        &self,
        cart: impl Into<Target<'a>>,
        sku: &str,
        quantity: u32,
        options: BTreeMap<String, String>,
    ) -> Result<StoredCart> {
        let target = cart.into();
        for (name, value) in &options {
            text::check_line(name)
                .and_then(|()| text::check_line(value))
                .map_err(|e| e.at(format_args!("options.{name}")))?;
        }
        let cart = self.cart(target).await?;
        let currency = cart.cart.currency();
        let Some(item) = self.sellable_item(sku, currency).await? else {
            return Err(self.not_sellable(sku, currency).await);
        };
        self.update_cart(target, Some(cart), |c| {
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
    pub async fn set_cart_quantity<'a>(
        &self,
        cart: impl Into<Target<'a>>,
        line_id: &str,
        quantity: u32,
    ) -> Result<StoredCart> {
        self.update_cart(cart.into(), None, |c| {
            c.cart.set_quantity(line_id, quantity)
        })
        .await
    }

    /// Removes a cart line.
    ///
    /// # Errors
    ///
    /// `line_not_found`.
    pub async fn remove_cart_line<'a>(
        &self,
        cart: impl Into<Target<'a>>,
        line_id: &str,
    ) -> Result<StoredCart> {
        self.update_cart(cart.into(), None, |c| {
            c.cart.remove_line(line_id).map(|_| ())
        })
        .await
    }

    /// Enters a coupon code.
    ///
    /// # Errors
    ///
    /// As [`Cart::apply_coupon`].
    pub async fn apply_coupon<'a>(
        &self,
        cart: impl Into<Target<'a>>,
        code: &str,
    ) -> Result<StoredCart> {
        self.update_cart(cart.into(), None, |c| c.cart.apply_coupon(code))
            .await
    }

    /// Removes a coupon code.
    ///
    /// # Errors
    ///
    /// `not_found` for an unknown cart.
    pub async fn remove_coupon<'a>(
        &self,
        cart: impl Into<Target<'a>>,
        code: &str,
    ) -> Result<StoredCart> {
        self.update_cart(cart.into(), None, |c| {
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
    pub async fn set_shipping<'a>(
        &self,
        cart: impl Into<Target<'a>>,
        destination: Option<Destination>,
        method: Option<&str>,
    ) -> Result<StoredCart> {
        if let Some(destination) = &destination {
            text::check_line(&destination.country).map_err(|e| e.at("country"))?;
            text::check_line(&destination.region).map_err(|e| e.at("region"))?;
        }
        if let Some(method) = method {
            text::check_line(method).map_err(|e| e.at("method"))?;
        }
        self.update_cart(cart.into(), None, |c| {
            c.destination = destination.clone();
            c.cart.set_shipping_method(method);
            Ok(())
        })
        .await
    }

    /// Why a SKU cannot go into a cart: it is unknown, its product is not active, or it has no
    /// price in the cart's currency; read only once adding it has failed.
    async fn not_sellable(&self, sku: &str, currency: Currency) -> Error {
        let unknown = || {
            Error::new(ErrorKind::UnknownSku {
                sku: sku.to_string(),
            })
        };
        if !text::could_be_id(sku) {
            return unknown();
        }
        match self.store.product_by_sku(sku).await {
            Err(e) => e,
            Ok(None) => unknown(),
            Ok(Some(product)) if product.status != ProductStatus::Active => {
                let status = serde_json::to_value(product.status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                Error::new(ErrorKind::NotForSale {
                    sku: sku.to_string(),
                    reason: format!("product `{}` is {status}", product.id),
                })
            }
            Ok(Some(_)) => Error::new(ErrorKind::NotForSale {
                sku: sku.to_string(),
                reason: format!("no price in {currency}"),
            }),
        }
    }

    async fn sellable_item(&self, sku: &str, currency: Currency) -> Result<Option<CatalogItem>> {
        if !text::could_be_id(sku) {
            return Ok(None);
        }
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
    pub async fn quote_cart<'a>(&self, cart: impl Into<Target<'a>>) -> Result<Quote<'static>> {
        let cart = self.cart(cart).await?;
        self.price(&cart).await
    }

    pub(super) async fn price(&self, stored: &StoredCart) -> Result<Quote<'static>> {
        Ok(self.price_with_uses(stored, &[]).await?.0)
    }

    /// Prices a cart as [`Commerce::price`] does, as if the promotions `used_up` had no uses
    /// left, and says which uses of limited promotions the quote takes.
    pub(super) async fn price_with_uses(
        &self,
        stored: &StoredCart,
        used_up: &[String],
    ) -> Result<(Quote<'static>, Vec<PromotionUse>)> {
        let (request, limits) = self.request_and_limits(stored, used_up).await?;
        let quote = quote(&request)?.into_owned();
        let uses = quote
            .promotions
            .iter()
            .filter_map(|outcome| match outcome {
                PromotionOutcome::Applied { id, .. } => {
                    limits.iter().find(|l| *l.promotion_id == **id)
                }
                PromotionOutcome::NotApplied { .. } => None,
            })
            .map(|limit| limit.use_by(stored.customer_id.as_deref()))
            .collect();
        Ok((quote, uses))
    }

    /// The exact pricing request the shop prices a cart with, for a client to price it itself
    /// (the browser module): the same request gives the same quote everywhere. Promotions that
    /// need a coupon code the cart has not entered are left out, so that no unentered code is
    /// revealed; they could not apply, so the totals are the same.
    ///
    /// # Errors
    ///
    /// As [`Commerce::quote_cart`].
    pub async fn pricing_request<'a>(&self, cart: impl Into<Target<'a>>) -> Result<PricingRequest> {
        let stored = self.cart(cart).await?;
        let mut request = self.request_and_limits(&stored, &[]).await?.0;
        request.drop_promotions_not_entered();
        Ok(request)
    }

    /// The pricing request of a cart, with the uses left of limited promotions counted from
    /// the store (none for those `used_up`), and those promotions' limits.
    async fn request_and_limits(
        &self,
        stored: &StoredCart,
        used_up: &[String],
    ) -> Result<(PricingRequest, Vec<PromotionLimit>)> {
        let currency = stored.cart.currency();
        // Prices and settings from this process's copy of the catalog, current with the store.
        let catalog = self.catalog_snapshot().await?;
        let items: Vec<CatalogItem> = stored
            .cart
            .lines()
            .iter()
            .filter_map(|line| {
                catalog
                    .active_product_of(&line.sku)
                    .and_then(|p| p.catalog_item(&line.sku, currency, None))
            })
            .collect();
        let config = &catalog.config;
        let mut promotions = config.promotions.clone();
        let mut limits = Vec::new();
        for promotion in &mut promotions {
            let Some(limit) = config.limit_of(&promotion.id) else {
                continue;
            };
            let left = if used_up.iter().any(|id| **id == *promotion.id) {
                Some(0)
            } else {
                let (used, by_customer) = self
                    .store
                    .promotion_uses(&promotion.id, stored.customer_id.as_deref())
                    .await?;
                limit.remaining(used, by_customer)
            };
            promotion.remaining_uses = match (promotion.remaining_uses, left) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            limits.push(limit.clone());
        }
        let customer = match &stored.customer_id {
            Some(id) => {
                let group = self.store.customer(id).await?.and_then(|c| c.group);
                // A previous order is one that was paid for: confirmed or completed. A
                // cancelled order, or one still waiting for payment, is not.
                let mut previous = false;
                for status in [OrderStatus::Confirmed, OrderStatus::Completed] {
                    let filter = OrderFilter {
                        customer_id: Some(id.clone()),
                        status: Some(status),
                        ..OrderFilter::default()
                    };
                    if !self.store.orders(&filter, None, 1).await?.items.is_empty() {
                        previous = true;
                        break;
                    }
                }
                CustomerContext {
                    group: group.as_deref().map(Arc::from),
                    previous_orders: u32::from(previous),
                }
            }
            None => CustomerContext::default(),
        };
        let (country, region) = stored
            .destination
            .as_ref()
            .map_or(("", ""), |d| (d.country.as_str(), d.region.as_str()));
        let context = PricingContext {
            now: self.now(),
            prices_include_tax: config.prices_include_tax,
            tax_level: config.tax_level,
            rounding_mode: config.rounding_mode,
            customer,
            price_lists: Vec::new(),
            tax_rates: config
                .tax_zone(country, region)
                .map(|z| z.rates.clone())
                .unwrap_or_default(),
            promotions,
            shipping_methods: config.shipping_methods_to(country),
        };
        Ok((stored.cart.pricing_request(&items, context)?, limits))
    }
}
