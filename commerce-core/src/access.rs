//! Who may see and change what: the object-level rules every front end applies the same way.
//!
//! A [`Caller`] is whoever makes a request, as the front end authenticated them. The rules:
//!
//! - an **admin** sees and changes everything;
//! - a **guest cart** (no customer) opens to whoever holds its id, an unguessable token;
//! - a **customer's cart, order, payment and addresses** open to that customer only (and
//!   admins): holding the id is not enough;
//! - a **guest order** opens through the cart it was placed from (the guest's token), never by
//!   the order's own id;
//! - a **product** is seen by anyone while it is active; drafts and archived ones only by admins.
//!
//! A resource the caller may not open is reported as not found, so that its existence is not
//! revealed either.
//!
//! # Example
//!
//! ```
//! use commerce_core::access::Caller;
//!
//! let ada = Caller::Customer { id: "cus_ada".into() };
//! assert!(ada.owns(Some("cus_ada")));
//! assert!(!ada.owns(Some("cus_bob")));
//! assert!(!Caller::Anonymous.owns(Some("cus_ada")));
//! assert!(Caller::Admin { key_id: "k1".into() }.owns(Some("cus_ada")));
//! ```

use crate::catalog::{Product, ProductStatus};
use crate::error::{Error, Result};
use crate::order::Order;
use serde::{Deserialize, Serialize};

use crate::cart::StoredCart;
use crate::time::Timestamp;

/// Whoever makes a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// No credentials: a guest, or anyone.
    Anonymous,
    /// A signed-in customer.
    Customer {
        /// The customer's id.
        id: String,
    },
    /// An admin, by API key.
    Admin {
        /// The key's id.
        key_id: String,
    },
}

impl Caller {
    /// Whether the caller is an admin.
    pub fn is_admin(&self) -> bool {
        matches!(self, Caller::Admin { .. })
    }

    /// The signed-in customer's id, if the caller is one.
    pub fn customer_id(&self) -> Option<&str> {
        match self {
            Caller::Customer { id } => Some(id),
            _ => None,
        }
    }

    /// Whether the caller may act on something that belongs to `owner` (a customer id), or to
    /// no one (`None`, which only admins may).
    pub fn owns(&self, owner: Option<&str>) -> bool {
        match self {
            Caller::Admin { .. } => true,
            Caller::Customer { id } => owner == Some(id.as_str()),
            Caller::Anonymous => false,
        }
    }

    /// Whether the caller, holding the cart's id, may open it: a guest cart opens to its
    /// token, a customer's cart to its owner.
    pub fn may_open_cart(&self, cart: &StoredCart) -> bool {
        cart.customer_id.is_none() || self.owns(cart.customer_id.as_deref())
    }

    /// Whether the caller may open an order (and its payment) by the order's id: its customer
    /// and admins. Guest orders open through their cart ([`Caller::may_open_cart`]).
    pub fn may_open_order(&self, order: &Order) -> bool {
        self.owns(order.customer_id.as_deref())
    }

    /// Whether the caller may see a product: an active one, or any, for admins.
    pub fn may_see_product(&self, product: &Product) -> bool {
        product.status == ProductStatus::Active || self.is_admin()
    }

    /// The record `id`, asked for by this caller: service operations on a [`Target`] check
    /// the caller where they read the record.
    pub fn target<'a>(&'a self, id: &'a str) -> Target<'a> {
        Target {
            id,
            caller: Some(self),
        }
    }

    /// Whether the caller may list products of a status (`None`: every status): anyone lists
    /// the active ones, only admins the others.
    ///
    /// # Errors
    ///
    /// `unauthenticated` for an anonymous caller, `forbidden` for a customer, asking for other
    /// than active products.
    ///
    /// # Example
    ///
    /// ```
    /// use commerce_core::access::Caller;
    /// use commerce_core::catalog::ProductStatus;
    ///
    /// assert!(Caller::Anonymous.may_list_products(Some(ProductStatus::Active)).is_ok());
    /// let ada = Caller::Customer { id: "cus_ada".into() };
    /// assert_eq!(ada.may_list_products(None).unwrap_err().code(), "forbidden");
    /// ```
    pub fn may_list_products(&self, status: Option<ProductStatus>) -> Result<()> {
        match self {
            _ if status == Some(ProductStatus::Active) => Ok(()),
            Caller::Admin { .. } => Ok(()),
            Caller::Customer { .. } => Err(Error::forbidden(
                "only admins list products that are not active",
            )),
            Caller::Anonymous => Err(Error::unauthenticated(
                "an admin API key is required to list products that are not active",
            )),
        }
    }

