//! The core's errors as the Python exceptions of `commerce.errors`, which map each stable code
//! to its class: the table lives beside the classes, in one place.

use commerce_core::Error;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

static FROM_CORE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The Python exception for a core error, carrying its `code` and `field`.
pub fn to_py_err(py: Python<'_>, error: &Error) -> PyErr {
    let made = FROM_CORE
        .import(py, "commerce.errors", "_from_core")
        .and_then(|from_core| from_core.call1((error.code(), error.to_string(), error.field())));
    match made {
        Ok(exception) => PyErr::from_value(exception),
        Err(import_failed) => import_failed,
    }
}

/// Converts core results inside the bindings.
pub trait IntoPy<T> {
    /// The value, or the core error as a Python exception.
    fn or_raise(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPy<T> for Result<T, Error> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py_err(py, &e))
    }
}
