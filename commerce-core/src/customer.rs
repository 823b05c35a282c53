//! Customers, their groups and addresses.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

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
}

/// A postal address. The country and region choose tax rates and shipping methods.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Address {
    /// The address's id, unique within the customer.
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
}

impl Customer {
    /// Checks the customer: an id, a plausible e-mail address, unique address ids, two-letter
    /// upper-case country codes.
    ///
    /// # Errors
    ///
    /// [`crate::ErrorKind::InvalidInput`] naming the field.
    pub fn validate(&self) -> Result<()> {
        if self.id.trim().is_empty() {
            return Err(Error::invalid("a customer needs an id").at("id"));
        }
        let email = self.email.trim();
        let plausible = email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
        if !plausible || email.len() > 254 {
            return Err(Error::invalid("an e-mail address such as ada@example.com").at("email"));
        }
        for (i, address) in self.addresses.iter().enumerate() {
            let at = |e: Error| e.at(format_args!("[{i}]")).at("addresses");
            if self.addresses[..i].iter().any(|a| a.id == address.id) {
                return Err(at(Error::invalid("address ids must be unique").at("id")));
            }
            let country = address.country.as_bytes();
            if country.len() != 2 || !country.iter().all(u8::is_ascii_uppercase) {
                return Err(at(Error::invalid(
                    "a two-letter ISO country code such as CA",
                )
                .at("country")));
            }
        }
        Ok(())
    }
}
