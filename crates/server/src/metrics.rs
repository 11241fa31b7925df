//! Prometheus metrics: calls by component, tool and outcome, and a latency
//! histogram. Hand-rolled: a few atomics and one small map.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] =
    [0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.05, 0.25, 1.0];

/// Call counters by component, tool and outcome. Nested so that counting a
/// call looks its counter up by `&str` under a read lock: no allocation and
/// no writer contention once a combination has been seen.
type CallCounts = HashMap<String, HashMap<String, HashMap<String, AtomicU64>>>;

/// Counters of a running service.
#[derive(Debug, Default)]
pub struct Metrics {
    calls: RwLock<CallCounts>,
    buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_nanos: AtomicU64,
    rejected: Mutex<BTreeMap<&'static str, u64>>,
}

impl Metrics {
    /// Empty counters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one executed call.
    pub fn record_call(&self, component: &str, tool: &str, outcome: &str, elapsed: Duration) {
        self.count_call(component, tool, outcome);
        let seconds = elapsed.as_secs_f64();
        if let Some(index) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            self.buckets[index].fetch_add(1, Ordering::Relaxed);
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.latency_sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    fn count_call(&self, component: &str, tool: &str, outcome: &str) {
        if let Ok(calls) = self.calls.read() {
            let counter = calls.get(component).and_then(|tools| tools.get(tool)?.get(outcome));
            if let Some(counter) = counter {
                counter.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
        if let Ok(mut calls) = self.calls.write() {
            let outcomes = calls.entry(component.to_owned()).or_default().entry(tool.to_owned()).or_default();
            outcomes.entry(outcome.to_owned()).or_default().fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Records a request refused before execution.
    pub fn record_rejected(&self, error_type: &'static str) {
        if let Ok(mut rejected) = self.rejected.lock() {
            *rejected.entry(error_type).or_default() += 1;
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP weft_tool_calls_total Tool calls executed, by component, tool and outcome.\n");
        out.push_str("# TYPE weft_tool_calls_total counter\n");
        if let Ok(calls) = self.calls.read() {
            let mut sorted = BTreeMap::new();
            for (component, tools) in calls.iter() {
                for (tool, outcomes) in tools {
                    for (outcome, count) in outcomes {
                        sorted.insert((component, tool, outcome), count.load(Ordering::Relaxed));
                    }
                }
            }
            for ((component, tool, outcome), count) in sorted {
                let _ = writeln!(
                    out,
                    "weft_tool_calls_total{{component=\"{}\",tool=\"{}\",error_type=\"{}\"}} {count}",
                    escape(component),
                    escape(tool),
                    escape(outcome)
                );
            }
        }
        out.push_str(
            "# HELP weft_requests_rejected_total Requests refused before execution, by error_type.\n",
        );
        out.push_str("# TYPE weft_requests_rejected_total counter\n");
        if let Ok(rejected) = self.rejected.lock() {
            for (kind, count) in rejected.iter() {
                let _ = writeln!(out, "weft_requests_rejected_total{{error_type=\"{kind}\"}} {count}");
            }
        }
        out.push_str(
            "# HELP weft_tool_call_duration_seconds Time to execute one tool call in the sandbox.\n",
        );
        out.push_str("# TYPE weft_tool_call_duration_seconds histogram\n");
        let mut cumulative = 0;
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = writeln!(out, "weft_tool_call_duration_seconds_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(out, "weft_tool_call_duration_seconds_bucket{{le=\"+Inf\"}} {count}");
        let sum = self.latency_sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "weft_tool_call_duration_seconds_sum {sum}");
        let _ = writeln!(out, "weft_tool_call_duration_seconds_count {count}");
        out
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}
