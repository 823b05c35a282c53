//! Who an order goes to: the contact e-mail address and the shipping and billing addresses,
//! and how checkout chooses them.
//!
//! A checkout must name where the order ships and where to write about it; an order without
//! them cannot be shipped, so [`resolve`] refuses it before anything is reserved. Each may be
//! given with the checkout or taken from the signed-in customer:
//!
//! - **E-mail**: the one given, else the customer's own address. A guest must give one.
//! - **Shipping address**: the one given, else the one named by `shipping_address_id` in the
//!   customer's address book, else the first address of that book (a customer's default).
//! - **Billing address**: the one given, else the one named by `billing_address_id`, else the
//!   shipping address.
//!
//! The shipping address prices the order: its country and region choose the tax rates and
//! shipping methods, whatever destination the cart was quoted for.

use serde::{Deserialize, Serialize};

use crate::cart::Destination;
use crate::customer::{Address, Customer};
use crate::error::{Error, Result};
use crate::text;

/// The longest e-mail address (RFC 5321's limit on a path).
pub const MAX_EMAIL_BYTES: usize = 254;

/// What a checkout says about who the order goes to; every part may be left to the customer's
/// account (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ContactRequest {
    /// Where to write about the order.
    #[serde(default)]
    pub email: Option<String>,
    /// Where the order ships.
    #[serde(default)]
    pub shipping_address: Option<Address>,
    /// An address of the customer's book to ship to, instead of `shipping_address`.
    #[serde(default)]
    pub shipping_address_id: Option<String>,
    /// Who pays, if not the shipping address.
    #[serde(default)]
    pub billing_address: Option<Address>,
    /// An address of the customer's book to bill, instead of `billing_address`.
    #[serde(default)]
    pub billing_address_id: Option<String>,
}

impl ContactRequest {
    /// Whether every part is given, so that the customer's account need not be read.
    pub fn is_complete(&self) -> bool {
        self.email.is_some() && self.shipping_address.is_some()
    }

