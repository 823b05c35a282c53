//! Email through a real SMTP server (aiosmtpd, started here): one message per event a
//! customer is told about, rendered in text and escaped HTML, with the event id as its
//! message id; refused recipients are dead letters, an unreachable server a failure.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use commerce_core::delivery::{DeliveryFilter, DeliveryStatus};
use commerce_core::worker::Destinations;
use commerce_events::{EmailDestination, EmailSettings};

use crate::{drain, free_port, order, shop};

/// The Python that has aiosmtpd: `COMMERCE_TEST_SMTP_PYTHON`, which the test script sets up,
/// else `python3` if it has the package.
fn python() -> Option<String> {
    let candidate =
        std::env::var("COMMERCE_TEST_SMTP_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let has = Command::new(&candidate)
        .args(["-c", "import aiosmtpd"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    has.then_some(candidate)
}

struct Sink {
    child: Child,
    dir: PathBuf,
    url: String,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn sink(python: &str) -> Sink {
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("commerce-smtp-{port}"));
    let _ = std::fs::remove_dir_all(&dir);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_sink.py");
    let mut child = Command::new(python)
        .arg(script)
        .arg(port.to_string())
        .arg(&dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "ready");
    Sink {
        child,
        dir,
        url: format!("smtp://127.0.0.1:{port}"),
    }
}

fn messages(dir: &Path) -> Vec<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

fn settings(url: &str) -> EmailSettings {
    EmailSettings {
        url: url.to_string(),
        from: "Tee shop <orders@shop.example>".into(),
        shop_name: "Tee shop".into(),
    }
}

#[tokio::test]
async fn customers_are_emailed_once_per_event_and_refusals_are_dead_letters() {
    let Some(python) = python() else {
        assert!(!crate::required(), "no Python with aiosmtpd, and CI=true");
        eprintln!("skipped: no Python with aiosmtpd");
        return;
    };
    let sink = sink(&python);
    let (commerce, _) = shop().await;
    let email = Arc::new(EmailDestination::new(settings(&sink.url), commerce.clone()).unwrap());
    let destinations = Destinations::new().with(email);
    let ada = commerce
        .register("ada@example.com", "Ada <Lovelace>", "hash")
        .await
        .unwrap();
    let placed = order(&commerce, 2, Some(&ada.id)).await;
    let _guest = order(&commerce, 1, None).await;
    drain(&commerce, &destinations).await;
    let sent = messages(&sink.dir);
    assert_eq!(
        sent.len(),
        1,
        "one confirmation, none for the guest: {sent:?}"
    );
    let confirmation = &sent[0];
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
    let sent = messages(&sink.dir);
    assert_eq!(sent.len(), 3, "cancelled and refunded");
    assert!(sent.iter().any(|m| m.contains("was cancelled")));
    assert!(sent.iter().any(|m| m.contains("We have refunded $20.00")));
    drain(&commerce, &destinations).await;
    assert_eq!(messages(&sink.dir).len(), 3, "each once");

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
