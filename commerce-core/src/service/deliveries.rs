//! Routing events to their destinations and sending the deliveries that are due (see
//! [`crate::delivery`] for the rules, [`crate::worker`] for the pass that calls these).

use std::collections::HashMap;

use futures::future::join_all;

use crate::delivery::{
    DELIVERY_LEASE_MILLIS, Delivery, DeliveryFilter, DeliveryStats, DeliveryStatus,
    DestinationKind, Envelope, Outcome, ROUTING_LEASE_MILLIS,
};
use crate::error::{Error, Result};
use crate::store::{ClaimedDelivery, DeliveryUpdate, Page, page_size};
use crate::webhooks::{WebhookEndpoint, endpoint_of};
use crate::worker::{BATCH, DeliveryReport, Destinations};

use super::{CONFLICT_RETRIES, Commerce};

impl Commerce {
    /// Routes up to a batch of new outbox events: one delivery per event and destination
    /// that wants it (the fixed destinations, and the enabled webhook endpoints subscribed to
    /// its type), written with the events marked routed. Returns how many events it routed.
    ///
    /// # Errors
    ///
    /// Storage errors only.
    pub async fn route_events(&self, destinations: &Destinations) -> Result<usize> {
        let now = self.now();
        let claimed = self
            .store
            .claim_events(BATCH, now.plus_millis(ROUTING_LEASE_MILLIS), now)
            .await?;
        if claimed.is_empty() {
            return Ok(0);
        }
        let endpoints: Vec<WebhookEndpoint> = match destinations.webhooks {
            Some(_) => self
                .store
                .webhook_endpoints()
                .await?
                .into_iter()
                .filter(|e| e.enabled)
                .collect(),
            None => Vec::new(),
        };
        let mut deliveries = Vec::new();
        for claim in &claimed {
            let (event, sequence) = (&claim.event, claim.sequence);
            for destination in &destinations.fixed {
                if destination.wants(event.kind) {
                    deliveries.push(Delivery::new(
                        event,
                        sequence,
                        destination.name(),
                        destination.kind(),
                        now,
                    ));
                }
            }
            for endpoint in endpoints.iter().filter(|e| e.wants(event.kind)) {
                deliveries.push(Delivery::new(
                    event,
                    sequence,
                    &endpoint.destination(),
                    DestinationKind::Webhook,
                    now,
                ));
            }
        }
        let routed: Vec<String> = claimed.iter().map(|c| c.event.id.clone()).collect();
        self.store.route_events(&deliveries, &routed).await?;
        Ok(claimed.len())
    }

    /// Claims up to a batch of due deliveries, sends them (side by side; one stream's are
    /// never in one batch together) and settles each with its destination's answer. A
    /// webhook endpoint that was removed or disabled gets nothing: its deliveries die.
    ///
    /// # Errors
    ///
    /// Storage errors only; what destinations answer is in the report.
    pub async fn deliver_due(&self, destinations: &Destinations) -> Result<DeliveryReport> {
        let now = self.now();
        let claimed = self
            .store
            .claim_deliveries(BATCH, now.plus_millis(DELIVERY_LEASE_MILLIS), now)
            .await?;
        let mut report = DeliveryReport::default();
        if claimed.is_empty() {
            return Ok(report);
        }
        let endpoints: HashMap<String, WebhookEndpoint> = if claimed
            .iter()
            .any(|c| c.delivery.kind == DestinationKind::Webhook)
        {
            self.store
                .webhook_endpoints()
                .await?
                .into_iter()
                .map(|e| (e.id.clone(), e))
                .collect()
        } else {
            HashMap::new()
        };
        let sends = claimed
            .iter()
            .map(|claim| self.send(claim, destinations, &endpoints));
        let answered = join_all(sends).await;
        let settled_at = self.now();
        let mut updates = Vec::with_capacity(answered.len());
        // What each endpoint's deliveries came to: (status, whether it said it is gone).
        let mut by_endpoint: HashMap<&str, Vec<(DeliveryStatus, bool)>> = HashMap::new();
        for (claim, (outcome, sent)) in claimed.iter().zip(answered) {
            let mut delivery = claim.delivery.clone();
            delivery.settle(&outcome, settled_at);
            match delivery.status {
                DeliveryStatus::Delivered => report.delivered += 1,
                DeliveryStatus::Pending => report.failed += 1,
                DeliveryStatus::Dead => report.dead += 1,
            }
            if sent && let Some(id) = endpoint_of(&claim.delivery.destination) {
                let gone = matches!(outcome, Outcome::Refused(_));
                by_endpoint
                    .entry(id)
                    .or_default()
                    .push((delivery.status, gone));
            }
            updates.push(DeliveryUpdate {
                expected_status: DeliveryStatus::Pending,
                expected_attempts: claim.delivery.attempts,
                delivery,
            });
        }
        self.store.update_deliveries(&updates).await?;
        for (id, results) in by_endpoint {
            if self.count_endpoint_results(id, &results).await? {
                report.disabled_endpoints += 1;
            }
        }
        Ok(report)
    }

