//! Step 4: the shipping charge.

use std::ops::Range;

use rust_decimal::Decimal;

use super::lines::{Line, total_weight};
use super::request::{ShippingMethod, ShippingRate};
use super::tax::Rates;
use super::validate::minor_units;
use crate::error::{Error, Result};
use crate::money::Currency;

impl ShippingMethod {
    /// Checks the method on its own: an id, amounts that are not negative, tiers that start at
    /// 0 and increase. Whether amounts fit a currency's decimals is checked when a cart in that
    /// currency is priced.
    ///
    /// # Errors
    ///
    /// [`crate::ErrorKind::InvalidInput`] or [`crate::ErrorKind::NegativeAmount`], naming the
    /// field.
    ///
    /// # Example
    ///
    /// ```
    /// use commerce_core::pricing::{ShippingMethod, ShippingRate};
    ///
    /// let method = ShippingMethod {
    ///     id: "standard".into(),
    ///     rate: ShippingRate::Flat { amount: "-5.00".parse()? },
    ///     free_above: None,
    ///     tax_category: None,
    /// };
    /// assert_eq!(method.validate().unwrap_err().code(), "negative_amount");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn validate(&self) -> Result<()> {
        if self.id.trim().is_empty() {
            return Err(Error::invalid("a shipping method needs an id").at("id"));
        }
        let not_negative = |amount: Decimal, field: &str| {
            if amount.is_sign_negative() && !amount.is_zero() {
                Err(Error::new(crate::ErrorKind::NegativeAmount {
                    input: amount.to_string(),
                })
                .at(field))
            } else {
                Ok(())
            }
        };
        if let Some(threshold) = self.free_above {
            not_negative(threshold, "free_above")?;
        }
        let at = |e: Error| e.at("rate");
        match &self.rate {
            ShippingRate::Flat { amount } => not_negative(*amount, "flat.amount").map_err(at)?,
            ShippingRate::WeightTiers(tiers) => {
                let keys: Vec<Decimal> = tiers.iter().map(|t| t.min_weight).collect();
                choose_tier(&keys, &Decimal::ZERO).map_err(|e| at(e.at("weight_tiers")))?;
                for tier in tiers {
                    not_negative(tier.amount, "weight_tiers.amount").map_err(at)?;
                }
            }
            ShippingRate::QuantityTiers(tiers) => {
                let keys: Vec<u32> = tiers.iter().map(|t| t.min_quantity).collect();
                choose_tier(&keys, &0).map_err(|e| at(e.at("quantity_tiers")))?;
                for tier in tiers {
                    not_negative(tier.amount, "quantity_tiers.amount").map_err(at)?;
                }
            }
        }
        Ok(())
    }
}

/// The shipping charge being priced.
pub(crate) struct Shipping<'r> {
    pub method: &'r ShippingMethod,
    pub rate_amount: i128,
    pub free_above_threshold: bool,
    pub subtotal: i128,
    pub remaining: i128,
    /// `(promotion index in evaluation order, amount)`.
    pub discounts: Vec<(usize, i128)>,
    pub rates: Range<usize>,
}

/// A checked shipping method, waiting for the discounted merchandise total.
pub(crate) struct PreparedShipping<'r> {
    method: &'r ShippingMethod,
    rate_amount: i128,
    free_above: Option<i128>,
    rates: Range<usize>,
}

impl<'r> PreparedShipping<'r> {
    /// Checks the method and prices its rate for the cart (weight and quantity are known before
    /// promotions; only the free-above threshold waits for the discounted total).
    pub(crate) fn new(
        method: &'r ShippingMethod,
        currency: Currency,
        lines: &[Line<'_>],
        rates: &Rates<'_>,
    ) -> Result<PreparedShipping<'r>> {
        let at = |e: Error| e.at("shipping");
        let rates = rates
            .for_category(method.tax_category.as_deref())
            .map_err(|e| at(e.at("tax_category")))?;
        let free_above = method
            .free_above
            .map(|t| minor_units(t, currency))
            .transpose()
            .map_err(|e| at(e.at("free_above")))?;
        let rate_amount = match &method.rate {
            ShippingRate::Flat { amount } => {
                minor_units(*amount, currency).map_err(|e| at(e.at("rate.flat.amount")))?
            }
            ShippingRate::WeightTiers(tiers) => {
                let weight = total_weight(lines)?;
                let keys: Vec<Decimal> = tiers.iter().map(|t| t.min_weight).collect();
                let chosen =
                    choose_tier(&keys, &weight).map_err(|e| at(e.at("rate.weight_tiers")))?;
                minor_units(tiers[chosen].amount, currency)
                    .map_err(|e| at(e.at(format_args!("rate.weight_tiers[{chosen}].amount"))))?
            }
            ShippingRate::QuantityTiers(tiers) => {
                let quantity: u64 = lines.iter().map(|l| u64::from(l.input.quantity)).sum();
                let keys: Vec<u64> = tiers.iter().map(|t| u64::from(t.min_quantity)).collect();
                let chosen =
                    choose_tier(&keys, &quantity).map_err(|e| at(e.at("rate.quantity_tiers")))?;
                minor_units(tiers[chosen].amount, currency)
                    .map_err(|e| at(e.at(format_args!("rate.quantity_tiers[{chosen}].amount"))))?
            }
        };
        Ok(PreparedShipping {
            method,
            rate_amount,
            free_above,
            rates,
        })
    }

    /// The charge for a cart whose merchandise total after discounts is `merchandise`.
    pub(crate) fn price(self, merchandise: i128) -> Shipping<'r> {
        let free = self.free_above.is_some_and(|t| merchandise >= t);
        let subtotal = if free { 0 } else { self.rate_amount };
        Shipping {
            method: self.method,
            rate_amount: self.rate_amount,
            free_above_threshold: free,
            subtotal,
            remaining: subtotal,
            discounts: Vec::new(),
            rates: self.rates,
        }
    }
}

/// The last tier whose minimum is not above `value`. Tiers must start at zero and increase.
fn choose_tier<T: PartialOrd + Default>(minimums: &[T], value: &T) -> Result<usize> {
    if minimums.first().is_none_or(|first| *first != T::default()) {
        return Err(Error::invalid(
            "tiers must not be empty and the first must start at 0",
        ));
    }
    if minimums.windows(2).any(|pair| pair[0] >= pair[1]) {
        return Err(Error::invalid("tier minimums must be strictly increasing"));
    }
    Ok(minimums.iter().rposition(|m| m <= value).unwrap_or(0))
}
