//! Customers, their groups and addresses, and the rules of their accounts.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::text;

/// A customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Customer {
    /// The customer's id.
    pub id: String,
    /// Their e-mail address, unique among customers.
    pub email: String,
    /// Their name.
    #[serde(default)]
    pub name: String,
    /// Their customer group (`"wholesale"`, `"vip"`), for group prices and promotions.
    #[serde(default)]
    pub group: Option<String>,
    /// Their addresses.
    #[serde(default)]
    pub addresses: Vec<Address>,
    /// Incremented by every change; stores compare-and-set on it (0: not stored yet).
    #[serde(default)]
    pub version: u64,
}

/// A postal address. The country and region choose tax rates and shipping methods.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Address {
    /// The address's id, unique within the customer's book; empty (and left out) on an order's address.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// The recipient.
    pub name: String,
    /// The first address line.
    pub line1: String,
    /// The second address line.
    #[serde(default)]
    pub line2: String,
    /// The city.
    pub city: String,
    /// The region, state or province code (`"BC"`, `"CA"`), if the country has them.
    #[serde(default)]
    pub region: String,
    /// The postal code.
    #[serde(default)]
    pub postal_code: String,
    /// The ISO 3166-1 alpha-2 country code (`"CA"`).
    pub country: String,
    /// A telephone number for the carrier (digits, spaces, `+`, `-`, `(`, `)`, `.`), if any.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub phone: String,
}

/// The fewest characters a password may have (NIST SP 800-63B: at least 8, no composition
/// rules).
pub const MIN_PASSWORD_CHARS: usize = 8;
/// The most characters a password may have: long passphrases are welcome, unbounded input is
/// not (a slow hash of a megabyte is a denial of service).
pub const MAX_PASSWORD_CHARS: usize = 256;
/// How long a customer stays signed in: 30 days.
pub const DEFAULT_SESSION_TTL_MILLIS: i64 = 30 * 24 * 60 * 60 * 1000;

/// Checks a new password against the policy: 8 to 256 characters, not only spaces. Nothing
/// else is required of it (no mandatory digits or symbols, as NIST SP 800-63B advises).
///
/// # Errors
///
/// `invalid_input` at `password`, saying what is wrong.
///
/// # Example
///
/// ```
/// use commerce_core::customer::check_password;
///
/// assert!(check_password("correct horse battery staple").is_ok());
/// assert_eq!(check_password("short").unwrap_err().field(), Some("password"));
/// ```
pub fn check_password(password: &str) -> Result<()> {
    let chars = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) || password.trim().is_empty() {
        return Err(Error::invalid(format!(
            "a password has {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters"
        ))
        .at("password"));
    }
    Ok(())
}

impl Address {
    /// Checks the address: a recipient, a first line, a city, a two-letter upper-case country
    /// code, and fields of reasonable length.
    ///
    /// # Errors
    ///
    /// `invalid_input` naming the field.
    pub fn validate(&self) -> Result<()> {
        for (field, value, required) in [
            ("name", &self.name, true),
            ("line1", &self.line1, true),
            ("line2", &self.line2, false),
            ("city", &self.city, true),
            ("region", &self.region, false),
            ("postal_code", &self.postal_code, false),
        ] {
            if required && value.trim().is_empty() {
                return Err(Error::invalid(format!("an address needs a {field}")).at(field));
            }
            if value.chars().count() > 200 {
                return Err(Error::invalid("at most 200 characters").at(field));
            }
            text::check_line(value).map_err(|e| e.at(field))?;
        }
        let phone_chars = |c: char| c.is_ascii_digit() || " +-().".contains(c);
        if self.phone.len() > 32 || !self.phone.chars().all(phone_chars) {
            return Err(Error::invalid(
                "a telephone number of at most 32 digits, spaces and + - ( ) .",
            )
            .at("phone"));
        }
        let country = self.country.as_bytes();
        if country.len() != 2 || !country.iter().all(u8::is_ascii_uppercase) {
            return Err(Error::invalid("a two-letter ISO country code such as CA").at("country"));
        }
        Ok(())
    }
}

impl Customer {
    /// Checks the customer: an id, a plausible e-mail address, a name of reasonable length,
    /// unique address ids, valid addresses.
    ///
    /// # Errors
    ///
    /// [`crate::ErrorKind::InvalidInput`] naming the field.
    pub fn validate(&self) -> Result<()> {
        if self.id.trim().is_empty() {
            return Err(Error::invalid("a customer needs an id").at("id"));
        }
        text::check_id(&self.id).map_err(|e| e.at("id"))?;
        text::check_line(&self.email).map_err(|e| e.at("email"))?;
        text::check_line(&self.name).map_err(|e| e.at("name"))?;
        if let Some(group) = &self.group {
            text::check_line(group).map_err(|e| e.at("group"))?;
        }
        crate::contact::check_email(self.email.trim())?;
        if self.name.chars().count() > 200 {
            return Err(Error::invalid("at most 200 characters").at("name"));
        }
        for (i, address) in self.addresses.iter().enumerate() {
            let at = |e: Error| e.at(format_args!("[{i}]")).at("addresses");
            if self.addresses[..i].iter().any(|a| a.id == address.id) {
                return Err(at(Error::invalid("address ids must be unique").at("id")));
            }
            address.validate().map_err(at)?;
        }
        Ok(())
    }
}
