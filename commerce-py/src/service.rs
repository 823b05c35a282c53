//! `Commerce`: the synchronous service over a store opened from a URL.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use commerce_core::cart::Destination;
use commerce_core::catalog::{Category, Product};
use commerce_core::contact::ContactRequest;
use commerce_core::customer::{Address, Customer};
use commerce_core::delivery::{DeliveryFilter, DeliveryStatus};
use commerce_core::events::EventKind;
use commerce_core::order::FulfillmentStatus;
use commerce_core::payment::{CaptureMethod, GatewayEvent};
use commerce_core::search::facets::Filters;
use commerce_core::service::{IdempotencyKey, SearchRequest, SearchSort};
use commerce_core::settings::ShopConfig;
use commerce_core::shipment::Shipment;
use commerce_core::store::{OrderFilter, ProductFilter};
use commerce_core::worker::{Destinations, JobsReport};
use commerce_core::{CheckoutRequest, Commerce, Error, Money};
use commerce_events::{EmailSettings, EventsConfig};
use pyo3::prelude::*;
use serde::Serialize;

use crate::convert::{decimal_text, from_name, from_py, from_py_at, to_py};
use crate::errors::IntoPy;
use crate::money::{PyMoney, currency};

/// Every store shares one runtime: its worker threads drive the database pools while Python
/// threads wait in `block_on` with the GIL released.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("commerce-io")
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("cannot start the I/O runtime: {e}"))
    })
}

/// The idempotency scope of keys given from Python: one caller, the host process.
const SCOPE: &str = "python";

/// The shop's service on a database: catalog, stock, carts, checkout with the test gateway,
/// orders, payments and refunds. Every method blocks until done, with the GIL released, so
/// threads run concurrently; one instance is safe to share between threads.
///
/// Records come back as dicts, with amounts as `decimal.Decimal`; records going in (products,
/// settings) are dicts of the same shape.
///
/// >>> from commerce import Commerce
/// >>> shop = Commerce("sqlite::memory:")
/// >>> cart = shop.create_cart("USD")
/// >>> cart["cart"]["lines"]
/// []
#[pyclass(frozen, module = "commerce._native", name = "Commerce")]
pub struct PyCommerce {
    service: Commerce,
    destinations: Destinations,
    worker: String,
}

impl PyCommerce {
    /// Runs a service call to completion with the GIL released, and converts its result.
    fn call<'py, T, F>(
        &self,
        py: Python<'py>,
        work: impl FnOnce(Commerce) -> F,
    ) -> PyResult<Bound<'py, PyAny>>
    where
        T: Serialize + Send,
        F: Future<Output = Result<T, Error>> + Send,
    {
        let service = self.service.clone();
        let future = work(service);
        let result = py.detach(|| runtime().block_on(future));
        to_py(py, &result.or_raise(py)?)
    }
}

fn key(idempotency_key: Option<String>) -> Option<IdempotencyKey> {
    idempotency_key.map(|key| IdempotencyKey {
        scope: SCOPE.to_string(),
        key,
    })
}

fn money_arg(
    py: Python<'_>,
    value: &Bound<'_, PyAny>,
    currency_code: Option<&str>,
) -> PyResult<Money> {
    if let Ok(money) = value.cast::<PyMoney>() {
        return Ok(money.get().inner);
    }
    let text = decimal_text(value, "amount")?;
    let code = currency_code.ok_or_else(|| {
        pyo3::exceptions::PyTypeError::new_err(
            "give the amount as Money (or pass currency=...) so that its currency is explicit",
        )
    })?;
    Money::parse(&text, currency(py, code)?).or_raise(py)
}

