//! A circuit breaker around the payment gateway, on the injected clock.
//!
//! A gateway that stops answering would otherwise hold every checkout for the length of its
//! timeout, queueing requests (and their database connections) behind it. The breaker counts
//! the gateway's failures and, once they pass a bound, refuses calls at once for a while with
//! [`ErrorKind::GatewayCircuitOpen`] (a `503` with `Retry-After` over HTTP), then lets one call
//! through to probe:
//!
//! | state | a call | becomes |
//! | --- | --- | --- |
//! | closed | goes through | open after [`BreakerPolicy::consecutive_failures`] failures in a row, or more than [`BreakerPolicy::failure_percent`] % failures among the last [`BreakerPolicy::window`] calls |
//! | open | refused, nothing sent | half-open [`BreakerPolicy::open_millis`] after it opened |
//! | half-open | one goes through as a probe, others are refused | closed if the probe succeeds, open again if it fails |
//!
//! A failure is an error the gateway gave no answer for ([`Error::is_gateway_failure`]: it could
//! not be reached, or timed out). A decline is an answer, and counts as a success. A probe that
//! never reports (its caller gave up) is replaced by another once `open_millis` has passed.
//!
//! [`GuardedGateway`] puts a breaker in front of any [`PaymentGateway`].
//!
//! ```
//! use commerce_core::breaker::{Breaker, BreakerPolicy, BreakerState};
//! use commerce_core::Timestamp;
//!
//! let mut breaker = Breaker::new(BreakerPolicy::default());
//! let now = Timestamp::from_unix_millis(0);
//! let failed = true;
//! for _ in 0..5 {
//!     let call = breaker.admit(now).unwrap();
//!     breaker.record(call, failed, now);
//! }
//! assert_eq!(breaker.state(now), BreakerState::Open);
//! assert_eq!(breaker.admit(now).unwrap_err(), 30_000); // retry after 30 s
//! let later = now.plus_millis(30_000);
//! let probe = breaker.admit(later).unwrap();
//! breaker.record(probe, !failed, later);
//! assert_eq!(breaker.state(later), BreakerState::Closed);
//! ```

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde::Serialize;

use crate::clock::Clock;
use crate::error::{Error, ErrorKind, Result};
use crate::gateway::{AuthorizeRequest, PaymentGateway};
use crate::money::Money;
use crate::payment::{GatewayEventKind, GatewayOutcome};
use crate::time::Timestamp;

/// When a breaker opens, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerPolicy {
    /// Failures in a row that open the breaker (default 5).
    pub consecutive_failures: u32,
    /// How many of the latest calls the failure share is taken over (default 20); the share
    /// counts only once that many calls were made.
    pub window: u32,
    /// The share of failures in the window, in percent, above which the breaker opens
    /// (default 50).
    pub failure_percent: u32,
    /// How long an open breaker refuses calls before it lets a probe through (default 30 s).
    pub open_millis: i64,
}

impl Default for BreakerPolicy {
    fn default() -> BreakerPolicy {
        BreakerPolicy {
            consecutive_failures: 5,
            window: 20,
            failure_percent: 50,
            open_millis: 30_000,
        }
    }
}

/// Where a breaker stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// Calls go through.
    Closed,
    /// Calls are refused until the open period ends.
    Open,
    /// One call goes through as a probe; the others are refused.
    HalfOpen,
}

impl BreakerState {
    /// The state's name, as `/metrics` and `/readyz` show it.
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
        }
    }
}

/// A call the breaker let through, to be [recorded](Breaker::record) when it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "record the call's result, or the breaker never learns it"]
pub struct Admitted {
    probe: bool,
}

/// The breaker's state machine (pure; [`GuardedGateway`] keeps one behind a lock).
#[derive(Debug, Clone)]
pub struct Breaker {
    policy: BreakerPolicy,
    /// When the breaker opened, while it is open or half-open.
    opened_at: Option<Timestamp>,
    /// When the probe in flight was let through, if one is.
    probe_since: Option<Timestamp>,
    consecutive: u32,
    /// The latest calls' results, newest last: `true` for a failure.
    recent: VecDeque<bool>,
    times_opened: u64,
    refused: u64,
}

