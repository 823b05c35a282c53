//! The private native module of the `commerce` Python package (`commerce._native`). The typed
//! public API is the package itself (`python/commerce`); this module only translates between
//! Python values and `commerce-core`, which does all the work.

#![forbid(unsafe_code)]

mod cart;
mod convert;
mod errors;
mod money;
mod service;
mod typed_quote;

use commerce_core::pricing::PricingRequest;
use pyo3::prelude::*;

use crate::errors::IntoPy;

/// Prices a pricing request (a dict, or a `commerce.types.PricingRequest`) and returns the quote
/// as a dict, with every amount a `decimal.Decimal`. The GIL is released while the engine works.
///
/// >>> import commerce
/// >>> quote = commerce.quote({
/// ...     "currency": "USD", "now": "2026-11-22T09:00:00Z",
/// ...     "lines": [{"id": "1", "sku": "TEE", "quantity": 3, "unit_price": "19.99"}],
/// ... })
/// >>> quote["totals"]["grand_total"]
/// Decimal('59.97')
#[pyfunction]
fn quote<'py>(request: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let py = request.py();
    let json = convert::to_json(request)?;
    let request = py
        .detach(|| PricingRequest::from_json(&json))
        .or_raise(py)?;
    let priced = py.detach(|| commerce_core::pricing::quote(&request));
    convert::to_py(py, &priced.or_raise(py)?)
}

/// Prices a pricing request given as JSON text; returns the quote as JSON text (amounts are
/// decimal strings), byte for byte what every other binding returns.
#[pyfunction]
fn quote_json(py: Python<'_>, request: &str) -> PyResult<String> {
    py.detach(|| commerce_core::pricing::quote_json(request))
        .or_raise(py)
}

/// Quotes one request `iterations` times inside Rust and returns the nanoseconds taken: the
/// native baseline the Python benchmark compares `quote()` against, in the same process. With
/// `from_json`, each iteration also parses the request and writes the quote as JSON.
#[pyfunction]
#[pyo3(signature = (request, iterations, from_json = false))]
fn _bench_native_quote(
    py: Python<'_>,
    request: &str,
    iterations: u32,
    from_json: bool,
) -> PyResult<u128> {
    let parsed = PricingRequest::from_json(request).or_raise(py)?;
    py.detach(|| {
        let started = std::time::Instant::now();
        for _ in 0..iterations {
            if from_json {
                std::hint::black_box(commerce_core::pricing::quote_json(std::hint::black_box(
                    request,
                ))?);
            } else {
                let quote = commerce_core::pricing::quote(std::hint::black_box(&parsed))?;
                std::hint::black_box(quote);
            }
        }
        Ok(started.elapsed().as_nanos())
    })
    .or_raise(py)
}

/// The library version.
#[pyfunction]
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(quote, module)?)?;
    module.add_function(wrap_pyfunction!(quote_json, module)?)?;
    module.add_function(wrap_pyfunction!(typed_quote::price, module)?)?;
    module.add_function(wrap_pyfunction!(typed_quote::totals_only, module)?)?;
    module.add_function(wrap_pyfunction!(_bench_native_quote, module)?)?;
    module.add_function(wrap_pyfunction!(version, module)?)?;
    module.add_function(wrap_pyfunction!(money::currency_exponent, module)?)?;
    module.add_class::<money::PyMoney>()?;
    module.add_class::<cart::PyCart>()?;
    module.add_class::<typed_quote::PyQuote>()?;
    module.add_class::<typed_quote::PyQuoteLine>()?;
    module.add_class::<typed_quote::PyQuoteShipping>()?;
    module.add_class::<typed_quote::PyTotals>()?;
    module.add_class::<service::PyCommerce>()?;
    Ok(())
}
