//! The unit of work on SQL, written once: [`statements`] turns a [`Changes`] into the
//! statements that apply it, each with what it must change and what it means when it does not
//! ([`Miss`]). Two paths run the same statements:
//!
//! - the common path writes them all into one batch (`batch.rs`), whose checks the database
//!   enforces; anything the batch does not decide rolls it back;
//! - the careful path (`apply_once`, stamped below for each backend) runs them one by one in a
//!   transaction, and where one changes fewer rows than it must, its [`Miss`] says why: a
//!   duplicate gateway event, a hold to release first, a refusal to report.
//!
//! So a statement, its values and their order are decided in one place, and the two paths can
//! only differ in how they learn that a statement missed.
//!
//! Stamped for each backend by `impl_store!` (`stamp.rs`), inside the block that imports the
//! names it uses.

use commerce_core::inventory::MovementKind;
use commerce_core::store::Changes;
use commerce_core::{Error, Result};

use crate::batch::{Arg, Expect};
use crate::idempotency::COMPLETE_IDEMPOTENCY;
use crate::inventory::{
    ADJUST_STOCK, CLOSE_RESERVATION, COMMIT_RESERVATION, ENSURE_STOCK, INSERT_MOVEMENT,
    INSERT_RESERVATION, INSERT_RESERVATION_LINE, RESERVE_UNITS, RESERVED_MOVEMENTS, RESTOCK_UNITS,
    RETURN_RESERVED, SELL_RESERVED,
};
use crate::orders::{
    INSERT_GATEWAY_EVENT, INSERT_INTENT, INSERT_ORDER, UPDATE_INTENT, UPDATE_ORDER,
};
use crate::outbox::INSERT_EVENT;
use crate::rows::{millis, movement_name, to_json};
use crate::usage::{ENSURE_USE_COUNTER, RETURN_USE, TAKE_USE};

