//! Stock in memory: levels, reservations and the ledger.

use async_trait::async_trait;

use super::{MemoryStore, State};
use crate::error::{Error, ErrorKind, Result};
use crate::events::DomainEvent;
use crate::inventory::{
    Movement, MovementKind, Reservation, ReservationLine, ReservationRequest, ReservationStatus,
    StockAdjustment, StockLevel, stock_low_event,
};
use crate::store::InventoryStore;
use crate::time::Timestamp;

impl State {
    /// The stock level an adjustment would leave, or why it is refused.
    pub(super) fn check_adjustment(&self, adjustment: &StockAdjustment) -> Result<StockLevel> {
        let key = (adjustment.sku.clone(), adjustment.location.clone());
        let mut level = self.stock.get(&key).cloned().unwrap_or(StockLevel {
            sku: adjustment.sku.clone(),
            location: adjustment.location.clone(),
            on_hand: 0,
            reserved: 0,
            allow_backorder: false,
        });
        let on_hand = level
            .on_hand
            .checked_add(adjustment.delta)
            .ok_or_else(|| Error::overflow("on_hand"))?;
        if let Some(flag) = adjustment.allow_backorder {
            level.allow_backorder = flag;
        }
        if on_hand < 0 || (!level.allow_backorder && on_hand < level.reserved) {
            return Err(Error::new(ErrorKind::InsufficientStock {
                sku: adjustment.sku.clone(),
                requested: -adjustment.delta,
                available: level.available().max(0),
            }));
        }
        level.on_hand = on_hand;
        Ok(level)
    }

    /// Stores the level a checked adjustment leaves, and its ledger entry.
    pub(super) fn do_adjustment(
        &mut self,
        adjustment: &StockAdjustment,
        level: StockLevel,
        now: Timestamp,
    ) -> StockLevel {
        let key = (adjustment.sku.clone(), adjustment.location.clone());
        self.stock.insert(key, level.clone());
        if adjustment.delta != 0 {
            self.movement(
                &adjustment.sku,
                &adjustment.location,
                MovementKind::Adjustment,
                adjustment.delta,
                now,
                None,
            );
        }
        level
    }

    pub(super) fn movement(
        &mut self,
        sku: &str,
        location: &str,
        kind: MovementKind,
        quantity: i64,
        at: Timestamp,
        reference: Option<&str>,
    ) {
        self.movements.push(Movement {
            sku: sku.to_string(),
            location: location.to_string(),
            kind,
            quantity,
            at,
            reference: reference.map(str::to_string),
        });
    }

    /// Gives a reservation's units back and marks it `status`.
    pub(super) fn release(&mut self, id: &str, status: ReservationStatus, now: Timestamp) {
        let Some(reservation) = self.reservations.get_mut(id) else {
            return;
        };
        if reservation.status != ReservationStatus::Active {
            return;
        }
        reservation.status = status;
        let lines = reservation.lines.clone();
        for line in &lines {
            if let Some(level) = self
                .stock
                .get_mut(&(line.sku.clone(), line.location.clone()))
            {
                level.reserved -= line.quantity;
            }
            self.movement(
                &line.sku,
                &line.location,
                MovementKind::Release,
                line.quantity,
                now,
                Some(id),
            );
        }
    }

    /// Ids of active reservations past their expiry that hold any of `skus` at `location`.
    pub(super) fn expired_holding(
        &self,
        skus: &[&str],
        location: &str,
        now: Timestamp,
    ) -> Vec<String> {
        let mut ids: Vec<String> = self
            .reservations
            .values()
            .filter(|r| r.status == ReservationStatus::Active && r.expires_at <= now)
            .filter(|r| {
                r.lines
                    .iter()
                    .any(|l| l.location == location && skus.contains(&l.sku.as_str()))
            })
            .map(|r| r.id.clone())
            .collect();
        ids.sort();
        ids
    }

    pub(super) fn check_reserve(
        &self,
        request: &ReservationRequest,
        now: Timestamp,
    ) -> Result<Vec<(String, i64)>> {
        request.validate()?;
        if self.reservations.contains_key(&request.id) {
            return Err(Error::conflict("reservation", request.id.clone()));
        }
        let demand = request.demand();
        let skus: Vec<&str> = demand.iter().map(|(s, _)| s.as_str()).collect();
        let expiring = self.expired_holding(&skus, &request.location, now);
        for (sku, quantity) in &demand {
            let key = (sku.clone(), request.location.clone());
            let level = self.stock.get(&key);
            let freed: i64 = expiring
                .iter()
                .filter_map(|id| self.reservations.get(id))
                .flat_map(|r| r.lines.iter())
                .filter(|l| &l.sku == sku && l.location == request.location)
                .map(|l| l.quantity)
                .sum();
            let available = level.map_or(0, |l| l.available()) + freed;
            let backorder = level.is_some_and(|l| l.allow_backorder);
            if available < *quantity && !backorder {
                return Err(Error::new(ErrorKind::InsufficientStock {
                    sku: sku.clone(),
                    requested: *quantity,
                    available: available.max(0),
                }));
            }
        }
        Ok(demand)
    }

