//! Guards every gateway call shares, whatever the gateway: a deadline and a bulkhead. The
//! circuit breaker, which decides on the core's clock, is the core's
//! ([`commerce_core::breaker::GuardedGateway`]); [`crate::gateway`] puts these inside it.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use commerce_core::breaker::GatewayHealth;
use commerce_core::gateway::{AuthorizeRequest, PaymentGateway};
use commerce_core::payment::{GatewayEventKind, GatewayOutcome};
use commerce_core::{Error, Money};
use tokio::sync::Semaphore;

/// A gateway whose calls each finish within a deadline, at most `concurrency` at once.
///
/// A call that waits for a place past its deadline was never sent
/// ([`Error::gateway_unavailable`]); one that was sent and did not finish in time may have
/// moved money ([`Error::gateway_outcome_unknown`]), which the caller settles later with the
/// same idempotency key. A slow gateway thus holds at most `concurrency` requests, and never
/// longer than the deadline.
pub struct Resilient {
    inner: Arc<dyn PaymentGateway>,
    deadline: Duration,
    places: Semaphore,
}

impl Resilient {
    /// `inner` with a `deadline` per call and `concurrency` calls in flight at most.
    pub fn new(
        inner: Arc<dyn PaymentGateway>,
        deadline: Duration,
        concurrency: usize,
    ) -> Resilient {
        Resilient {
            inner,
            deadline,
            places: Semaphore::new(concurrency.max(1)),
        }
    }

    async fn guarded<T>(&self, call: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
        let started = tokio::time::Instant::now();
        let place = match tokio::time::timeout(self.deadline, self.places.acquire()).await {
            Ok(Ok(place)) => place,
            _ => {
                return Err(Error::gateway_unavailable(
                    "the payment gateway is busy: every place for a call stayed taken",
                ));
            }
        };
        let left = self.deadline.saturating_sub(started.elapsed());
        let answer = tokio::time::timeout(left, call).await;
        drop(place);
        answer.unwrap_or_else(|_| {
            Err(Error::gateway_outcome_unknown(format!(
                "the payment gateway did not answer within {} ms",
                self.deadline.as_millis()
            )))
        })
    }
}

#[async_trait]
impl PaymentGateway for Resilient {
    async fn authorize(&self, request: &AuthorizeRequest) -> Result<GatewayOutcome, Error> {
        self.guarded(self.inner.authorize(request)).await
    }

    async fn capture(&self, reference: &str, amount: Money, key: &str) -> Result<(), Error> {
        self.guarded(self.inner.capture(reference, amount, key))
            .await
    }

    async fn refund(&self, reference: &str, amount: Money, key: &str) -> Result<(), Error> {
        self.guarded(self.inner.refund(reference, amount, key))
            .await
    }

    async fn cancel(&self, reference: &str, key: &str) -> Result<(), Error> {
        self.guarded(self.inner.cancel(reference, key)).await
    }

    async fn payment_status(&self, reference: &str) -> Result<Option<GatewayEventKind>, Error> {
        self.guarded(self.inner.payment_status(reference)).await
    }

    fn health(&self) -> Option<GatewayHealth> {
        self.inner.health()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commerce_core::Currency;
    use commerce_core::gateway::{GatewayCall, InjectedFailure, TestGateway};
    use commerce_core::payment::CaptureMethod;

    fn request() -> AuthorizeRequest {
        AuthorizeRequest {
            intent_id: "pay_1".into(),
            amount: Money::parse("1.00", Currency::USD).unwrap(),
            payment_method: "tok_visa".into(),
            capture_method: CaptureMethod::Automatic,
            idempotency_key: "pay_1:authorize:1".into(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_past_its_deadline_has_an_unknown_outcome_and_frees_its_place() {
        let test = Arc::new(TestGateway::new());
        test.fail_next(GatewayCall::Authorize, 1, InjectedFailure::Hang);
        let gateway = Resilient::new(test.clone(), Duration::from_secs(15), 1);
        let err = gateway.authorize(&request()).await.unwrap_err();
        assert!(err.is_outcome_unknown(), "{err}");
        assert!(
            gateway.authorize(&request()).await.is_ok(),
            "the place was given back"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn calls_beyond_the_bulkhead_wait_and_give_up_unsent_at_the_deadline() {
        let test = Arc::new(TestGateway::new());
        test.fail_next(GatewayCall::Authorize, 2, InjectedFailure::Hang);
        let gateway = Arc::new(Resilient::new(test.clone(), Duration::from_secs(15), 2));
        let hung: Vec<_> = (0..2)
            .map(|_| {
                let gateway = gateway.clone();
                tokio::spawn(async move { gateway.authorize(&request()).await })
            })
            .collect();
        tokio::task::yield_now().await;
        let err = gateway.authorize(&request()).await.unwrap_err();
        assert!(
            err.is_gateway_failure() && !err.is_outcome_unknown(),
            "never sent: {err}"
        );
        assert_eq!(
            test.calls(GatewayCall::Authorize),
            2,
            "the third waited outside"
        );
        for call in hung {
            assert!(call.await.unwrap().unwrap_err().is_outcome_unknown());
        }
    }
}
