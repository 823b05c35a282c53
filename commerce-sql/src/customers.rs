//! Customers on SQL.
//!
//! Stamped for each backend by `impl_store!` (`stamp.rs`), inside the block that imports the
//! names it uses; SQL both databases accept as is.

pub(crate) const SELECT_EMAIL_OWNER: &str =
    "SELECT id FROM commerce_customers WHERE email_key = $1";
pub(crate) const UPSERT_CUSTOMER: &str = "INSERT INTO commerce_customers (id, email_key, body) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET email_key = excluded.email_key, body = excluded.body";
pub(crate) const SELECT_CUSTOMER: &str = "SELECT body FROM commerce_customers WHERE id = $1";
pub(crate) const SELECT_CUSTOMER_BY_EMAIL: &str =
    "SELECT body FROM commerce_customers WHERE email_key = $1";

macro_rules! impl_customers {
    ($store:ty, $dialect:ident) => {
        #[async_trait]
        impl CustomerStore for $store {
            async fn put_customer(&self, customer: &Customer) -> Result<()> {
                let email = customer.email.to_lowercase();
                let body = to_json(customer)?;
                let id = customer.id.clone();
                self.write(move |tx| {
                    let (email, body, id) = (email.clone(), body.clone(), id.clone());
                    Box::pin(async move {
                        let owner = sqlx::query(SELECT_EMAIL_OWNER)
                            .bind(&email)
                            .fetch_optional(&mut **tx)
                            .await
                            .map_err($dialect::failure)?;
                        if let Some(owner) = owner {
                            let owner: String = owner.try_get("id").map_err($dialect::failure)?;
                            if owner != id {
                                return Err(Failure::Error(Error::new(ErrorKind::DuplicateId {
                                    id: email,
                                })));
                            }
                        }
                        sqlx::query(UPSERT_CUSTOMER)
                            .bind(&id)
                            .bind(&email)
                            .bind(&body)
                            .execute(&mut **tx)
                            .await
                            .map_err($dialect::failure)?;
                        Ok(())
                    })
                })
                .await
            }

            async fn customer(&self, id: &str) -> Result<Option<Customer>> {
                self.fetch_body(SELECT_CUSTOMER, id)
                    .await?
                    .map(|b| from_json(&b))
                    .transpose()
            }

            async fn customer_by_email(&self, email: &str) -> Result<Option<Customer>> {
                self.fetch_body(SELECT_CUSTOMER_BY_EMAIL, &email.to_lowercase())
                    .await?
                    .map(|b| from_json(&b))
                    .transpose()
            }
        }
    };
}

pub(crate) use impl_customers;
