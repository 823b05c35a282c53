//! Transactional email over SMTP.

use std::time::Duration;

use async_trait::async_trait;
use commerce_core::customer::Customer;
use commerce_core::delivery::{DestinationKind, Envelope, Outcome};
use commerce_core::events::EventKind;
use commerce_core::order::Order;
use commerce_core::worker::Destination;
use commerce_core::{Commerce, Error, ErrorKind, Money};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Serialize;

use crate::redact;

/// How long an SMTP server is given for one message: 10 seconds.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

/// The events a customer is emailed about.
pub const EMAILED: [EventKind; 4] = [
    EventKind::OrderConfirmed,
    EventKind::OrderShipped,
    EventKind::PaymentRefunded,
    EventKind::OrderCancelled,
];

/// Where email goes and whom it is from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailSettings {
    /// The SMTP server: `smtp://host:port` (plain, for a relay on the machine),
    /// `smtp://host:587?tls=required` (STARTTLS) or `smtps://user:password@host:465`.
    pub url: String,
    /// The sender: `Shop <orders@example.com>`.
    pub from: String,
    /// The shop's name, as the messages say it.
    pub shop_name: String,
}

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body; every value in it is escaped.
    pub html: String,
}

/// Renders the message about an event of `kind` for `customer` and `order`, or `None` for a
/// kind no one is emailed about.
///
/// ```
/// use commerce_core::customer::Customer;
/// use commerce_core::events::EventKind;
///
/// let customer: Customer = serde_json::from_value(serde_json::json!({
///     "id": "cus_1", "email": "ada@example.com", "name": "Ada <b>", "version": 1
/// })).unwrap();
/// let order = commerce_events::sample_order();
/// let message = commerce_events::render(EventKind::OrderConfirmed, "Tee shop", &customer, &order, None, None)
///     .unwrap()
///     .unwrap();
/// assert!(message.subject.contains(&order.id));
/// assert!(message.text.contains("Hello Ada <b>"));
/// assert!(message.html.contains("Hello Ada &lt;b&gt;"), "HTML is escaped");
/// ```
///
/// # Errors
///
/// `backend_error` if a template does not render (a defect of the templates).
pub fn render(
    kind: EventKind,
    shop: &str,
    customer: &Customer,
    order: &Order,
    refund: Option<&Money>,
    reason: Option<&str>,
) -> Result<Option<Rendered>, Error> {
    let subject = match kind {
        EventKind::OrderConfirmed => format!("Your order {} is confirmed", order.id),
        EventKind::OrderShipped => format!("Your order {} has shipped", order.id),
        EventKind::PaymentRefunded => format!("A refund for your order {}", order.id),
        EventKind::OrderCancelled => format!("Your order {} was cancelled", order.id),
        _ => return Ok(None),
    };
    let context = MessageContext {
        subject: &subject,
        shop,
        customer: CustomerView {
            name: if customer.name.trim().is_empty() {
                "there"
            } else {
                &customer.name
            },
        },
        order: OrderView::of(order)?,
        refund: refund.map(Money::for_people),
        reason,
    };
    let templates = templates();
    let render = |name: String| -> Result<String, Error> {
        templates
            .get_template(&name)
            .and_then(|template| template.render(minijinja::value::Serde(&context)))
            .map_err(|e| Error::storage(format!("the email template {name} did not render: {e}")))
    };
    Ok(Some(Rendered {
        text: render(format!("{}.txt", kind.as_str()))?,
        html: render(format!("{}.html", kind.as_str()))?,
        subject,
    }))
}

#[derive(Serialize)]
struct MessageContext<'a> {
    subject: &'a str,
    shop: &'a str,
    customer: CustomerView<'a>,
    order: OrderView,
    refund: Option<String>,
    reason: Option<&'a str>,
}

#[derive(Serialize)]
struct CustomerView<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct OrderView {
    id: String,
    lines: Vec<LineView>,
    subtotal: String,
    discount: Option<String>,
    shipping: String,
    tax: String,
    total: String,
    shipment: Option<commerce_core::shipment::Shipment>,
}

#[derive(Serialize)]
struct LineView {
    sku: String,
    quantity: u32,
    total: String,
}

