//! Where the shop's events go, for admins: webhook endpoints (a secret is shown once, when it
//! is made), the deliveries of every destination and their dead letters, `/metrics`, and the
//! published event schema (`/events.schema.json`).

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use commerce_core::delivery::{DeliveryFilter, DeliveryStatus};
use commerce_core::events::EventKind;
use commerce_core::service::WebhookEndpointChange;
use commerce_core::webhooks::{WebhookEndpoint, new_secret};
use commerce_core::{Clock, SystemClock, Timestamp};
use serde::{Deserialize, Serialize};

use crate::api::{Access, Api, Method, Operation, PAGE_PARAMS, Param, Shared};
use crate::auth::Admin;
use crate::extract::{ApiJson, ApiQuery, ApiResult, json};
use crate::metrics::Metrics;
use commerce_core::breaker::BreakerState;

const DELIVERY_PARAMS: [Param; 2] = [
    Param {
        name: "status",
        schema: r##"{"$ref": "#/components/schemas/DeliveryStatus"}"##,
        description: "Only deliveries in this status (`dead` for the dead letters).",
    },
    Param {
        name: "destination",
        schema: r#"{"type": "string"}"#,
        description: "Only deliveries to this destination: `nats`, `amqp`, `email`, `webhook:<id>`.",
    },
];

/// The operations on events: all for admins, but the schema.
#[rustfmt::skip]
pub(crate) fn api() -> Api {
    use Access::{Admin, Public};
    use Method::{Delete, Get, Patch, Post};
    Api::new()
        .at(Operation::new(Get, "/events.schema.json", "The JSON Schema of every event the shop sends (envelope version 1).", Public), event_schema)
        .at(Operation::new(Get, "/metrics", "Prometheus metrics: responses by status class and time, the outbox backlog, the oldest undelivered event's age, deliveries by destination and status, dead letters.", Public), metrics)
        .at(Operation::new(Get, "/v1/webhook-endpoints", "Every webhook endpoint (without secrets).", Admin).returns(200, "WebhookEndpointViews"), list_endpoints)
        .at(Operation::new(Post, "/v1/webhook-endpoints", "Adds an endpoint; the answer shows its signing secret, this once.", Admin).body("NewWebhookEndpoint").returns(201, "WebhookEndpointWithSecret"), create_endpoint)
        .at(Operation::new(Get, "/v1/webhook-endpoints/{id}", "An endpoint (without its secret).", Admin).returns(200, "WebhookEndpointView"), get_endpoint)
        .at(Operation::new(Patch, "/v1/webhook-endpoints/{id}", "Changes an endpoint's URL, event types or description, or disables or enables it.", Admin).body("WebhookEndpointPatch").returns(200, "WebhookEndpointView"), change_endpoint)
        .at(Operation::new(Post, "/v1/webhook-endpoints/{id}/rotate-secret", "Gives an endpoint a new secret, shown this once; the old one signs beside it for 24 hours.", Admin).returns(200, "WebhookEndpointWithSecret"), rotate_secret)
        .at(Operation::new(Delete, "/v1/webhook-endpoints/{id}", "Removes an endpoint and its deliveries.", Admin).no_content(), remove_endpoint)
        .at(Operation::new(Get, "/v1/deliveries", "Deliveries of events to every destination, newest first, by `status` and `destination`.", Admin).returns(200, "DeliveryPage").query(&[&PAGE_PARAMS, &DELIVERY_PARAMS]), list_deliveries)
        .at(Operation::new(Post, "/v1/deliveries/{event}/{destination}/retry", "Sends a dead letter again, as a new series of attempts.", Admin).returns(200, "Delivery"), retry_delivery)
}

/// A webhook endpoint as listed: everything but its secrets.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct WebhookEndpointView {
    /// The endpoint's id.
    id: String,
    /// Where events are posted.
    url: String,
    /// The event types it receives; empty for all.
    event_types: Vec<EventKind>,
    /// What it is for.
    description: String,
    /// Whether events are sent to it.
    enabled: bool,
    /// Why the shop disabled it, if it did.
    disabled_reason: Option<String>,
    /// Dead letters since its last delivery.
    consecutive_dead: u32,
    /// Until when the previous secret still signs, after a rotation.
    previous_secret_until: Option<Timestamp>,
    /// When it was created.
    created_at: Timestamp,
}

