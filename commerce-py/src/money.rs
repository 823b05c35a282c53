//! `Money`, currencies and rounding modes.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use commerce_core::money::RoundingMode;
use commerce_core::{Currency, Money};
use pyo3::basic::CompareOp;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyInt};

use crate::convert::{decimal_text, new_decimal};
use crate::errors::IntoPy;

/// An exact amount of money in one currency, always in whole minor units (cents).
///
/// Amounts are `decimal.Decimal`, `str` or `int`, never `float`. Arithmetic across two
/// currencies raises `CurrencyMismatch`.
///
/// >>> from decimal import Decimal
/// >>> from commerce import Money
/// >>> price = Money("19.99", "USD")
/// >>> price * 3
/// Money('59.97', 'USD')
/// >>> price.amount == Decimal("19.99"), price.minor_units
/// (True, 1999)
/// >>> [str(part) for part in Money("100.00", "USD").split(3)]
/// ['33.34 USD', '33.33 USD', '33.33 USD']
#[pyclass(frozen, module = "commerce._native", name = "Money")]
#[derive(Clone)]
pub struct PyMoney {
    pub inner: Money,
}

pub fn currency(py: Python<'_>, code: &str) -> PyResult<Currency> {
    Currency::from_code(code).or_raise(py)
}

pub fn rounding_mode(py: Python<'_>, name: &str) -> PyResult<RoundingMode> {
    crate::convert::from_name(py, name, "rounding")
}

impl PyMoney {
    fn other<'a>(other: &'a Bound<'_, PyAny>) -> Option<PyRef<'a, PyMoney>> {
        other.cast::<PyMoney>().ok().map(|m| m.borrow())
    }
}

#[pymethods]
impl PyMoney {
    /// Money from an exact amount; more decimals than the currency has raise
    /// `ValidationError` (`too_many_decimals`); use `Money.rounded` to round instead.
    #[new]
    fn new(py: Python<'_>, amount: &Bound<'_, PyAny>, currency_code: &str) -> PyResult<PyMoney> {
        let text = decimal_text(amount, "amount")?;
        let currency = currency(py, currency_code)?;
        Ok(PyMoney {
            inner: Money::parse(&text, currency).or_raise(py)?,
        })
    }

    /// Money from an amount rounded to the currency's minor unit by a named rounding mode
    /// (`"half_even"` by default).
    ///
    /// >>> Money.rounded("2.345", "USD", "half_up")
    /// Money('2.35', 'USD')
    #[staticmethod]
    #[pyo3(signature = (amount, currency_code, rounding = "half_even"))]
    fn rounded(
        py: Python<'_>,
        amount: &Bound<'_, PyAny>,
        currency_code: &str,
        rounding: &str,
    ) -> PyResult<PyMoney> {
        let text = decimal_text(amount, "amount")?;
        let currency = currency(py, currency_code)?;
        let mode = rounding_mode(py, rounding)?;
        Ok(PyMoney {
            inner: Money::parse_rounded(&text, currency, mode).or_raise(py)?,
        })
    }

    /// Money from a count of minor units.
    ///
    /// >>> Money.from_minor(1999, "USD")
    /// Money('19.99', 'USD')
    #[staticmethod]
    fn from_minor(py: Python<'_>, minor: i64, currency_code: &str) -> PyResult<PyMoney> {
        Ok(PyMoney {
            inner: Money::from_minor(minor, currency(py, currency_code)?),
        })
    }

    /// The zero amount of a currency.
    #[staticmethod]
    fn zero(py: Python<'_>, currency_code: &str) -> PyResult<PyMoney> {
        Ok(PyMoney {
            inner: Money::zero(currency(py, currency_code)?),
        })
    }

