//! Group commit: units of work waiting for SQLite's one writer run together.
//!
//! SQLite writes one transaction at a time, through the store's one writing connection. Each use
//! of it is a hand-off to the connection's thread and back, and under load the connection spent
//! about half its time waiting for those hand-offs rather than writing. So a unit of work joins
//! a queue, and whoever next holds the writer takes every unit queued (up to a bound) and runs
//! them in one transaction: one `BEGIN IMMEDIATE`, each unit's statements, one `COMMIT`. The
//! units are separate transactions in meaning (each is all-or-nothing, each sees the ones before
//! it, as they would one after another), and are answered only once the whole group is
//! committed. Units that wait together are concurrent (each caller waits for its own answer
//! before it sends another), so any order of them is one in which they could have run.
//!
//! A group is sent in a few batches, not one: its units sorted by shape (the same statements,
//! with other values), and each shape in runs of 32, 16, 8, 4, 2 or 1 units. A run's text then
//! repeats from group to group, so that SQLite's prepared statements are kept and reused;
//! parsing a fresh text for every group had cost the writer as much as running it. The first
//! batch opens the transaction and the last commits it.
//!
//! A group that fails (a unit's check, any error) is rolled back whole, and its units then run
//! one by one as single batches, each answered for itself: the units that would commit commit,
//! and the one that failed goes on to the careful path, which decides its refusal. A unit alone
//! in the queue runs as a single batch at once.
//!
//! The leader runs on a task of its own, so that a caller that gives up half-way never leaves
//! the connection inside an open transaction, nor the units it took unanswered.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use commerce_core::Error;
use sqlx::Executor as _;
use tokio::sync::oneshot;

use crate::batch::{Batch, Bound, Ran, Unit};
use crate::held::Connections;
use crate::sqlite::dialect::BATCH;

/// At most this many units in one group, so that a long queue is answered in steps; a power of
/// two (the longest run).
const MOST_UNITS: usize = 32;
/// At most this many bound values in one group, well below SQLite's limit of 32,766.
const MOST_VALUES: usize = 16_000;

/// The units waiting for the writer.
#[derive(Default)]
pub(crate) struct Queue {
    waiting: Mutex<Line>,
    /// Units committed in a group of two or more.
    pub(crate) grouped: AtomicU64,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue").finish_non_exhaustive()
    }
}

/// The queue itself, behind one lock, so that a unit joins it and a leader empties it atomically.
#[derive(Default)]
struct Line {
    units: Vec<Waiting>,
    /// A leader is on its way to the writer and will take whatever is here when it gets it.
    led: bool,
}

struct Waiting {
    unit: Unit,
    answer: oneshot::Sender<Result<Ran, Error>>,
}

/// Runs `unit` on the writer, with whatever else is queued for it.
///
/// # Errors
///
/// `backend_error` if the writer cannot be had or a rollback fails.
pub(crate) async fn run(
    queue: &Arc<Queue>,
    writer: &Connections,
    unit: Unit,
) -> Result<Ran, Error> {
    let (answer, answered) = oneshot::channel();
    let lead_it = {
        let mut line = queue.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        line.units.push(Waiting { unit, answer });
        // One leader at a time waits for the writer; a unit that finds one on its way is taken
        // by it.
        !std::mem::replace(&mut line.led, true)
    };
    if lead_it {
        let leading = Leading {
            queue: queue.clone(),
            on_its_way: true,
        };
        let writer = writer.clone();
        tokio::spawn(async move { lead(leading, &writer).await });
    }
    answered
        .await
        .map_err(|_| Error::storage("a unit of work stopped unanswered"))?
}

/// Waits for the writer, then runs everything queued. Units that join after it has taken the
/// queue find no leader on its way and send the next.
async fn lead(mut leading: Leading, writer: &Connections) {
    let queue = leading.queue.clone();
    let mut connection = writer.acquire().await;
    let waiting = {
        let mut line = queue.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        line.led = false;
        leading.on_its_way = false;
        std::mem::take(&mut line.units)
    };
    let connection = match &mut connection {
        Ok(connection) => connection,
        Err(error) => {
            for unit in waiting {
                let _ = unit
                    .answer
                    .send(Err(Error::storage(format!("cannot write: {error}"))));
            }
            return;
        }
    };
    let mut waiting = waiting.into_iter().peekable();
    while waiting.peek().is_some() {
        let mut shapes: Vec<Shape> = Vec::new();
        let (mut units, mut values) = (0, 0);
        while units < MOST_UNITS && values < MOST_VALUES {
            let Some(next) = waiting.next() else { break };
            let mut statements = Batch::within(&BATCH);
            if (next.unit)(&mut statements).is_none() {
                let _ = next.answer.send(Ok(Ran::NotBatched));
                continue;
            }
            let (text, bound) = statements.unfinished();
            (units, values) = (units + 1, values + bound.len());
            match shapes.iter_mut().find(|shape| shape.text == text) {
                Some(shape) => shape.units.push(next),
                None => shapes.push(Shape {
                    text,
                    bound,
                    units: vec![next],
                }),
            }
        }
        match units {
            0 => {}
            1 => {
                // One unit: its statements as a whole transaction, in one batch.
                if let Some(shape) = shapes.first_mut() {
                    let text = std::mem::take(&mut shape.text);
                    let bound = std::mem::take(&mut shape.bound);
                    let (sql, bound) = crate::batch::whole(&BATCH, text, bound);
                    let ran = execute(connection, sql, bound).await;
                    answer(shapes, &ran);
                }
            }
            _ => match run_group(connection, &shapes).await {
                Ok(true) => {
                    queue.grouped.fetch_add(units as u64, Ordering::Relaxed);
                    answer(shapes, &Ok(Ran::Done));
                }
                // Rolled back whole: each on its own, answered for itself.
                Ok(false) => {
                    for unit in shapes.into_iter().flat_map(|shape| shape.units) {
                        let ran = alone(connection, &unit.unit).await;
                        let _ = unit.answer.send(ran);
                    }
                }
                Err(error) => answer(shapes, &Err(error)),
            },
        }
    }
}