impl From<&WebhookEndpoint> for WebhookEndpointView {
    fn from(endpoint: &WebhookEndpoint) -> WebhookEndpointView {
        WebhookEndpointView {
            id: endpoint.id.clone(),
            url: endpoint.url.clone(),
            event_types: endpoint.event_types.clone(),
            description: endpoint.description.clone(),
            enabled: endpoint.enabled,
            disabled_reason: endpoint.disabled_reason.clone(),
            consecutive_dead: endpoint.consecutive_dead,
            previous_secret_until: endpoint.previous_secret_until,
            created_at: endpoint.created_at,
        }
    }
}

/// An endpoint with its signing secret: the one answer that shows it.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct WebhookEndpointWithSecret {
    /// The endpoint.
    endpoint: WebhookEndpointView,
    /// Its signing secret (`whsec_…`, Standard Webhooks): keep it; it is not shown again.
    secret: String,
}

/// A new endpoint.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewWebhookEndpoint {
    /// Where events are posted: `https://…` (or `http://…`).
    url: String,
    /// The event types it receives; absent or empty for all.
    #[serde(default)]
    event_types: Vec<EventKind>,
    /// What it is for.
    #[serde(default)]
    description: String,
}

/// A change to an endpoint; absent fields stay as they are.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WebhookEndpointPatch {
    /// A new URL.
    #[serde(default)]
    url: Option<String>,
    /// New event types (empty for all).
    #[serde(default)]
    event_types: Option<Vec<EventKind>>,
    /// A new description.
    #[serde(default)]
    description: Option<String>,
    /// `false` disables it (its events wait, undelivered); `true` enables it again.
    #[serde(default)]
    enabled: Option<bool>,
}

fn with_secret(endpoint: &WebhookEndpoint) -> WebhookEndpointWithSecret {
    WebhookEndpointWithSecret {
        endpoint: endpoint.into(),
        secret: endpoint.secret.clone(),
    }
}

/// `GET /events.schema.json`.
pub(crate) async fn event_schema() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/schema+json")],
        commerce_core::event_schema::document().to_string(),
    )
}