    /// Whose orders the caller lists when asking for `customer`'s (`None`: everyone's): an
    /// admin lists what they ask for; a customer only their own, whatever they ask.
    ///
    /// # Errors
    ///
    /// `unauthenticated` for an anonymous caller (a guest follows an order through its cart);
    /// `forbidden` for a customer asking for another customer's orders.
    ///
    /// # Example
    ///
    /// ```
    /// use commerce_core::access::Caller;
    ///
    /// let ada = Caller::Customer { id: "cus_ada".into() };
    /// assert_eq!(ada.order_listing_scope(None)?, Some("cus_ada".to_string()));
    /// assert!(ada.order_listing_scope(Some("cus_bob".into())).is_err());
    /// let admin = Caller::Admin { key_id: "k1".into() };
    /// assert_eq!(admin.order_listing_scope(None)?, None);
    /// # Ok::<(), commerce_core::Error>(())
    /// ```
    pub fn order_listing_scope(&self, customer: Option<String>) -> Result<Option<String>> {
        match self {
            Caller::Admin { .. } => Ok(customer),
            Caller::Customer { id } if customer.as_ref().is_none_or(|c| c == id) => {
                Ok(Some(id.clone()))
            }
            Caller::Customer { .. } => {
                Err(Error::forbidden("only admins list other customers' orders"))
            }
            Caller::Anonymous => Err(Error::unauthenticated(
                "sign in to list your orders; a guest follows an order through its cart",
            )),
        }
    }

    /// The scope of the caller's idempotency keys: two callers' keys never collide.
    pub fn idempotency_scope(&self) -> String {
        match self {
            Caller::Anonymous => "anonymous".to_string(),
            Caller::Customer { id } => format!("customer:{id}"),
            Caller::Admin { key_id } => format!("admin:{key_id}"),
        }
    }
}

/// The record an operation is about, and who asks for it.
///
/// Operations of [`Commerce`](crate::Commerce) that read a cart, an order or a payment take a
/// `Target` and check the caller where they read the record, so that no front end has to
/// remember a separate check. A bare id (`"cart_1".into()`) is the shop acting itself, as an
/// embedding program does: nothing is checked. A front end serving other people passes
/// [`Caller::target`].
///
/// # Example
///
/// ```
/// use commerce_core::access::{Caller, Target};
///
/// let ada = Caller::Customer { id: "cus_ada".into() };
/// let asked: Target = ada.target("cart_1");
/// assert_eq!(asked.id(), "cart_1");
/// assert_eq!(asked.caller(), Some(&ada));
/// assert_eq!(Target::from("cart_1").caller(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target<'a> {
    id: &'a str,
    caller: Option<&'a Caller>,
}

impl<'a> Target<'a> {
    /// The record's id.
    pub fn id(&self) -> &'a str {
        self.id
    }

    /// Who asks, or `None` for the shop itself.
    pub fn caller(&self) -> Option<&'a Caller> {
        self.caller
    }

    /// Whether the one who asks may open the cart.
    pub fn may_open_cart(&self, cart: &StoredCart) -> bool {
        self.caller.is_none_or(|c| c.may_open_cart(cart))
    }

    /// Whether the one who asks may see the product.
    pub fn may_see_product(&self, product: &Product) -> bool {
        self.caller.is_none_or(|c| c.may_see_product(product))
    }

    /// Whether the one who asks may open the order.
    pub fn may_open_order(&self, order: &Order) -> bool {
        self.caller.is_none_or(|c| c.may_open_order(order))
    }
}

impl<'a> From<&'a str> for Target<'a> {
    fn from(id: &'a str) -> Target<'a> {
        Target { id, caller: None }
    }
}

impl<'a> From<&'a String> for Target<'a> {
    fn from(id: &'a String) -> Target<'a> {
        Target { id, caller: None }
    }
}

/// An API key as stored: its public id and a hash of its secret, never the secret itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    /// The public part of the key, by which it is found.
    pub id: String,
    /// What the key is for, as its creator named it.
    pub name: String,
    /// A hash of the secret part; the layer that issues keys chooses the hash and compares it.
    pub secret_hash: String,
    /// When the key was issued.
    pub created_at: Timestamp,
    /// When the key was revoked, if it was; a revoked key opens nothing.
    pub revoked_at: Option<Timestamp>,
}

/// A customer's signed-in session as stored: its public id and a hash of its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The public part of the session token, by which it is found.
    pub id: String,
    /// Whose session it is.
    pub customer_id: String,
    /// A hash of the secret part of the token.
    pub secret_hash: String,
    /// When the customer signed in.
    pub created_at: Timestamp,
    /// When the session ends by itself.
    pub expires_at: Timestamp,
    /// When the customer signed out (or the session was ended), if they did.
    pub revoked_at: Option<Timestamp>,
}

impl Session {
    /// Whether the session still opens its customer's account at `now`.
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}
