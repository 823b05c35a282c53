//! Customers on SQL.
//!
//! Stamped for each backend by `impl_store!` (`stamp.rs`), inside the block that imports the
//! names it uses; SQL both databases accept as is.

pub(crate) const SELECT_EMAIL_OWNER: &str =
    "SELECT id FROM commerce_customers WHERE email_key = $1";
pub(crate) const INSERT_NEW_CUSTOMER: &str = "INSERT INTO commerce_customers (id, email_key, body, version) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING";
/// Replaces a customer compare-and-set: `$5` the version it must still have.
pub(crate) const UPDATE_CUSTOMER: &str = "UPDATE commerce_customers SET email_key = $2, body = $3, version = $4 WHERE id = $1 AND version = $5";
pub(crate) const SELECT_CUSTOMER: &str = "SELECT body FROM commerce_customers WHERE id = $1";
pub(crate) const SELECT_CUSTOMER_BY_EMAIL: &str =
    "SELECT body FROM commerce_customers WHERE email_key = $1";

macro_rules! impl_customers {
    ($store:ty, $dialect:ident) => {
        #[async_trait]
        impl CustomerStore for $store {
            async fn put_customer(&self, customer: &Customer, expected_version: u64) -> Result<()> {
                let email = customer.email.to_lowercase();
                let body = to_json(customer)?;
                let id = customer.id.clone();
                let version =
                    i64::try_from(customer.version).map_err(|_| Error::overflow("version"))?;
                let expected =
                    i64::try_from(expected_version).map_err(|_| Error::overflow("version"))?;
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
                        let written = if expected == 0 {
                            sqlx::query(INSERT_NEW_CUSTOMER)
                                .bind(&id)
                                .bind(&email)
                                .bind(&body)
                                .bind(version)
                                .execute(&mut **tx)
                                .await
                        } else {
                            sqlx::query(UPDATE_CUSTOMER)
                                .bind(&id)
                                .bind(&email)
                                .bind(&body)
                                .bind(version)
                                .bind(expected)
                                .execute(&mut **tx)
                                .await
                        };
                        match written {
                            Ok(done) if done.rows_affected() == 1 => Ok(()),
                            Ok(_) => Err(Failure::Error(Error::conflict("customer", &id))),
                            // The same address taken by a concurrent write.
                            Err(err) if $dialect::is_unique_violation(&err) => {
                                Err(Failure::Error(Error::new(ErrorKind::DuplicateId {
                                    id: email,
                                })))
                            }
                            Err(err) => Err($dialect::failure(err)),
                        }
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