/// `GET /metrics`: the Prometheus text format.
pub(crate) async fn metrics(
    State(state): State<Shared>,
    requests: Option<Extension<Arc<Metrics>>>,
) -> ApiResult {
    let stats = state.commerce.delivery_stats().await?;
    let now = SystemClock.now();
    let age = stats
        .oldest_undelivered_at
        .map(|at| (now.unix_millis() - at.unix_millis()).max(0) as f64 / 1000.0)
        .unwrap_or(0.0);
    let mut text = requests.map(|r| r.render()).unwrap_or_default();
    if let Some(health) = state.commerce.gateway_health() {
        let gateway = label(&health.gateway);
        let _ = writeln!(
            text,
            "# HELP commerce_gateway_breaker_state The payment gateway's circuit breaker: 1 for the state it is in.\n\
             # TYPE commerce_gateway_breaker_state gauge"
        );
        for state in [
            BreakerState::Closed,
            BreakerState::Open,
            BreakerState::HalfOpen,
        ] {
            let _ = writeln!(
                text,
                "commerce_gateway_breaker_state{{gateway=\"{gateway}\",state=\"{}\"}} {}",
                state.as_str(),
                u8::from(health.state == state)
            );
        }
        let _ = writeln!(
            text,
            "# HELP commerce_gateway_breaker_opened_total Times the payment gateway's breaker opened.\n\
             # TYPE commerce_gateway_breaker_opened_total counter\n\
             commerce_gateway_breaker_opened_total{{gateway=\"{gateway}\"}} {}\n\
             # HELP commerce_gateway_calls_refused_total Gateway calls the open breaker refused.\n\
             # TYPE commerce_gateway_calls_refused_total counter\n\
             commerce_gateway_calls_refused_total{{gateway=\"{gateway}\"}} {}\n\
             # HELP commerce_gateway_consecutive_failures The payment gateway's failures in a row.\n\
             # TYPE commerce_gateway_consecutive_failures gauge\n\
             commerce_gateway_consecutive_failures{{gateway=\"{gateway}\"}} {}",
            health.times_opened, health.calls_refused, health.consecutive_failures
        );
    }
    let _ = writeln!(
        text,
        "# HELP commerce_outbox_unrouted_events Events not yet given to their destinations.\n\
         # TYPE commerce_outbox_unrouted_events gauge\n\
         commerce_outbox_unrouted_events {}",
        stats.unrouted_events
    );
    let _ = writeln!(
        text,
        "# HELP commerce_oldest_undelivered_event_age_seconds How long ago the oldest event not yet delivered everywhere happened (0 when none).\n\
         # TYPE commerce_oldest_undelivered_event_age_seconds gauge\n\
         commerce_oldest_undelivered_event_age_seconds {age:.3}"
    );
    let _ = writeln!(
        text,
        "# HELP commerce_deliveries Deliveries by destination and status.\n\
         # TYPE commerce_deliveries gauge"
    );
    for (destination, status, count) in &stats.by_destination {
        let _ = writeln!(
            text,
            "commerce_deliveries{{destination=\"{}\",status=\"{}\"}} {count}",
            label(destination),
            status.as_str()
        );
    }
    let _ = writeln!(
        text,
        "# HELP commerce_dead_letters Deliveries given up, by destination.\n\
         # TYPE commerce_dead_letters gauge"
    );
    for (destination, status, count) in &stats.by_destination {
        if *status == DeliveryStatus::Dead {
            let _ = writeln!(
                text,
                "commerce_dead_letters{{destination=\"{}\"}} {count}",
                label(destination)
            );
        }
    }
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

/// A label value, escaped as the Prometheus text format needs.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// `GET /v1/webhook-endpoints`.
pub(crate) async fn list_endpoints(_admin: Admin, State(state): State<Shared>) -> ApiResult {
    let endpoints = state.commerce.webhook_endpoints().await?;
    let views: Vec<WebhookEndpointView> = endpoints.iter().map(Into::into).collect();
    Ok(json(StatusCode::OK, &views))
}

/// `POST /v1/webhook-endpoints`.
pub(crate) async fn create_endpoint(
    _admin: Admin,
    State(state): State<Shared>,
    ApiJson(body): ApiJson<NewWebhookEndpoint>,
) -> ApiResult {
    let endpoint = state
        .commerce
        .create_webhook_endpoint(
            &body.url,
            body.event_types,
            &body.description,
            &new_secret()?,
        )
        .await?;
    Ok(json(StatusCode::CREATED, &with_secret(&endpoint)))
}

/// `GET /v1/webhook-endpoints/{id}`.
pub(crate) async fn get_endpoint(
    _admin: Admin,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult {
    let endpoint = state.commerce.webhook_endpoint(&id).await?;
    Ok(json(StatusCode::OK, &WebhookEndpointView::from(&endpoint)))
}

/// `PATCH /v1/webhook-endpoints/{id}`.
pub(crate) async fn change_endpoint(
    _admin: Admin,
    State(state): State<Shared>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<WebhookEndpointPatch>,
) -> ApiResult {
    let change = WebhookEndpointChange {
        url: body.url,
        event_types: body.event_types,
        description: body.description,
        enabled: body.enabled,
    };
    let endpoint = state.commerce.change_webhook_endpoint(&id, change).await?;
    Ok(json(StatusCode::OK, &WebhookEndpointView::from(&endpoint)))
}

/// `POST /v1/webhook-endpoints/{id}/rotate-secret`.
pub(crate) async fn rotate_secret(
    _admin: Admin,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult {
    let endpoint = state
        .commerce
        .rotate_webhook_secret(&id, &new_secret()?)
        .await?;
    Ok(json(StatusCode::OK, &with_secret(&endpoint)))
}

/// `DELETE /v1/webhook-endpoints/{id}`.
pub(crate) async fn remove_endpoint(
    _admin: Admin,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult {
    state.commerce.remove_webhook_endpoint(&id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeliveryQuery {
    after: Option<String>,
    limit: Option<usize>,
    status: Option<DeliveryStatus>,
    destination: Option<String>,
}

/// `GET /v1/deliveries`.
pub(crate) async fn list_deliveries(
    _admin: Admin,
    State(state): State<Shared>,
    ApiQuery(query): ApiQuery<DeliveryQuery>,
) -> ApiResult {
    let filter = DeliveryFilter {
        status: query.status,
        destination: query.destination,
    };
    let page = state
        .commerce
        .deliveries(&filter, query.after.as_deref(), query.limit)
        .await?;
    Ok(json(StatusCode::OK, &page))
}

/// `POST /v1/deliveries/{event}/{destination}/retry`.
pub(crate) async fn retry_delivery(
    _admin: Admin,
    State(state): State<Shared>,
    Path((event, destination)): Path<(String, String)>,
) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &state.commerce.redeliver(&event, &destination).await?,
    ))
}
