//! Live usage totals for a run: calls, tokens, retries, failures.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::Usage;

/// A shared, lock-free usage counter. Cloning it shares the totals, so a run
/// can hand one clone to every model it builds and another to a TUI that
/// reads [`UsageCounter::snapshot`] while the run goes on.
///
/// ```
/// use weft_llm::{Usage, UsageCounter};
/// let counter = UsageCounter::new();
/// let view = counter.clone();
/// counter.record_call(Usage { prompt_tokens: 10, completion_tokens: 5 });
/// assert_eq!(view.snapshot().total_tokens(), 15);
/// ```
#[derive(Clone, Default)]
pub struct UsageCounter(Arc<Totals>);

#[derive(Default)]
struct Totals {
    calls: AtomicU64,
    prompt_tokens: AtomicU64,
    completion_tokens: AtomicU64,
    retries: AtomicU64,
    failures: AtomicU64,
}

/// The totals of a [`UsageCounter`] at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UsageSnapshot {
    /// Successful chat calls.
    pub calls: u64,
    /// Prompt (input) tokens over all successful calls.
    pub prompt_tokens: u64,
    /// Completion (output) tokens over all successful calls.
    pub completion_tokens: u64,
    /// HTTP attempts that were retried (429, 5xx, timeouts, connection errors).
    pub retries: u64,
    /// Calls that failed for good, after their retries.
    pub failures: u64,
}

impl UsageSnapshot {
    /// Prompt plus completion tokens.
    pub fn total_tokens(&self) -> u64 {
        self.prompt_tokens + self.completion_tokens
    }
}

impl UsageCounter {
    /// A counter at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one successful call and its tokens.
    pub fn record_call(&self, usage: Usage) {
        self.0.calls.fetch_add(1, Ordering::Relaxed);
        self.0.prompt_tokens.fetch_add(usage.prompt_tokens, Ordering::Relaxed);
        self.0.completion_tokens.fetch_add(usage.completion_tokens, Ordering::Relaxed);
    }

    /// Counts one retried attempt.
    pub fn record_retry(&self) {
        self.0.retries.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one call that failed after its retries.
    pub fn record_failure(&self) {
        self.0.failures.fetch_add(1, Ordering::Relaxed);
    }

    /// The totals now.
    pub fn snapshot(&self) -> UsageSnapshot {
        UsageSnapshot {
            calls: self.0.calls.load(Ordering::Relaxed),
            prompt_tokens: self.0.prompt_tokens.load(Ordering::Relaxed),
            completion_tokens: self.0.completion_tokens.load(Ordering::Relaxed),
            retries: self.0.retries.load(Ordering::Relaxed),
            failures: self.0.failures.load(Ordering::Relaxed),
        }
    }
}

impl fmt::Debug for UsageCounter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UsageCounter").field(&self.snapshot()).finish()
    }
}