    /// The amount, as `decimal.Decimal`.
    #[getter]
    fn amount<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        new_decimal(py, &self.inner.amount().to_string())
    }

    /// The ISO 4217 code.
    #[getter]
    fn currency(&self) -> &'static str {
        self.inner.currency().code()
    }

    /// The amount in minor units (cents).
    #[getter]
    fn minor_units(&self, py: Python<'_>) -> PyResult<i64> {
        self.inner.to_minor().or_raise(py)
    }

    /// True for zero.
    fn is_zero(&self) -> bool {
        self.inner.is_zero()
    }

    /// True below zero.
    fn is_negative(&self) -> bool {
        self.inner.is_negative()
    }

    /// Splits the amount by weights (largest remainder on minor units, ties to the earlier
    /// part); the parts always add up to the whole.
    ///
    /// >>> [p.amount for p in Money("10.00", "USD").allocate([1, 1, 1])]
    /// [Decimal('3.34'), Decimal('3.33'), Decimal('3.33')]
    fn allocate(&self, py: Python<'_>, weights: Vec<Bound<'_, PyAny>>) -> PyResult<Vec<PyMoney>> {
        let weights = weights
            .iter()
            .map(|w| {
                let text = decimal_text(w, "weight")?;
                commerce_core::money::parse_decimal(&text).or_raise(py)
            })
            .collect::<PyResult<Vec<_>>>()?;
        Ok(self
            .inner
            .allocate(&weights)
            .or_raise(py)?
            .into_iter()
            .map(|inner| PyMoney { inner })
            .collect())
    }

    /// Splits the amount into `parts` near-equal parts that add up to the whole.
    fn split(&self, py: Python<'_>, parts: usize) -> PyResult<Vec<PyMoney>> {
        Ok(self
            .inner
            .split(parts)
            .or_raise(py)?
            .into_iter()
            .map(|inner| PyMoney { inner })
            .collect())
    }

    /// `percent` percent of the amount, rounded by a named mode.
    ///
    /// >>> Money("19.99", "USD").percentage("15")
    /// Money('3.00', 'USD')
    #[pyo3(signature = (percent, rounding = "half_even"))]
    fn percentage(
        &self,
        py: Python<'_>,
        percent: &Bound<'_, PyAny>,
        rounding: &str,
    ) -> PyResult<PyMoney> {
        let text = decimal_text(percent, "percent")?;
        let percent = commerce_core::money::parse_decimal(&text).or_raise(py)?;
        let mode = rounding_mode(py, rounding)?;
        Ok(PyMoney {
            inner: self.inner.percentage(percent, mode).or_raise(py)?,
        })
    }

    /// `{"amount": Decimal, "currency": str}`, as money appears in every dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        dict.set_item("amount", self.amount(py)?)?;
        dict.set_item("currency", self.currency())?;
        Ok(dict)
    }

    fn __add__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        match PyMoney::other(other) {
            Some(other) => Ok(PyMoney {
                inner: self.inner.checked_add(&other.inner).or_raise(py)?,
            }
            .into_pyobject(py)?
            .into_any()
            .unbind()),
            None => Ok(py.NotImplemented()),
        }
    }

    fn __sub__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        match PyMoney::other(other) {
            Some(other) => Ok(PyMoney {
                inner: self.inner.checked_sub(&other.inner).or_raise(py)?,
            }
            .into_pyobject(py)?
            .into_any()
            .unbind()),
            None => Ok(py.NotImplemented()),
        }
    }

    fn __mul__(&self, py: Python<'_>, factor: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        if !factor.is_instance_of::<PyInt>() || factor.is_instance_of::<pyo3::types::PyBool>() {
            if factor.is_instance_of::<pyo3::types::PyFloat>() {
                return Err(PyTypeError::new_err(
                    "money is multiplied by whole quantities only; use percentage() for rates",
                ));
            }
            return Ok(py.NotImplemented());
        }
        let factor: i64 = factor.extract()?;
        Ok(PyMoney {
            inner: self.inner.checked_mul(factor).or_raise(py)?,
        }
        .into_pyobject(py)?
        .into_any()
        .unbind())
    }

    fn __rmul__(&self, py: Python<'_>, factor: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        self.__mul__(py, factor)
    }

    fn __neg__(&self) -> PyMoney {
        PyMoney {
            inner: self.inner.negated(),
        }
    }

    fn __bool__(&self) -> bool {
        !self.inner.is_zero()
    }

    fn __richcmp__(
        &self,
        py: Python<'_>,
        other: &Bound<'_, PyAny>,
        op: CompareOp,
    ) -> PyResult<Py<PyAny>> {
        let Some(other) = PyMoney::other(other) else {
            return Ok(py.NotImplemented());
        };
        let same = self.inner == other.inner;
        let answer = match op {
            CompareOp::Eq => same,
            CompareOp::Ne => !same,
            _ => op.matches(self.inner.checked_cmp(&other.inner).or_raise(py)?),
        };
        Ok(pyo3::types::PyBool::new(py, answer)
            .to_owned()
            .into_any()
            .unbind())
    }

    fn __hash__(&self) -> u64 {
        let mut hasher = DefaultHasher::new();
        self.inner.amount().normalize().hash(&mut hasher);
        self.inner.currency().code().hash(&mut hasher);
        hasher.finish()
    }

    fn __repr__(&self) -> String {
        format!("Money('{}', '{}')", self.inner.amount(), self.currency())
    }

    fn __str__(&self) -> String {
        format!("{} {}", self.inner.amount(), self.currency())
    }

    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, (String, &'static str))> {
        let this = slf.get();
        Ok((
            slf.get_type().into_any(),
            (this.inner.amount().to_string(), this.currency()),
        ))
    }
}

/// The number of decimals of a currency's minor unit: 2 for USD, 0 for JPY, 3 for KWD.
///
/// >>> from commerce import currency_exponent
/// >>> currency_exponent("JPY"), currency_exponent("USD"), currency_exponent("KWD")
/// (0, 2, 3)
#[pyfunction]
pub fn currency_exponent(py: Python<'_>, code: &str) -> PyResult<u32> {
    Ok(currency(py, code)?.exponent())
}