/// What a statement changing fewer rows than it must means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Miss<'a> {
    /// It cannot (a plain insert fails instead; an `ON CONFLICT DO NOTHING` may change none).
    Never,
    /// The gateway event was applied before: the unit changes nothing.
    DuplicateGatewayEvent,
    /// Short of stock: holds past their expiry on the SKU are released and the statement is
    /// run once more; still short, `insufficient_stock`.
    ShortOfStock {
        sku: &'a str,
        location: &'a str,
        requested: i64,
    },
    /// Stock on hand would go below zero, or below what is held: `insufficient_stock`.
    AdjustmentRefused {
        sku: &'a str,
        location: &'a str,
        delta: i64,
    },
    /// The hold to sell is not live: `reservation_expired` (the store then says why).
    HoldNotLive(&'a str),
    /// The hold to release is no longer active: nothing to give back (the next `skip`
    /// statements settle its lines and are passed over), unless it never existed.
    ReleaseOfInactive { id: &'a str, skip: usize },
    /// A version changed, or an inserted id exists: `conflict`.
    Conflict { entity: &'static str, id: &'a str },
    /// A limited promotion's counter is at its limit: `promotion_used_up`.
    PromotionUsedUp(&'a str),
}

/// One statement of a unit of work: its SQL, its values in placeholder order, what it must
/// change, and what it means if it does not.
#[derive(Debug, Clone)]
pub(crate) struct Statement<'a> {
    pub(crate) sql: &'static str,
    pub(crate) args: Vec<Arg<'a>>,
    pub(crate) expect: Expect,
    pub(crate) miss: Miss<'a>,
}

/// The SQL that differs between the databases.
pub(crate) struct UnitSql {
    /// Locks the stock rows of a reservation's lines in SKU order, where rows are locked.
    pub(crate) lock_reserved_stock: Option<&'static str>,
    /// Writes `stock_low` for a SKU left at or below the threshold: the SQL form of
    /// [`commerce_core::inventory::stock_low_event`], checked against it by the conformance
    /// suite. `$1` SKU, `$2` location, `$3` reservation, `$4` now.
    pub(crate) stock_low_event: &'static str,
}

/// What a unit writes that is not in its [`Changes`] as is (JSON documents, a reservation's
/// demand per SKU), made before its statements borrow them.
pub(crate) struct Documents {
    orders: Vec<String>,
    intents: Vec<String>,
    events: Vec<String>,
    demand: Vec<(String, i64)>,
    /// The counters (scope, limit) of each promotion use taken, and given back.
    uses: Vec<Vec<(String, u64)>>,
    returns: Vec<Vec<(String, u64)>>,
}

impl Documents {
    /// The documents of a unit's orders, intents and events, and its reservation's demand.
    ///
    /// # Errors
    ///
    /// `backend_error` if one cannot be written as JSON; an invalid reservation's error.
    pub(crate) fn of(changes: &Changes) -> Result<Documents> {
        let demand = match &changes.reserve {
            Some(request) => {
                request.validate()?;
                request.demand()
            }
            None => Vec::new(),
        };
        Ok(Documents {
            demand,
            uses: changes
                .promotion_uses
                .iter()
                .map(|u| u.counters())
                .collect(),
            returns: changes
                .promotion_returns
                .iter()
                .map(|u| u.counters())
                .collect(),
            orders: changes
                .orders
                .iter()
                .map(|o| to_json(&o.value))
                .collect::<Result<_>>()?,
            intents: changes
                .intents
                .iter()
                .map(|i| to_json(&i.value))
                .collect::<Result<_>>()?,
            events: changes
                .events
                .iter()
                .map(|e| to_json(&e.data))
                .collect::<Result<_>>()?,
        })
    }
}

fn version(v: u64) -> Result<i64> {
    i64::try_from(v).map_err(|_| Error::overflow("version"))
}

/// The highest `$n` placeholder of a statement: how many values it needs.
pub(crate) fn placeholders(sql: &str) -> usize {
    let mut highest = 0;
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        let digits: String = rest[at + 1..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        highest = highest.max(digits.parse().unwrap_or(0));
        rest = &rest[at + 1..];
    }
    highest
}

/// The statements that apply `changes`, in the order [`Changes`] documents: the gateway event,
/// stock (reserve, commit, release, restock, adjust), promotion uses (taken, given back),
/// orders, payment intents, events (and the low-stock events a reservation leaves), the
/// idempotency key.
///
/// # Errors
///
/// What no statement could decide: an invalid reservation, a unit that both restocks and
/// adjusts, a version or an amount beyond 64 bits, a payment intent whose amounts break their
/// invariants.
pub(crate) fn statements<'a>(
    changes: &'a Changes,
    documents: &'a Documents,
    sql: &UnitSql,
) -> Result<Vec<Statement<'a>>> {
    use Arg::{Int, OptBool, OptInt, OptText, Text};
    use Expect::{Any, Changed, OneRowInserted};
    let mut out = Vec::with_capacity(16);
    let mut push = |sql: &'static str, args: Vec<Arg<'a>>, expect, miss| {
        out.push(Statement {
            sql,
            args,
            expect,
            miss,
        });
    };
    let now = Int(millis(changes.now));
    if let Some(event) = &changes.gateway_event_id {
        push(
            INSERT_GATEWAY_EVENT,
            vec![Text(event), now],
            Changed(1),
            Miss::DuplicateGatewayEvent,
        );
    }
    let demand = &documents.demand;
    if let Some(request) = &changes.reserve {
        let (id, location) = (Text(&request.id), Text(&request.location));
        let kind = Text(movement_name(MovementKind::Reservation));
        // SKUs come in ascending order: the fixed lock order.
        for (sku, quantity) in demand {
            push(
                RESERVE_UNITS,
                vec![Text(sku), location, Int(*quantity)],
                Changed(1),
                Miss::ShortOfStock {
                    sku,
                    location: &request.location,
                    requested: *quantity,
                },
            );
            push(
                INSERT_MOVEMENT,
                vec![Text(sku), location, kind, Int(*quantity), now, id],
                OneRowInserted,
                Miss::Never,
            );
        }
        push(
            INSERT_RESERVATION,
            vec![
                id,
                now,
                Int(millis(request.expires_at)),
                OptText(request.reference.as_deref()),
            ],
            OneRowInserted,
            Miss::Conflict {
                entity: "reservation",
                id: &request.id,
            },
        );
        for (sku, quantity) in demand {
            push(
                INSERT_RESERVATION_LINE,
                vec![id, Text(sku), location, Int(*quantity)],
                OneRowInserted,
                Miss::Never,
            );
        }
    }
    // The statements that move a reservation's lines (sold or given back) and write their
    // ledger entries.
    let settle = |id: &'a str, update: &'static str, kind: MovementKind| {
        let mut settle = Vec::with_capacity(3);
        if let Some(lock) = sql.lock_reserved_stock {
            settle.push((lock, vec![Text(id)]));
        }
        settle.push((update, vec![Text(id)]));
        settle.push((
            RESERVED_MOVEMENTS,
            vec![Text(id), Text(movement_name(kind)), now],
        ));
        settle
    };
    if let Some(id) = &changes.commit_reservation {
        push(
            COMMIT_RESERVATION,
            vec![Text(id), now],
            Changed(1),
            Miss::HoldNotLive(id),
        );
        for (sql, args) in settle(id, SELL_RESERVED, MovementKind::Sale) {
            push(sql, args, Any, Miss::Never);
        }
    }
    if let Some(id) = &changes.release_reservation {
        let lines = settle(id, RETURN_RESERVED, MovementKind::Release);
        push(
            CLOSE_RESERVATION,
            vec![Text(id), Text("released")],
            Changed(1),
            Miss::ReleaseOfInactive {
                id,
                skip: lines.len(),
            },
        );
        for (sql, args) in lines {
            push(sql, args, Any, Miss::Never);
        }
    }
    for (sku, location, quantity) in &changes.restock {
        let (sku, location, quantity) = (Text(sku), Text(location), Int(*quantity));
        push(ENSURE_STOCK, vec![sku, location], Any, Miss::Never);
        push(
            RESTOCK_UNITS,
            vec![sku, location, quantity],
            Changed(1),
            Miss::Never,
        );
        let kind = Text(movement_name(MovementKind::Return));
        push(
            INSERT_MOVEMENT,
            vec![sku, location, kind, quantity, now, OptText(None)],
            OneRowInserted,
            Miss::Never,
        );
    }
    if let Some(adjustment) = &changes.adjustment {
        if !changes.restock.is_empty() {
            return Err(Error::invalid(
                "a unit of work adjusts stock or restocks it, not both",
            ));
        }
        let (sku, location) = (Text(&adjustment.sku), Text(&adjustment.location));
        push(ENSURE_STOCK, vec![sku, location], Any, Miss::Never);
        push(
            ADJUST_STOCK,
            vec![
                sku,
                location,
                Int(adjustment.delta),
                OptBool(adjustment.allow_backorder),
            ],
            Changed(1),
            Miss::AdjustmentRefused {
                sku: &adjustment.sku,
                location: &adjustment.location,
                delta: adjustment.delta,
            },
        );
        if adjustment.delta != 0 {
            let kind = Text(movement_name(MovementKind::Adjustment));
            push(
                INSERT_MOVEMENT,
                vec![
                    sku,
                    location,
                    kind,
                    Int(adjustment.delta),
                    now,
                    OptText(None),
                ],
                OneRowInserted,
                Miss::Never,
            );
        }
    }
    // A use counts on each limited counter: its row made to exist, then the guarded update.
    for (promotion_use, scopes) in changes.promotion_uses.iter().zip(&documents.uses) {
        let id = Text(&promotion_use.promotion_id);
        for (scope, limit) in scopes {
            push(ENSURE_USE_COUNTER, vec![id, Text(scope)], Any, Miss::Never);
            push(
                TAKE_USE,
                vec![
                    id,
                    Text(scope),
                    Int(i64::try_from(*limit).unwrap_or(i64::MAX)),
                ],
                Changed(1),
                Miss::PromotionUsedUp(&promotion_use.promotion_id),
            );
        }
    }
    for (promotion_use, scopes) in changes.promotion_returns.iter().zip(&documents.returns) {
        for (scope, _) in scopes {
            push(
                RETURN_USE,
                vec![Text(&promotion_use.promotion_id), Text(scope)],
                Any,
                Miss::Never,
            );
        }
    }
    for (order, body) in changes.orders.iter().zip(&documents.orders) {
        let o = &order.value;
        let conflict = Miss::Conflict {
            entity: "order",
            id: &o.id,
        };
        let (status, paid, fulfilled) = (
            Text(o.status.as_str()),
            Text(o.payment_status.as_str()),
            Text(o.fulfillment_status.as_str()),
        );
        let new_version = Int(version(o.version)?);
        match order.expected_version {
            None => push(
                INSERT_ORDER,
                vec![
                    Text(&o.id),
                    OptText(o.cart_id.as_deref()),
                    OptText(o.customer_id.as_deref()),
                    Text(o.currency.code()),
                    Int(o.grand_total().to_minor()?),
                    status,
                    paid,
                    fulfilled,
                    new_version,
                    Int(millis(o.created_at)),
                    Text(body),
                ],
                OneRowInserted,
                conflict,
            ),
            Some(expected) => push(
                UPDATE_ORDER,
                vec![
                    Text(&o.id),
                    status,
                    paid,
                    fulfilled,
                    new_version,
                    Text(body),
                    Int(version(expected)?),
                ],
                Changed(1),
                conflict,
            ),
        }
    }
    for (intent, body) in changes.intents.iter().zip(&documents.intents) {
        let i = &intent.value;
        if !i.amounts_are_consistent() {
            return Err(Error::storage(format!(
                "payment intent `{}` breaks its amount invariants",
                i.id
            )));
        }
        let conflict = Miss::Conflict {
            entity: "payment_intent",
            id: &i.id,
        };
        let (capturable, received, refunded) = (
            Int(i.amount_capturable.to_minor()?),
            Int(i.amount_received.to_minor()?),
            Int(i.amount_refunded.to_minor()?),
        );
        let (status, new_version) = (Text(i.status.as_str()), Int(version(i.version)?));
        let moves_due = OptInt(i.next_move_due().map(millis));
        match intent.expected_version {
            None => push(
                INSERT_INTENT,
                vec![
                    Text(&i.id),
                    Text(&i.order_id),
                    Text(i.amount.currency().code()),
                    Int(i.amount.to_minor()?),
                    capturable,
                    received,
                    refunded,
                    status,
                    new_version,
                    Text(body),
                    moves_due,
                ],
                OneRowInserted,
                conflict,
            ),
            Some(expected) => push(
                UPDATE_INTENT,
                vec![
                    Text(&i.id),
                    capturable,
                    received,
                    refunded,
                    status,
                    new_version,
                    Text(body),
                    Int(version(expected)?),
                    moves_due,
                ],
                Changed(1),
                conflict,
            ),
        }
    }
    for (event, data) in changes.events.iter().zip(&documents.events) {
        push(
            INSERT_EVENT,
            vec![
                Text(&event.id),
                Text(event.kind.as_str()),
                Text(&event.aggregate_id),
                Int(millis(event.occurred_at)),
                Text(data),
            ],
            Any,
            Miss::Never,
        );
    }
    if let Some(request) = &changes.reserve {
        for (sku, _) in demand {
            push(
                sql.stock_low_event,
                vec![Text(sku), Text(&request.location), Text(&request.id), now],
                Any,
                Miss::Never,
            );
        }
    }
    if let Some(done) = &changes.idempotency {
        push(
            COMPLETE_IDEMPOTENCY,
            vec![
                Text(&done.scope),
                Text(&done.key),
                Text(&done.response),
                now,
            ],
            Any,
            Miss::Never,
        );
    }
    Ok(out)
}

