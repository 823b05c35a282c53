//! Carts on SQL, compare-and-set on their version.
//!
//! Stamped for each backend by `impl_store!` (`stamp.rs`), inside the block that imports the
//! names it uses; SQL both databases accept as is.

pub(crate) const INSERT_CART: &str = "INSERT INTO commerce_carts (id, version, body) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING";
pub(crate) const UPDATE_CART: &str = "UPDATE commerce_carts SET version = $2, body = $3 WHERE id = $1 AND version = $4 \
     AND NOT EXISTS (SELECT 1 FROM commerce_orders WHERE cart_id = $1)";
pub(crate) const SELECT_CART: &str = "SELECT body FROM commerce_carts WHERE id = $1";

macro_rules! impl_carts {
    ($store:ty, $dialect:ident) => {
        #[async_trait]
        impl CartStore for $store {
            async fn put_cart(
                &self,
                cart: &StoredCart,
                expected_version: Option<u64>,
            ) -> Result<()> {
                let body = to_json(cart)?;
                let version =
                    i64::try_from(cart.version).map_err(|_| Error::overflow("version"))?;
                let expected = expected_version
                    .map(i64::try_from)
                    .transpose()
                    .map_err(|_| Error::overflow("version"))?;
                if $dialect::GROUP_COMMIT {
                    use $crate::batch::Bound::{Int, Text};
                    let (id, body) = (Text(cart.id.clone()), Text(body.clone()));
                    let written = match expected {
                        None => self.one_row_in_group(INSERT_CART, vec![id, Int(version), body]),
                        Some(expected) => self.one_row_in_group(
                            UPDATE_CART,
                            vec![id, Int(version), body, Int(expected)],
                        ),
                    };
                    // Anything else is decided below, by the statement alone.
                    if written.await? {
                        return Ok(());
                    }
                }
                let written = match expected {
                    None => {
                        sqlx::query(INSERT_CART)
                            .bind(&cart.id)
                            .bind(version)
                            .bind(&body)
                            .execute(&mut *self.writing().await?)
                            .await
                    }
                    Some(expected) => {
                        sqlx::query(UPDATE_CART)
                            .bind(&cart.id)
                            .bind(version)
                            .bind(&body)
                            .bind(expected)
                            .execute(&mut *self.writing().await?)
                            .await
                    }
                }
                .map_err(db)?;
                if written.rows_affected() == 1 {
                    Ok(())
                } else {
                    Err(Error::conflict("cart", cart.id.clone()))
                }
            }

            async fn cart(&self, id: &str) -> Result<Option<StoredCart>> {
                self.fetch_body(SELECT_CART, id)
                    .await?
                    .map(|b| from_json(&b))
                    .transpose()
            }
        }
    };
}

pub(crate) use impl_carts;
