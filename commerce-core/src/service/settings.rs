//! The shop's pricing settings, one part at a time: promotions, tax zones, shipping methods.
//!
//! Every edit checks the part on its own (so that an error names a field of what was sent),
//! then reads the settings, changes that part, checks the whole
//! ([`ShopConfig::validate`]) and writes it back compare-and-set on its version, retrying if
//! another writer got there first; a bad promotion is refused at the door instead of breaking
//! every later quote.

use crate::error::{Error, Result};
use crate::pricing::Promotion;
use crate::pricing::{ShippingOption, TaxZone};
use crate::settings::ShopConfig;
use crate::usage::{PromotionLimit, PromotionUsage};

use super::{CONFLICT_RETRIES, Commerce};

impl Commerce {
    /// The shop's settings as they are now.
    ///
    /// # Errors
    ///
    /// Storage errors only.
    pub async fn config(&self) -> Result<ShopConfig> {
        self.store.config().await
    }

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
        self.edit_config(|c| put(&mut c.promotions, &promotion, promotion_id, Put::New))
            .await
    }

    /// Adds or replaces the promotion with `promotion.id`.
    ///
    /// # Errors
    ///
    /// As [`Promotion::validate`].
    pub async fn put_promotion(&self, promotion: Promotion) -> Result<Promotion> {
        promotion.validate()?;
        self.edit_config(|c| put(&mut c.promotions, &promotion, promotion_id, Put::Replace))
            .await
    }

    /// Removes a promotion, and its usage limit if it has one.
    ///
    /// # Errors
    ///
    /// `not_found`.
    pub async fn remove_promotion(&self, id: &str) -> Result<()> {
        self.edit_config(|c| {
            remove(&mut c.promotions, id, promotion_id, "promotion")?;
            c.promotion_limits.retain(|l| l.promotion_id != id);
            Ok(())
        })
        .await
    }

    /// Sets how many orders may use a promotion, in all and per customer; the uses already
    /// counted stay counted.
    ///
    /// # Errors
    ///
    /// `not_found` for a promotion that does not exist.
    pub async fn put_promotion_limit(&self, limit: PromotionLimit) -> Result<PromotionLimit> {
        self.edit_config(|c| {
            if !c.promotions.iter().any(|p| *p.id == *limit.promotion_id) {
                return Err(Error::not_found("promotion", &limit.promotion_id));
            }
            put(&mut c.promotion_limits, &limit, limit_id, Put::Replace)
        })
        .await
    }

    /// Lets a promotion be used without bound again.
    ///
    /// # Errors
    ///
    /// `not_found` if it has no limit.
    pub async fn remove_promotion_limit(&self, promotion: &str) -> Result<()> {
        self.edit_config(|c| {
            remove(
                &mut c.promotion_limits,
                promotion,
                limit_id,
                "promotion_limit",
            )
        })
        .await
    }

    /// A promotion's limit and how many orders used it.
    ///
    /// # Errors
    ///
    /// `not_found` for a promotion that has no limit.
    pub async fn promotion_usage(&self, promotion: &str) -> Result<PromotionUsage> {
        let config = self.store.config().await?;
        let limit = config
            .limit_of(promotion)
            .cloned()
            .ok_or_else(|| Error::not_found("promotion_limit", promotion))?;
        let (used, _) = self.store.promotion_uses(promotion, None).await?;
        Ok(PromotionUsage {
            promotion_id: limit.promotion_id,
            total: limit.total,
            per_customer: limit.per_customer,
            used,
        })
    }

    /// Adds or replaces the tax zone with the zone's code.
    ///
    /// # Errors
    ///
    /// As [`TaxZone::validate`].
    pub async fn put_tax_zone(&self, zone: TaxZone) -> Result<TaxZone> {
        zone.validate()?;
        self.edit_config(|c| put(&mut c.tax_zones, &zone, TaxZone::code, Put::Replace))
            .await
    }

    /// Removes the tax zone with a code (`US`, `US-CA`, `*`).
    ///
    /// # Errors
    ///
    /// `not_found`.
    pub async fn remove_tax_zone(&self, code: &str) -> Result<()> {
        self.edit_config(|c| remove(&mut c.tax_zones, code, TaxZone::code, "tax_zone"))
            .await
    }

    /// Adds a shipping method.
    ///
    /// # Errors
    ///
    /// `duplicate_id` if one has its id; as [`ShippingOption::validate`].
    pub async fn create_shipping_option(&self, option: ShippingOption) -> Result<ShippingOption> {
        option.validate()?;
        self.edit_config(|c| put(&mut c.shipping_methods, &option, method_id, Put::New))
            .await
    }

    /// Adds or replaces the shipping method with `option.method.id`.
    ///
    /// # Errors
    ///
    /// As [`ShippingOption::validate`].
    pub async fn put_shipping_option(&self, option: ShippingOption) -> Result<ShippingOption> {
        option.validate()?;
        self.edit_config(|c| put(&mut c.shipping_methods, &option, method_id, Put::Replace))
            .await
    }

    /// Removes a shipping method.
    ///
    /// # Errors
    ///
    /// `not_found`.
    pub async fn remove_shipping_option(&self, id: &str) -> Result<()> {
        self.edit_config(|c| remove(&mut c.shipping_methods, id, method_id, "shipping_method"))
            .await
    }
}

/// Whether [`put`] may replace a part with the same key.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Put {
    /// Only a new key: `duplicate_id` otherwise.
    New,
    /// A new key, or the part with that key replaced.
    Replace,
}

/// Puts `item` in `list`, by the key `key_of` gives.
fn put<T: Clone>(list: &mut Vec<T>, item: &T, key_of: fn(&T) -> String, how: Put) -> Result<T> {
    let key = key_of(item);
    match list.iter_mut().find(|other| key_of(other) == key) {
        Some(_) if how == Put::New => return Err(Error::duplicate_id(key)),
        Some(slot) => *slot = item.clone(),
        None => list.push(item.clone()),
    }
    Ok(item.clone())
}

/// Removes the part with `key` from `list`, or says `entity` `key` is not found.
fn remove<T>(list: &mut Vec<T>, key: &str, key_of: fn(&T) -> String, entity: &str) -> Result<()> {
    let before = list.len();
    list.retain(|item| key_of(item) != key);
    if list.len() == before {
        return Err(Error::not_found(entity, key));
    }
    Ok(())
}

fn limit_id(limit: &PromotionLimit) -> String {
    limit.promotion_id.clone()
}

fn promotion_id(promotion: &Promotion) -> String {
    promotion.id.to_string()
}

fn method_id(option: &ShippingOption) -> String {
    option.method.id.to_string()
}