macro_rules! impl_unit {
    ($store:ty, $dialect:ident) => {
        /// Writes the unit of work into a batch; `None` where it cannot be (the careful path
        /// then reports why).
        fn push_unit(batch: &mut $crate::batch::Batch, changes: &Changes) -> Option<()> {
            let documents = $crate::unit::Documents::of(changes).ok()?;
            let statements =
                $crate::unit::statements(changes, &documents, &$dialect::UNIT_SQL).ok()?;
            for statement in &statements {
                batch.push(statement.sql, &statement.args, statement.expect)?;
            }
            Some(())
        }

        /// Runs one statement of a unit in the transaction: how many rows it changed. A
        /// unique violation of an insert whose miss is a conflict changed none.
        async fn run_statement(
            tx: &mut Tx<'_>,
            statement: &$crate::unit::Statement<'_>,
        ) -> std::result::Result<u64, Failure> {
            use $crate::batch::Arg;
            if $crate::unit::placeholders(statement.sql) != statement.args.len() {
                return Err(Failure::Error(Error::storage(format!(
                    "a statement takes {} values and was given {}: {}",
                    $crate::unit::placeholders(statement.sql),
                    statement.args.len(),
                    statement.sql
                ))));
            }
            let mut query = sqlx::query(statement.sql);
            for arg in &statement.args {
                query = match *arg {
                    Arg::Int(value) => query.bind(value),
                    Arg::Text(value) => query.bind(value),
                    Arg::OptText(value) => query.bind(value),
                    Arg::OptBool(value) => query.bind(value),
                    Arg::OptInt(value) => query.bind(value),
                };
            }
            match query.execute(&mut **tx).await {
                Ok(done) => Ok(done.rows_affected()),
                Err(err)
                    if $dialect::is_unique_violation(&err)
                        && matches!(statement.miss, $crate::unit::Miss::Conflict { .. }) =>
                {
                    Ok(0)
                }
                Err(err) => Err($dialect::failure(err)),
            }
        }

        /// `insufficient_stock` for `requested` units of a SKU, with what is available now.
        async fn short_of(tx: &mut Tx<'_>, sku: &str, location: &str, requested: i64) -> Failure {
            match available(tx, sku, location).await {
                Ok(available) => Failure::Error(Error::new(ErrorKind::InsufficientStock {
                    sku: sku.to_string(),
                    requested,
                    available: available.max(0),
                })),
                Err(failure) => failure,
            }
        }

        /// One attempt at a unit of work, statement by statement; `Ok(None)` means a
        /// duplicate gateway event.
        async fn apply_once(
            tx: &mut Tx<'_>,
            changes: &Changes,
        ) -> std::result::Result<Option<()>, Failure> {
            use $crate::batch::Expect;
            use $crate::unit::Miss;
            let documents = $crate::unit::Documents::of(changes)?;
            let statements = $crate::unit::statements(changes, &documents, &$dialect::UNIT_SQL)?;
            let now = changes.now;
            let mut skip = 0;
            for statement in &statements {
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                let changed = run_statement(tx, statement).await?;
                let enough = match statement.expect {
                    Expect::Changed(n) => changed == n,
                    Expect::Any => true,
                    Expect::OneRowInserted => changed == 1,
                };
                if enough {
                    continue;
                }
                match statement.miss {
                    Miss::Never => {
                        return Err(Failure::Error(Error::storage(format!(
                            "a statement changed {changed} rows where it cannot miss: {}",
                            statement.sql
                        ))));
                    }
                    Miss::DuplicateGatewayEvent => return Ok(None),
                    Miss::ShortOfStock {
                        sku,
                        location,
                        requested,
                    } => {
                        // Holds past their expiry on this SKU are released, in this unit, and
                        // the guarded update is tried once more.
                        let expired = sqlx::query(EXPIRED_HOLDING)
                            .bind(millis(now))
                            .bind(sku)
                            .bind(location)
                            .fetch_all(&mut **tx)
                            .await
                            .map_err($dialect::failure)?;
                        let mut released = false;
                        for hold in expired {
                            let id: String = hold.try_get("id").map_err($dialect::failure)?;
                            released |= close(tx, &id, "expired", now).await?;
                        }
                        if released && run_statement(tx, statement).await? == 1 {
                            continue;
                        }
                        return Err(short_of(tx, sku, location, requested).await);
                    }
                    Miss::AdjustmentRefused {
                        sku,
                        location,
                        delta,
                    } => return Err(short_of(tx, sku, location, -delta).await),
                    Miss::HoldNotLive(id) => {
                        return Err(Failure::Error(Error::new(ErrorKind::ReservationExpired {
                            id: id.to_string(),
                        })));
                    }
                    Miss::ReleaseOfInactive { id, skip: settle } => {
                        let exists = sqlx::query(SELECT_RESERVATION)
                            .bind(id)
                            .fetch_optional(&mut **tx)
                            .await
                            .map_err($dialect::failure)?;
                        if exists.is_none() {
                            return Err(Failure::Error(Error::not_found("reservation", id)));
                        }
                        skip = settle;
                    }
                    Miss::Conflict { entity, id } => {
                        return Err(Failure::Error(Error::conflict(entity, id)));
                    }
                    Miss::PromotionUsedUp(id) => {
                        return Err(Failure::Error(Error::new(ErrorKind::PromotionUsedUp {
                            id: id.to_string(),
                        })));
                    }
                }
            }
            Ok(Some(()))
        }
    };
}

