//! Checks of who an order goes to: the e-mail and addresses a checkout carries or takes from
//! the customer's book, stored on the order and pricing it.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::contact::ContactRequest;
use crate::customer::Address;
use crate::error::ErrorKind;
use crate::money::Currency;
use crate::pricing::TaxZone;
use crate::store::Store;

use super::{cart_for, cart_with, checkout_request, level, product, sample_contact, shop};

fn canadian(name: &str) -> Address {
    Address {
        name: name.into(),
        line1: "1 Granville St".into(),
        city: "Vancouver".into(),
        region: "BC".into(),
        postal_code: "V6C 1T2".into(),
        country: "CA".into(),
        phone: "+1 604 555 0100".into(),
        ..Address::default()
    }
}

/// A checkout without an e-mail or a shipping address is refused before anything is
/// reserved; one with them stores them on the order, which the shipping address prices; a
/// customer's checkout takes what it leaves out from their account.
pub async fn checkout_takes_its_contact_and_prices_from_the_address(store: Arc<dyn Store>) {
    let (commerce, _, _) = shop(store.clone(), 5).await;
    let mut config = commerce.config().await.unwrap();
    config.tax_zones.push(
        serde_json::from_value::<TaxZone>(serde_json::json!({
            "country": "CA",
            "rates": [{"id": "gst", "rate": "0.05", "categories": ["standard"]}]
        }))
        .unwrap(),
    );
    config.tax_zones.push(
        serde_json::from_value::<TaxZone>(serde_json::json!({
            "country": "US",
            "rates": [{"id": "exempt", "rate": "0", "categories": ["standard"]}]
        }))
        .unwrap(),
    );
    commerce.put_config(config).await.unwrap();
    let mut mug = product("mug", "MUG", "10.00");
    mug.tax_category = Some("standard".into());
    commerce.put_product(mug).await.unwrap();

    // Missing parts are refused, naming the field, and hold nothing.
    let cart = cart_with(&commerce, 1).await;
    for (contact, field) in [
        (ContactRequest::default(), "email"),
        (
            ContactRequest {
                email: Some("guest@example.com".into()),
                ..ContactRequest::default()
            },
            "shipping_address",
        ),
        (
            ContactRequest {
                shipping_address: Some(Address {
                    postal_code: "\u{0}".into(),
                    ..canadian("Guest")
                }),
                ..sample_contact()
            },
            "shipping_address.postal_code",
        ),
    ] {
        let mut request = checkout_request(&cart, "tok_visa", None);
        request.contact = contact;
        let err = commerce.checkout(&request).await.unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::InvalidInput { .. }),
            "{err}"
        );
        assert_eq!(err.field(), Some(field), "{err}");
        assert_eq!(level(&*store, "MUG").await, (5, 0), "nothing is held");
        assert!(store.order_for_cart(&cart).await.unwrap().is_none());
    }

    // A guest's order keeps what it was given, and is taxed where it ships.
    let mut request = checkout_request(&cart, "tok_visa", None);
    request.contact = ContactRequest {
        email: Some(" guest@example.com ".into()),
        shipping_address: Some(canadian("Guest")),
        ..ContactRequest::default()
    };
    let done = commerce.checkout(&request).await.unwrap();
    let order = commerce.order(&done.order.id).await.unwrap();
    assert_eq!(order.email.as_deref(), Some("guest@example.com"));
    assert_eq!(order.shipping_address, Some(canadian("Guest")));
    assert_eq!(order.billing_address, order.shipping_address);
    assert_eq!(order.quote.totals.tax_total.to_string(), "0.50");
    assert_eq!(order.grand_total().to_string(), "10.50 USD");

    // The same address elsewhere is not taxed by the Canadian zone.
    let cart = cart_with(&commerce, 1).await;
    let done = commerce
        .checkout(&checkout_request(&cart, "tok_visa", None))
        .await
        .unwrap();
    assert_eq!(done.order.grand_total().to_string(), "10.00 USD");

    // A customer's checkout takes their e-mail and first address; a second one by id.
    let ada = commerce
        .register("ada@example.com", "Ada", "$argon2id$stand-in")
        .await
        .unwrap();
    let home = commerce
        .add_address(&ada.id, canadian("Ada at home"))
        .await
        .unwrap();
    let office = commerce
        .add_address(&ada.id, canadian("Ada at the office"))
        .await
        .unwrap();
    for (contact, shipped_to) in [
        (ContactRequest::default(), &home),
        (
            ContactRequest {
                shipping_address_id: Some(office.id.clone()),
                billing_address_id: Some(home.id.clone()),
                ..ContactRequest::default()
            },
            &office,
        ),
    ] {
        let cart = cart_for(&commerce, Some(&ada.id), 1).await;
        let mut request = checkout_request(&cart, "tok_visa", None);
        request.contact = contact;
        let done = commerce.checkout(&request).await.unwrap();
        assert_eq!(done.order.email.as_deref(), Some("ada@example.com"));
        assert_eq!(done.order.shipping_address.as_ref(), Some(shipped_to));
        assert_eq!(done.order.billing_address.as_ref(), Some(&home));
    }
    // An id that is not in the book is refused.
    let cart = cart_for(&commerce, Some(&ada.id), 1).await;
    let mut request = checkout_request(&cart, "tok_visa", None);
    request.contact = ContactRequest {
        shipping_address_id: Some("adr_elsewhere".into()),
        ..ContactRequest::default()
    };
    let err = commerce.checkout(&request).await.unwrap_err();
    assert_eq!(err.field(), Some("shipping_address_id"));
}

/// Adding what cannot be sold says why: an unknown SKU, a product not active, no price in the
/// cart's currency.
pub async fn unsellable_skus_say_why(store: Arc<dyn Store>) {
    let (commerce, _, _) = shop(store, 5).await;
    let mut draft = product("draft-mug", "DRAFT-MUG", "10.00");
    draft.status = crate::catalog::ProductStatus::Draft;
    commerce.put_product(draft).await.unwrap();
    let usd = commerce.create_cart(Currency::USD, None).await.unwrap();
    let eur = commerce.create_cart(Currency::EUR, None).await.unwrap();
    let add = |cart: String, sku: &'static str| {
        let commerce = commerce.clone();
        async move {
            commerce
                .add_to_cart(&cart, sku, 1, BTreeMap::new())
                .await
                .unwrap_err()
        }
    };
    let unknown = add(usd.id.clone(), "NOPE").await;
    assert!(
        matches!(unknown.kind(), ErrorKind::UnknownSku { .. }),
        "{unknown}"
    );
    let draft = add(usd.id.clone(), "DRAFT-MUG").await;
    assert_eq!(draft.code(), "unknown_sku", "the code stays");
    assert_eq!(
        draft.to_string(),
        "`DRAFT-MUG` is not for sale: product `draft-mug` is draft"
    );
    let unpriced = add(eur.id.clone(), "MUG").await;
    assert_eq!(unpriced.code(), "unknown_sku");
    assert_eq!(
        unpriced.to_string(),
        "`MUG` is not for sale: no price in EUR"
    );
}
