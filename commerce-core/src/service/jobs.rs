//! The worker's pass ([`crate::worker`]) and the jobs only it runs: cancelling orders left
//! unpaid, voiding authorizations before they lapse.

use crate::error::Result;
use crate::order::{FulfillmentStatus, OrderStatus, PaymentStatus};
use crate::payment::{GatewayEvent, IntentStatus};
use crate::store::OrderFilter;
use crate::worker::{
    BATCH, Destinations, JobsReport, MAINTENANCE_EVERY_MILLIS, MAINTENANCE_LEASE,
    RECONCILE_WAITING_AFTER_MILLIS, RECONCILE_WAITING_UNTIL_MILLIS,
};

use super::Commerce;

impl Commerce {
    /// Runs once everything that is due (see [`crate::worker`]): money moves, maintenance
    /// (if this `worker` gets its lease), routing and deliveries. Call it on a schedule (the
    /// server's worker does every second, and at once again while there is work).
    ///
    /// # Errors
    ///
    /// Storage errors; what gateways and destinations answer is in the report.
    pub async fn run_pending_jobs(
        &self,
        destinations: &Destinations,
        worker: &str,
    ) -> Result<JobsReport> {
        let mut report = JobsReport::default();
        let settled = self.settle_due_money_moves().await?;
        report.settled_moves = settled.succeeded + settled.failed;
        report.unanswered_moves = settled.unanswered;
        let now = self.now();
        if self
            .store
            .take_lease(
                MAINTENANCE_LEASE,
                worker,
                now.plus_millis(MAINTENANCE_EVERY_MILLIS),
                now,
            )
            .await?
        {
            report.maintained = true;
            report.released_holds = self.sweep().await?;
            report.abandoned_orders = self.cancel_abandoned_orders().await?;
            report.voided_authorizations = self.void_lapsing_authorizations().await?;
            report.reconciled_payments = self.reconcile_waiting_payments().await?;
        }
        report.deliveries.routed = self.route_events(destinations).await?;
        let sent = self.deliver_due(destinations).await?;
        report.deliveries = crate::worker::DeliveryReport {
            routed: report.deliveries.routed,
            ..sent
        };
        Ok(report)
    }

    /// Cancels up to a batch of orders still unpaid [`Commerce::with_abandoned_after_millis`]
    /// after they were placed (reason `abandoned`): their promotion uses come back, and an
    /// intent that never authorized is cancelled. Returns how many it cancelled.
    ///
    /// # Errors
    ///
    /// Storage errors; an order that changed meanwhile is left for the next pass.
    pub async fn cancel_abandoned_orders(&self) -> Result<usize> {
        let filter = OrderFilter {
            status: Some(OrderStatus::PendingPayment),
            placed_before: Some(self.now().plus_millis(-self.abandoned_after_millis)),
            ..OrderFilter::default()
        };
        let stale = self.store.orders(&filter, None, BATCH).await?;
        let mut cancelled = 0;
        for order in stale.items {
            match self.cancel_because(order.id.as_str(), "abandoned").await {
                // A gateway that did not answer leaves the void pending, settled later: the
                // order is cancelled all the same.
                Ok(_) => cancelled += 1,
                Err(err) if err.is_gateway_failure() => cancelled += 1,
                Err(err) if err.is_conflict() || err.is_invalid_transition() => {}
                Err(err) => return Err(err),
            }
        }
        Ok(cancelled)
    }

    /// Voids up to a batch of authorizations not captured
    /// [`Commerce::with_authorization_window_millis`] after their order was placed, before
    /// the card network lets them lapse, on orders not fulfilled yet, which are cancelled
    /// (reason `authorization_expired`, their stock put back). Returns how many it voided.
    /// An order already being fulfilled keeps its authorization for an admin to capture.
    ///
    /// # Errors
    ///
    /// Storage errors; an order that changed meanwhile is left for the next pass.
    pub async fn void_lapsing_authorizations(&self) -> Result<usize> {
        let filter = OrderFilter {
            status: Some(OrderStatus::Confirmed),
            payment_status: Some(PaymentStatus::Authorized),
            placed_before: Some(self.now().plus_millis(-self.authorization_window_millis)),
            ..OrderFilter::default()
        };
        let lapsing = self.store.orders(&filter, None, BATCH).await?;
        let mut voided = 0;
        for order in lapsing.items {
            if order.fulfillment_status != FulfillmentStatus::Unfulfilled {
                continue;
            }
            match self
                .cancel_because(order.id.as_str(), "authorization_expired")
                .await
            {
                Ok(_) => voided += 1,
                Err(err) if err.is_gateway_failure() => voided += 1,
                Err(err) if err.is_conflict() || err.is_invalid_transition() => {}
                Err(err) => return Err(err),
            }
        }
        Ok(voided)
    }

    /// Asks the gateway about up to a batch of payments still waiting for the customer's
    /// action, or processing, [`RECONCILE_WAITING_AFTER_MILLIS`] after their order was placed
    /// (and until [`RECONCILE_WAITING_UNTIL_MILLIS`]),
    /// and applies what it says as the webhook would have (once, never backwards). Returns how
    /// many it settled.
    ///
    /// # Errors
    ///
    /// Storage errors; a gateway that does not answer leaves the payment for the next pass.
    pub async fn reconcile_waiting_payments(&self) -> Result<usize> {
        let filter = OrderFilter {
            status: Some(OrderStatus::PendingPayment),
            placed_before: Some(self.now().plus_millis(-RECONCILE_WAITING_AFTER_MILLIS)),
            ..OrderFilter::default()
        };
        let waiting = self.store.orders(&filter, None, BATCH).await?;
        let given_up_before = self.now().plus_millis(-RECONCILE_WAITING_UNTIL_MILLIS);
        let mut settled = 0;
        for order in waiting.items {
            if order.created_at < given_up_before {
                continue;
            }
            let Some(intent_id) = order.payment_intent_id.as_deref() else {
                continue;
            };
            let intent = self.payment_intent(intent_id).await?;
            let (IntentStatus::RequiresAction | IntentStatus::Processing, Some(reference)) =
                (intent.status, intent.gateway_reference.as_deref())
            else {
                continue;
            };
            let kind = match self.gateway.payment_status(reference).await {
                Ok(Some(kind)) => kind,
                Ok(None) => continue,
                Err(err) if err.is_gateway_failure() => continue,
                Err(err) => return Err(err),
            };
            let event = GatewayEvent {
                // One reconciliation per state of the intent: applied once, like a webhook.
                id: format!("reconcile_{}_{}", intent.id, intent.version),
                intent_id: intent.id.clone(),
                kind,
            };
            match self.handle_gateway_event(&event).await {
                // Applied; a hold that ran out meanwhile is dealt with as for a late webhook.
                Ok(_) => settled += 1,
                Err(err) if err.is_reservation_expired() => settled += 1,
                Err(err) if err.is_conflict() || err.is_invalid_transition() => {}
                Err(err) => return Err(err),
            }
        }
        Ok(settled)
    }
}
