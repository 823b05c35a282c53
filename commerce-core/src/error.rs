//! The one error type of `commerce-core`.
//!
//! Every failure is an [`Error`]: a [`kind`](Error::kind) that callers can match on, a stable
//! machine-readable [`code`](Error::code) that the HTTP, Python and JavaScript layers pass through
//! unchanged, and, for input validation, the [`field`](Error::field) that was wrong
//! (`lines[2].unit_price`).

use std::fmt;
use std::sync::Arc;

/// A `commerce-core` failure: what went wrong, where in the input, and (for a failing backend)
/// the error underneath, as [`std::error::Error::source`]. One word wide: the details live
/// behind a box, so `Result<Money>` is no bigger than it must be.
///
/// # Example
///
/// ```
/// use commerce_core::{Currency, Money};
///
/// let err = Money::parse("19.999", Currency::USD).unwrap_err();
/// assert_eq!(err.code(), "too_many_decimals");
/// assert!(err.is_invalid_input());
/// assert_eq!(err.to_string(), "`19.999` has more decimal places than USD allows (2)");
/// ```
#[derive(Clone)]
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Clone)]
struct Inner {
    kind: ErrorKind,
    field: Option<String>,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Error");
        debug.field("kind", &self.inner.kind);
        debug.field("field", &self.inner.field);
        if let Some(source) = &self.inner.source {
            debug.field("source", &source.to_string());
        }
        debug.finish()
    }
}

/// Two errors are equal when they say the same thing about the same field; their sources,
/// which are for logs, are not compared.
impl PartialEq for Error {
    fn eq(&self, other: &Error) -> bool {
        self.inner.kind == other.inner.kind && self.inner.field == other.inner.field
    }
}

impl Eq for Error {}

