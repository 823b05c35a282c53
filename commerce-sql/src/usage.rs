//! Promotion usage counters on SQL (see [`commerce_core::usage`]): one row per promotion and
//! scope. Uses are taken and given back by the unit of work (`unit.rs`), with the statements
//! here; this file also reads the counts.
//!
//! Stamped for each backend by `impl_store!` (`stamp.rs`), inside the block that imports the
//! names it uses; SQL both databases accept as is.

/// Makes the counter of `$1` promotion, `$2` scope exist.
pub(crate) const ENSURE_USE_COUNTER: &str = "INSERT INTO commerce_promotion_uses (promotion_id, scope, used) VALUES ($1, $2, 0) \
     ON CONFLICT (promotion_id, scope) DO NOTHING";
/// Takes one use, only below the limit `$3`: the guarded update that no two orders pass for
/// the last use.
pub(crate) const TAKE_USE: &str = "UPDATE commerce_promotion_uses SET used = used + 1 \
     WHERE promotion_id = $1 AND scope = $2 AND used < $3";
/// Gives one use back; a counter never goes below zero.
pub(crate) const RETURN_USE: &str = "UPDATE commerce_promotion_uses SET used = used - 1 \
     WHERE promotion_id = $1 AND scope = $2 AND used > 0";
/// The count of `$1` promotion in scope `$2`.
pub(crate) const SELECT_USES: &str =
    "SELECT used FROM commerce_promotion_uses WHERE promotion_id = $1 AND scope = $2";

macro_rules! impl_usage {
    ($store:ty, $dialect:ident) => {
        #[async_trait]
        impl UsageStore for $store {
            async fn promotion_uses(
                &self,
                promotion_id: &str,
                customer: Option<&str>,
            ) -> Result<(u64, Option<u64>)> {
                let mut connection = self.reading().await?;
                let mut count = async |scope: String| -> Result<u64> {
                    let row = sqlx::query(SELECT_USES)
                        .bind(promotion_id)
                        .bind(scope)
                        .fetch_optional(&mut *connection)
                        .await
                        .map_err(db)?;
                    Ok(match row {
                        Some(row) => u64::try_from(row.try_get::<i64, _>("used").map_err(db)?)
                            .unwrap_or_default(),
                        None => 0,
                    })
                };
                let total = count(counter_scope(None)).await?;
                let by_customer = match customer {
                    Some(customer) => Some(count(counter_scope(Some(customer))).await?),
                    None => None,
                };
                Ok((total, by_customer))
            }
        }
    };
}

pub(crate) use impl_usage;
