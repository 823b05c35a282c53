//! Stock's storage: levels, reservations and the ledger.

use async_trait::async_trait;

use crate::error::Result;
use crate::inventory::{Movement, Reservation, StockLevel};
use crate::time::Timestamp;

/// Stock levels, reservations and the movement ledger.
#[async_trait]
pub trait InventoryStore: Send + Sync {
    /// Changes `on_hand` by `delta` (a delivery, a count) and, if given, the backorder flag;
    /// creates the stock level if needed. Writes an adjustment movement.
    ///
    /// # Errors
    ///
    /// [`insufficient_stock`](crate::ErrorKind::InsufficientStock) if `on_hand` would go below
    /// zero, or (without backorders) below what is reserved.
    async fn adjust_stock(
        &self,
        sku: &str,
        location: &str,
        delta: i64,
        allow_backorder: Option<bool>,
        now: Timestamp,
    ) -> Result<StockLevel>;
    /// The stock of a SKU at every location.
    async fn stock(&self, sku: &str) -> Result<Vec<StockLevel>>;
    /// A reservation by id.
    async fn reservation(&self, id: &str) -> Result<Option<Reservation>>;
    /// Moves a live reservation's expiry.
    ///
    /// # Errors
    ///
    /// [`not_found`](crate::ErrorKind::NotFound); [`reservation_expired`](crate::ErrorKind::ReservationExpired)
    /// if it already expired (it is then released); [`invalid_transition`](crate::ErrorKind::InvalidTransition)
    /// if it was committed or released.
    async fn extend_reservation(
        &self,
        id: &str,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<Reservation>;
    /// Releases every active reservation whose expiry is at or before `now`; returns how many.
    async fn expire_reservations(&self, now: Timestamp) -> Result<u64>;
    /// Marks a live hold as an unpaid checkout's: held by `holder`, and ending at `until` if it
    /// would end later. A hold that is not live is left alone.
    async fn hold_unpaid(
        &self,
        id: &str,
        holder: &str,
        until: Timestamp,
        now: Timestamp,
    ) -> Result<()>;
    /// How many live holds (active, not past their expiry) `holder` has as unpaid
    /// ([`InventoryStore::hold_unpaid`]).
    async fn live_holds_of(&self, holder: &str, now: Timestamp) -> Result<u64>;
    /// The ledger of a SKU, oldest first.
    async fn movements(&self, sku: &str) -> Result<Vec<Movement>>;
}
