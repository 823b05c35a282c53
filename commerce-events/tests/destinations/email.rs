//! Email through a real SMTP server (aiosmtpd, started here): one message per event a
//! buyer (customer or guest) is told about, rendered in text and escaped HTML, with the event id as its
//! message id; refused recipients are dead letters, an unreachable server a failure.

use std::sync::Arc;

use commerce_core::delivery::{DeliveryFilter, DeliveryStatus};
use commerce_core::worker::Destinations;
use commerce_events::testkit::{SmtpSink, smtp_python};
use commerce_events::{EmailDestination, EmailSettings};

use crate::{drain, free_port, order, shop};

fn settings(url: &str) -> EmailSettings {
    EmailSettings {
        url: url.to_string(),
        from: "Tee shop <orders@shop.example>".into(),
        shop_name: "Tee shop".into(),
    }
}

#[tokio::test]
async fn customers_are_emailed_once_per_event_and_refusals_are_dead_letters() {
    let Some(python) = smtp_python() else {
        assert!(!crate::required(), "no Python with aiosmtpd, and CI=true");
        eprintln!("skipped: no Python with aiosmtpd");
        return;
    };
    let sink = SmtpSink::start(&python);
    let (commerce, _) = shop().await;
    let email = Arc::new(EmailDestination::new(settings(&sink.url), commerce.clone()).unwrap());
    let destinations = Destinations::new().with(email);
    let ada = commerce
        .register("ada@example.com", "Ada <Lovelace>", "hash")
        .await
        .unwrap();
    let placed = order(&commerce, 2, Some(&ada.id)).await;
    let guest = order(&commerce, 1, None).await;
    drain(&commerce, &destinations).await;
    let sent = sink.messages();
    assert_eq!(sent.len(), 2, "one confirmation each: {sent:?}");
    let to_guest = sent
        .iter()
        .find(|m| m.starts_with("X-Rcpt-To: guest@example.com"))
        .expect("the guest is written to at the order's address");
    assert!(to_guest.contains(&format!("Subject: Your order {guest} is confirmed")));
    assert!(
        to_guest.contains("Hello Grace Hopper"),
        "named by the shipping address"
    );
    let confirmation = sent
        .iter()
        .find(|m| m.starts_with("X-Rcpt-To: ada@example.com"))
        .expect("the customer is written to");
    assert!(confirmation.starts_with("X-Rcpt-To: ada@example.com"));
    assert!(confirmation.contains(&format!("Subject: Your order {placed} is confirmed")));
    assert!(confirmation.contains(&format!("Message-ID: <{placed}:order_confirmed")));
    assert!(confirmation.contains("Content-Type: text/plain"));
    assert!(confirmation.contains("Content-Type: text/html"));
    assert!(
        confirmation.contains("Hello Ada &lt;Lovelace&gt;"),
        "escaped in HTML"
    );
    assert!(
        confirmation.contains("$20.00"),
        "the total, as people read it"
    );

    commerce.cancel_order(placed.as_str(), None).await.unwrap();
    drain(&commerce, &destinations).await;
    let sent = sink.messages();
    assert_eq!(sent.len(), 4, "cancelled and refunded");
    assert!(sent.iter().any(|m| m.contains("was cancelled")));
    assert!(sent.iter().any(|m| m.contains("We have refunded $20.00")));
    drain(&commerce, &destinations).await;
    assert_eq!(sink.messages().len(), 4, "each once");

    let nobody = commerce
        .register("nobody@example.com", "No One", "hash")
        .await
        .unwrap();
    order(&commerce, 1, Some(&nobody.id)).await;
    drain(&commerce, &destinations).await;
    let dead = commerce
        .deliveries(
            &DeliveryFilter {
                status: Some(DeliveryStatus::Dead),
                destination: Some("email".into()),
            },
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(dead.items.len(), 1, "a 550 is final: a dead letter at once");
    assert!(
        dead.items[0]
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("550")
    );
}

#[tokio::test]
async fn an_unreachable_smtp_server_fails_deliveries_for_later() {
    let (commerce, _) = shop().await;
    let url = format!("smtp://127.0.0.1:{}", free_port());
    let email = Arc::new(EmailDestination::new(settings(&url), commerce.clone()).unwrap());
    let destinations = Destinations::new().with(email);
    let ada = commerce
        .register("ada@example.com", "Ada", "hash")
        .await
        .unwrap();
    order(&commerce, 1, Some(&ada.id)).await;
    commerce.route_events(&destinations).await.unwrap();
    let report = commerce.deliver_due(&destinations).await.unwrap();
    assert_eq!((report.delivered, report.failed), (0, 1));
    let pending = commerce
        .deliveries(&DeliveryFilter::default(), None, None)
        .await
        .unwrap();
    assert_eq!(pending.items[0].status, DeliveryStatus::Pending);
    assert!(
        EmailDestination::new(
            EmailSettings {
                from: "not an address".into(),
                ..settings(&url)
            },
            commerce.clone()
        )
        .is_err(),
        "a bad sender is refused at start"
    );
}