/// The kinds of [`Error`]. New kinds may be added in minor releases.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A currency code that is not an active ISO 4217 currency.
    #[error("`{code}` is not an active ISO 4217 currency{hint}")]
    UnknownCurrency {
        /// The code as given.
        code: String,
        /// Extra guidance, such as the currency that replaced a superseded one.
        hint: String,
    },
    /// Two amounts in different currencies were combined.
    #[error("cannot combine {left} with {right}: amounts must share one currency")]
    CurrencyMismatch {
        /// The currency of the left operand (or the one expected).
        left: String,
        /// The currency of the right operand (or the one found).
        right: String,
    },
    /// A string that is not a plain decimal number.
    #[error(
        "`{input}` is not a decimal amount: write digits with an optional `.` and fraction, such as `19.99`"
    )]
    InvalidAmount {
        /// The text as given.
        input: String,
    },
    /// An amount with more decimal places than its currency's minor unit.
    #[error("`{input}` has more decimal places than {currency} allows ({max})")]
    TooManyDecimals {
        /// The amount as given.
        input: String,
        /// The currency's code.
        currency: String,
        /// The currency's minor-unit exponent.
        max: u32,
    },
    /// An amount that is negative where only zero or more makes sense.
    #[error("`{input}` is negative; amounts here must be zero or more")]
    NegativeAmount {
        /// The amount as given.
        input: String,
    },
    /// A value beyond what the library represents exactly.
    #[error("{what} is too large to represent exactly")]
    Overflow {
        /// What overflowed.
        what: String,
    },
    /// An allocation that cannot be made (no parts, or weights summing to zero).
    #[error("cannot allocate: {reason}")]
    InvalidAllocation {
        /// Why.
        reason: String,
    },
    /// A quantity outside the allowed range.
    #[error("quantity {quantity} is out of range: it must be between {min} and {max}")]
    QuantityOutOfRange {
        /// The quantity requested.
        quantity: u64,
        /// The smallest allowed.
        min: u64,
        /// The largest allowed.
        max: u64,
    },
    /// A cart that already holds the maximum number of lines.
    #[error("the cart already has the maximum of {max} lines")]
    TooManyLines {
        /// The configured maximum.
        max: usize,
    },
    /// A cart line id that does not exist.
    #[error("no cart line with id `{line}`")]
    LineNotFound {
        /// The id asked for.
        line: String,
    },
    /// A SKU that the catalog does not know.
    #[error("unknown SKU `{sku}`")]
    UnknownSku {
        /// The SKU asked for.
        sku: String,
    },
    /// A SKU the catalog has but does not sell now: its product is not active, or it has no
    /// price in the cart's currency. Its code is `unknown_sku`, as for a SKU nobody has.
    #[error("`{sku}` is not for sale: {reason}")]
    NotForSale {
        /// The SKU asked for.
        sku: String,
        /// Why not (`product `mug` is draft`, `no price in EUR`).
        reason: String,
    },
    /// A tax category that no tax rate in the request covers.
    #[error(
        "no tax rate covers tax category `{category}`; add a rate (0 for zero-rated) or omit the category for exempt items"
    )]
    UnknownTaxCategory {
        /// The category asked for.
        category: String,
    },
    /// Two entries share an id that must be unique.
    #[error("duplicate id `{id}`: ids must be unique")]
    DuplicateId {
        /// The repeated id.
        id: String,
    },
    /// A request that could not be read at all: malformed JSON, a wrong type, an unknown field,
    /// a number where a decimal string belongs.
    #[error("the request could not be read: {message}")]
    InvalidRequest {
        /// What the parser found.
        message: String,
    },
    /// Not enough stock for a reservation, and the SKU does not allow backorders.
    #[error("insufficient stock for `{sku}`: {requested} requested, {available} available")]
    InsufficientStock {
        /// The SKU.
        sku: String,
        /// Units asked for (summed over the cart's lines).
        requested: i64,
        /// Units available.
        available: i64,
    },
    /// A state machine was asked for a transition it does not allow.
    #[error("{machine} cannot go from `{from}` to `{to}`")]
    InvalidTransition {
        /// Which machine (`order`, `payment`, `fulfillment`, `payment_intent`, `reservation`).
        machine: String,
        /// The current state.
        from: String,
        /// The state asked for.
        to: String,
    },
    /// Something that does not exist.
    #[error("{entity} `{id}` not found")]
    NotFound {
        /// What kind of thing (`order`, `product`, `cart`, ...).
        entity: String,
        /// Its id.
        id: String,
    },
    /// A write lost a race: the record changed since it was read. Reading again and retrying is
    /// safe.
    #[error("{entity} `{id}` was changed concurrently; read it again and retry")]
    Conflict {
        /// What kind of thing.
        entity: String,
        /// Its id.
        id: String,
    },
    /// An idempotency key reused for a different request.
    #[error("idempotency key `{key}` was already used for a different request")]
    IdempotencyMismatch {
        /// The key.
        key: String,
    },
    /// A request with this idempotency key is still being processed (or stopped without
    /// finishing, which a retry learns once its claim lapses).
    #[error("a request with idempotency key `{key}` is still in progress; retry in {} s", (retry_after_millis + 999) / 1000)]
    IdempotencyInFlight {
        /// The key.
        key: String,
        /// When a retry may take the key over, if the first request has not finished by then:
        /// what is left of [`IDEMPOTENCY_LOCK_MILLIS`](crate::store::IDEMPOTENCY_LOCK_MILLIS).
        retry_after_millis: i64,
    },
    /// The payment was declined.
    #[error("the payment was declined: {reason}")]
    PaymentDeclined {
        /// The gateway's reason (`insufficient_funds`, `card_declined`, ...).
        reason: String,
    },
    /// An amount beyond what the operation allows (capturing more than authorized, refunding
    /// more than captured).
    #[error("{what}: {requested} requested, at most {allowed} allowed")]
    AmountExceeded {
        /// The operation.
        what: String,
        /// The amount asked for.
        requested: String,
        /// The most allowed.
        allowed: String,
    },
    /// A limited promotion's last use was taken by another order first.
    #[error("promotion `{id}` has no uses left")]
    PromotionUsedUp {
        /// The promotion.
        id: String,
    },
    /// A checkout refused because its customer (or client) already holds stock for as many
    /// unpaid checkouts as allowed: pay, or let one go, first.
    #[error(
        "at most {limit} checkouts may hold stock unpaid at once; complete or abandon one first"
    )]
    TooManyUnpaidHolds {
        /// The bound.
        limit: u64,
    },
    /// A hold on stock that expired before it was used.
    #[error("reservation `{id}` expired; the stock was released")]
    ReservationExpired {
        /// The reservation.
        id: String,
    },
    /// The storage backend failed (not the caller's fault); the cause is the error's
    /// [`source`](std::error::Error::source).
    #[error("storage failed: {message}")]
    Storage {
        /// What happened, for logs (never shown to end users as is).
        message: String,
    },
    /// The payment gateway could not be reached, or did not answer in time (not the caller's
    /// fault). Retrying with the same idempotency key is safe: the gateway's own key makes a
    /// repeated money move happen once.
    #[error("the payment gateway failed{}: {message}", if *outcome_unknown { " (the outcome is unknown)" } else { "" })]
    Gateway {
        /// Whether the gateway may have done what it was asked (a timeout after the request was
        /// sent) rather than certainly not (refused to connect).
        outcome_unknown: bool,
        /// What happened, for logs.
        message: String,
    },
    /// The payment gateway's circuit breaker is open after repeated failures: nothing was sent,
    /// and the call may be made again after `retry_after_millis`.
    #[error("the payment gateway `{gateway}` is failing; payments are paused for {} s", (retry_after_millis + 999) / 1000)]
    GatewayCircuitOpen {
        /// The gateway's name.
        gateway: String,
        /// When the breaker lets a call through again.
        retry_after_millis: i64,
    },
    /// No payment gateway is configured, so nothing can be paid (orders are kept).
    #[error("this shop takes no payments yet: no payment gateway is configured")]
    PaymentsNotConfigured,
    /// The operation needs credentials the caller did not present (an anonymous caller where
    /// a customer or an admin is needed).
    #[error("{message}")]
    Unauthenticated {
        /// What is needed.
        message: String,
    },
    /// The caller is known and may not do this (a customer where an admin is needed).
    #[error("{message}")]
    Forbidden {
        /// What is not allowed.
        message: String,
    },
    /// Any other invalid input, with a message that says what to change.
    #[error("{message}")]
    InvalidInput {
        /// What is wrong and how to fix it.
        message: String,
    },
}

