//! The worker's schedule: the core decides what each pass does
//! ([`Commerce::run_pending_jobs`]); this only runs passes, at once again while there is work,
//! else every [`IDLE_PAUSE`].

use std::future::Future;
use std::time::Duration;

use commerce_core::Commerce;
use commerce_core::worker::Destinations;

/// How long a worker that found nothing to do waits before it looks again: 1 second.
pub const IDLE_PAUSE: Duration = Duration::from_secs(1);

/// A name for this worker process, unique among the workers on one database: the host, the
/// process id and the time it started.
pub fn worker_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "worker".to_string());
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    format!("{host}-{}-{started}", std::process::id())
}

/// Runs the worker's passes until `stop` completes: after a pass that found work the next
/// starts at once; after one that found none, or failed (the database away), it waits
/// [`IDLE_PAUSE`]. A pass in progress is finished before it stops, so that nothing is left
/// half-sent (a stop mid-send would only mean a retry after the delivery's lease).
pub async fn run_worker(
    commerce: Commerce,
    destinations: Destinations,
    name: String,
    stop: impl Future<Output = ()>,
) {
    tokio::pin!(stop);
    tracing::info!(worker = %name, destinations = ?destinations.names(), "worker started");
    loop {
        let pause = match commerce.run_pending_jobs(&destinations, &name).await {
            Ok(report) => {
                let d = report.deliveries;
                if d.failed + d.dead + d.disabled_endpoints > 0 || report.unanswered_moves > 0 {
                    tracing::warn!(
                        failed = d.failed,
                        dead = d.dead,
                        disabled_endpoints = d.disabled_endpoints,
                        unanswered_moves = report.unanswered_moves,
                        "some deliveries or money moves did not go through; they are retried"
                    );
                }
                if report.found_work() {
                    tracing::debug!(?report, "worker pass");
                    Duration::ZERO
                } else {
                    IDLE_PAUSE
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "the worker's pass failed");
                IDLE_PAUSE
            }
        };
        tokio::select! {
            biased;
            () = &mut stop => break,
            () = tokio::time::sleep(pause) => {}
        }
    }
    tracing::info!(worker = %name, "worker stopped");
}
