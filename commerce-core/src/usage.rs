//! Promotion usage limits: how many orders may use a promotion, in all and per customer.
//!
//! A limit lives in the shop's settings ([`ShopConfig::promotion_limits`]). An order that a
//! limited promotion discounts records a [`PromotionUse`], taken in the same unit of work as
//! the order by a guarded count in the store (`used < limit`, rows affected checked), so that
//! concurrent checkouts never use a promotion more often than allowed: when the last use is
//! taken by another checkout first, the order is priced again without the promotion. A
//! cancelled order gives its uses back; a declined one keeps them while it waits to be paid.
//!
//! Per-customer limits count signed-in customers: a promotion with one does not apply to a
//! guest, who could otherwise use it without bound.
//!
//! [`ShopConfig::promotion_limits`]: crate::settings::ShopConfig::promotion_limits

use serde::{Deserialize, Serialize};

/// How many orders may use a promotion.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromotionLimit {
    /// The promotion.
    pub promotion_id: String,
    /// Orders in all; `None` for no bound.
    #[serde(default)]
    pub total: Option<u64>,
    /// Orders per customer; `None` for no bound.
    #[serde(default)]
    pub per_customer: Option<u64>,
}

impl PromotionLimit {
    /// The uses left, given how many there were in all and by this customer (`None` for a
    /// guest): `None` if unbounded.
    ///
    /// # Example
    ///
    /// ```
    /// use commerce_core::usage::PromotionLimit;
    ///
    /// let limit = PromotionLimit { promotion_id: "ten".into(), total: Some(50), per_customer: Some(1) };
    /// assert_eq!(limit.remaining(49, Some(0)), Some(1));
    /// assert_eq!(limit.remaining(10, Some(1)), Some(0), "this customer used theirs");
    /// assert_eq!(limit.remaining(10, None), Some(0), "not for guests");
    /// assert_eq!(limit.remaining(50, Some(0)), Some(0));
    /// ```
    pub fn remaining(&self, used: u64, used_by_customer: Option<u64>) -> Option<u64> {
        let total = self.total.map(|t| t.saturating_sub(used));
        let customer = self.per_customer.map(|per| match used_by_customer {
            Some(used) => per.saturating_sub(used),
            None => 0,
        });
        match (total, customer) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The use an order of `customer` makes of the promotion.
    pub fn use_by(&self, customer: Option<&str>) -> PromotionUse {
        PromotionUse {
            promotion_id: self.promotion_id.clone(),
            customer_id: customer.map(str::to_string),
            total: self.total,
            per_customer: self.per_customer,
        }
    }
}

/// A promotion's limit and how many orders used it.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromotionUsage {
    /// The promotion.
    pub promotion_id: String,
    /// Orders in all; `None` for no bound.
    pub total: Option<u64>,
    /// Orders per customer; `None` for no bound.
    pub per_customer: Option<u64>,
    /// Orders that used it and were not cancelled, since it was first limited.
    pub used: u64,
}

/// One order's use of a limited promotion: what a unit of work counts, guarded by the limits
/// as they were when the order was priced.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromotionUse {
    /// The promotion.
    pub promotion_id: String,
    /// The customer, for a signed-in one.
    #[serde(default)]
    pub customer_id: Option<String>,
    /// The limit in all, if any.
    #[serde(default)]
    pub total: Option<u64>,
    /// The limit per customer, if any.
    #[serde(default)]
    pub per_customer: Option<u64>,
}

impl PromotionUse {
    /// The counters this use counts 1 on, each with its limit (`u64::MAX` where unbounded):
    /// the promotion's count in all (scope [`counter_scope`]`(None)`) and, for a signed-in
    /// customer, theirs. Both are kept for every limited promotion, so that a limit set
    /// later counts from when the promotion was first limited.
    pub fn counters(&self) -> Vec<(String, u64)> {
        let mut counters = vec![(counter_scope(None), self.total.unwrap_or(u64::MAX))];
        if let Some(customer) = &self.customer_id {
            counters.push((
                counter_scope(Some(customer)),
                self.per_customer.unwrap_or(u64::MAX),
            ));
        }
        counters
    }
}

/// The counter a use counts on: the promotion's in all (`customer` `None`) or one customer's.
pub fn counter_scope(customer: Option<&str>) -> String {
    match customer {
        Some(customer) => format!("customer:{customer}"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::store::{Changes, MemoryStore, OrderStore, UsageStore};
    use crate::time::Timestamp;

    proptest! {
        /// Whatever mix of uses and returns, by whichever customers, a counter never passes
        /// its limit nor goes below zero, and a use is refused exactly when one is at its limit.
        #[test]
        fn counts_stay_within_their_limits(
            total in 0u64..6,
            per_customer in 0u64..3,
            steps in proptest::collection::vec((any::<bool>(), 0usize..3), 0..40),
        ) {
            let store = MemoryStore::new();
            let limit = PromotionLimit {
                promotion_id: "p".into(),
                total: Some(total),
                per_customer: Some(per_customer),
            };
            let customers = ["a", "b", "c"];
            let mut used = 0u64;
            let mut by = [0u64; 3];
            futures::executor::block_on(async {
                for (take, who) in steps {
                    let use_ = limit.use_by(Some(customers[who]));
                    let changes = if take {
                        Changes { now: Timestamp::EPOCH, promotion_uses: vec![use_], ..Changes::default() }
                    } else {
                        Changes { now: Timestamp::EPOCH, promotion_returns: vec![use_], ..Changes::default() }
                    };
                    let result = store.apply(changes).await;
                    if take {
                        let fits = used < total && by[who] < per_customer;
                        prop_assert_eq!(result.is_ok(), fits);
                        if fits {
                            used += 1;
                            by[who] += 1;
                        }
                    } else {
                        prop_assert!(result.is_ok());
                        used = used.saturating_sub(1);
                        by[who] = by[who].saturating_sub(1);
                    }
                    let (count, mine) = store.promotion_uses("p", Some(customers[who])).await.unwrap();
                    prop_assert_eq!((count, mine), (used, Some(by[who])));
                    prop_assert!(count <= total && by[who] <= per_customer);
                }
                Ok(())
            })?;
        }
    }
}
