//! `Quote`: a priced cart held in Rust, read through attributes. Python values are made only
//! for what is read, so reading the totals of a large quote costs little; `to_dict()` gives
//! the same dict as `commerce.quote()`.

use std::sync::Arc;

use commerce_core::pricing::{PricingRequest, Quote, Totals, quote, quote_totals};
use pyo3::prelude::*;
use rust_decimal::Decimal;

use crate::convert::{new_decimal, to_json, to_py};
use crate::errors::IntoPy;

type Owned = Arc<Quote<'static>>;

fn decimal<'py>(py: Python<'py>, value: &Decimal) -> PyResult<Bound<'py, PyAny>> {
    new_decimal(py, &value.to_string())
}

/// Prices a pricing request, like `quote()`, and returns a `Quote` object instead of a dict.
///
/// >>> import commerce
/// >>> q = commerce.price({
/// ...     "currency": "USD", "now": "2026-11-22T09:00:00Z",
/// ...     "lines": [{"id": "1", "sku": "TEE", "quantity": 3, "unit_price": "19.99"}],
/// ... })
/// >>> q.totals.grand_total, q.lines[0].total
/// (Decimal('59.97'), Decimal('59.97'))
#[pyfunction]
pub fn price(request: &Bound<'_, PyAny>) -> PyResult<PyQuote> {
    let py = request.py();
    let json = to_json(request)?;
    let priced = py.detach(|| {
        let request = PricingRequest::from_json(&json)?;
        quote(&request).map(Quote::into_owned)
    });
    Ok(PyQuote {
        quote: Arc::new(priced.or_raise(py)?),
    })
}

/// A priced cart: line totals plus shipping equal the grand total, exactly.
#[pyclass(frozen, module = "commerce._native", name = "Quote")]
pub struct PyQuote {
    quote: Owned,
}

#[pymethods]
impl PyQuote {
    /// The currency code of every amount.
    #[getter]
    fn currency(&self) -> &'static str {
        self.quote.currency.code()
    }

    /// Whether line subtotals and discounts include tax.
    #[getter]
    fn prices_include_tax(&self) -> bool {
        self.quote.prices_include_tax
    }

    /// One `QuoteLine` per request line, in request order.
    #[getter]
    fn lines(&self) -> Vec<PyQuoteLine> {
        (0..self.quote.lines.len())
            .map(|index| PyQuoteLine {
                quote: self.quote.clone(),
                index,
            })
            .collect()
    }

    /// The shipping charge, if a method was chosen.
    #[getter]
    fn shipping(&self) -> Option<PyQuoteShipping> {
        self.quote.shipping.as_ref().map(|_| PyQuoteShipping {
            quote: self.quote.clone(),
        })
    }

    /// Each promotion's outcome (applied with its allocations, or why not), as dicts.
    #[getter]
    fn promotions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.quote.promotions)
    }

    /// What became of each coupon code entered, as dicts.
    #[getter]
    fn coupon_codes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.quote.coupon_codes)
    }

    /// Tax per rate, as dicts.
    #[getter]
    fn taxes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.quote.taxes)
    }

    /// The order totals.
    #[getter]
    fn totals(&self) -> PyTotals {
        PyTotals {
            totals: self.quote.totals.clone(),
        }
    }

    /// The whole quote as the dict `commerce.quote()` returns.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &*self.quote)
    }

    fn __repr__(&self) -> String {
        format!(
            "Quote(currency='{}', lines={}, grand_total='{}')",
            self.quote.currency.code(),
            self.quote.lines.len(),
            self.quote.totals.grand_total
        )
    }
}

/// Prices a pricing request and returns only its `Totals`: the same totals as `price()` and
/// `quote()`, computed without the explanation (lines, promotions, taxes), for a total shown or
/// checked often.
///
/// >>> import commerce
/// >>> t = commerce.quote_totals({
/// ...     "currency": "USD", "now": "2026-11-22T09:00:00Z",
/// ...     "lines": [{"id": "1", "sku": "TEE", "quantity": 3, "unit_price": "19.99"}],
/// ... })
/// >>> t.grand_total
/// Decimal('59.97')
#[pyfunction(name = "quote_totals")]
pub fn totals_only(request: &Bound<'_, PyAny>) -> PyResult<PyTotals> {
    let py = request.py();
    let json = to_json(request)?;
    let totals = py.detach(|| quote_totals(&PricingRequest::from_json(&json)?));
    Ok(PyTotals {
        totals: totals.or_raise(py)?,
    })
}

/// The order totals of a `Quote`.
#[pyclass(frozen, module = "commerce._native", name = "Totals")]
pub struct PyTotals {
    totals: Totals,
}

