//! What text the shop accepts: one definition, which every front end and every store follows,
//! so that the same input gets the same answer on SQLite, PostgreSQL and in memory.
//!
//! - An **id** (of a product, a SKU, a category, a cart, an order, ...) is 1 to
//!   [`MAX_ID_CHARS`] characters with no control character and no surrounding whitespace.
//! - A **line** (a name, an e-mail address, a coupon code, an option's value) has no control
//!   character at all.
//! - **Free text** (a description) may hold line breaks and tabs, and no other control
//!   character.
//!
//! NUL is never accepted: PostgreSQL cannot store it, so no store may. A lookup by an id that
//! breaks these rules finds nothing, since nothing can have been stored under it.

use crate::error::{Error, Result};

/// The most characters an id may have.
pub const MAX_ID_CHARS: usize = 255;

/// Checks an id.
///
/// # Errors
///
/// `invalid_input` for an empty id, one with a control character or surrounding whitespace, or
/// one longer than [`MAX_ID_CHARS`].
///
/// # Example
///
/// ```
/// use commerce_core::text::check_id;
///
/// assert!(check_id("MUG-BLUE").is_ok());
/// assert!(check_id("MUG\0").is_err());
/// assert!(check_id(" MUG").is_err());
/// assert!(check_id("").is_err());
/// ```
pub fn check_id(value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid("an id cannot be empty"));
    }
    if value.trim() != value {
        return Err(Error::invalid("an id cannot begin or end with whitespace"));
    }
    if value.chars().count() > MAX_ID_CHARS {
        return Err(Error::invalid(format!(
            "an id has at most {MAX_ID_CHARS} characters"
        )));
    }
    check_line(value)
}

/// Checks a line of text.
///
/// # Errors
///
/// `invalid_input` if it holds a control character (NUL, a line break, a tab, ...).
pub fn check_line(value: &str) -> Result<()> {
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(
            "control characters (NUL, line breaks, tabs, ...) are not allowed here",
        ));
    }
    Ok(())
}

/// Checks free text.
///
/// # Errors
///
/// `invalid_input` if it holds a control character other than a line break or a tab.
pub fn check_free_text(value: &str) -> Result<()> {
    let allowed = |c: char| matches!(c, '\n' | '\r' | '\t');
    if value.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err(Error::invalid(
            "control characters other than line breaks and tabs are not allowed here",
        ));
    }
    Ok(())
}

/// Whether something could have been stored under `id`: a lookup by an id that could not
/// finds nothing, on every store alike.
pub fn could_be_id(id: &str) -> bool {
    check_id(id).is_ok()
}