#[pymethods]
impl PyCommerce {
    /// Opens the store a URL names (`sqlite:///path/shop.db`, created if missing;
    /// `sqlite::memory:`; `postgresql://user@host/db`) and applies its migrations. `gateway`
    /// names the payment gateway: `"test"` (test tokens, no real money), `"stripe"` (keys from
    /// `STRIPE_SECRET_KEY`), or `None`, which refuses payments.
    #[new]
    #[pyo3(signature = (
        url,
        *,
        gateway = None,
        reservation_ttl_seconds = None,
        events = Vec::new(),
        smtp_url = None,
        smtp_from = "Shop <shop@localhost>".to_string(),
        shop_name = "Shop".to_string(),
        webhooks_to_private_addresses = false,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        url: &str,
        gateway: Option<&str>,
        reservation_ttl_seconds: Option<u32>,
        events: Vec<String>,
        smtp_url: Option<String>,
        smtp_from: String,
        shop_name: String,
        webhooks_to_private_addresses: bool,
    ) -> PyResult<PyCommerce> {
        let gateway = commerce_runtime::GatewayConfig::from_name(gateway.unwrap_or("none"))
            .map_err(|e| e.at("gateway"))
            .or_raise(py)?;
        let mut config = commerce_runtime::Config::new(url).with_gateway(gateway);
        if let Some(seconds) = reservation_ttl_seconds {
            config = config.with_reservation_ttl(Duration::from_secs(u64::from(seconds)));
        }
        let service = py
            .detach(|| runtime().block_on(commerce_runtime::build(&config)))
            .or_raise(py)?;
        let config = EventsConfig {
            brokers: events,
            smtp: smtp_url.map(|url| EmailSettings {
                url,
                from: smtp_from,
                shop_name,
            }),
            webhooks_to_private_addresses,
        };
        let destinations = {
            let _runtime = runtime().enter();
            commerce_events::destinations(&config, &service).or_raise(py)?
        };
        Ok(PyCommerce {
            service,
            destinations,
            worker: commerce_events::worker_name(),
        })
    }

    // ------------------------------------------------------------------ catalog and stock

    /// Validates and saves a product (a dict: `id`, `name`, `variants` with prices, ...).
    fn put_product<'py>(
        &self,
        py: Python<'py>,
        product: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let product: Product = from_py(product)?;
        self.call(py, move |s| async move { s.put_product(product).await })
    }

    /// A product by id; raises `NotFound`.
    fn product<'py>(&self, py: Python<'py>, id: String) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, move |s| async move { s.product(id.as_str()).await })
    }

    /// A page of products in id order: `{"items": [...], "next_cursor": str | None}`, only
    /// those with `status`, in `category`, or whose name, description or SKUs contain `text`
    /// (ignoring case), when given.
    #[pyo3(signature = (*, after = None, limit = 50, status = None, category = None, text = None))]
    #[allow(clippy::too_many_arguments)]
    fn products<'py>(
        &self,
        py: Python<'py>,
        after: Option<String>,
        limit: usize,
        status: Option<&str>,
        category: Option<String>,
        text: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let filter = ProductFilter {
            status: status.map(|s| from_name(py, s, "status")).transpose()?,
            category_id: category,
            text,
        };
        self.call(py, move |s| async move {
            s.products(None, &filter, after.as_deref(), Some(limit))
                .await
        })
    }

    /// Searches the active products: every word of `query` must match (typos, plurals and the
    /// start of the last word are found), ranked as `commerce_core::search` documents.
    /// `categories` (any, with their descendants), `min_price`/`max_price` (inclusive,
    /// `Decimal` or `str` in `currency_code`), `options` (`{"colour": ["blue", "red"]}`: any
    /// value of each) and `in_stock` filter; the facet counts are disjunctive within a facet.
    /// `sort` is `"relevance"`, `"price_ascending"` or `"price_descending"`.
    /// Returns `{"items": [{"product", "matches"}], "total", "facets", "price_range",
    /// "next_cursor"}`.
    #[pyo3(signature = (
        query, currency_code, *, categories = None, min_price = None, max_price = None,
        options = None, in_stock = false, sort = "relevance", cursor = None, limit = 20
    ))]
    #[allow(clippy::too_many_arguments)]
    fn search<'py>(
        &self,
        py: Python<'py>,
        query: String,
        currency_code: &str,
        categories: Option<Vec<String>>,
        min_price: Option<Bound<'py, PyAny>>,
        max_price: Option<Bound<'py, PyAny>>,
        options: Option<BTreeMap<String, Vec<String>>>,
        in_stock: bool,
        sort: &str,
        cursor: Option<String>,
        limit: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        let currency = currency(py, currency_code)?;
        let sort: SearchSort = from_name(py, sort, "sort")?;
        let minor = |value: Option<Bound<'py, PyAny>>, field: &str| -> PyResult<Option<i128>> {
            value
                .map(|v| {
                    let text = decimal_text(&v, field)?;
                    Money::parse(&text, currency)
                        .and_then(|m| m.to_minor())
                        .map(i128::from)
                        .map_err(|e| e.at(field))
                        .or_raise(py)
                })
                .transpose()
        };
        let filters = Filters {
            categories: categories.unwrap_or_default().into_iter().collect(),
            min_price: minor(min_price, "min_price")?,
            max_price: minor(max_price, "max_price")?,
            attributes: options
                .unwrap_or_default()
                .into_iter()
                .map(|(name, values)| (name, values.into_iter().collect()))
                .collect(),
            in_stock,
        };
        let request = SearchRequest {
            query,
            currency,
            filters,
            sort,
            cursor,
            limit,
        };
        self.call(py, move |s| async move { s.search(&request).await })
    }

    /// What a search box offers for the text typed so far: `[{"product_id", "name"}]`, the
    /// first (at most `limit`, 1 to 10) products `search` ranks for it.
    #[pyo3(signature = (text, currency_code, *, limit = 10))]
    fn suggest<'py>(
        &self,
        py: Python<'py>,
        text: String,
        currency_code: &str,
        limit: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        let currency = currency(py, currency_code)?;
        self.call(py, move |s| async move {
            s.suggest(&text, currency, limit).await
        })
    }

    /// Archives a product: it stays on past orders but can no longer be bought.
    fn archive_product<'py>(&self, py: Python<'py>, id: String) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, move |s| async move { s.archive_product(&id).await })
    }

    /// Saves a category.
    fn put_category<'py>(
        &self,
        py: Python<'py>,
        category: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let category: Category = from_py(category)?;
        self.call(py, move |s| async move { s.put_category(category).await })
    }

    /// Changes a SKU's stock on hand by `delta` units (and, if given, whether it may be
    /// backordered); raises `InsufficientStock` below zero or below what is reserved. With an
    /// `idempotency_key`, a retry changes nothing more and returns the level as it is now.
    #[pyo3(signature = (sku, delta, *, allow_backorder = None, idempotency_key = None))]
    fn adjust_stock<'py>(
        &self,
        py: Python<'py>,
        sku: String,
        delta: i64,
        allow_backorder: Option<bool>,
        idempotency_key: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let key = key(idempotency_key);
        self.call(py, move |s| async move {
            match key {
                Some(key) => {
                    s.adjust_stock_once(&sku, delta, allow_backorder, &key)
                        .await
                }
                None => s.adjust_stock(&sku, delta, allow_backorder).await,
            }
        })
    }

    /// A SKU's stock levels, one per location (`on_hand`, `reserved`, ...).
    fn stock<'py>(&self, py: Python<'py>, sku: String) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, move |s| async move { s.stock(&sku).await })
    }

    /// The shop settings: tax zones, promotions, shipping methods, rounding.
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, move |s| async move { s.config().await })
    }

    /// Replaces the shop settings (compare-and-set on their `version`; raises `Conflict` if
    /// they changed since they were read).
    fn put_config<'py>(
        &self,
        py: Python<'py>,
        config: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let config: ShopConfig = from_py(config)?;
        self.call(py, move |s| async move { s.put_config(config).await })
    }

    /// Validates and saves a customer, compare-and-set on its `version` (the version it was
    /// read at, 0 or absent for a new one): raises `Conflict` if it changed since. Returns it
    /// with its new version.
    fn put_customer<'py>(
        &self,
        py: Python<'py>,
        customer: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let customer: Customer = from_py(customer)?;
        self.call(py, move |s| async move { s.put_customer(customer).await })
    }

    // ------------------------------------------------------------------ carts

    /// Creates an empty cart, for a guest or a customer.
    #[pyo3(signature = (currency_code, customer_id = None))]
    fn create_cart<'py>(
        &self,
        py: Python<'py>,
        currency_code: &str,
        customer_id: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let currency = currency(py, currency_code)?;
        self.call(py, move |s| async move {
            s.create_cart(currency, customer_id).await
        })
    }

    /// A cart; raises `NotFound`.
    fn cart<'py>(&self, py: Python<'py>, cart_id: String) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, move |s| async move { s.cart(&cart_id).await })
    }

    /// Adds units of a SKU at the catalog's price; returns the cart.
    #[pyo3(signature = (cart_id, sku, quantity, options = None))]
    fn add_to_cart<'py>(
        &self,
        py: Python<'py>,
        cart_id: String,
        sku: String,
        quantity: u32,
        options: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options: BTreeMap<String, String> = match options {
            Some(options) => from_py(options)?,
            None => BTreeMap::new(),
        };
        self.call(py, move |s| async move {
            s.add_to_cart(&cart_id, &sku, quantity, options).await
        })
    }

    /// Sets a cart line's quantity; returns the cart.
    fn set_cart_quantity<'py>(
        &self,
        py: Python<'py>,
        cart_id: String,
        line_id: String,
        quantity: u32,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, move |s| async move {
            s.set_cart_quantity(&cart_id, &line_id, quantity).await
        })
    }

    /// Removes a cart line; returns the cart.
    fn remove_cart_line<'py>(
        &self,
        py: Python<'py>,
        cart_id: String,
        line_id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, move |s| async move {
            s.remove_cart_line(&cart_id, &line_id).await
        })
    }

    /// Enters a coupon code; returns the cart.
    fn apply_coupon<'py>(
        &self,
        py: Python<'py>,
        cart_id: String,
        code: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call(
            py,
            move |s| async move { s.apply_coupon(&cart_id, &code).await },
        )
    }

    /// Removes a coupon code; returns the cart.
    fn remove_coupon<'py>(
        &self,
        py: Python<'py>,
        cart_id: String,
        code: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, move |s| async move {
            s.remove_coupon(&cart_id, &code).await
        })
    }

    /// Sets where the cart ships (`{"country": "US", "region": "CA", ...}`) and how.
    #[pyo3(signature = (cart_id, destination = None, method = None))]
    fn set_shipping<'py>(
        &self,
        py: Python<'py>,
        cart_id: String,
        destination: Option<&Bound<'py, PyAny>>,
        method: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let destination: Option<Destination> = destination.map(from_py).transpose()?;
        self.call(py, move |s| async move {
            s.set_shipping(&cart_id, destination, method.as_deref())
                .await
        })
    }

    /// Prices a cart now, with the catalog's prices and the shop's settings.
    fn quote_cart<'py>(&self, py: Python<'py>, cart_id: String) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, move |s| async move { s.quote_cart(&cart_id).await })
    }

    /// The shipping methods that serve the cart's destination, each priced for the cart:
    /// `[{"method", "shipping_total", "grand_total"}]`.
    fn shipping_offers<'py>(
        &self,
        py: Python<'py>,
        cart_id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call(
            py,
            move |s| async move { s.shipping_offers(&cart_id).await },
        )
    }

    /// The exact pricing request the shop prices a cart with (for `commerce.quote`).
    fn pricing_request<'py>(
        &self,
        py: Python<'py>,
        cart_id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call(
            py,
            move |s| async move { s.pricing_request(&cart_id).await },
        )
    }

    // ------------------------------------------------------------------ checkout and orders

    /// Checks a cart out with the test gateway (any payment method token authorizes, except
    /// `"tok_decline"`, `"tok_decline_<reason>"`, `"tok_gateway_down"` and the like): reserves
    /// the stock, places the order and takes the payment.
    /// `email` and `shipping_address` (a dict: `name`, `line1`, `line2`, `city`, `region`,
    /// `postal_code`, `country`, `phone`) say who the order goes to; the shipping address prices
    /// it. A customer's cart may leave them out (their e-mail and first saved address) or name
    /// saved addresses by id; `billing_address` defaults to the shipping address.
    /// Returns `{"order": ..., "payment_intent": ...}`. The same `idempotency_key` does the work
    /// once: a retry returns the first result.
    #[pyo3(signature = (
        cart_id, payment_method, *, email = None, shipping_address = None,
        shipping_address_id = None, billing_address = None, billing_address_id = None,
        capture_method = "automatic", idempotency_key = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn checkout<'py>(
        &self,
        py: Python<'py>,
        cart_id: String,
        payment_method: String,
        email: Option<String>,
        shipping_address: Option<Bound<'py, PyAny>>,
        shipping_address_id: Option<String>,
        billing_address: Option<Bound<'py, PyAny>>,
        billing_address_id: Option<String>,
        capture_method: &str,
        idempotency_key: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let capture_method: CaptureMethod = from_name(py, capture_method, "capture_method")?;
        let address = |value: Option<Bound<'py, PyAny>>, field: &str| {
            value.map(|v| from_py_at::<Address>(&v, field)).transpose()
        };
        let request = CheckoutRequest {
            cart_id,
            payment_method,
            capture_method,
            idempotency_key,
            idempotency_scope: SCOPE.to_string(),
            contact: ContactRequest {
                email,
                shipping_address: address(shipping_address, "shipping_address")?,
                shipping_address_id,
                billing_address: address(billing_address, "billing_address")?,
                billing_address_id,
            },
        };
        self.call(py, move |s| async move { s.checkout(&request).await })
    }

    /// An order; raises `NotFound`.
    fn order<'py>(&self, py: Python<'py>, order_id: String) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, move |s| async move { s.order(&order_id).await })
    }

    /// A customer's orders, newest first: `{"items": [...], "next_cursor": ...}`, only those
    /// with `status` when given.
    #[pyo3(signature = (customer_id, *, after = None, limit = 50, status = None))]
    fn orders_for_customer<'py>(
        &self,
        py: Python<'py>,
        customer_id: String,
        after: Option<String>,
        limit: usize,
        status: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let filter = OrderFilter {
            customer_id: Some(customer_id),
            status: status.map(|s| from_name(py, s, "status")).transpose()?,
            ..OrderFilter::default()
        };
        self.call(py, move |s| async move {
            s.orders(None, filter, after.as_deref(), Some(limit)).await
        })
    }

    /// A payment intent; raises `NotFound`.
    fn payment_intent<'py>(
        &self,
        py: Python<'py>,
        intent_id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call(
            py,
            move |s| async move { s.payment_intent(&intent_id).await },
        )
    }

    /// Applies a payment gateway event (a dict as the gateway sends it).
    fn handle_gateway_event<'py>(
        &self,
        py: Python<'py>,
        event: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let event: GatewayEvent = from_py(event)?;
        self.call(
            py,
            move |s| async move { s.handle_gateway_event(&event).await },
        )
    }

    /// The order placed from a cart and its payment intent:
    /// `{"order": ..., "payment_intent": ...}`; raises `NotFound` if the cart has no order.
    fn checkout_of_cart<'py>(
        &self,
        py: Python<'py>,
        cart_id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call(
            py,
            move |s| async move { s.checkout_of_cart(&cart_id).await },
        )
    }

    /// Finishes a payment the gateway never answered (it could not be reached, or the process
    /// stopped in between), with another payment method if one is given.
    #[pyo3(signature = (intent_id, payment_method = None, *, idempotency_key = None))]
    fn confirm_payment<'py>(
        &self,
        py: Python<'py>,
        intent_id: String,
        payment_method: Option<String>,
        idempotency_key: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let key = key(idempotency_key);
        self.call(py, move |s| async move {
            s.confirm_payment(&intent_id, payment_method.as_deref(), key.as_ref())
                .await
        })
    }

    /// Captures `amount` (`Money`; everything capturable if omitted) of a manual-capture
    /// order's authorization.
    #[pyo3(signature = (order_id, amount = None, *, final_capture = true, idempotency_key = None))]
    fn capture<'py>(
        &self,
        py: Python<'py>,
        order_id: String,
        amount: Option<&Bound<'py, PyAny>>,
        final_capture: bool,
        idempotency_key: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let amount = amount.map(|a| money_arg(py, a, None)).transpose()?;
        let key = key(idempotency_key);
        self.call(py, move |s| async move {
            s.capture(&order_id, amount, final_capture, key.as_ref())
                .await
        })
    }

    /// Refunds `amount` (`Money`) of an order's captured payment; raises `AmountExceeded`
    /// beyond what is left.
    #[pyo3(signature = (order_id, amount, *, idempotency_key = None))]
    fn refund<'py>(
        &self,
        py: Python<'py>,
        order_id: String,
        amount: &Bound<'py, PyAny>,
        idempotency_key: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let amount = money_arg(py, amount, None)?;
        let key = key(idempotency_key);
        self.call(py, move |s| async move {
            s.refund(&order_id, amount, key.as_ref()).await
        })
    }

    /// Records returned units of a delivered line, restocks them and refunds their share.
    #[pyo3(signature = (order_id, line_id, quantity, *, idempotency_key = None))]
    fn return_units<'py>(
        &self,
        py: Python<'py>,
        order_id: String,
        line_id: String,
        quantity: u32,
        idempotency_key: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let key = key(idempotency_key);
        self.call(py, move |s| async move {
            s.return_units(&order_id, &line_id, quantity, key.as_ref())
                .await
        })
    }

    /// Cancels an order that has not shipped: releases stock, voids or refunds the payment.
    #[pyo3(signature = (order_id, *, idempotency_key = None))]
    fn cancel_order<'py>(
        &self,
        py: Python<'py>,
        order_id: String,
        idempotency_key: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let key = key(idempotency_key);
        self.call(py, move |s| async move {
            s.cancel_order(&order_id, key.as_ref()).await
        })
    }

    /// Marks `quantity` units of an order line fulfilled (packed).
    fn fulfil<'py>(
        &self,
        py: Python<'py>,
        order_id: String,
        line_id: String,
        quantity: u32,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, move |s| async move {
            s.fulfil(&order_id, &line_id, quantity).await
        })
    }

    /// Marks a fulfilled order `"shipped"`, or a shipped order `"delivered"` (the order decides
    /// which moves are allowed).
    fn advance_fulfillment<'py>(
        &self,
        py: Python<'py>,
        order_id: String,
        to: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let to: FulfillmentStatus = from_name(py, to, "to")?;
        self.call(py, move |s| async move {
            s.advance_fulfillment(&order_id, to).await
        })
    }

    /// Ships a fulfilled order, with its carrier and tracking number when given (both or
    /// neither; `tracking_url` is an `https://` link to follow the parcel). Raises
    /// `ValidationError` naming `shipment.<field>`.
    #[pyo3(signature = (order_id, *, carrier = None, tracking_number = None, tracking_url = None))]
    fn ship<'py>(
        &self,
        py: Python<'py>,
        order_id: String,
        carrier: Option<String>,
        tracking_number: Option<String>,
        tracking_url: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let shipment = match (carrier, tracking_number) {
            (None, None) if tracking_url.is_none() => None,
            (carrier, tracking_number) => Some(Shipment {
                carrier: carrier.unwrap_or_default(),
                tracking_number: tracking_number.unwrap_or_default(),
                tracking_url,
            }),
        };
        self.call(
            py,
            move |s| async move { s.ship(&order_id, shipment).await },
        )
    }

    /// Releases expired stock holds and forgets expired idempotency keys; returns how many
    /// holds were released. Call it periodically.
    fn sweep<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, move |s| async move { s.sweep().await })
    }

    /// Asks the payment gateway about the captures, refunds and voids a failed or interrupted
    /// call left pending, and settles them: `{"succeeded": n, "failed": n, "unanswered": n}`.
    /// Call it periodically (every few seconds); asking again is safe.
    fn settle_due_money_moves<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, move |s| async move {
            let settled = s.settle_due_money_moves().await?;
            Ok(SettledMoves {
                succeeded: settled.succeeded,
                failed: settled.failed,
                unanswered: settled.unanswered,
            })
        })
    }

    /// Runs once what the worker of `commerce-server` runs: settles pending money moves,
    /// releases expired holds, cancels orders left unpaid, voids authorizations before they
    /// lapse (under a lease in the store, so that one process of many does it), and sends due
    /// events to the brokers, mailer and webhook endpoints the constructor named. Returns
    /// what it did, as a dict; `found_work` says whether to call again at once (else wait a
    /// second). Safe from several processes on one database.
    fn run_pending_jobs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let destinations = self.destinations.clone();
        let worker = self.worker.clone();
        self.call(py, move |s| async move {
            Ok(JobsDone::from(
                s.run_pending_jobs(&destinations, &worker).await?,
            ))
        })
    }

    /// The payment gateway's circuit breaker, as a dict (`gateway`, `state`: `closed`, `open` or
    /// `half_open`, `consecutive_failures`, `times_opened`, `calls_refused`); `None` when no
    /// gateway is configured.
    fn gateway_health<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.service.gateway_health())
    }

    /// Adds a webhook endpoint receiving `event_types` (all if empty), with a new signing
    /// secret: the record, with `secret`, which only this answer shows.
    #[pyo3(signature = (url, event_types = Vec::new(), description = String::new()))]
    fn create_webhook_endpoint<'py>(
        &self,
        py: Python<'py>,
        url: String,
        event_types: Vec<String>,
        description: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut kinds = Vec::new();
        for name in &event_types {
            kinds.push(from_name::<EventKind>(py, name, "event_types")?);
        }
        self.call(py, move |s| async move {
            let secret = commerce_core::webhooks::new_secret()?;
            s.create_webhook_endpoint(&url, kinds, &description, &secret)
                .await
        })
    }

    /// Deliveries of events, newest first: `{"items": [...], "next_cursor": ...}`, by
    /// `status` (`"pending"`, `"delivered"`, `"dead"`) and `destination`.
    #[pyo3(signature = (*, status = None, destination = None, after = None, limit = None))]
    fn deliveries<'py>(
        &self,
        py: Python<'py>,
        status: Option<&str>,
        destination: Option<String>,
        after: Option<String>,
        limit: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let status: Option<DeliveryStatus> = match status {
            Some(name) => Some(from_name(py, name, "status")?),
            None => None,
        };
        let filter = DeliveryFilter {
            status,
            destination,
        };
        self.call(py, move |s| async move {
            s.deliveries(&filter, after.as_deref(), limit).await
        })
    }
}