#[pymethods]
impl PyTotals {
    /// Merchandise before discounts.
    #[getter]
    fn subtotal<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        decimal(py, &self.totals.subtotal)
    }
    /// Every discount, lines and shipping.
    #[getter]
    fn discount_total<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        decimal(py, &self.totals.discount_total)
    }
    /// Shipping after its discounts.
    #[getter]
    fn shipping_total<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        decimal(py, &self.totals.shipping_total)
    }
    /// Everything after discounts, before (or without) tax.
    #[getter]
    fn net_total<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        decimal(py, &self.totals.net_total)
    }
    /// Every tax line.
    #[getter]
    fn tax_total<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        decimal(py, &self.totals.tax_total)
    }
    /// What the customer pays.
    #[getter]
    fn grand_total<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        decimal(py, &self.totals.grand_total)
    }
    /// The totals as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.totals)
    }
    fn __repr__(&self) -> String {
        let t = &self.totals;
        format!(
            "Totals(subtotal='{}', discount_total='{}', shipping_total='{}', tax_total='{}', grand_total='{}')",
            t.subtotal, t.discount_total, t.shipping_total, t.tax_total, t.grand_total
        )
    }
}

/// One priced line of a `Quote`.
#[pyclass(frozen, module = "commerce._native", name = "QuoteLine")]
pub struct PyQuoteLine {
    quote: Owned,
    index: usize,
}

impl PyQuoteLine {
    fn line(&self) -> &commerce_core::pricing::QuoteLine<'static> {
        &self.quote.lines[self.index]
    }
}

#[pymethods]
impl PyQuoteLine {
    /// The line's id.
    #[getter]
    fn id(&self) -> &str {
        &self.line().id
    }
    /// The SKU.
    #[getter]
    fn sku(&self) -> &str {
        &self.line().sku
    }
    /// The quantity.
    #[getter]
    fn quantity(&self) -> u32 {
        self.line().quantity
    }
    /// The unit price charged (after price lists and tiers).
    #[getter]
    fn unit_price<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        decimal(py, &self.line().unit_price)
    }
    /// Unit price times quantity.
    #[getter]
    fn subtotal<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        decimal(py, &self.line().subtotal)
    }
    /// The line's share of every discount.
    #[getter]
    fn discount_total<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        decimal(py, &self.line().discount_total)
    }
    /// Subtotal less discounts.
    #[getter]
    fn net_total<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        decimal(py, &self.line().net_total)
    }
    /// The line's tax.
    #[getter]
    fn tax_total<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        decimal(py, &self.line().tax_total)
    }
    /// What the line costs the customer.
    #[getter]
    fn total<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        decimal(py, &self.line().total)
    }
    /// Where the unit price came from, as a dict.
    #[getter]
    fn price_source<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.line().price_source)
    }
    /// Each promotion's share, as dicts.
    #[getter]
    fn discounts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.line().discounts)
    }
    /// The tax lines, as dicts.
    #[getter]
    fn tax_lines<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.line().tax_lines)
    }
    /// The line as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, self.line())
    }
    fn __repr__(&self) -> String {
        let line = self.line();
        format!(
            "QuoteLine(id='{}', sku='{}', quantity={}, total='{}')",
            line.id, line.sku, line.quantity, line.total
        )
    }
}

/// The shipping charge of a `Quote`.
#[pyclass(frozen, module = "commerce._native", name = "QuoteShipping")]
pub struct PyQuoteShipping {
    quote: Owned,
}

impl PyQuoteShipping {
    fn shipping(&self) -> PyResult<&commerce_core::pricing::QuoteShipping<'static>> {
        self.quote
            .shipping
            .as_ref()
            .ok_or_else(|| pyo3::exceptions::PyRuntimeError::new_err("the quote has no shipping"))
    }
}

#[pymethods]
impl PyQuoteShipping {
    /// The method's id.
    #[getter]
    fn method(&self) -> PyResult<String> {
        Ok(self.shipping()?.method.to_string())
    }
    /// The method's rate before any free-shipping threshold or discount.
    #[getter]
    fn rate_amount<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        decimal(py, &self.shipping()?.rate_amount)
    }
    /// Whether the method's free-above threshold was reached.
    #[getter]
    fn free_above_threshold(&self) -> PyResult<bool> {
        Ok(self.shipping()?.free_above_threshold)
    }
    /// The charge before discounts.
    #[getter]
    fn subtotal<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        decimal(py, &self.shipping()?.subtotal)
    }
    /// Shipping discounts.
    #[getter]
    fn discount_total<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        decimal(py, &self.shipping()?.discount_total)
    }
    /// The charge after discounts.
    #[getter]
    fn net_total<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        decimal(py, &self.shipping()?.net_total)
    }
    /// Tax on shipping.
    #[getter]
    fn tax_total<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        decimal(py, &self.shipping()?.tax_total)
    }
    /// What shipping costs the customer.
    #[getter]
    fn total<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        decimal(py, &self.shipping()?.total)
    }
    /// Each promotion's share, as dicts.
    #[getter]
    fn discounts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.shipping()?.discounts)
    }
    /// The tax lines, as dicts.
    #[getter]
    fn tax_lines<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.shipping()?.tax_lines)
    }
    /// Shipping as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, self.shipping()?)
    }
}
