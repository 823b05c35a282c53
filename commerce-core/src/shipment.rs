//! How an order travels: the carrier and tracking number it was shipped with, shown to the
//! buyer (the order, the shipped e-mail, the `order_shipped` event).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::text;

/// The most characters of a carrier's name or a tracking number.
pub const MAX_TRACKING_CHARS: usize = 100;
/// The longest tracking link.
pub const MAX_TRACKING_URL_BYTES: usize = 2048;

/// A parcel on its way: who carries it and how to follow it.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shipment {
    /// The carrier (`"UPS"`, `"Royal Mail"`).
    pub carrier: String,
    /// The carrier's tracking number.
    pub tracking_number: String,
    /// Where the buyer can follow the parcel: an `https://` (or `http://`) link, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_url: Option<String>,
}

impl Shipment {
    /// Checks the shipment: a carrier and a tracking number of 1 to 100 characters on one
    /// line, and a tracking link, if any, that is an `http(s)://` URL a mail client can open
    /// safely (no spaces, quotes or angle brackets).
    ///
    /// # Errors
    ///
    /// `invalid_input` naming the field.
    ///
    /// # Example
    ///
    /// ```
    /// use commerce_core::shipment::Shipment;
    ///
    /// let parcel = Shipment {
    ///     carrier: "UPS".into(),
    ///     tracking_number: "1Z999AA10123456784".into(),
    ///     tracking_url: Some("https://www.ups.com/track?tracknum=1Z999AA10123456784".into()),
    /// };
    /// assert!(parcel.validate().is_ok());
    /// let script = Shipment { tracking_url: Some("javascript:alert(1)".into()), ..parcel };
    /// assert_eq!(script.validate().unwrap_err().field(), Some("tracking_url"));
    /// ```
    pub fn validate(&self) -> Result<()> {
        for (field, value) in [
            ("carrier", &self.carrier),
            ("tracking_number", &self.tracking_number),
        ] {
            text::check_line(value).map_err(|e| e.at(field))?;
            let chars = value.trim().chars().count();
            if chars == 0 || chars > MAX_TRACKING_CHARS {
                return Err(
                    Error::invalid(format!("1 to {MAX_TRACKING_CHARS} characters")).at(field),
                );
            }
        }
        if let Some(url) = &self.tracking_url {
            let lower = url.to_ascii_lowercase();
            let web = lower.starts_with("https://") || lower.starts_with("http://");
            let plain = !url
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "\"'<>`\\".contains(c));
            if !web || !plain || url.len() > MAX_TRACKING_URL_BYTES {
                return Err(Error::invalid(
                    "an http:// or https:// link without spaces, quotes or angle brackets",
                )
                .at("tracking_url"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parcel() -> Shipment {
        Shipment {
            carrier: "DHL".into(),
            tracking_number: "JD014600003828".into(),
            tracking_url: None,
        }
    }

    #[test]
    fn carriers_numbers_and_links_are_checked() {
        assert!(parcel().validate().is_ok());
        for (bad, field) in [
            (
                Shipment {
                    carrier: " ".into(),
                    ..parcel()
                },
                "carrier",
            ),
            (
                Shipment {
                    tracking_number: "x".repeat(101),
                    ..parcel()
                },
                "tracking_number",
            ),
            (
                Shipment {
                    tracking_number: "12\u{0}3".into(),
                    ..parcel()
                },
                "tracking_number",
            ),
            (
                Shipment {
                    tracking_url: Some("ftp://example.com/x".into()),
                    ..parcel()
                },
                "tracking_url",
            ),
            (
                Shipment {
                    tracking_url: Some("https://example.com/\"><script>".into()),
                    ..parcel()
                },
                "tracking_url",
            ),
        ] {
            assert_eq!(bad.validate().unwrap_err().field(), Some(field), "{bad:?}");
        }
    }
}
