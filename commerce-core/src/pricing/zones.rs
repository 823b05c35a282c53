//! Where the shop taxes and ships: tax zones by destination, and the countries each shipping
//! method serves.

use serde::{Deserialize, Serialize};

use super::{ShippingMethod, TaxRate};
use crate::error::Result;

pub(crate) fn is_country_code(code: &str) -> bool {
    code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase())
}

pub(crate) fn country_error() -> crate::Error {
    crate::Error::invalid("a two-letter upper-case ISO 3166-1 country code such as US")
}

/// The tax rates of a destination. A zone matches a country (and region, if it names one); the
/// most specific matching zone wins; a zone with country `"*"` matches everywhere.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxZone {
    /// ISO country code, or `"*"`.
    pub country: String,
    /// Region code; empty for the whole country.
    #[serde(default)]
    pub region: String,
    /// The rates.
    pub rates: Vec<TaxRate>,
}

impl TaxZone {
    /// The zone's code: the country (`"US"`), the ISO 3166-2 subdivision (`"US-CA"`), or `"*"`
    /// for everywhere.
    ///
    /// # Example
    ///
    /// ```
    /// use commerce_core::pricing::TaxZone;
    ///
    /// let zone = TaxZone::from_code("US-CA", vec![]).expect("a zone code");
    /// assert_eq!((zone.country.as_str(), zone.region.as_str()), ("US", "CA"));
    /// assert_eq!(zone.code(), "US-CA");
    /// assert!(TaxZone::from_code("us-ca", vec![]).is_err());
    /// ```
    pub fn code(&self) -> String {
        if self.region.is_empty() {
            self.country.clone()
        } else {
            format!("{}-{}", self.country, self.region)
        }
    }

    /// The zone a code names, with `rates`.
    ///
    /// # Errors
    ///
    /// `invalid_input` for a code that is not `"*"`, a country or a subdivision.
    pub fn from_code(code: &str, rates: Vec<TaxRate>) -> Result<TaxZone> {
        let (country, region) = code.split_once('-').unwrap_or((code, ""));
        let zone = TaxZone {
            country: country.to_string(),
            region: region.to_string(),
            rates,
        };
        zone.validate()?;
        Ok(zone)
    }

    /// Whether the zone applies to a destination.
    pub fn matches(&self, country: &str, region: &str) -> bool {
        self.country == "*"
            || (self.country == country && (self.region.is_empty() || self.region == region))
    }

    /// Checks the zone: `"*"` or a country code, an optional region of one to three upper-case
    /// letters or digits (not with `"*"`), and valid rates.
    ///
    /// # Errors
    ///
    /// `invalid_input` naming the field, or the rates' errors.
    pub fn validate(&self) -> Result<()> {
        if self.country != "*" && !is_country_code(&self.country) {
            return Err(country_error().at("country"));
        }
        let region_ok = self.region.is_empty()
            || (self.country != "*"
                && self.region.len() <= 3
                && self
                    .region
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
        if !region_ok {
            return Err(crate::Error::invalid(
                "a region is one to three upper-case letters or digits, as in ISO 3166-2 (CA for US-CA)",
            )
            .at("region"));
        }
        crate::pricing::check_tax_rates(&self.rates).map_err(|e| {
            // The rates' own errors say `tax_rates[...]`; here they are the zone's `rates`.
            let inner = e.field().and_then(|f| f.strip_prefix("tax_rates"));
            match inner.map(|inner| format!("rates{inner}")) {
                Some(field) => e.in_field(field),
                None => e,
            }
        })
    }
}

/// A shipping method and the countries it serves (empty: everywhere).
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShippingOption {
    /// The method.
    pub method: ShippingMethod,
    /// ISO country codes; empty for everywhere.
    #[serde(default)]
    pub countries: Vec<String>,
}

impl ShippingOption {
    /// Checks the method and the country codes.
    ///
    /// # Errors
    ///
    /// As [`ShippingMethod::validate`] (at `method`); `invalid_input` at `countries[i]`.
    pub fn validate(&self) -> Result<()> {
        self.method.validate().map_err(|e| e.at("method"))?;
        for (c, country) in self.countries.iter().enumerate() {
            if !is_country_code(country) {
                return Err(country_error().at(format_args!("countries[{c}]")));
            }
        }
        Ok(())
    }

    /// Whether the method ships to a country.
    pub fn serves(&self, country: &str) -> bool {
        self.countries.is_empty() || self.countries.iter().any(|c| c == country)
    }
}