impl OrderView {
    fn of(order: &Order) -> Result<OrderView, Error> {
        let money = |amount| Money::from_decimal(amount, order.currency).map(|m| m.for_people());
        let totals = &order.quote.totals;
        Ok(OrderView {
            id: order.id.clone(),
            lines: order
                .lines
                .iter()
                .map(|line| LineView {
                    sku: line.sku.clone(),
                    quantity: line.quantity,
                    total: line.total.for_people(),
                })
                .collect(),
            subtotal: money(totals.subtotal)?,
            discount: if totals.discount_total.is_zero() {
                None
            } else {
                Some(money(totals.discount_total)?)
            },
            shipping: money(totals.shipping_total)?,
            tax: money(totals.tax_total)?,
            total: money(totals.grand_total)?,
            shipment: order.shipment.clone(),
        })
    }
}

fn templates() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    // The default escapes by name: `.html` escaped, `.txt` as written.
    for (name, source) in [
        ("layout.html", include_str!("../templates/layout.html")),
        ("lines.html", include_str!("../templates/lines.html")),
        ("lines.txt", include_str!("../templates/lines.txt")),
        (
            "order_confirmed.txt",
            include_str!("../templates/order_confirmed.txt"),
        ),
        (
            "order_confirmed.html",
            include_str!("../templates/order_confirmed.html"),
        ),
        (
            "order_shipped.txt",
            include_str!("../templates/order_shipped.txt"),
        ),
        (
            "order_shipped.html",
            include_str!("../templates/order_shipped.html"),
        ),
        (
            "payment_refunded.txt",
            include_str!("../templates/payment_refunded.txt"),
        ),
        (
            "payment_refunded.html",
            include_str!("../templates/payment_refunded.html"),
        ),
        (
            "order_cancelled.txt",
            include_str!("../templates/order_cancelled.txt"),
        ),
        (
            "order_cancelled.html",
            include_str!("../templates/order_cancelled.html"),
        ),
    ] {
        env.add_template(name, source)
            .expect("the bundled templates parse");
    }
    env
}

/// Emails the buyer when their order is confirmed, shipped, refunded or cancelled, at the
/// order's e-mail address (a guest's as much as a customer's). The message id is the event id,
/// so that a message sent again after a worker stopped mid-send can be recognised. An event
/// of an order with no address to write to (placed before checkout asked for one, by a guest)
/// is delivered by sending nothing.
pub struct EmailDestination {
    settings: EmailSettings,
    from: Mailbox,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    commerce: Commerce,
}

impl EmailDestination {
    /// A mailer with `settings`, reading orders and customers from `commerce`.
    ///
    /// # Errors
    ///
    /// `invalid_input` for a malformed SMTP URL or sender.
    pub fn new(settings: EmailSettings, commerce: Commerce) -> Result<EmailDestination, Error> {
        let from: Mailbox = settings.from.parse().map_err(|e| {
            Error::invalid(format!("`{}` is not a sender address: {e}", settings.from))
                .at("smtp_from")
        })?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&settings.url)
            .map_err(|e| {
                Error::invalid(format!(
                    "`{}` is not an SMTP URL: {e}",
                    redact(&settings.url)
                ))
                .at("smtp_url")
            })?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(EmailDestination {
            settings,
            from,
            transport,
            commerce,
        })
    }

    async fn message(&self, envelope: &Envelope) -> Result<Option<Message>, Outcome> {
        let Some(order_id) = envelope.order_id.as_deref() else {
            return Ok(None);
        };
        let order = match self.commerce.order(order_id).await {
            Ok(order) => order,
            Err(e) if matches!(e.kind(), ErrorKind::NotFound { .. }) => {
                return Err(Outcome::Refused(format!("no order {order_id}")));
            }
            Err(e) => return Err(Outcome::Failed(format!("cannot read the order: {e}"))),
        };
        // The order's own e-mail address (every order checked out has one) is written to; a
        // customer's account names them, a guest is named by the shipping address.
        let account = match order.customer_id.as_deref() {
            Some(customer_id) => match self.commerce.customer(customer_id).await {
                Ok(customer) => Some(customer),
                Err(e) if matches!(e.kind(), ErrorKind::NotFound { .. }) => None,
                Err(e) => return Err(Outcome::Failed(format!("cannot read the customer: {e}"))),
            },
            None => None,
        };
        let customer = match (account, order.email.as_deref()) {
            (Some(customer), Some(email)) => Customer {
                email: email.to_owned(),
                ..customer
            },
            (Some(customer), None) => customer,
            (None, Some(email)) => Customer {
                id: String::new(),
                email: email.to_owned(),
                name: order
                    .shipping_address
                    .as_ref()
                    .map(|a| a.name.clone())
                    .unwrap_or_default(),
                group: None,
                addresses: Vec::new(),
                version: 0,
            },
            (None, None) => return Ok(None),
        };
        let to: Mailbox = match customer.email.parse() {
            Ok(to) => to,
            Err(e) => return Err(Outcome::Refused(format!("no address to write to: {e}"))),
        };
        let refund = envelope
            .data
            .get("amount")
            .and_then(|amount| serde_json::from_value::<Money>(amount.clone()).ok());
        let reason = envelope.data.get("reason").and_then(|r| r.as_str());
        let rendered = render(
            envelope.kind,
            &self.settings.shop_name,
            &customer,
            &order,
            refund.as_ref(),
            reason,
        )
        .map_err(|e| Outcome::Refused(e.to_string()))?;
        let Some(rendered) = rendered else {
            return Ok(None);
        };
        let domain = self.from.email.domain().to_string();
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(rendered.subject)
            .message_id(Some(format!("<{}@{domain}>", envelope.id)))
            .multipart(MultiPart::alternative_plain_html(
                rendered.text,
                rendered.html,
            ))
            .map(Some)
            .map_err(|e| Outcome::Refused(format!("cannot build the message: {e}")))
    }
}

