//! SQLite connections the store holds itself.
//!
//! sqlx's pool checks a connection each time it comes back: a task is spawned, and the
//! connection is pinged before the next waiter may have it. A SQLite connection is a thread in
//! this process, so that ping is a round trip to the thread, as dear as a statement, after
//! every statement; and SQLite has one writer, so the writing connection spent more time being
//! returned than writing. A file store therefore holds its connections here. A lease hands one
//! out and takes it back when dropped, at once, with no check; waiters queue in order (a fair
//! semaphore).
//!
//! No check is needed: a SQLite connection's thread runs commands in the order they were sent,
//! so whatever a cancelled caller left behind (a statement stopped half-way, which is reset; a
//! dropped transaction, whose `ROLLBACK` sqlx queues as it drops) is finished before the next
//! holder's first command. The units of work of `batch.rs`, whose `BEGIN` sqlx does not see,
//! run on tasks of their own that always end them.
//!
//! An in-memory database is one connection (each connection would be a database of its own),
//! and stays in the sqlx pool that [`SqliteStore::pool`](crate::SqliteStore::pool) shares.

use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, PoisonError};

use sqlx::pool::PoolConnection;
use sqlx::{Sqlite, SqliteConnection, SqlitePool};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Where a store's SQLite connections come from.
#[derive(Clone)]
pub(crate) enum Connections {
    /// Connections held here, handed out without checks.
    Held(Arc<Held>),
    /// sqlx's pool (an in-memory database).
    Pool(SqlitePool),
}

/// The connections held, and one permit for each idle one.
pub(crate) struct Held {
    idle: Mutex<Vec<SqliteConnection>>,
    permits: Arc<Semaphore>,
}

impl std::fmt::Debug for Connections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Connections::Held(held) => f
                .debug_struct("Held")
                .field("idle", &held.permits.available_permits())
                .finish(),
            Connections::Pool(pool) => f.debug_tuple("Pool").field(pool).finish(),
        }
    }
}

/// A connection, the holder's until dropped.
pub(crate) enum Lease {
    /// From [`Connections::Held`].
    Held {
        connection: Option<SqliteConnection>,
        from: Arc<Held>,
        _permit: OwnedSemaphorePermit,
    },
    /// From [`Connections::Pool`].
    Pool(PoolConnection<Sqlite>),
}

impl Connections {
    /// Holds these connections.
    pub(crate) fn hold(connections: Vec<SqliteConnection>) -> Connections {
        Connections::Held(Arc::new(Held {
            permits: Arc::new(Semaphore::new(connections.len())),
            idle: Mutex::new(connections),
        }))
    }

    /// A connection, waiting in turn for one to be free.
    ///
    /// # Errors
    ///
    /// `PoolClosed` once [`Connections::close`] has run; the pool's errors.
    pub(crate) async fn acquire(&self) -> Result<Lease, sqlx::Error> {
        match self {
            Connections::Pool(pool) => pool.acquire().await.map(Lease::Pool),
            Connections::Held(held) => {
                let permit = held
                    .permits
                    .clone()
                    .acquire_owned()
                    .await
                    .map_err(|_| sqlx::Error::PoolClosed)?;
                // A permit stands for an idle connection, so there is one.
                let connection = held
                    .idle
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .pop()
                    .ok_or(sqlx::Error::PoolClosed)?;
                Ok(Lease::Held {
                    connection: Some(connection),
                    from: held.clone(),
                    _permit: permit,
                })
            }
        }
    }

    /// Closes the idle connections and refuses new leases; a leased connection closes when its
    /// lease is dropped.
    pub(crate) async fn close(&self) {
        match self {
            Connections::Pool(pool) => pool.close().await,
            Connections::Held(held) => {
                held.permits.close();
                let idle =
                    std::mem::take(&mut *held.idle.lock().unwrap_or_else(PoisonError::into_inner));
                for connection in idle {
                    let _ = sqlx::Connection::close(connection).await;
                }
            }
        }
    }
}

impl Deref for Lease {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        match self {
            Lease::Held { connection, .. } => connection.as_ref().expect("held until dropped"),
            Lease::Pool(connection) => connection,
        }
    }
}

impl DerefMut for Lease {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        match self {
            Lease::Held { connection, .. } => connection.as_mut().expect("held until dropped"),
            Lease::Pool(connection) => connection,
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        // Back to the idle list before the permit (a field, dropped after this) lets the next
        // waiter in. After `close`, the connection is dropped instead, which closes it.
        if let Lease::Held {
            connection, from, ..
        } = self
            && let Some(connection) = connection.take()
            && !from.permits.is_closed()
        {
            from.idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(connection);
        }
    }
}