    /// Sends one claimed delivery: its destination's answer, and whether it was sent at all.
    async fn send(
        &self,
        claim: &ClaimedDelivery,
        destinations: &Destinations,
        endpoints: &HashMap<String, WebhookEndpoint>,
    ) -> (Outcome, bool) {
        let envelope = Envelope::of(&claim.event, claim.delivery.sequence);
        let name = claim.delivery.destination.as_str();
        if let Some(id) = endpoint_of(name) {
            return match (endpoints.get(id), &destinations.webhooks) {
                (None, _) => (Outcome::Refused("the endpoint was removed".into()), false),
                (Some(endpoint), _) if !endpoint.enabled => {
                    (Outcome::Refused("the endpoint is disabled".into()), false)
                }
                (Some(endpoint), Some(sender)) => {
                    (sender.send(endpoint, &envelope, self.now()).await, true)
                }
                (Some(_), None) => (
                    Outcome::Failed("this worker sends no webhooks".into()),
                    false,
                ),
            };
        }
        match destinations.named(name) {
            Some(destination) => (destination.deliver(&envelope).await, true),
            None => (
                Outcome::Failed(format!("this worker has no destination `{name}`")),
                false,
            ),
        }
    }

    /// Counts an endpoint's settled deliveries, compare-and-set; whether that disabled it.
    async fn count_endpoint_results(
        &self,
        id: &str,
        results: &[(DeliveryStatus, bool)],
    ) -> Result<bool> {
        for _ in 0..CONFLICT_RETRIES {
            let Some(mut endpoint) = self.store.webhook_endpoint(id).await? else {
                return Ok(false);
            };
            let before = endpoint.clone();
            let mut disabled = false;
            for (status, gone) in results {
                disabled |= endpoint.count(*status, *gone);
            }
            if endpoint == before {
                return Ok(false);
            }
            let expected = endpoint.version;
            endpoint.version += 1;
            match self.store.put_webhook_endpoint(&endpoint, expected).await {
                Err(err) if err.is_conflict() => continue,
                other => return other.map(|()| disabled),
            }
        }
        Err(Error::conflict("webhook_endpoint", id))
    }

    /// Sends a dead delivery again: pending, due now, its attempts counted afresh.
    ///
    /// # Errors
    ///
    /// `not_found`; `invalid_transition` for a delivery that is not dead; `conflict` if it
    /// changed meanwhile.
    pub async fn redeliver(&self, event_id: &str, destination: &str) -> Result<Delivery> {
        let mut delivery = self
            .store
            .delivery(event_id, destination)
            .await?
            .ok_or_else(|| Error::not_found("delivery", format!("{event_id} to {destination}")))?;
        if delivery.status != DeliveryStatus::Dead {
            return Err(Error::transition(
                "delivery",
                delivery.status.as_str(),
                DeliveryStatus::Pending.as_str(),
            ));
        }
        let attempts = delivery.attempts;
        delivery.redeliver(self.now());
        let written = self
            .store
            .update_deliveries(&[DeliveryUpdate {
                delivery: delivery.clone(),
                expected_status: DeliveryStatus::Dead,
                expected_attempts: attempts,
            }])
            .await?;
        if written == 0 {
            return Err(Error::conflict("delivery", event_id));
        }
        Ok(delivery)
    }

    /// Deliveries that match `filter`, newest event first, a page of `limit` (default 50, at
    /// most 200) after the cursor `after`.
    ///
    /// # Errors
    ///
    /// Storage errors only.
    pub async fn deliveries(
        &self,
        filter: &DeliveryFilter,
        after: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Page<Delivery>> {
        self.store.deliveries(filter, after, page_size(limit)).await
    }

    /// The outbox's backlog and the deliveries' counts, for monitoring.
    ///
    /// # Errors
    ///
    /// Storage errors only.
    pub async fn delivery_stats(&self) -> Result<DeliveryStats> {
        self.store.delivery_stats().await
    }
}
