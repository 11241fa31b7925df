//! When and how long to wait before retrying an HTTP attempt.

use std::time::{Duration, SystemTime};

use rand::Rng;

/// The longest `Retry-After` weft honours; a server asking for more is
/// waited on for this long, then retried (and fails for good if it still refuses).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// Jittered exponential backoff: attempt `n` waits a random time in
/// `[d/2, d]` where `d = base * 2^n`, capped at `cap`. A server's
/// `Retry-After` replaces the backoff when it is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RetryPolicy {
    /// Retries after the first attempt.
    pub(crate) max_retries: u32,
    /// The first backoff.
    pub(crate) base: Duration,
    /// The longest backoff.
    pub(crate) cap: Duration,
}

impl RetryPolicy {
    /// A policy with `max_retries` retries and the default timings.
    pub(crate) fn new(max_retries: u32) -> Self {
        Self { max_retries, base: Duration::from_millis(500), cap: Duration::from_secs(30) }
    }

    /// How long to wait before retry number `attempt` (0-based).
    pub(crate) fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(asked) = retry_after {
            return asked.min(MAX_RETRY_AFTER);
        }
        let full = self.base.saturating_mul(2u32.saturating_pow(attempt.min(16))).min(self.cap);
        let half = full / 2;
        let spread = u64::try_from((full - half).as_millis()).unwrap_or(u64::MAX);
        half + Duration::from_millis(rand::rng().random_range(0..=spread))
    }
}

/// Parses a `Retry-After` value: delta-seconds (`"2"`, also `"1.5"`) or an
/// HTTP date, relative to `now`. A date in the past means "now".
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("2", now), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after(" 1.5 ", now), Some(Duration::from_millis(1500)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(7));
        assert_eq!(parse_retry_after(&later, now), Some(Duration::from_secs(7)));
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(7));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        let policy = RetryPolicy::new(5);
        for attempt in 0..8 {
            let full = (policy.base * 2u32.pow(attempt)).min(policy.cap);
            let delay = policy.delay(attempt, None);
            assert!(delay >= full / 2 && delay <= full, "attempt {attempt}: {delay:?}");
        }
        assert_eq!(policy.delay(0, Some(Duration::from_secs(3))), Duration::from_secs(3));
        assert_eq!(policy.delay(0, Some(Duration::from_secs(9999))), MAX_RETRY_AFTER);
    }
}