/// Answers every unit of a group alike.
fn answer(shapes: Vec<Shape>, ran: &Result<Ran, Error>) {
    for unit in shapes.into_iter().flat_map(|shape| shape.units) {
        let _ = unit.answer.send(ran.clone());
    }
}

/// Units of one shape: the same statements with other values, so the same text once numbered.
struct Shape {
    /// The first unit's statements.
    text: String,
    /// The first unit's values.
    bound: Vec<Bound>,
    units: Vec<Waiting>,
}

/// Runs a group in one transaction, a batch per run of units of one shape (see the module
/// documentation); `Ok(false)` if it was rolled back.
async fn run_group(
    connection: &mut sqlx::SqliteConnection,
    shapes: &[Shape],
) -> Result<bool, Error> {
    let mut runs = Vec::new();
    for shape in shapes {
        let longest = (MOST_VALUES / shape.bound.len().max(1)).clamp(1, MOST_UNITS);
        let mut rest = &shape.units[..];
        for length in run_lengths(rest.len(), longest) {
            let (run, after) = rest.split_at(length);
            runs.push(run);
            rest = after;
        }
    }
    // Every batch is written before the first is sent, so that a unit that cannot be written
    // again (not to be seen: each was written once already) leaves nothing half done.
    let mut batches = Vec::with_capacity(runs.len());
    for (index, run) in runs.iter().enumerate() {
        let mut batch = if index == 0 {
            Batch::new(&BATCH)
        } else {
            Batch::within(&BATCH)
        };
        if !run.iter().all(|unit| (unit.unit)(&mut batch).is_some()) {
            return Ok(false);
        }
        batches.push(if index + 1 == runs.len() {
            batch.finish()
        } else {
            batch.unfinished()
        });
    }
    for (sql, bound) in batches {
        if execute(connection, sql, bound).await? != Ran::Done {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The lengths of the runs `count` units of one shape go in: powers of two, longest first,
/// none longer than `longest` (which the bound on values sets).
fn run_lengths(mut count: usize, longest: usize) -> Vec<usize> {
    let mut lengths = Vec::new();
    while count > 0 {
        let length = 1 << count.min(longest.max(1)).ilog2();
        lengths.push(length);
        count -= length;
    }
    lengths
}

/// A leader on its way to the writer. Dropped on the way (its runtime shutting down, even before
/// its task first ran), it lifts the queue's mark, so that the next unit to join sends another
/// leader rather than waiting for one that will never come.
struct Leading {
    queue: Arc<Queue>,
    on_its_way: bool,
}

impl Drop for Leading {
    fn drop(&mut self) {
        if self.on_its_way {
            self.queue
                .waiting
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .led = false;
        }
    }
}

/// Runs one unit as a single batch.
async fn alone(connection: &mut sqlx::SqliteConnection, unit: &Unit) -> Result<Ran, Error> {
    let mut batch = Batch::new(&BATCH);
    if unit(&mut batch).is_none() {
        return Ok(Ran::NotBatched);
    }
    let (sql, bound) = batch.finish();
    execute(connection, sql, bound).await
}

/// Sends a batch, keeping its prepared statements for the next batch of the same text; rolls
/// the transaction back if any statement fails.
async fn execute(
    connection: &mut sqlx::SqliteConnection,
    sql: String,
    bound: Vec<Bound>,
) -> Result<Ran, Error> {
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for value in bound {
        query = match value {
            Bound::Int(value) => query.bind(value),
            Bound::Text(value) => query.bind(value),
            Bound::Bool(value) => query.bind(value),
            Bound::Null => query.bind(None::<String>),
        };
    }
    // Several statements in one prepared statement: SQLite's driver runs them in turn.
    if crate::batch::all_succeeded((&mut *connection).execute_many(query)).await {
        return Ok(Ran::Done);
    }
    // The batch stopped: end the transaction it opened or continued.
    rollback(connection).await?;
    Ok(Ran::RolledBack)
}

async fn rollback(connection: &mut sqlx::SqliteConnection) -> Result<(), Error> {
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut *connection)
        .await
        .map(|_| ())
        .map_err(|e| Error::storage(format!("cannot roll back a unit of work: {e}")))
}

#[cfg(test)]
mod tests {
    use super::run_lengths;

    #[test]
    fn runs_are_powers_of_two_longest_first() {
        assert_eq!(run_lengths(0, 32), Vec::<usize>::new());
        assert_eq!(run_lengths(1, 32), [1]);
        assert_eq!(run_lengths(13, 32), [8, 4, 1]);
        assert_eq!(run_lengths(32, 32), [32]);
        assert_eq!(run_lengths(37, 32), [32, 4, 1]);
        // Few values allowed per run: no run longer than that, still a power of two.
        assert_eq!(run_lengths(7, 3), [2, 2, 2, 1]);
        assert_eq!(run_lengths(3, 1), [1, 1, 1]);
        for count in 0..100 {
            let lengths = run_lengths(count, 32);
            assert_eq!(lengths.iter().sum::<usize>(), count);
            assert!(lengths.iter().all(|l| l.is_power_of_two() && *l <= 32));
        }
    }
}
