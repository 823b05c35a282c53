//! Promotion usage counters' storage (see [`crate::usage`]). Uses are taken and given back in
//! the unit of work ([`Changes`](super::Changes)); this reads the counts.

use async_trait::async_trait;

use crate::error::Result;

/// Promotion usage counters.
#[async_trait]
pub trait UsageStore: Send + Sync {
    /// How many uses a promotion has in all, and (for `customer`) by that customer.
    async fn promotion_uses(
        &self,
        promotion_id: &str,
        customer: Option<&str>,
    ) -> Result<(u64, Option<u64>)>;
}
