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

    /// The scope of the caller's idempotency keys: two callers' keys never collide.
    pub fn idempotency_scope(&self) -> String {
        match self {
            Caller::Anonymous => "anonymous".to_string(),
            Caller::Customer { id } => format!("customer:{id}"),
            Caller::Admin { key_id } => format!("admin:{key_id}"),
        }
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