pub(crate) use impl_unit;

#[cfg(test)]
mod tests {
    use commerce_core::events::{DomainEvent, EventKind};
    use commerce_core::inventory::{ReservationRequest, StockAdjustment};
    use commerce_core::order::Order;
    use commerce_core::payment::{CaptureMethod, PaymentIntent};
    use commerce_core::pricing::{PricingRequest, quote};
    use commerce_core::store::{IdempotencyCompletion, Versioned};
    use commerce_core::testkit::START;

    use super::*;

    const SQL: UnitSql = UnitSql {
        lock_reserved_stock: Some("SELECT 1 WHERE $1 = $1"),
        stock_low_event: "INSERT INTO x VALUES ($1, $2, $3, $4)",
    };

    #[test]
    fn placeholders_count_the_highest_number_not_json_paths() {
        assert_eq!(placeholders("SELECT $1, $12, '$.a', $3"), 12);
        assert_eq!(placeholders("SELECT 1"), 0);
    }

    /// Every statement of a unit that touches every part gets exactly the values its SQL
    /// numbers: a value forgotten at a call site fails here, not as a NULL in one path only.
    #[test]
    fn every_statement_has_a_value_for_each_placeholder() {
        let request = PricingRequest::from_json(
            r#"{"currency":"USD","now":"2026-01-01T00:00:00Z",
                "lines":[{"id":"l1","sku":"A","quantity":1,"unit_price":"10.00"}]}"#,
        )
        .unwrap();
        let quote = quote(&request).unwrap().into_owned();
        let order =
            Order::from_quote("ord_1".into(), Some("cart_1".into()), None, quote, START).unwrap();
        let intent = PaymentIntent::new(
            "pi_1".into(),
            "ord_1".into(),
            order.grand_total(),
            CaptureMethod::Automatic,
            START,
        );
        let versioned = |expected| Versioned {
            value: order.clone(),
            expected_version: expected,
        };
        let limited = commerce_core::usage::PromotionUse {
            promotion_id: "ten".into(),
            customer_id: Some("cus_1".into()),
            total: Some(50),
            per_customer: Some(1),
        };
        let changes = Changes {
            now: START,
            gateway_event_id: Some("evt_1".into()),
            reserve: Some(ReservationRequest {
                id: "res_1".into(),
                items: vec![("A".into(), 2), ("B".into(), 1)],
                location: "default".into(),
                expires_at: START.plus_millis(1000),
                reference: Some("ord_1".into()),
            }),
            commit_reservation: Some("res_0".into()),
            release_reservation: Some("res_2".into()),
            adjustment: Some(StockAdjustment {
                sku: "A".into(),
                location: "default".into(),
                delta: 3,
                allow_backorder: Some(true),
            }),
            orders: vec![versioned(None), versioned(Some(1))],
            intents: vec![
                Versioned {
                    value: intent.clone(),
                    expected_version: None,
                },
                Versioned {
                    value: intent,
                    expected_version: Some(1),
                },
            ],
            events: vec![DomainEvent::new(
                EventKind::OrderPlaced,
                "ord_1",
                1,
                START,
                serde_json::json!({}),
            )],
            idempotency: Some(IdempotencyCompletion {
                scope: "s".into(),
                key: "k".into(),
                response: "r".into(),
            }),
            promotion_uses: vec![limited.clone()],
            promotion_returns: vec![limited],
            ..Changes::default()
        };
        let documents = Documents::of(&changes).unwrap();
        let written = statements(&changes, &documents, &SQL).unwrap();
        assert!(written.len() > 20, "{}", written.len());
        for statement in &written {
            assert_eq!(
                placeholders(statement.sql),
                statement.args.len(),
                "{}",
                statement.sql
            );
        }
        let restocking = Changes {
            restock: vec![("A".into(), "default".into(), 1)],
            ..changes.clone()
        };
        let documents = Documents::of(&restocking).unwrap();
        assert!(statements(&restocking, &documents, &SQL).is_err());
    }
}
