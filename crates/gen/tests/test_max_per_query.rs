//! `max_per_query`: strict rejects (retried, then written to the failures
//! file with the reason); non-strict drops the extra calls before they run,
//! so messages, executions and metadata agree.

use crate::common;

use weft_gen::validate::{Rules, validate};
use weft_llm::{ProviderSpec, build_model};

async fn fake_model() -> std::sync::Arc<dyn weft_llm::ChatModel> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(weft_bench::serve(listener, weft_bench::FakeOptions::default()));
    let mut spec = ProviderSpec::new("openai", "fake");
    spec.base_url = Some(format!("http://{addr}/v1"));
    build_model(&spec).expect("model")
}

fn with_limit(strict: bool) -> weft_gen::config::Config {
    let mut config = common::config(2, 2);
    let tools = config.generation.tools.as_mut().expect("tools");
    tools.max_per_query = 1;
    tools.strict = strict;
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strict_failures_are_retried_then_recorded_with_the_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("data.jsonl");
    let config = with_limit(true);
    let summary = common::run(&config, fake_model().await, common::sandbox().await, &out, true).await;
    assert!(!summary.complete());
    assert_eq!(summary.in_file, 0);
    assert_eq!(summary.report.failures.len(), 2);
    let failures = std::fs::read_to_string(&summary.failures_path).expect("failures file");
    let records: Vec<serde_json::Value> =
        failures.lines().map(|l| serde_json::from_str(l).expect("json")).collect();
    assert_eq!(records.len(), 2);
    for record in records {
        assert_eq!(record["attempts"], config.generation.sample_retries + 1);
        assert!(record["reason"].as_str().unwrap_or_default().contains("max_per_query 1"), "{record}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_strict_truncates_consistently() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("data.jsonl");
    let summary =
        common::run(&with_limit(false), fake_model().await, common::sandbox().await, &out, true).await;
    assert!(summary.complete(), "{summary:?}");
    for sample in common::samples(&out) {
        validate(&sample, &Rules { max_per_query: 1, min_tool_calls: 1 }).expect("valid");
        assert!(sample.metadata.truncated_calls > 0);
        let calls = sample.messages.iter().filter_map(|m| m.tool_calls.as_ref()).flatten().count();
        let executions = sample.tool_context.as_ref().expect("executions").executions.len();
        assert_eq!((calls, executions, sample.metadata.calls.len()), (calls, calls, calls));
    }
}
