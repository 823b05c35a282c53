//! The ways a cart can be shipped to its destination, each with what it would cost the cart:
//! what a storefront lists before the customer picks one.

use serde::{Deserialize, Serialize};

use crate::access::Target;
use crate::error::{Error, Result};
use crate::money::Money;

use super::Commerce;

/// A shipping method that serves a cart's destination, priced for the cart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct ShippingOffer {
    /// The method's id, to set with the cart's shipping.
    pub method: String,
    /// What shipping would cost the cart with this method, after its shipping discounts.
    pub shipping_total: Money,
    /// The cart's grand total with this method.
    pub grand_total: Money,
}

impl Commerce {
    /// The shipping methods that serve the cart's destination, in the order they are
    /// configured, each priced as the cart would be with it (rates, free-above thresholds,
    /// shipping promotions, taxes).
    ///
    /// # Errors
    ///
    /// `not_found`; `invalid_input` at `destination` when the cart has none yet; as
    /// [`Commerce::quote_cart`].
    pub async fn shipping_offers<'a>(
        &self,
        cart: impl Into<Target<'a>>,
    ) -> Result<Vec<ShippingOffer>> {
        let stored = self.cart(cart).await?;
        let Some(destination) = stored.destination.clone() else {
            return Err(Error::invalid(
                "set the cart's destination first, to know what ships there",
            )
            .at("destination"));
        };
        let currency = stored.cart.currency();
        let methods = self
            .catalog_snapshot()
            .await?
            .config
            .shipping_methods_to(&destination.country);
        let mut offers = Vec::with_capacity(methods.len());
        for method in methods {
            let mut priced = stored.clone();
            priced.cart.set_shipping_method(Some(&method.id));
            let quote = self.price(&priced).await?;
            offers.push(ShippingOffer {
                method: method.id.to_string(),
                shipping_total: Money::from_decimal(quote.totals.shipping_total, currency)?,
                grand_total: Money::from_decimal(quote.totals.grand_total, currency)?,
            });
        }
        Ok(offers)
    }
}
