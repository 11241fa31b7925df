//! Client-side rate limits: requests per minute and tokens per minute.

use std::fmt;
use std::num::NonZeroU32;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// The `rate_limit` of one model. Each limiter lets a full minute's quota
/// through at once (burst) and then refills continuously.
pub(crate) struct RateLimits {
    requests: Option<DefaultDirectRateLimiter>,
    tokens: Option<(DefaultDirectRateLimiter, NonZeroU32)>,
}

impl RateLimits {
    /// Limits from the spec; `None` or `0` means unlimited.
    pub(crate) fn new(requests_per_minute: Option<u32>, tokens_per_minute: Option<u32>) -> Self {
        let limiter = |per_minute: NonZeroU32| RateLimiter::direct(Quota::per_minute(per_minute));
        Self {
            requests: requests_per_minute.and_then(NonZeroU32::new).map(limiter),
            tokens: tokens_per_minute.and_then(NonZeroU32::new).map(|tpm| (limiter(tpm), tpm)),
        }
    }

    /// Waits until one request of about `estimated_tokens` tokens may go out.
    /// A request larger than the whole per-minute budget waits for a full budget.
    pub(crate) async fn acquire(&self, estimated_tokens: u64) {
        if let Some(requests) = &self.requests {
            requests.until_ready().await;
        }
        if let Some((tokens, capacity)) = &self.tokens {
            let wanted = u32::try_from(estimated_tokens).unwrap_or(u32::MAX).min(capacity.get());
            if let Some(wanted) = NonZeroU32::new(wanted) {
                // `wanted` never exceeds the capacity, so this cannot fail.
                let _ = tokens.until_n_ready(wanted).await;
            }
        }
    }
}

impl fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimits")
            .field("requests", &self.requests.is_some())
            .field("tokens_per_minute", &self.tokens.as_ref().map(|(_, tpm)| tpm))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    #[tokio::test]
    async fn unlimited_never_waits() {
        let limits = RateLimits::new(None, Some(0));
        let start = Instant::now();
        for _ in 0..100 {
            limits.acquire(1_000_000).await;
        }
        assert!(start.elapsed() < Duration::from_millis(100));
    }

    #[tokio::test]
    async fn requests_beyond_the_burst_wait() {
        // 600 per minute = one every 100 ms after a burst of 600; use 60/min
        // with a burst of 60: the 61st request must wait about a second.
        let limits = RateLimits::new(Some(60), None);
        let start = Instant::now();
        for _ in 0..61 {
            limits.acquire(0).await;
        }
        assert!(start.elapsed() >= Duration::from_millis(900), "{:?}", start.elapsed());
    }

    #[tokio::test]
    async fn tokens_beyond_the_budget_wait() {
        let limits = RateLimits::new(None, Some(600));
        let start = Instant::now();
        limits.acquire(600).await;
        limits.acquire(10).await; // 10 tokens refill in 1 s at 600/min
        assert!(start.elapsed() >= Duration::from_millis(900), "{:?}", start.elapsed());
    }
}
