//! Promotion usage counters in memory.

use async_trait::async_trait;

use super::{MemoryStore, State};
use crate::error::{Error, ErrorKind, Result};
use crate::store::UsageStore;
use crate::usage::{PromotionUse, counter_scope};

impl State {
    /// The counters a use counts on, keyed as stored, with their limits.
    fn counters_of(promotion_use: &PromotionUse) -> Vec<((String, String), u64)> {
        promotion_use
            .counters()
            .into_iter()
            .map(|(scope, limit)| ((promotion_use.promotion_id.clone(), scope), limit))
            .collect()
    }

    /// Checks that every use fits its limits, counting the unit's own uses together.
    pub(super) fn check_promotion_uses(&self, uses: &[PromotionUse]) -> Result<()> {
        let mut taken: std::collections::HashMap<(String, String), u64> = Default::default();
        for promotion_use in uses {
            for (counter, limit) in State::counters_of(promotion_use) {
                let used = self.promotion_uses.get(&counter).copied().unwrap_or(0);
                let in_unit = taken.entry(counter).or_insert(0);
                if used + *in_unit >= limit {
                    return Err(Error::new(ErrorKind::PromotionUsedUp {
                        id: promotion_use.promotion_id.clone(),
                    }));
                }
                *in_unit += 1;
            }
        }
        Ok(())
    }

    /// Takes the uses (checked) and gives the returns back.
    pub(super) fn do_promotion_uses(&mut self, uses: &[PromotionUse], returns: &[PromotionUse]) {
        for promotion_use in uses {
            for (counter, _) in State::counters_of(promotion_use) {
                *self.promotion_uses.entry(counter).or_insert(0) += 1;
            }
        }
        for promotion_use in returns {
            for (counter, _) in State::counters_of(promotion_use) {
                if let Some(used) = self.promotion_uses.get_mut(&counter) {
                    *used = used.saturating_sub(1);
                }
            }
        }
    }
}

#[async_trait]
impl UsageStore for MemoryStore {
    async fn promotion_uses(
        &self,
        promotion_id: &str,
        customer: Option<&str>,
    ) -> Result<(u64, Option<u64>)> {
        let state = self.lock();
        let count = |scope: String| {
            state
                .promotion_uses
                .get(&(promotion_id.to_string(), scope))
                .copied()
                .unwrap_or(0)
        };
        let total = count(counter_scope(None));
        let by_customer = customer.map(|c| count(counter_scope(Some(c))));
        Ok((total, by_customer))
    }
}
