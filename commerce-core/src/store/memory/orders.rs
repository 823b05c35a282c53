//! Orders, payment intents and the unit of work in memory.

use async_trait::async_trait;

use super::{IdempotencyEntry, MemoryStore, page};
use crate::error::{Error, ErrorKind, Result};
use crate::inventory::{MovementKind, ReservationStatus, StockLevel};
use crate::order::Order;
use crate::payment::PaymentIntent;
use crate::store::{Applied, Changes, OrderFilter, OrderStore, Page};
use crate::time::Timestamp;

#[async_trait]
impl OrderStore for MemoryStore {
    async fn apply(&self, changes: Changes) -> Result<Applied> {
        let mut state = self.lock();
        let now = changes.now;
        if let Some(event) = &changes.gateway_event_id
            && state.gateway_events.contains(event)
        {
            return Ok(Applied::DuplicateGatewayEvent);
        }
        // 1. Check everything.
        let demand = match &changes.reserve {
            Some(request) => Some(state.check_reserve(request, now)?),
            None => None,
        };
        if let Some(id) = &changes.commit_reservation {
            let reservation = state
                .reservations
                .get(id)
                .ok_or_else(|| Error::not_found("reservation", id.clone()))?;
            if reservation.status == ReservationStatus::Expired {
                return Err(Error::new(ErrorKind::ReservationExpired { id: id.clone() }));
            }
            if reservation.status != ReservationStatus::Active {
                return Err(Error::transition(
                    "reservation",
                    reservation.status.as_str(),
                    "committed",
                ));
            }
            if reservation.expires_at <= now {
                // Give the stock back in its own unit; the caller's changes are not applied.
                state.release(id, ReservationStatus::Expired, now);
                return Err(Error::new(ErrorKind::ReservationExpired { id: id.clone() }));
            }
        }
        if let Some(id) = &changes.release_reservation
            && !state.reservations.contains_key(id)
            && changes.reserve.as_ref().is_none_or(|r| &r.id != id)
        {
            return Err(Error::not_found("reservation", id.clone()));
        }
        for order in &changes.orders {
            let current = state.orders.get(&order.value.id).map(|o| o.version);
            if current != order.expected_version {
                return Err(Error::conflict("order", order.value.id.clone()));
            }
            if order.expected_version.is_none()
                && let Some(cart) = &order.value.cart_id
                && state.order_by_cart.contains_key(cart)
            {
                return Err(Error::conflict("order for cart", cart.clone()));
            }
        }
        for intent in &changes.intents {
            let current = state.intents.get(&intent.value.id).map(|i| i.version);
            if current != intent.expected_version {
                return Err(Error::conflict("payment_intent", intent.value.id.clone()));
            }
            if !intent.value.amounts_are_consistent() {
                return Err(Error::storage(format!(
                    "payment intent `{}` breaks its amount invariants",
                    intent.value.id
                )));
            }
        }
        state.check_promotion_uses(&changes.promotion_uses)?;
        // Restocking comes first in the unit, so an adjustment is judged after it.
        let adjusted = match &changes.adjustment {
            Some(adjustment) if changes.restock.is_empty() => {
                Some(state.check_adjustment(adjustment)?)
            }
            Some(_) => {
                return Err(Error::invalid(
                    "a unit of work adjusts stock or restocks it, not both",
                ));
            }
            None => None,
        };
        // 2. Change everything.
        let mut events = Vec::new();
        if let (Some(request), Some(demand)) = (&changes.reserve, demand) {
            events = state.do_reserve(request, demand, now);
        }
        if let Some(id) = &changes.commit_reservation {
            let lines = state.reservations[id].lines.clone();
            for line in &lines {
                if let Some(level) = state
                    .stock
                    .get_mut(&(line.sku.clone(), line.location.clone()))
                {
                    level.reserved -= line.quantity;
                    level.on_hand -= line.quantity;
                }
                state.movement(
                    &line.sku,
                    &line.location,
                    MovementKind::Sale,
                    line.quantity,
                    now,
                    Some(id),
                );
            }
            if let Some(r) = state.reservations.get_mut(id) {
                r.status = ReservationStatus::Committed;
            }
        }
        if let Some(id) = &changes.release_reservation {
            state.release(id, ReservationStatus::Released, now);
        }
        for (sku, location, quantity) in &changes.restock {
            let level = state
                .stock
                .entry((sku.clone(), location.clone()))
                .or_insert_with(|| StockLevel {
                    sku: sku.clone(),
                    location: location.clone(),
                    on_hand: 0,
                    reserved: 0,
                    allow_backorder: false,
                });
            level.on_hand += quantity;
            state.movement(sku, location, MovementKind::Return, *quantity, now, None);
        }
        if let (Some(adjustment), Some(level)) = (&changes.adjustment, adjusted) {
            state.do_adjustment(adjustment, level, now);
        }
        for order in changes.orders {
            if let Some(cart) = &order.value.cart_id {
                state
                    .order_by_cart
                    .insert(cart.clone(), order.value.id.clone());
            }
            state.orders.insert(order.value.id.clone(), order.value);
        }
        for intent in changes.intents {
            state.intents.insert(intent.value.id.clone(), intent.value);
        }
        if let Some(event) = changes.gateway_event_id {
            state.gateway_events.insert(event);
        }
        for event in changes.events.into_iter().chain(events) {
            state.push_event(event);
        }
        state.do_promotion_uses(&changes.promotion_uses, &changes.promotion_returns);
        if let Some(done) = changes.idempotency {
            let entry =
                state
                    .idempotency
                    .entry((done.scope, done.key))
                    .or_insert(IdempotencyEntry {
                        fingerprint: String::new(),
                        response: None,
                        started_at: now,
                    });
            entry.response = Some(done.response);
        }
        Ok(Applied::Done)
    }

    async fn order(&self, id: &str) -> Result<Option<Order>> {
        Ok(self.lock().orders.get(id).cloned())
    }

    async fn order_for_cart(&self, cart_id: &str) -> Result<Option<Order>> {
        let state = self.lock();
        Ok(state
            .order_by_cart
            .get(cart_id)
            .and_then(|id| state.orders.get(id))
            .cloned())
    }

    async fn orders(
        &self,
        filter: &OrderFilter,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<Order>> {
        let state = self.lock();
        let mut orders: Vec<&Order> = state
            .orders
            .values()
            .filter(|o| filter.matches(o))
            .collect();
        // Newest first; ids break ties so that the order is total.
        orders.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        // An unknown cursor gives an empty page, as in the SQL stores.
        let start = match after.map(|after| state.orders.get(after)) {
            Some(Some(cursor)) => orders
                .iter()
                .position(|o| (o.created_at, &o.id) < (cursor.created_at, &cursor.id))
                .unwrap_or(orders.len()),
            Some(None) => orders.len(),
            None => 0,
        };
        Ok(page(orders[start..].iter().copied(), limit, |o| {
            o.id.clone()
        }))
    }

    async fn payment_intent(&self, id: &str) -> Result<Option<PaymentIntent>> {
        Ok(self.lock().intents.get(id).cloned())
    }

    async fn intents_with_moves_due(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<PaymentIntent>> {
        let state = self.lock();
        let mut due: Vec<(Timestamp, &PaymentIntent)> = state
            .intents
            .values()
            .filter_map(|i| i.next_move_due().filter(|at| *at <= now).map(|at| (at, i)))
            .collect();
        due.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)));
        Ok(due
            .into_iter()
            .take(limit)
            .map(|(_, i)| i.clone())
            .collect())
    }
}