/// An error with its causes, `outer: cause: cause`: what a log needs of an I/O error, whose own
/// message (hyper's, for one) often says only that something failed.
///
/// ```
/// let io = std::io::Error::other("connection refused");
/// assert_eq!(commerce_core::error_chain(&io), "connection refused");
/// ```
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl Error {
    /// Creates an error of the given kind with no field.
    pub fn new(kind: ErrorKind) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                field: None,
                source: None,
            }),
        }
    }

    /// Shorthand for [`ErrorKind::InvalidInput`].
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidInput {
            message: message.into(),
        })
    }

    /// [`ErrorKind::InvalidRequest`] for JSON that could not be read as the expected type: every
    /// binding reports unreadable input the same way.
    pub fn unreadable(error: &serde_json::Error) -> Self {
        Error::new(ErrorKind::InvalidRequest {
            message: error.to_string(),
        })
    }

    /// Shorthand for [`ErrorKind::Overflow`].
    pub fn overflow(what: impl Into<String>) -> Self {
        Error::new(ErrorKind::Overflow { what: what.into() })
    }

    /// Records the input field this error is about, as a path such as `lines[2].unit_price`.
    ///
    /// If the error already names a field, `field` becomes its prefix
    /// (`lines[2]` + `unit_price`), so that nested validators compose.
    #[must_use]
    pub fn at(mut self, field: impl fmt::Display) -> Self {
        let field = field.to_string();
        self.inner.field = Some(match self.inner.field.take() {
            None => field,
            Some(inner) if inner.starts_with('[') => format!("{field}{inner}"),
            Some(inner) => format!("{field}.{inner}"),
        });
        self
    }

    /// The same error about another field: for a check whose own field names differ from what
    /// the caller sent (a password checked as `password`, sent as `new_password`).
    #[must_use]
    pub fn in_field(mut self, field: impl fmt::Display) -> Self {
        self.inner.field = Some(field.to_string());
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.inner.kind
    }

    /// The input field the error is about, if any: `lines[2].unit_price`.
    pub fn field(&self) -> Option<&str> {
        self.inner.field.as_deref()
    }

    /// A stable, machine-readable code for the kind, such as `too_many_decimals`.
    ///
    /// Codes never change once published; the HTTP, Python and JavaScript layers expose them as is.
    pub fn code(&self) -> &'static str {
        match self.inner.kind {
            ErrorKind::UnknownCurrency { .. } => "unknown_currency",
            ErrorKind::CurrencyMismatch { .. } => "currency_mismatch",
            ErrorKind::InvalidAmount { .. } => "invalid_amount",
            ErrorKind::TooManyDecimals { .. } => "too_many_decimals",
            ErrorKind::NegativeAmount { .. } => "negative_amount",
            ErrorKind::Overflow { .. } => "overflow",
            ErrorKind::InvalidAllocation { .. } => "invalid_allocation",
            ErrorKind::QuantityOutOfRange { .. } => "quantity_out_of_range",
            ErrorKind::TooManyLines { .. } => "too_many_lines",
            ErrorKind::LineNotFound { .. } => "line_not_found",
            ErrorKind::UnknownSku { .. } | ErrorKind::NotForSale { .. } => "unknown_sku",
            ErrorKind::UnknownTaxCategory { .. } => "unknown_tax_category",
            ErrorKind::DuplicateId { .. } => "duplicate_id",
            ErrorKind::InvalidRequest { .. } => "invalid_request",
            ErrorKind::InsufficientStock { .. } => "insufficient_stock",
            ErrorKind::InvalidTransition { .. } => "invalid_transition",
            ErrorKind::NotFound { .. } => "not_found",
            ErrorKind::Conflict { .. } => "conflict",
            ErrorKind::IdempotencyMismatch { .. } => "idempotency_mismatch",
            ErrorKind::IdempotencyInFlight { .. } => "idempotency_in_flight",
            ErrorKind::PaymentDeclined { .. } => "payment_declined",
            ErrorKind::AmountExceeded { .. } => "amount_exceeded",
            ErrorKind::ReservationExpired { .. } => "reservation_expired",
            ErrorKind::TooManyUnpaidHolds { .. } => "too_many_unpaid_checkouts",
            ErrorKind::PromotionUsedUp { .. } => "promotion_used_up",
            ErrorKind::Storage { .. } => "backend_error",
            ErrorKind::Gateway { .. } => "gateway_error",
            ErrorKind::GatewayCircuitOpen { .. } => "gateway_circuit_open",
            ErrorKind::PaymentsNotConfigured => "payments_not_configured",
            ErrorKind::Unauthenticated { .. } => "unauthorized",
            ErrorKind::Forbidden { .. } => "forbidden",
            ErrorKind::InvalidInput { .. } => "invalid_input",
        }
    }

    /// True for every error caused by the caller's input or a business rule the caller can act
    /// on, as opposed to a limit of the library or a failing backend.
    pub fn is_invalid_input(&self) -> bool {
        !matches!(
            self.inner.kind,
            ErrorKind::Overflow { .. }
                | ErrorKind::Storage { .. }
                | ErrorKind::Gateway { .. }
                | ErrorKind::GatewayCircuitOpen { .. }
                | ErrorKind::PaymentsNotConfigured
        )
    }

    /// Shorthand for [`ErrorKind::Unauthenticated`].
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Unauthenticated {
            message: message.into(),
        })
    }

    /// Shorthand for [`ErrorKind::Forbidden`].
    pub fn forbidden(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Forbidden {
            message: message.into(),
        })
    }

    /// Shorthand for [`ErrorKind::NotFound`].
    pub fn not_found(entity: &str, id: impl Into<String>) -> Self {
        Error::new(ErrorKind::NotFound {
            entity: entity.to_string(),
            id: id.into(),
        })
    }

    /// Shorthand for [`ErrorKind::DuplicateId`].
    pub fn duplicate_id(id: impl Into<String>) -> Self {
        Error::new(ErrorKind::DuplicateId { id: id.into() })
    }

    /// Shorthand for [`ErrorKind::Conflict`].
    pub fn conflict(entity: &str, id: impl Into<String>) -> Self {
        Error::new(ErrorKind::Conflict {
            entity: entity.to_string(),
            id: id.into(),
        })
    }

    /// Shorthand for [`ErrorKind::InvalidTransition`].
    pub fn transition(
        machine: &str,
        from: impl std::fmt::Display,
        to: impl std::fmt::Display,
    ) -> Self {
        Error::new(ErrorKind::InvalidTransition {
            machine: machine.to_string(),
            from: from.to_string(),
            to: to.to_string(),
        })
    }

    /// [`ErrorKind::Storage`] with a message.
    pub fn storage(message: impl std::fmt::Display) -> Self {
        Error::new(ErrorKind::Storage {
            message: message.to_string(),
        })
    }

    /// [`ErrorKind::Storage`] caused by `source`, which stays the error's
    /// [`source`](std::error::Error::source).
    pub fn storage_from(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        let mut error = Error::storage(&source);
        error.inner.source = Some(Arc::new(source));
        error
    }

    /// [`ErrorKind::Gateway`]: the gateway certainly did nothing (it could not be reached).
    pub fn gateway_unavailable(message: impl std::fmt::Display) -> Self {
        Error::new(ErrorKind::Gateway {
            outcome_unknown: false,
            message: message.to_string(),
        })
    }

    /// [`ErrorKind::Gateway`]: the gateway may have done what it was asked (it was asked and
    /// did not answer).
    pub fn gateway_outcome_unknown(message: impl std::fmt::Display) -> Self {
        Error::new(ErrorKind::Gateway {
            outcome_unknown: true,
            message: message.to_string(),
        })
    }

    /// The same error, caused by `source`.
    #[must_use]
    pub fn caused_by(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.inner.source = Some(Arc::new(source));
        self
    }

    /// True when the payment gateway failed (could not be reached, or did not answer), was not
    /// called because its breaker is open, or is not configured: the payment can be completed
    /// later.
    pub fn is_gateway_failure(&self) -> bool {
        matches!(
            self.inner.kind,
            ErrorKind::Gateway { .. }
                | ErrorKind::GatewayCircuitOpen { .. }
                | ErrorKind::PaymentsNotConfigured
        )
    }

    /// True when the gateway may have done what it was asked: a retry with the same key
    /// learns the outcome, and never repeats the move.
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(
            self.inner.kind,
            ErrorKind::Gateway {
                outcome_unknown: true,
                ..
            }
        )
    }

    /// True when a payment (or a capture or refund of it) was declined.
    pub fn is_payment_declined(&self) -> bool {
        matches!(self.inner.kind, ErrorKind::PaymentDeclined { .. })
    }

    /// True when a stock hold expired before it was used.
    pub fn is_reservation_expired(&self) -> bool {
        matches!(self.inner.kind, ErrorKind::ReservationExpired { .. })
    }

    /// True when the storage backend failed.
    pub fn is_storage_failure(&self) -> bool {
        matches!(self.inner.kind, ErrorKind::Storage { .. })
    }

    /// True when the same request may succeed if simply sent again (with the same idempotency
    /// key): a lost race, a request still in flight, a failing backend.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.inner.kind,
            ErrorKind::Conflict { .. }
                | ErrorKind::IdempotencyInFlight { .. }
                | ErrorKind::Storage { .. }
                | ErrorKind::Gateway { .. }
                | ErrorKind::GatewayCircuitOpen { .. }
        )
    }

    /// True when stock ran short.
    pub fn is_insufficient_stock(&self) -> bool {
        matches!(self.inner.kind, ErrorKind::InsufficientStock { .. })
    }

    /// True when a state machine refused a transition.
    pub fn is_invalid_transition(&self) -> bool {
        matches!(self.inner.kind, ErrorKind::InvalidTransition { .. })
    }

    /// True when a compare-and-set write lost a race.
    pub fn is_conflict(&self) -> bool {
        matches!(self.inner.kind, ErrorKind::Conflict { .. })
    }

    /// True when an amount went beyond what was allowed.
    pub fn is_amount_exceeded(&self) -> bool {
        matches!(self.inner.kind, ErrorKind::AmountExceeded { .. })
    }

    /// True when two currencies were mixed.
    pub fn is_currency_mismatch(&self) -> bool {
        matches!(self.inner.kind, ErrorKind::CurrencyMismatch { .. })
    }

    /// True when something asked for (a line, a SKU) does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self.inner.kind,
            ErrorKind::LineNotFound { .. }
                | ErrorKind::UnknownSku { .. }
                | ErrorKind::NotForSale { .. }
                | ErrorKind::NotFound { .. }
        )
    }

    /// True when a value was too large to represent.
    pub fn is_overflow(&self) -> bool {
        matches!(self.inner.kind, ErrorKind::Overflow { .. })
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error::new(kind)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner.field {
            Some(field) => write!(f, "{field}: {}", self.inner.kind),
            None => write!(f, "{}", self.inner.kind),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}

/// The result type of `commerce-core`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_compose_from_the_inside_out() {
        let err = Error::invalid("bad").at("unit_price").at("[2]").at("lines");
        assert_eq!(err.field(), Some("lines[2].unit_price"));
        assert_eq!(err.to_string(), "lines[2].unit_price: bad");
    }

    #[test]
    fn an_error_is_one_word_and_keeps_its_cause() {
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
        let cause = std::io::Error::other("disk on fire");
        let err = Error::storage_from(cause);
        assert_eq!(err.code(), "backend_error");
        let source = std::error::Error::source(&err).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("disk on fire"));
        assert!(err.is_retryable() && !err.is_invalid_input());
        let gateway = Error::gateway_outcome_unknown("timed out");
        assert!(gateway.is_gateway_failure() && gateway.is_outcome_unknown());
        assert_eq!(gateway.code(), "gateway_error");
        assert!(!Error::gateway_unavailable("refused").is_outcome_unknown());
    }
}
