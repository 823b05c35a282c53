//! Conversions shared by both backends: JSON documents, statuses, errors.

use commerce_core::inventory::{MovementKind, ReservationStatus};
use commerce_core::{Error, Timestamp};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A document as JSON text.
pub(crate) fn to_json(value: &impl Serialize) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|e| Error::storage(format!("cannot encode: {e}")))
}

/// A document from JSON text.
pub(crate) fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
    serde_json::from_str(text)
        .map_err(|e| Error::storage(format!("cannot decode a stored document: {e}")))
}

pub(crate) fn millis(t: Timestamp) -> i64 {
    t.unix_millis()
}

pub(crate) fn instant(millis: i64) -> Timestamp {
    Timestamp::from_unix_millis(millis)
}

pub(crate) fn reservation_status(text: &str) -> Result<ReservationStatus, Error> {
    Ok(match text {
        "active" => ReservationStatus::Active,
        "committed" => ReservationStatus::Committed,
        "released" => ReservationStatus::Released,
        "expired" => ReservationStatus::Expired,
        other => {
            return Err(Error::storage(format!(
                "unknown reservation status `{other}`"
            )));
        }
    })
}

pub(crate) fn movement_kind(text: &str) -> Result<MovementKind, Error> {
    Ok(match text {
        "adjustment" => MovementKind::Adjustment,
        "reservation" => MovementKind::Reservation,
        "release" => MovementKind::Release,
        "sale" => MovementKind::Sale,
        "return" => MovementKind::Return,
        other => return Err(Error::storage(format!("unknown movement kind `{other}`"))),
    })
}

pub(crate) fn movement_name(kind: MovementKind) -> &'static str {
    match kind {
        MovementKind::Adjustment => "adjustment",
        MovementKind::Reservation => "reservation",
        MovementKind::Release => "release",
        MovementKind::Sale => "sale",
        MovementKind::Return => "return",
    }
}

/// Why a transaction did not go through.
pub(crate) enum Failure {
    /// The database asked us to try again (a serialization failure, a deadlock, a busy file).
    Retry,
    /// A real error, returned to the caller.
    Error(Error),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure::Error(error)
    }
}

/// How many times a transaction is retried when the database asks for it.
pub(crate) const RETRIES: usize = 20;