impl Breaker {
    /// A closed breaker.
    pub fn new(policy: BreakerPolicy) -> Breaker {
        Breaker {
            policy,
            opened_at: None,
            probe_since: None,
            consecutive: 0,
            recent: VecDeque::new(),
            times_opened: 0,
            refused: 0,
        }
    }

    /// The state at `now`.
    pub fn state(&self, now: Timestamp) -> BreakerState {
        match self.opened_at {
            None => BreakerState::Closed,
            Some(at) if now < at.plus_millis(self.policy.open_millis) => BreakerState::Open,
            Some(_) => BreakerState::HalfOpen,
        }
    }

    /// Lets a call through, or refuses it with the milliseconds after which to try again.
    ///
    /// # Errors
    ///
    /// The milliseconds to wait, when the breaker is open or its probe is in flight.
    pub fn admit(&mut self, now: Timestamp) -> std::result::Result<Admitted, i64> {
        let open_millis = self.policy.open_millis;
        let refused = match (self.state(now), self.opened_at) {
            (BreakerState::Closed, _) => return Ok(Admitted { probe: false }),
            (BreakerState::Open, Some(at)) => {
                at.plus_millis(open_millis).unix_millis() - now.unix_millis()
            }
            (BreakerState::HalfOpen, _) => match self.probe_since {
                // A probe whose caller never reported is given up after an open period.
                Some(since) if now < since.plus_millis(open_millis) => {
                    since.plus_millis(open_millis).unix_millis() - now.unix_millis()
                }
                _ => {
                    self.probe_since = Some(now);
                    return Ok(Admitted { probe: true });
                }
            },
            (BreakerState::Open, None) => open_millis,
        };
        self.refused += 1;
        Err(refused.max(1))
    }

    /// Records how an admitted call ended: `failed` when the gateway gave no answer.
    pub fn record(&mut self, call: Admitted, failed: bool, now: Timestamp) {
        if call.probe {
            self.probe_since = None;
            if failed {
                self.open(now);
            } else {
                self.close();
            }
            return;
        }
        if self.opened_at.is_some() {
            // A call let through before the breaker opened: it no longer decides anything.
            return;
        }
        self.consecutive = if failed { self.consecutive + 1 } else { 0 };
        self.recent.push_back(failed);
        let window = self.policy.window.max(1) as usize;
        while self.recent.len() > window {
            self.recent.pop_front();
        }
        let failures = self.recent.iter().filter(|failed| **failed).count();
        let share_exceeded = self.recent.len() == window
            && failures * 100 > window * self.policy.failure_percent as usize;
        if self.consecutive >= self.policy.consecutive_failures.max(1) || share_exceeded {
            self.open(now);
        }
    }

    fn open(&mut self, now: Timestamp) {
        self.opened_at = Some(now);
        self.times_opened += 1;
    }

    fn close(&mut self) {
        self.opened_at = None;
        self.consecutive = 0;
        self.recent.clear();
    }

    /// What `/metrics` and `/readyz` show.
    pub fn health(&self, name: &str, now: Timestamp) -> GatewayHealth {
        GatewayHealth {
            gateway: name.to_string(),
            state: self.state(now),
            consecutive_failures: self.consecutive,
            times_opened: self.times_opened,
            calls_refused: self.refused,
        }
    }
}

/// A gateway's breaker, as `/metrics` and `/readyz` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GatewayHealth {
    /// The gateway's name (`test`, `stripe`).
    pub gateway: String,
    /// The breaker's state.
    pub state: BreakerState,
    /// Failures in a row so far.
    pub consecutive_failures: u32,
    /// How many times the breaker opened since the process started.
    pub times_opened: u64,
    /// How many calls it refused since the process started.
    pub calls_refused: u64,
}

