//! The shop's settings: how it prices (tax zones, promotions, shipping methods, rounding) and
//! when it warns of low stock.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::money::RoundingMode;
use crate::pricing::{Promotion, ShippingMethod, ShippingOption, TaxLevel, TaxZone};
use crate::text;
use crate::usage::PromotionLimit;

/// The shop's pricing settings: tax zones, promotions, shipping methods.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShopConfig {
    /// Whether catalog prices include tax.
    #[serde(default)]
    pub prices_include_tax: bool,
    /// Where tax is rounded.
    #[serde(default)]
    pub tax_level: TaxLevel,
    /// The rounding mode.
    #[serde(default)]
    pub rounding_mode: RoundingMode,
    /// Tax rates by destination.
    #[serde(default)]
    pub tax_zones: Vec<TaxZone>,
    /// Promotions.
    #[serde(default)]
    pub promotions: Vec<Promotion>,
    /// Shipping methods and where they ship.
    #[serde(default)]
    pub shipping_methods: Vec<ShippingOption>,
    /// Usage limits of promotions: how many orders may use each, in all and per customer.
    #[serde(default)]
    pub promotion_limits: Vec<PromotionLimit>,
    /// A reservation that leaves a SKU with this many units available or fewer emits a
    /// `stock_low` event (default 0: when it runs out).
    #[serde(default)]
    pub low_stock_threshold: i64,
    /// Incremented by every write.
    #[serde(default)]
    pub version: u64,
}

impl ShopConfig {
    /// Checks the settings as quotes will use them: unique promotion ids and valid promotions,
    /// one zone per code and valid rates, unique and valid shipping methods.
    ///
    /// # Errors
    ///
    /// [`duplicate_id`](crate::ErrorKind::DuplicateId) or the validation errors of each part,
    /// naming the field (`promotions[2].benefit.percentage_off.percent`).
    ///
    /// # Example
    ///
    /// ```
    /// use commerce_core::pricing::TaxZone;
    /// use commerce_core::settings::ShopConfig;
    ///
    /// let mut config = ShopConfig::default();
    /// config.tax_zones.push(TaxZone { country: "usa".into(), region: String::new(), rates: vec![] });
    /// assert_eq!(config.validate().unwrap_err().field(), Some("tax_zones[0].country"));
    /// ```
    pub fn validate(&self) -> Result<()> {
        for (i, promotion) in self.promotions.iter().enumerate() {
            let at = |e: crate::Error| e.at(format_args!("[{i}]")).at("promotions");
            if self.promotions[..i].iter().any(|p| p.id == promotion.id) {
                return Err(at(crate::Error::duplicate_id(&*promotion.id).at("id")));
            }
            promotion.validate().map_err(at)?;
            check_stored_text(
                promotion.id.as_ref(),
                promotion.name.as_deref(),
                &promotion.coupon_codes,
            )
            .map_err(at)?;
        }
        for (i, limit) in self.promotion_limits.iter().enumerate() {
            let at = |e: crate::Error| e.at(format_args!("[{i}]")).at("promotion_limits");
            if !self.promotions.iter().any(|p| *p.id == *limit.promotion_id) {
                return Err(at(crate::Error::invalid(format!(
                    "no promotion `{}` to limit",
                    limit.promotion_id
                ))
                .at("promotion_id")));
            }
            if self.promotion_limits[..i]
                .iter()
                .any(|l| l.promotion_id == limit.promotion_id)
            {
                return Err(at(
                    crate::Error::duplicate_id(&*limit.promotion_id).at("promotion_id")
                ));
            }
        }
        for (i, zone) in self.tax_zones.iter().enumerate() {
            let at = |e: crate::Error| e.at(format_args!("[{i}]")).at("tax_zones");
            zone.validate().map_err(at)?;
            for (r, rate) in zone.rates.iter().enumerate() {
                check_stored_text(rate.id.as_ref(), rate.name.as_deref(), &[])
                    .map_err(|e| at(e.at(format_args!("rates[{r}]"))))?;
            }
            if self.tax_zones[..i].iter().any(|z| z.code() == zone.code()) {
                return Err(at(crate::Error::duplicate_id(zone.code()).at("country")));
            }
        }
        for (i, option) in self.shipping_methods.iter().enumerate() {
            let at = |e: crate::Error| e.at(format_args!("[{i}]")).at("shipping_methods");
            if self.shipping_methods[..i]
                .iter()
                .any(|o| o.method.id == option.method.id)
            {
                return Err(at(
                    crate::Error::duplicate_id(&*option.method.id).at("method.id")
                ));
            }
            option.validate().map_err(at)?;
            check_stored_text(option.method.id.as_ref(), None, &[])
                .map_err(|e| at(e.at("method")))?;
        }
        Ok(())
    }

    /// The tax zone of a destination: of the zones that match it, the most specific (a region
    /// before its country, a country before `"*"`).
    ///
    /// # Example
    ///
    /// ```
    /// use commerce_core::pricing::TaxZone;
    /// use commerce_core::settings::ShopConfig;
    ///
    /// let mut config = ShopConfig::default();
    /// for code in ["*", "US", "US-CA"] {
    ///     config.tax_zones.push(TaxZone::from_code(code, vec![])?);
    /// }
    /// assert_eq!(config.tax_zone("US", "CA").map(|z| z.code()), Some("US-CA".into()));
    /// assert_eq!(config.tax_zone("US", "NY").map(|z| z.code()), Some("US".into()));
    /// assert_eq!(config.tax_zone("FR", "").map(|z| z.code()), Some("*".into()));
    /// # Ok::<(), commerce_core::Error>(())
    /// ```
    pub fn tax_zone(&self, country: &str, region: &str) -> Option<&TaxZone> {
        self.tax_zones
            .iter()
            .filter(|z| z.matches(country, region))
            .max_by_key(|z| (z.country != "*", !z.region.is_empty()))
    }

    /// The usage limit of a promotion, if it has one.
    pub fn limit_of(&self, promotion_id: &str) -> Option<&PromotionLimit> {
        self.promotion_limits
            .iter()
            .find(|l| l.promotion_id == promotion_id)
    }

    /// The shipping methods that serve a country, in the order they are configured.
    pub fn shipping_methods_to(&self, country: &str) -> Vec<ShippingMethod> {
        self.shipping_methods
            .iter()
            .filter(|o| o.serves(country))
            .map(|o| o.method.clone())
            .collect()
    }
}

/// Checks the text a setting stores, as [`crate::text`] defines it: its id, its name, its
/// codes.
fn check_stored_text(id: &str, name: Option<&str>, codes: &[String]) -> Result<()> {
    text::check_id(id).map_err(|e| e.at("id"))?;
    if let Some(name) = name {
        text::check_line(name).map_err(|e| e.at("name"))?;
    }
    for (c, code) in codes.iter().enumerate() {
        text::check_line(code).map_err(|e| e.at(format_args!("coupon_codes[{c}]")))?;
    }
    Ok(())
}