    /// A stable text of what was asked, for an idempotency key's fingerprint.
    pub fn fingerprint(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Who an order goes to, as stored on it.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// Where to write about the order.
    pub email: String,
    /// Where the order ships.
    pub shipping_address: Address,
    /// Who pays.
    pub billing_address: Address,
}

impl Contact {
    /// The destination the order is priced for: the shipping address's country and region.
    pub fn destination(&self) -> Destination {
        Destination {
            country: self.shipping_address.country.clone(),
            region: self.shipping_address.region.clone(),
        }
    }
}

/// Checks an e-mail address: one `@` with text before it, a domain with a dot after it, no
/// spaces or control characters, at most 254 bytes. Deliverability is the mail server's to
/// judge; this refuses what is plainly not an address.
///
/// # Errors
///
/// `invalid_input` at `email`.
///
/// # Example
///
/// ```
/// use commerce_core::contact::check_email;
///
/// assert!(check_email("ada@example.com").is_ok());
/// assert_eq!(check_email("ada@localhost").unwrap_err().field(), Some("email"));
/// ```
pub fn check_email(email: &str) -> Result<()> {
    let refused = || Error::invalid("an e-mail address such as ada@example.com").at("email");
    text::check_line(email).map_err(|e| e.at("email"))?;
    if email.len() > MAX_EMAIL_BYTES || email.chars().any(char::is_whitespace) {
        return Err(refused());
    }
    let Some((local, domain)) = email.rsplit_once('@') else {
        return Err(refused());
    };
    let domain_ok = domain
        .split('.')
        .all(|label| !label.is_empty() && !label.contains('@'))
        && domain.contains('.');
    if local.is_empty() || !domain_ok {
        return Err(refused());
    }
    Ok(())
}

/// Chooses the contact of an order from what the checkout gave and the customer's account
/// (see the module documentation). Given addresses are validated and lose any id they had.
///
/// # Errors
///
/// `invalid_input` at `email` or `shipping_address` when one is missing, at
/// `shipping_address_id`/`billing_address_id` for an id not in the customer's book, and as
/// [`check_email`] and [`Address::validate`], with the field's path.
///
/// # Example
///
/// ```
/// use commerce_core::contact::{ContactRequest, resolve};
/// use commerce_core::customer::Address;
///
/// let home = Address {
///     name: "Ada Lovelace".into(),
///     line1: "12 St James's Square".into(),
///     city: "London".into(),
///     postal_code: "SW1Y 4JH".into(),
///     country: "GB".into(),
///     ..Address::default()
/// };
/// let request = ContactRequest {
///     email: Some("ada@example.com".into()),
///     shipping_address: Some(home.clone()),
///     ..ContactRequest::default()
/// };
/// let contact = resolve(&request, None).unwrap();
/// assert_eq!(contact.billing_address, home);
/// assert_eq!(contact.destination().country, "GB");
///
/// let missing = resolve(&ContactRequest::default(), None).unwrap_err();
/// assert_eq!(missing.field(), Some("email"));
/// ```
pub fn resolve(request: &ContactRequest, customer: Option<&Customer>) -> Result<Contact> {
    let email = match (&request.email, customer) {
        (Some(email), _) => email.trim().to_owned(),
        (None, Some(customer)) => customer.email.clone(),
        (None, None) => {
            return Err(
                Error::invalid("an e-mail address to write to about the order").at("email"),
            );
        }
    };
    check_email(&email)?;
    let shipping = choose(
        "shipping_address",
        request.shipping_address.as_ref(),
        request.shipping_address_id.as_deref(),
        customer,
    )?
    .or_else(|| customer.and_then(|c| c.addresses.first().cloned()))
    .ok_or_else(|| Error::invalid("an address to ship the order to").at("shipping_address"))?;
    let billing = choose(
        "billing_address",
        request.billing_address.as_ref(),
        request.billing_address_id.as_deref(),
        customer,
    )?
    .unwrap_or_else(|| shipping.clone());
    Ok(Contact {
        email,
        shipping_address: shipping,
        billing_address: billing,
    })
}

fn choose(
    field: &'static str,
    given: Option<&Address>,
    saved_id: Option<&str>,
    customer: Option<&Customer>,
) -> Result<Option<Address>> {
    let id_field = if field == "shipping_address" {
        "shipping_address_id"
    } else {
        "billing_address_id"
    };
    match (given, saved_id) {
        (Some(_), Some(_)) => {
            Err(Error::invalid(format!("give either {field} or {id_field}, not both")).at(id_field))
        }
        (Some(address), None) => {
            let address = Address {
                id: String::new(),
                ..address.clone()
            };
            address.validate().map_err(|e| e.at(field))?;
            Ok(Some(address))
        }
        (None, Some(id)) => customer
            .and_then(|c| c.addresses.iter().find(|a| a.id == id))
            .cloned()
            .map(Some)
            .ok_or_else(|| {
                Error::invalid("no address with this id in the customer's book").at(id_field)
            }),
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn address(city: &str) -> Address {
        Address {
            id: String::new(),
            name: "Ada Lovelace".into(),
            line1: "1 Main St".into(),
            city: city.into(),
            region: "BC".into(),
            postal_code: "V5K 0A1".into(),
            country: "CA".into(),
            ..Address::default()
        }
    }

    fn customer() -> Customer {
        Customer {
            id: "cus_1".into(),
            email: "ada@example.com".into(),
            name: "Ada".into(),
            group: None,
            addresses: vec![
                Address {
                    id: "adr_1".into(),
                    ..address("Vancouver")
                },
                Address {
                    id: "adr_2".into(),
                    ..address("Victoria")
                },
            ],
            version: 1,
        }
    }

    #[test]
    fn a_guest_must_give_an_email_and_a_shipping_address() {
        let no_address = ContactRequest {
            email: Some("g@example.com".into()),
            ..ContactRequest::default()
        };
        assert_eq!(
            resolve(&no_address, None).unwrap_err().field(),
            Some("shipping_address")
        );
        let no_email = ContactRequest {
            shipping_address: Some(address("Vancouver")),
            ..ContactRequest::default()
        };
        assert_eq!(resolve(&no_email, None).unwrap_err().field(), Some("email"));
    }

    #[test]
    fn a_customer_defaults_to_their_email_and_first_address() {
        let contact = resolve(&ContactRequest::default(), Some(&customer())).unwrap();
        assert_eq!(contact.email, "ada@example.com");
        assert_eq!(contact.shipping_address.id, "adr_1");
        assert_eq!(contact.billing_address.id, "adr_1");
    }

    #[test]
    fn saved_addresses_are_chosen_by_id_and_unknown_ids_refused() {
        let request = ContactRequest {
            shipping_address_id: Some("adr_2".into()),
            billing_address_id: Some("adr_1".into()),
            ..ContactRequest::default()
        };
        let contact = resolve(&request, Some(&customer())).unwrap();
        assert_eq!(contact.shipping_address.city, "Victoria");
        assert_eq!(contact.billing_address.city, "Vancouver");
        let unknown = ContactRequest {
            shipping_address_id: Some("adr_9".into()),
            ..ContactRequest::default()
        };
        let err = resolve(&unknown, Some(&customer())).unwrap_err();
        assert_eq!(err.field(), Some("shipping_address_id"));
        // A guest has no book.
        assert!(resolve(&request, None).is_err());
    }

    #[test]
    fn given_addresses_are_validated_with_their_path_and_lose_their_id() {
        let bad = ContactRequest {
            email: Some("g@example.com".into()),
            shipping_address: Some(Address {
                city: " ".into(),
                ..address("x")
            }),
            ..ContactRequest::default()
        };
        assert_eq!(
            resolve(&bad, None).unwrap_err().field(),
            Some("shipping_address.city")
        );
        let given = ContactRequest {
            email: Some("g@example.com".into()),
            shipping_address: Some(Address {
                id: "forged".into(),
                ..address("Vancouver")
            }),
            ..ContactRequest::default()
        };
        assert_eq!(resolve(&given, None).unwrap().shipping_address.id, "");
    }

    #[test]
    fn an_address_and_its_id_together_are_refused() {
        let both = ContactRequest {
            billing_address: Some(address("Vancouver")),
            billing_address_id: Some("adr_1".into()),
            ..ContactRequest::default()
        };
        assert_eq!(
            resolve(&both, Some(&customer())).unwrap_err().field(),
            Some("billing_address_id")
        );
    }

    #[test]
    fn emails() {
        for good in ["a@b.co", "first.last+tag@sub.example.org", "x@y.z"] {
            assert!(check_email(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "@example.com",
            "ada@",
            "ada@example",
            "ada @example.com",
            "ada@example..com",
            "ada@.example.com",
            "ada@example.com.",
            "ada\u{0}@example.com",
        ] {
            assert_eq!(
                check_email(bad).unwrap_err().field(),
                Some("email"),
                "{bad:?}"
            );
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(check_email(&long).is_err());
    }

    proptest! {
        /// Whatever is asked, the answer is a complete, valid contact or a refusal naming a
        /// field: never a contact with an invalid part.
        #[test]
        fn resolved_contacts_are_valid(
            email in proptest::option::of("[a-z@. ]{0,12}"),
            city in "[A-Za-z ]{0,6}",
            give_address in any::<bool>(),
            signed_in in any::<bool>(),
        ) {
            let request = ContactRequest {
                email,
                shipping_address: give_address.then(|| address(&city)),
                ..ContactRequest::default()
            };
            let customer = customer();
            match resolve(&request, signed_in.then_some(&customer)) {
                Ok(contact) => {
                    prop_assert!(check_email(&contact.email).is_ok());
                    prop_assert!(contact.shipping_address.validate().is_ok());
                    prop_assert!(contact.billing_address.validate().is_ok());
                }
                Err(err) => prop_assert!(err.field().is_some()),
            }
        }
    }
}