/// What `run_pending_jobs` did, as a dict.
#[derive(Serialize)]
struct JobsDone {
    maintained: bool,
    settled_moves: usize,
    unanswered_moves: usize,
    released_holds: u64,
    abandoned_orders: usize,
    voided_authorizations: usize,
    reconciled_payments: usize,
    routed: usize,
    delivered: usize,
    failed: usize,
    dead: usize,
    disabled_endpoints: usize,
    found_work: bool,
}

impl From<JobsReport> for JobsDone {
    fn from(report: JobsReport) -> JobsDone {
        let d = report.deliveries;
        JobsDone {
            maintained: report.maintained,
            settled_moves: report.settled_moves,
            unanswered_moves: report.unanswered_moves,
            released_holds: report.released_holds,
            abandoned_orders: report.abandoned_orders,
            voided_authorizations: report.voided_authorizations,
            reconciled_payments: report.reconciled_payments,
            routed: d.routed,
            delivered: d.delivered,
            failed: d.failed,
            dead: d.dead,
            disabled_endpoints: d.disabled_endpoints,
            found_work: report.found_work(),
        }
    }
}

/// What `settle_due_money_moves` did, as a dict.
#[derive(Serialize)]
struct SettledMoves {
    succeeded: usize,
    failed: usize,
    unanswered: usize,
}