#[async_trait]
impl Destination for EmailDestination {
    fn name(&self) -> &str {
        "email"
    }

    fn kind(&self) -> DestinationKind {
        DestinationKind::Email
    }

    fn wants(&self, kind: EventKind) -> bool {
        EMAILED.contains(&kind)
    }

    async fn deliver(&self, envelope: &Envelope) -> Outcome {
        let message = match self.message(envelope).await {
            Ok(Some(message)) => message,
            Ok(None) => return Outcome::Delivered,
            Err(outcome) => return outcome,
        };
        match self.transport.send(message).await {
            Ok(_) => Outcome::Delivered,
            // A 5xx answer (no such mailbox, refused) will not change by asking again.
            Err(e) if e.is_permanent() => Outcome::Refused(format!("the SMTP server refused: {e}")),
            Err(e) => Outcome::Failed(format!(
                "cannot send through {}: {e}",
                redact(&self.settings.url)
            )),
        }
    }
}

/// An order of two lines, for examples and tests of the templates.
#[doc(hidden)]
pub fn sample_order() -> Order {
    serde_json::from_value(serde_json::json!({
        "id": "ord_sample",
        "currency": "USD",
        "quote": {
            "currency": "USD", "prices_include_tax": false, "lines": [], "promotions": [],
            "coupon_codes": [], "taxes": [],
            "totals": {"subtotal": "40.00", "discount_total": "0.00", "shipping_total": "5.00",
                       "net_total": "45.00", "tax_total": "3.60", "grand_total": "48.60"}
        },
        "lines": [
            {"id": "l1", "sku": "TEE-RED", "quantity": 2, "fulfilled_quantity": 0, "returned_quantity": 0,
             "total": {"amount": "30.00", "currency": "USD"}},
            {"id": "l2", "sku": "MUG", "quantity": 1, "fulfilled_quantity": 0, "returned_quantity": 0,
             "total": {"amount": "10.00", "currency": "USD"}}
        ],
        "status": "confirmed", "payment_status": "paid", "fulfillment_status": "unfulfilled",
        "version": 1, "created_at": "2026-12-03T10:00:00Z", "updated_at": "2026-12-03T10:00:00Z"
    }))
    .expect("the sample order is an order")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_message_says_how_to_follow_the_parcel() {
        let customer: Customer = serde_json::from_value(serde_json::json!({
            "id": "cus_1", "email": "ada@example.com", "name": "Ada", "version": 1
        }))
        .unwrap();
        let mut order = sample_order();
        let without = render(
            EventKind::OrderShipped,
            "Tee shop",
            &customer,
            &order,
            None,
            None,
        )
        .unwrap()
        .unwrap();
        assert!(!without.text.contains("tracking number"));
        order.shipment = Some(commerce_core::shipment::Shipment {
            carrier: "Royal Mail".into(),
            tracking_number: "AB123456789GB".into(),
            tracking_url: Some("https://www.royalmail.com/track?id=AB123456789GB&x=<1>".into()),
        });
        let message = render(
            EventKind::OrderShipped,
            "Tee shop",
            &customer,
            &order,
            None,
            None,
        )
        .unwrap()
        .unwrap();
        assert!(
            message
                .text
                .contains("Royal Mail carries it, tracking number AB123456789GB."),
            "{}",
            message.text
        );
        assert!(
            message
                .text
                .contains("Follow it at https://www.royalmail.com/track")
        );
        assert!(
            message.html.contains("<strong>AB123456789GB</strong>"),
            "{}",
            message.html
        );
        assert!(
            message.html.contains("&amp;x=&lt;1&gt;"),
            "the link is escaped"
        );
    }
}