    pub(super) fn do_reserve(
        &mut self,
        request: &ReservationRequest,
        demand: Vec<(String, i64)>,
        now: Timestamp,
    ) -> Vec<DomainEvent> {
        let skus: Vec<&str> = demand.iter().map(|(s, _)| s.as_str()).collect();
        for id in self.expired_holding(&skus, &request.location, now) {
            self.release(&id, ReservationStatus::Expired, now);
        }
        let threshold = self.config.low_stock_threshold;
        let mut events = Vec::new();
        let mut lines = Vec::with_capacity(demand.len());
        for (sku, quantity) in demand {
            let key = (sku.clone(), request.location.clone());
            let level = self.stock.entry(key).or_insert_with(|| StockLevel {
                sku: sku.clone(),
                location: request.location.clone(),
                on_hand: 0,
                reserved: 0,
                allow_backorder: false,
            });
            level.reserved += quantity;
            events.extend(stock_low_event(
                &sku,
                &request.location,
                &request.id,
                level.available(),
                threshold,
                now,
            ));
            self.movement(
                &sku,
                &request.location,
                MovementKind::Reservation,
                quantity,
                now,
                Some(&request.id),
            );
            lines.push(ReservationLine {
                sku,
                location: request.location.clone(),
                quantity,
            });
        }
        self.reservations.insert(
            request.id.clone(),
            Reservation {
                id: request.id.clone(),
                lines,
                status: ReservationStatus::Active,
                created_at: now,
                expires_at: request.expires_at,
                reference: request.reference.clone(),
                holder: None,
            },
        );
        events
    }
}

#[async_trait]
impl InventoryStore for MemoryStore {
    async fn adjust_stock(
        &self,
        sku: &str,
        location: &str,
        delta: i64,
        allow_backorder: Option<bool>,
        now: Timestamp,
    ) -> Result<StockLevel> {
        let mut state = self.lock();
        let adjustment = StockAdjustment {
            sku: sku.to_string(),
            location: location.to_string(),
            delta,
            allow_backorder,
        };
        let level = state.check_adjustment(&adjustment)?;
        Ok(state.do_adjustment(&adjustment, level, now))
    }

    async fn stock(&self, sku: &str) -> Result<Vec<StockLevel>> {
        Ok(self
            .lock()
            .stock
            .values()
            .filter(|l| l.sku == sku)
            .cloned()
            .collect())
    }

    async fn reservation(&self, id: &str) -> Result<Option<Reservation>> {
        Ok(self.lock().reservations.get(id).cloned())
    }

    async fn extend_reservation(
        &self,
        id: &str,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<Reservation> {
        let mut state = self.lock();
        let reservation = state
            .reservations
            .get(id)
            .cloned()
            .ok_or_else(|| Error::not_found("reservation", id))?;
        if reservation.status != ReservationStatus::Active {
            return Err(Error::transition(
                "reservation",
                reservation.status.as_str(),
                "active",
            ));
        }
        if reservation.expires_at <= now {
            state.release(id, ReservationStatus::Expired, now);
            return Err(Error::new(ErrorKind::ReservationExpired {
                id: id.to_string(),
            }));
        }
        let stored = state
            .reservations
            .get_mut(id)
            .ok_or_else(|| Error::not_found("reservation", id))?;
        stored.expires_at = expires_at;
        Ok(stored.clone())
    }

    async fn expire_reservations(&self, now: Timestamp) -> Result<u64> {
        let mut state = self.lock();
        let mut expired: Vec<String> = state
            .reservations
            .values()
            .filter(|r| r.status == ReservationStatus::Active && r.expires_at <= now)
            .map(|r| r.id.clone())
            .collect();
        expired.sort();
        for id in &expired {
            state.release(id, ReservationStatus::Expired, now);
        }
        Ok(expired.len() as u64)
    }

    async fn hold_unpaid(
        &self,
        id: &str,
        holder: &str,
        until: Timestamp,
        now: Timestamp,
    ) -> Result<()> {
        let mut state = self.lock();
        if let Some(hold) = state.reservations.get_mut(id).filter(|r| r.is_live(now)) {
            hold.holder = Some(holder.to_string());
            hold.expires_at = hold.expires_at.min(until);
        }
        Ok(())
    }

    async fn live_holds_of(&self, holder: &str, now: Timestamp) -> Result<u64> {
        let state = self.lock();
        let live = state
            .reservations
            .values()
            .filter(|r| r.holder.as_deref() == Some(holder) && r.is_live(now))
            .count();
        Ok(live as u64)
    }

    async fn movements(&self, sku: &str) -> Result<Vec<Movement>> {
        Ok(self
            .lock()
            .movements
            .iter()
            .filter(|m| m.sku == sku)
            .cloned()
            .collect())
    }
}