/// A gateway behind a [`Breaker`]: calls are refused at once while it is open.
pub struct GuardedGateway {
    name: String,
    inner: Arc<dyn PaymentGateway>,
    clock: Arc<dyn Clock>,
    breaker: Mutex<Breaker>,
}

impl std::fmt::Debug for GuardedGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardedGateway")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Reports a call that never finished (its future was dropped) as a failure.
struct Pending<'a> {
    gateway: &'a GuardedGateway,
    call: Option<Admitted>,
}

impl Pending<'_> {
    fn finish(mut self, failed: bool) {
        if let Some(call) = self.call.take() {
            self.gateway.record(call, failed);
        }
    }
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if let Some(call) = self.call.take() {
            self.gateway.record(call, true);
        }
    }
}

impl GuardedGateway {
    /// `inner` behind a breaker with `policy`, named `name` in health reports.
    pub fn new(
        name: impl Into<String>,
        inner: Arc<dyn PaymentGateway>,
        clock: Arc<dyn Clock>,
        policy: BreakerPolicy,
    ) -> GuardedGateway {
        GuardedGateway {
            name: name.into(),
            inner,
            clock,
            breaker: Mutex::new(Breaker::new(policy)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Breaker> {
        self.breaker.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn admit(&self) -> Result<Pending<'_>> {
        let now = self.clock.now();
        match self.lock().admit(now) {
            Ok(call) => Ok(Pending {
                gateway: self,
                call: Some(call),
            }),
            Err(retry_after_millis) => Err(Error::new(ErrorKind::GatewayCircuitOpen {
                gateway: self.name.clone(),
                retry_after_millis,
            })),
        }
    }

    fn record(&self, call: Admitted, failed: bool) {
        let now = self.clock.now();
        self.lock().record(call, failed, now);
    }

    async fn guarded<T>(&self, call: impl Future<Output = Result<T>>) -> Result<T> {
        let pending = self.admit()?;
        let result = call.await;
        pending.finish(matches!(&result, Err(err) if err.is_gateway_failure()));
        result
    }
}

#[async_trait]
impl PaymentGateway for GuardedGateway {
    async fn authorize(&self, request: &AuthorizeRequest) -> Result<GatewayOutcome> {
        self.guarded(self.inner.authorize(request)).await
    }

    async fn capture(&self, reference: &str, amount: Money, idempotency_key: &str) -> Result<()> {
        self.guarded(self.inner.capture(reference, amount, idempotency_key))
            .await
    }

    async fn refund(&self, reference: &str, amount: Money, idempotency_key: &str) -> Result<()> {
        self.guarded(self.inner.refund(reference, amount, idempotency_key))
            .await
    }

    async fn cancel(&self, reference: &str, idempotency_key: &str) -> Result<()> {
        self.guarded(self.inner.cancel(reference, idempotency_key))
            .await
    }

    async fn payment_status(&self, reference: &str) -> Result<Option<GatewayEventKind>> {
        self.guarded(self.inner.payment_status(reference)).await
    }

    fn health(&self) -> Option<GatewayHealth> {
        Some(self.lock().health(&self.name, self.clock.now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(millis: i64) -> Timestamp {
        Timestamp::from_unix_millis(millis)
    }

    fn call(breaker: &mut Breaker, failed: bool, now: i64) -> bool {
        match breaker.admit(at(now)) {
            Ok(admitted) => {
                breaker.record(admitted, failed, at(now));
                true
            }
            Err(_) => false,
        }
    }

    #[test]
    fn opens_after_failures_in_a_row_and_a_success_resets_the_count() {
        let mut breaker = Breaker::new(BreakerPolicy::default());
        for _ in 0..4 {
            call(&mut breaker, true, 0);
        }
        call(&mut breaker, false, 0);
        for _ in 0..4 {
            call(&mut breaker, true, 0);
        }
        assert_eq!(breaker.state(at(0)), BreakerState::Closed);
        call(&mut breaker, true, 0);
        assert_eq!(breaker.state(at(0)), BreakerState::Open);
        assert_eq!(breaker.admit(at(1_000)), Err(29_000));
    }

    #[test]
    fn opens_when_most_of_the_window_failed() {
        let mut breaker = Breaker::new(BreakerPolicy::default());
        // Alternating failures never make five in a row; 11 of 20 is more than half.
        for i in 0..19 {
            call(&mut breaker, i % 2 == 0, 0);
        }
        assert_eq!(breaker.state(at(0)), BreakerState::Closed, "10 of 19");
        call(&mut breaker, true, 0);
        assert_eq!(breaker.state(at(0)), BreakerState::Open, "11 of 20");
    }

    #[test]
    fn half_open_lets_one_probe_through_and_a_failed_probe_opens_again() {
        let mut breaker = Breaker::new(BreakerPolicy::default());
        for _ in 0..5 {
            call(&mut breaker, true, 0);
        }
        assert_eq!(breaker.state(at(30_000)), BreakerState::HalfOpen);
        let probe = breaker.admit(at(30_000)).unwrap();
        assert_eq!(
            breaker.admit(at(30_001)),
            Err(29_999),
            "one probe at a time"
        );
        breaker.record(probe, true, at(31_000));
        assert_eq!(breaker.state(at(31_000)), BreakerState::Open);
        assert_eq!(breaker.admit(at(31_000)), Err(30_000));
        assert!(call(&mut breaker, false, 61_000));
        assert_eq!(breaker.state(at(61_000)), BreakerState::Closed);
        assert_eq!(breaker.health("test", at(61_000)).times_opened, 2);
    }

    #[test]
    fn a_probe_that_never_reports_is_replaced_after_an_open_period() {
        let mut breaker = Breaker::new(BreakerPolicy::default());
        for _ in 0..5 {
            call(&mut breaker, true, 0);
        }
        let _lost = breaker.admit(at(30_000)).unwrap();
        assert!(breaker.admit(at(59_999)).is_err());
        assert!(breaker.admit(at(60_000)).is_ok());
    }

    #[test]
    fn calls_admitted_before_it_opened_do_not_close_it() {
        let mut breaker = Breaker::new(BreakerPolicy::default());
        let slow = breaker.admit(at(0)).unwrap();
        for _ in 0..5 {
            call(&mut breaker, true, 0);
        }
        breaker.record(slow, false, at(1));
        assert_eq!(breaker.state(at(1)), BreakerState::Open);
    }

    proptest! {
        /// Whatever the calls do, the breaker never lets a call through while open, never lets
        /// two probes out at once, and a closed breaker has never seen its bound of failures.
        #[test]
        fn never_admits_while_open(steps in proptest::collection::vec((any::<bool>(), 0i64..20_000, any::<bool>()), 1..300)) {
            let policy = BreakerPolicy::default();
            let mut breaker = Breaker::new(policy);
            let mut now = 0;
            let mut in_flight: Vec<(Admitted, i64)> = Vec::new();
            for (failed, wait, finish_first) in steps {
                now += wait;
                if finish_first && let Some((call, _)) = in_flight.pop() {
                    breaker.record(call, failed, at(now));
                }
                let state = breaker.state(at(now));
                match breaker.admit(at(now)) {
                    Ok(call) => {
                        prop_assert_ne!(state, BreakerState::Open);
                        if call.probe {
                            prop_assert_eq!(state, BreakerState::HalfOpen);
                            // Another probe only once every earlier one was given up.
                            for (earlier, since) in &in_flight {
                                prop_assert!(!earlier.probe || since + policy.open_millis <= now);
                            }
                        }
                        in_flight.push((call, now));
                    }
                    Err(wait) => {
                        prop_assert_ne!(state, BreakerState::Closed);
                        prop_assert!(wait > 0 && wait <= policy.open_millis);
                    }
                }
                if breaker.state(at(now)) == BreakerState::Closed {
                    prop_assert!(breaker.consecutive < policy.consecutive_failures);
                }
            }
        }
    }
}
