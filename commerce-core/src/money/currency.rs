//! ISO 4217 currencies and their minor units.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, ErrorKind, Result};

/// An active ISO 4217 currency: its code and the exponent of its minor unit.
///
/// The table comes from the `iso_currency` crate. Only *active* currencies are accepted: funds
/// (`USN`, `CLF`), precious metals and other special codes (`XAU`, `XDR`, `XTS`) and superseded
/// currencies (`HRK`, `BGN`) are refused with an error that names the replacement where there is
/// one. The exponent is 0 for JPY, KRW and CLP, 2 for USD and EUR, 3 for KWD, BHD and JOD.
///
/// In JSON a currency is its code: `"USD"`.
///
/// # Example
///
/// ```
/// use commerce_core::Currency;
///
/// let kwd = Currency::from_code("KWD")?;
/// assert_eq!(kwd.exponent(), 3);
/// assert_eq!(Currency::JPY.exponent(), 0);
/// assert_eq!(Currency::from_code("HRK").unwrap_err().code(), "unknown_currency");
/// # Ok::<(), commerce_core::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    iso: iso_currency::Currency,
    exponent: u8,
}

macro_rules! known_currencies {
    ($($(#[$doc:meta])* $name:ident = $exp:literal;)*) => {
        impl Currency {
            $(
                $(#[$doc])*
                pub const $name: Currency = Currency { iso: iso_currency::Currency::$name, exponent: $exp };
            )*
        }

        #[cfg(test)]
        const KNOWN: &[Currency] = &[$(Currency::$name),*];
    };
}

known_currencies! {
    /// United States dollar (2 decimals).
    USD = 2;
    /// Euro (2 decimals).
    EUR = 2;
    /// Pound sterling (2 decimals).
    GBP = 2;
    /// Canadian dollar (2 decimals).
    CAD = 2;
    /// Swiss franc (2 decimals).
    CHF = 2;
    /// Japanese yen (0 decimals).
    JPY = 0;
    /// South Korean won (0 decimals).
    KRW = 0;
    /// Chilean peso (0 decimals).
    CLP = 0;
    /// Kuwaiti dinar (3 decimals).
    KWD = 3;
    /// Bahraini dinar (3 decimals).
    BHD = 3;
    /// Jordanian dinar (3 decimals).
    JOD = 3;
}

impl Currency {
    /// Looks up an active currency by its three-letter ISO 4217 code (upper case).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::UnknownCurrency`] for codes that are not ISO 4217, and for funds, special
    /// codes and superseded currencies.
    ///
    /// # Example
    ///
    /// ```
    /// use commerce_core::Currency;
    ///
    /// assert_eq!(Currency::from_code("EUR")?, Currency::EUR);
    /// assert!(Currency::from_code("usd").is_err());
    /// # Ok::<(), commerce_core::Error>(())
    /// ```
    pub fn from_code(code: &str) -> Result<Currency> {
        let unknown = |hint: String| {
            Error::new(ErrorKind::UnknownCurrency {
                code: code.to_string(),
                hint,
            })
        };
        let iso = iso_currency::Currency::from_code(code).ok_or_else(|| unknown(String::new()))?;
        if let Some(successor) = iso.is_superseded() {
            return Err(unknown(format!(
                ": it was superseded by {}",
                successor.code()
            )));
        }
        if iso.is_fund() || iso.is_special() {
            return Err(unknown(
                ": funds, metals and special codes are not shop currencies".to_string(),
            ));
        }
        let exponent = iso
            .exponent()
            .and_then(|e| u8::try_from(e).ok())
            .ok_or_else(|| unknown(": it has no minor unit".to_string()))?;
        Ok(Currency { iso, exponent })
    }

    /// The three-letter code, such as `"USD"`.
    pub fn code(self) -> &'static str {
        self.iso.code()
    }

    /// The number of decimal places of the minor unit: 2 for USD (cents), 0 for JPY, 3 for KWD.
    pub fn exponent(self) -> u32 {
        u32::from(self.exponent)
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = Error;

    fn from_str(code: &str) -> Result<Currency> {
        Currency::from_code(code)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let code = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Currency::from_code(&code).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_match_the_iso_table() {
        for &currency in KNOWN {
            assert_eq!(Currency::from_code(currency.code()).unwrap(), currency);
        }
    }

    #[test]
    fn exponents_of_the_currencies_shops_ask_about() {
        let cases = [
            ("JPY", 0),
            ("KRW", 0),
            ("CLP", 0),
            ("ISK", 0),
            ("USD", 2),
            ("EUR", 2),
            ("KWD", 3),
            ("BHD", 3),
            ("JOD", 3),
            ("OMR", 3),
            ("TND", 3),
        ];
        for (code, exponent) in cases {
            assert_eq!(
                Currency::from_code(code).unwrap().exponent(),
                exponent,
                "{code}"
            );
        }
    }

    #[test]
    fn inactive_codes_are_refused_with_guidance() {
        let err = Currency::from_code("HRK").unwrap_err();
        assert!(err.to_string().contains("superseded by EUR"), "{err}");
        assert!(Currency::from_code("XAU").is_err());
        assert!(Currency::from_code("USN").is_err());
        assert!(Currency::from_code("ABC").is_err());
        assert!(Currency::from_code("").is_err());
    }
}
