//! The unit of work on SQL, two ways: as one batch (`push_unit`, the common path, see `batch.rs`)
//! and statement by statement (`apply_once`, the careful path, which decides every refusal).
//!
//! Stamped for each backend by `impl_store!` (`stamp.rs`), inside the block that imports the
//! names it uses; SQL both databases accept as is.

macro_rules! impl_unit {
    ($store:ty, $dialect:ident) => {
        /// Writes the unit of work into a batch (see `batch.rs`); `None` where a value
        /// cannot be written (the careful path then reports why).
        fn push_unit(batch: &mut $crate::batch::Batch, changes: &Changes) -> Option<()> {
            use $crate::batch::Arg::{Int, OptBool, OptText, Text};
            use $crate::batch::Expect::{Any, Changed, OneRowInserted};
            let now = Int(millis(changes.now));
            if let Some(event) = &changes.gateway_event_id {
                batch.push(INSERT_GATEWAY_EVENT, &[Text(event), now], Changed(1));
            }
            let demand = match &changes.reserve {
                Some(request) => {
                    request.validate().ok()?;
                    request.demand()
                }
                None => Default::default(),
            };
            if let Some(request) = &changes.reserve {
                let (id, location) = (Text(&request.id), Text(&request.location));
                let kind = Text(movement_name(MovementKind::Reservation));
                for (sku, quantity) in &demand {
                    let (sku, quantity) = (Text(sku), Int(*quantity));
                    batch.push(RESERVE_UNITS, &[sku, location, quantity], Changed(1));
                    batch.push(
                        INSERT_MOVEMENT,
                        &[sku, location, kind, quantity, now, id],
                        OneRowInserted,
                    );
                }
                let expires = Int(millis(request.expires_at));
                let reference = OptText(request.reference.as_deref());
                batch.push(
                    INSERT_RESERVATION,
                    &[id, now, expires, reference],
                    OneRowInserted,
                );
                for (sku, quantity) in &demand {
                    let line = [id, Text(sku), location, Int(*quantity)];
                    batch.push(INSERT_RESERVATION_LINE, &line, OneRowInserted);
                }
            }
            let settle = |batch: &mut $crate::batch::Batch, id: &str, update, kind| {
                if let Some(lock) = $dialect::LOCK_RESERVED_STOCK {
                    batch.push(lock, &[Text(id)], Any);
                }
                batch.push(update, &[Text(id)], Any);
                batch.push(
                    RESERVED_MOVEMENTS,
                    &[Text(id), Text(movement_name(kind)), now],
                    Any,
                );
            };
            if let Some(id) = &changes.commit_reservation {
                batch.push(COMMIT_RESERVATION, &[Text(id), now], Changed(1));
                settle(batch, id, SELL_RESERVED, MovementKind::Sale);
            }
            if let Some(id) = &changes.release_reservation {
                batch.push(CLOSE_RESERVATION, &[Text(id), Text("released")], Changed(1));
                settle(batch, id, RETURN_RESERVED, MovementKind::Release);
            }
            for (sku, location, quantity) in &changes.restock {
                let (sku, location, quantity) = (Text(sku), Text(location), Int(*quantity));
                batch.push(ENSURE_STOCK, &[sku, location], Any);
                batch.push(RESTOCK_UNITS, &[sku, location, quantity], Changed(1));
                let kind = Text(movement_name(MovementKind::Return));
                let entry = [sku, location, kind, quantity, now, OptText(None)];
                batch.push(INSERT_MOVEMENT, &entry, OneRowInserted);
            }
            if let Some(adjustment) = &changes.adjustment {
                if !changes.restock.is_empty() {
                    return None;
                }
                let (sku, location) = (Text(&adjustment.sku), Text(&adjustment.location));
                batch.push(ENSURE_STOCK, &[sku, location], Any);
                let change = [
                    sku,
                    location,
                    Int(adjustment.delta),
                    OptBool(adjustment.allow_backorder),
                ];
                batch.push(ADJUST_STOCK, &change, Changed(1));
                if adjustment.delta != 0 {
                    let kind = Text(movement_name(MovementKind::Adjustment));
                    let entry = [
                        sku,
                        location,
                        kind,
                        Int(adjustment.delta),
                        now,
                        OptText(None),
                    ];
                    batch.push(INSERT_MOVEMENT, &entry, OneRowInserted);
                }
            }
            let bodies: Vec<String> = changes
                .orders
                .iter()
                .map(|o| to_json(&o.value))
                .chain(changes.intents.iter().map(|i| to_json(&i.value)))
                .collect::<Result<_>>()
                .ok()?;
            let (order_bodies, intent_bodies) = bodies.split_at(changes.orders.len());
            for (order, body) in changes.orders.iter().zip(order_bodies) {
                let o = &order.value;
                let (status, paid, fulfilled) = (
                    Text(o.status.as_str()),
                    Text(o.payment_status.as_str()),
                    Text(o.fulfillment_status.as_str()),
                );
                let new_version = Int(version(o.version).ok()?);
                match order.expected_version {
                    None => batch.push(
                        INSERT_ORDER,
                        &[
                            Text(&o.id),
                            OptText(o.cart_id.as_deref()),
                            OptText(o.customer_id.as_deref()),
                            Text(o.currency.code()),
                            Int(o.grand_total().to_minor().ok()?),
                            status,
                            paid,
                            fulfilled,
                            new_version,
                            Int(millis(o.created_at)),
                            Text(body),
                        ],
                        OneRowInserted,
                    ),
                    Some(expected) => batch.push(
                        UPDATE_ORDER,
                        &[
                            Text(&o.id),
                            status,
                            paid,
                            fulfilled,
                            new_version,
                            Text(body),
                            Int(version(expected).ok()?),
                        ],
                        Changed(1),
                    ),
                }
            }
            for (intent, body) in changes.intents.iter().zip(intent_bodies) {
                let i = &intent.value;
                if !i.amounts_are_consistent() {
                    return None;
                }
                let amounts = [
                    Int(i.amount_capturable.to_minor().ok()?),
                    Int(i.amount_received.to_minor().ok()?),
                    Int(i.amount_refunded.to_minor().ok()?),
                ];
                let (status, new_version) =
                    (Text(i.status.as_str()), Int(version(i.version).ok()?));
                match intent.expected_version {
                    None => batch.push(
                        INSERT_INTENT,
                        &[
                            Text(&i.id),
                            Text(&i.order_id),
                            Text(i.amount.currency().code()),
                            Int(i.amount.to_minor().ok()?),
                            amounts[0],
                            amounts[1],
                            amounts[2],
                            status,
                            new_version,
                            Text(body),
                        ],
                        OneRowInserted,
                    ),
                    Some(expected) => batch.push(
                        UPDATE_INTENT,
                        &[
                            Text(&i.id),
                            amounts[0],
                            amounts[1],
                            amounts[2],
                            status,
                            new_version,
                            Text(body),
                            Int(version(expected).ok()?),
                        ],
                        Changed(1),
                    ),
                }
            }
            for event in &changes.events {
                let data = to_json(&event.data).ok()?;
                batch.push(
                    INSERT_EVENT,
                    &[
                        Text(&event.id),
                        Text(event.kind.as_str()),
                        Text(&event.aggregate_id),
                        Int(millis(event.occurred_at)),
                        Text(&data),
                    ],
                    Any,
                );
            }
            if let Some(request) = &changes.reserve {
                for (sku, _) in &demand {
                    let low = [Text(sku), Text(&request.location), Text(&request.id), now];
                    batch.push($dialect::STOCK_LOW_EVENT, &low, Any);
                }
            }
            if let Some(done) = &changes.idempotency {
                let completion = [
                    Text(&done.scope),
                    Text(&done.key),
                    Text(&done.response),
                    now,
                ];
                batch.push(COMPLETE_IDEMPOTENCY, &completion, Any);
            }
            Some(())
        }

        /// One attempt at a unit of work; `Ok(None)` means a duplicate gateway event.
        async fn apply_once(
            tx: &mut Tx<'_>,
            changes: &Changes,
        ) -> std::result::Result<Option<()>, Failure> {
            let now = changes.now;
            if let Some(event) = &changes.gateway_event_id {
                let recorded = sqlx::query(INSERT_GATEWAY_EVENT)
                    .bind(event)
                    .bind(millis(now))
                    .execute(&mut **tx)
                    .await
                    .map_err($dialect::failure)?
                    .rows_affected();
                if recorded == 0 {
                    return Ok(None);
                }
            }
            let mut events = Vec::new();
            if let Some(request) = &changes.reserve {
                events = reserve(tx, request, now).await?;
            }
            if let Some(id) = &changes.commit_reservation {
                let committed = sqlx::query(COMMIT_RESERVATION)
                    .bind(id)
                    .bind(millis(now))
                    .execute(&mut **tx)
                    .await
                    .map_err($dialect::failure)?
                    .rows_affected();
                if committed == 0 {
                    return Err(Failure::Error(Error::new(ErrorKind::ReservationExpired {
                        id: id.clone(),
                    })));
                }
                settle_lines(tx, id, SELL_RESERVED, MovementKind::Sale, now).await?;
            }
            if let Some(id) = &changes.release_reservation {
                if !close(tx, id, "released", now).await? {
                    let exists = sqlx::query(SELECT_RESERVATION)
                        .bind(id)
                        .fetch_optional(&mut **tx)
                        .await
                        .map_err($dialect::failure)?;
                    if exists.is_none() {
                        return Err(Failure::Error(Error::not_found("reservation", id.clone())));
                    }
                }
            }
            for (sku, location, quantity) in &changes.restock {
                sqlx::query(ENSURE_STOCK)
                    .bind(sku)
                    .bind(location)
                    .execute(&mut **tx)
                    .await
                    .map_err($dialect::failure)?;
                sqlx::query(RESTOCK_UNITS)
                    .bind(sku)
                    .bind(location)
                    .bind(quantity)
                    .execute(&mut **tx)
                    .await
                    .map_err($dialect::failure)?;
                movement(
                    tx,
                    sku,
                    location,
                    MovementKind::Return,
                    *quantity,
                    now,
                    None,
                )
                .await?;
            }
            if let Some(adjustment) = &changes.adjustment {
                if !changes.restock.is_empty() {
                    return Err(Failure::Error(Error::invalid(
                        "a unit of work adjusts stock or restocks it, not both",
                    )));
                }
                adjust(tx, adjustment, now).await?;
            }
            for order in &changes.orders {
                write_order(tx, &order.value, order.expected_version).await?;
            }
            for intent in &changes.intents {
                write_intent(tx, &intent.value, intent.expected_version).await?;
            }
            for event in changes.events.iter().chain(&events) {
                sqlx::query(INSERT_EVENT)
                    .bind(&event.id)
                    .bind(event.kind.as_str())
                    .bind(&event.aggregate_id)
                    .bind(millis(event.occurred_at))
                    .bind(to_json(&event.data)?)
                    .execute(&mut **tx)
                    .await
                    .map_err($dialect::failure)?;
            }
            if let Some(done) = &changes.idempotency {
                sqlx::query(COMPLETE_IDEMPOTENCY)
                    .bind(&done.scope)
                    .bind(&done.key)
                    .bind(&done.response)
                    .bind(millis(now))
                    .execute(&mut **tx)
                    .await
                    .map_err($dialect::failure)?;
            }
            Ok(Some(()))
        }
    };
}

pub(crate) use impl_unit;
