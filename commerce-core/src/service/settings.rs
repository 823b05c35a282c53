//! The shop's pricing settings, one part at a time: promotions, tax zones, shipping methods.
//!
//! Every edit checks the part on its own (so that an error names a field of what was sent),
//! then reads the settings, changes that part, checks the whole
//! ([`ShopConfig::validate`]) and writes it back compare-and-set on its version, retrying if
//! another writer got there first; a bad promotion is refused at the door instead of breaking
//! every later quote.

use crate::error::{Error, ErrorKind, Result};
use crate::pricing::Promotion;
use crate::store::{ShippingOption, ShopConfig, TaxZone};

use super::{CONFLICT_RETRIES, Commerce};

impl Commerce {
    /// Replaces the shop settings (tax zones, promotions, shipping methods), compare-and-set
    /// on their version.
    ///
    /// # Errors
    ///
    /// As [`ShopConfig::validate`]; `conflict` if they changed since `config` was read.
    pub async fn put_config(&self, config: ShopConfig) -> Result<ShopConfig> {
        config.validate()?;
        self.store.put_config(&config, config.version).await?;
        self.store.config().await
    }

    /// Reads the settings, applies `change`, checks and writes them back, retrying on a lost
    /// race. Returns what `change` returned.
    async fn edit_config<T>(
        &self,
        change: impl Fn(&mut ShopConfig) -> Result<T> + Send + Sync,
    ) -> Result<T> {
        for _ in 0..CONFLICT_RETRIES {
            let mut config = self.store.config().await?;
            let expected = config.version;
            let value = change(&mut config)?;
            config.validate()?;
            match self.store.put_config(&config, expected).await {
                Err(err) if err.is_conflict() => continue,
                other => return other.map(|()| value),
            }
        }
        Err(Error::conflict("config", "shop"))
    }

    /// Adds a promotion.
    ///
    /// # Errors
    ///
    /// `duplicate_id` if one has its id; as [`Promotion::validate`].
    pub async fn create_promotion(&self, promotion: Promotion) -> Result<Promotion> {
        promotion.validate()?;
        self.edit_config(|config| {
            if config.promotions.iter().any(|p| p.id == promotion.id) {
                return Err(duplicate(&promotion.id));
            }
            config.promotions.push(promotion.clone());
            Ok(promotion.clone())
        })
        .await
    }

    /// Adds or replaces the promotion with `promotion.id`.
    ///
    /// # Errors
    ///
    /// As [`Promotion::validate`].
    pub async fn put_promotion(&self, promotion: Promotion) -> Result<Promotion> {
        promotion.validate()?;
        self.edit_config(|config| {
            match config.promotions.iter_mut().find(|p| p.id == promotion.id) {
                Some(slot) => *slot = promotion.clone(),
                None => config.promotions.push(promotion.clone()),
            }
            Ok(promotion.clone())
        })
        .await
    }

    /// Removes a promotion.
    ///
    /// # Errors
    ///
    /// `not_found`.
    pub async fn remove_promotion(&self, id: &str) -> Result<()> {
        self.edit_config(|config| {
            let before = config.promotions.len();
            config.promotions.retain(|p| &*p.id != id);
            if config.promotions.len() == before {
                return Err(Error::not_found("promotion", id));
            }
            Ok(())
        })
        .await
    }

    /// Adds or replaces the tax zone with the zone's code.
    ///
    /// # Errors
    ///
    /// As [`TaxZone::validate`].
    pub async fn put_tax_zone(&self, zone: TaxZone) -> Result<TaxZone> {
        zone.validate()?;
        self.edit_config(|config| {
            match config
                .tax_zones
                .iter_mut()
                .find(|z| z.code() == zone.code())
            {
                Some(slot) => *slot = zone.clone(),
                None => config.tax_zones.push(zone.clone()),
            }
            Ok(zone.clone())
        })
        .await
    }

    /// Removes the tax zone with a code (`US`, `US-CA`, `*`).
    ///
    /// # Errors
    ///
    /// `not_found`.
    pub async fn remove_tax_zone(&self, code: &str) -> Result<()> {
        self.edit_config(|config| {
            let before = config.tax_zones.len();
            config.tax_zones.retain(|z| z.code() != code);
            if config.tax_zones.len() == before {
                return Err(Error::not_found("tax_zone", code));
            }
            Ok(())
        })
        .await
    }

    /// Adds a shipping method.
    ///
    /// # Errors
    ///
    /// `duplicate_id` if one has its id; as [`ShippingOption::validate`].
    pub async fn create_shipping_option(&self, option: ShippingOption) -> Result<ShippingOption> {
        option.validate()?;
        self.edit_config(|config| {
            if config
                .shipping_methods
                .iter()
                .any(|o| o.method.id == option.method.id)
            {
                return Err(duplicate(&option.method.id));
            }
            config.shipping_methods.push(option.clone());
            Ok(option.clone())
        })
        .await
    }

    /// Adds or replaces the shipping method with `option.method.id`.
    ///
    /// # Errors
    ///
    /// As [`ShippingOption::validate`].
    pub async fn put_shipping_option(&self, option: ShippingOption) -> Result<ShippingOption> {
        option.validate()?;
        self.edit_config(|config| {
            match config
                .shipping_methods
                .iter_mut()
                .find(|o| o.method.id == option.method.id)
            {
                Some(slot) => *slot = option.clone(),
                None => config.shipping_methods.push(option.clone()),
            }
            Ok(option.clone())
        })
        .await
    }

    /// Removes a shipping method.
    ///
    /// # Errors
    ///
    /// `not_found`.
    pub async fn remove_shipping_option(&self, id: &str) -> Result<()> {
        self.edit_config(|config| {
            let before = config.shipping_methods.len();
            config.shipping_methods.retain(|o| &*o.method.id != id);
            if config.shipping_methods.len() == before {
                return Err(Error::not_found("shipping_method", id));
            }
            Ok(())
        })
        .await
    }
}

fn duplicate(id: &str) -> Error {
    Error::new(ErrorKind::DuplicateId { id: id.to_string() })
}
