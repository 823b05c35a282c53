//! Checks of credentials: API keys, accounts and sessions.

use std::sync::Arc;

use crate::access::Session;
use crate::customer::Customer;
use crate::error::ErrorKind;
use crate::store::Store;

use super::START;

/// API keys: stored once per id, found by id, revoked for good (the first time is kept).
pub async fn api_keys_are_kept_and_revoked(store: Arc<dyn Store>) {
    use crate::access::ApiKey;
    let key = |id: &str| ApiKey {
        id: id.to_string(),
        name: format!("key {id}"),
        secret_hash: format!("hash-{id}"),
        created_at: START,
        revoked_at: None,
    };
    store.put_api_key(&key("b")).await.unwrap();
    store.put_api_key(&key("a")).await.unwrap();
    let err = store.put_api_key(&key("a")).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::DuplicateId { .. }), "{err}");
    assert_eq!(store.api_key("a").await.unwrap(), Some(key("a")));
    assert_eq!(store.api_key("zzz").await.unwrap(), None);
    let ids: Vec<String> = store
        .api_keys()
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.id)
        .collect();
    assert_eq!(ids, ["a", "b"]);
    let first = START.plus_millis(1_000);
    store.revoke_api_key("a", first).await.unwrap();
    store
        .revoke_api_key("a", first.plus_millis(1_000))
        .await
        .unwrap();
    assert_eq!(
        store.api_key("a").await.unwrap().unwrap().revoked_at,
        Some(first)
    );
    assert_eq!(store.api_key("b").await.unwrap().unwrap().revoked_at, None);
    let err = store.revoke_api_key("zzz", first).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
}

/// Accounts are created whole or not at all, with unique ids and e-mail addresses; sessions
/// are kept, ended for good, ended together, and purged once over.
pub async fn accounts_and_sessions(store: Arc<dyn Store>) {
    let ada = Customer {
        id: "c1".into(),
        email: "Ada@Example.com".into(),
        name: "Ada".into(),
        group: None,
        addresses: vec![],
        version: 0,
    };
    store.create_account(&ada, "hash-1").await.unwrap();
    let twin = Customer {
        id: "c2".into(),
        email: "ADA@example.COM".into(),
        ..ada.clone()
    };
    let err = store.create_account(&twin, "hash-2").await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::DuplicateId { .. }), "{err}");
    assert!(
        store.customer("c2").await.unwrap().is_none()
            && store.password_hash("c2").await.unwrap().is_none(),
        "a refused account leaves nothing behind"
    );
    let same_id = Customer {
        email: "other@example.com".into(),
        ..ada.clone()
    };
    let err = store.create_account(&same_id, "hash-3").await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::DuplicateId { .. }), "{err}");
    assert_eq!(store.customer("c1").await.unwrap(), Some(ada.clone()));
    assert_eq!(
        store
            .customer_by_email("ada@example.com")
            .await
            .unwrap()
            .map(|c| c.id),
        Some("c1".to_string())
    );
    assert_eq!(
        store.password_hash("c1").await.unwrap().as_deref(),
        Some("hash-1")
    );
    store.set_password_hash("c1", "hash-4").await.unwrap();
    assert_eq!(
        store.password_hash("c1").await.unwrap().as_deref(),
        Some("hash-4")
    );
    let err = store.set_password_hash("nobody", "x").await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    // A customer saved without an account has no password.
    let guest = Customer {
        id: "c3".into(),
        email: "guest@example.com".into(),
        ..ada.clone()
    };
    store.put_customer(&guest, 0).await.unwrap();
    assert_eq!(store.password_hash("c3").await.unwrap(), None);

    let session = |id: &str, customer: &str, expires: i64| Session {
        id: id.into(),
        customer_id: customer.into(),
        secret_hash: format!("secret-{id}"),
        created_at: START,
        expires_at: START.plus_millis(expires),
        revoked_at: None,
    };
    store
        .put_session(&session("s1", "c1", 10_000))
        .await
        .unwrap();
    store
        .put_session(&session("s2", "c1", 10_000))
        .await
        .unwrap();
    store
        .put_session(&session("s3", "c3", 1_000))
        .await
        .unwrap();
    let err = store
        .put_session(&session("s1", "c3", 1))
        .await
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::DuplicateId { .. }), "{err}");
    assert_eq!(
        store.session("s1").await.unwrap(),
        Some(session("s1", "c1", 10_000))
    );
    assert_eq!(store.session("nope").await.unwrap(), None);
    let first = START.plus_millis(100);
    store.revoke_session("s1", first).await.unwrap();
    store
        .revoke_session("s1", first.plus_millis(50))
        .await
        .unwrap();
    store.revoke_session("nope", first).await.unwrap();
    let s1 = store.session("s1").await.unwrap().unwrap();
    assert_eq!(s1.revoked_at, Some(first), "the first end is kept");
    assert!(!s1.is_live(first));
    // Ending all of c1's sessions ends s2 only (s1 was already ended); c3's is untouched.
    assert_eq!(
        store
            .revoke_sessions_of("c1", first.plus_millis(100))
            .await
            .unwrap(),
        1
    );
    assert!(
        !store
            .session("s2")
            .await
            .unwrap()
            .unwrap()
            .is_live(first.plus_millis(100))
    );
    assert!(store.session("s3").await.unwrap().unwrap().is_live(first));
    // Purging before START+150 removes s1 (ended at +100) only; s2 ended at +200.
    assert_eq!(
        store.purge_sessions(START.plus_millis(150)).await.unwrap(),
        1
    );
    assert!(store.session("s1").await.unwrap().is_none());
    assert!(store.session("s2").await.unwrap().is_some());
    // Past s3's expiry (+1,000) and s2's end, both go.
    assert_eq!(
        store
            .purge_sessions(START.plus_millis(2_000))
            .await
            .unwrap(),
        2
    );
    assert!(store.session("s3").await.unwrap().is_none());
}

/// Five addresses added to one customer at once, and a rename among them: every change is
/// kept (customers are written compare-and-set and the service retries), none overwrites
/// another.
pub async fn concurrent_customer_changes_are_all_kept(store: Arc<dyn Store>) {
    use crate::customer::Address;
    use crate::service::CustomerUpdate;
    let (commerce, _, _) = super::shop(store, 1).await;
    let ada = commerce
        .register("ada@example.com", "Ada", "$argon2id$stand-in")
        .await
        .unwrap();
    let address = |i: usize| Address {
        name: format!("Ada {i}"),
        line1: format!("{i} Analytical Row"),
        city: "London".into(),
        country: "GB".into(),
        ..Address::default()
    };
    let adds = (0..5).map(|i| commerce.add_address(&ada.id, address(i)));
    let rename = commerce.update_customer(
        &ada.id,
        CustomerUpdate {
            name: Some("Ada Lovelace".into()),
            group: None,
        },
    );
    let (added, renamed) = futures::future::join(futures::future::join_all(adds), rename).await;
    for added in added {
        added.expect("an address added");
    }
    renamed.expect("renamed");
    let stored = commerce.customer(&ada.id).await.unwrap();
    assert_eq!(
        stored.addresses.len(),
        5,
        "lost updates: {:?}",
        stored.addresses
    );
    assert_eq!(stored.name, "Ada Lovelace");
    assert_eq!(stored.version, 7, "one version per change");
}
