//! Reading the core's types from JSON as every wrapper does, so that a mistake is told the same
//! way over HTTP, in Python and in the browser: an `invalid_request` naming the field's path
//! (`lines[0].quantity`), never a line and column of a text the caller may never have seen.

use crate::error::{Error, ErrorKind, Result};

/// Reads a `T` from JSON.
///
/// # Errors
///
/// `invalid_request` at the path of the field that is missing, unknown or of the wrong type.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Line { quantity: u32 }
/// #[derive(serde::Deserialize)]
/// struct Cart { lines: Vec<Line> }
///
/// let err = commerce_core::json::from_json::<Cart>(br#"{"lines": [{"quantity": -1}]}"#)
///     .err()
///     .unwrap();
/// assert_eq!(err.code(), "invalid_request");
/// assert_eq!(err.field(), Some("lines[0].quantity"));
/// ```
pub fn from_json<T: serde::de::DeserializeOwned>(json: &[u8]) -> Result<T> {
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        let message = match message.rfind(" at line ") {
            Some(at) => message[..at].to_owned(),
            None => message,
        };
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
            .map(str::to_owned);
        let error = Error::new(ErrorKind::InvalidRequest { message });
        let path = (path != ".").then_some(path);
        match (path, missing) {
            (Some(path), Some(field)) => error.at(field).at(path),
            (Some(path), None) => error.at(path),
            (None, Some(field)) => error.at(field),
            (None, None) => error,
        }
    })?;
    // Trailing characters after the value are a mistake too.
    deserializer.end().map_err(|e| {
        Error::new(ErrorKind::InvalidRequest {
            message: e.to_string(),
        })
    })?;
    Ok(value)
}
