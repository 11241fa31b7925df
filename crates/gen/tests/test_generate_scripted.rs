//! End to end with the offline `scripted` model and the in-process sandbox.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};

use weft_gen::sample::Sample;
use weft_gen::validate::{Rules, validate};
use weft_protocol::{ScenarioSeed, ToolCall};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_exactly_num_samples_in_deepfabric_shape() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("data.jsonl");
    let config = common::config(6, 3);
    let summary = common::run(&config, common::scripted(7), common::sandbox().await, &out, false).await;
    assert!(summary.complete(), "{summary:?}");
    let samples = common::samples(&out);
    assert_eq!(samples.len(), 6);
    let indices: Vec<u64> = samples.iter().map(|s| s.metadata.sample_index).collect();
    assert_eq!(indices, [0, 1, 2, 3, 4, 5], "finished files are in sample order");
    let rules = Rules { max_per_query: 4, min_tool_calls: 1 };
    for sample in &samples {
        validate(sample, &rules).expect("every written sample validates");
        assert_eq!(sample.messages[0].role, "system");
        assert_eq!(sample.messages[1].role, "user");
        assert_eq!(sample.question, sample.messages[1].content.clone().unwrap_or_default());
        assert_eq!(sample.messages.last().and_then(|m| m.content.clone()), Some(sample.final_answer.clone()));
        assert_eq!(sample.agent_context.as_ref().map(|a| a.mode.as_str()), Some("single_turn"));
        assert_eq!(sample.tools.len(), 4);
        assert_eq!(sample.tools[0]["type"], "function");
        let executions = &sample.tool_context.as_ref().expect("agent samples have executions").executions;
        assert_eq!(executions.len() as u32, sample.metadata.tool_calls);
        assert_eq!(sample.metadata.calls.len(), executions.len());
        assert!(sample.metadata.calls.iter().all(|c| c.latency_us.is_some()));
        assert_eq!(sample.metadata.provider, "scripted");
        assert_eq!(sample.metadata.topic_path.len(), 3);
    }
    // Some sample met a real error and recovered from it.
    assert!(samples.iter().any(|s| s.metadata.recovered && !s.metadata.error_types.is_empty()));
}

/// Replays every sample's calls, in order, in a fresh session of a fresh
/// sandbox: each result must be byte-equal to the tool message in the sample.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_messages_are_what_the_sandbox_returned() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("data.jsonl");
    let config = common::config(4, 2);
    common::run(&config, common::scripted(7), common::sandbox().await, &out, true).await;
    let seed =
        ScenarioSeed { files: config.generation.tools.as_ref().expect("tools").scenario_seed.files.clone() };
    let replay = common::sandbox().await;
    let mut compared = 0;
    for sample in common::samples(&out) {
        let session = replay.open_session(&seed).await.expect("session");
        let results: BTreeMap<&str, &str> = sample
            .messages
            .iter()
            .filter(|m| m.role == "tool")
            .map(|m| {
                (m.tool_call_id.as_deref().unwrap_or_default(), m.content.as_deref().unwrap_or_default())
            })
            .collect();
        for call in sample.messages.iter().filter_map(|m| m.tool_calls.as_ref()).flatten() {
            let arguments =
                serde_json::from_str(&call.function.arguments).expect("scripted arguments are JSON");
            let outcome = replay
                .execute(&session, &ToolCall::new(call.function.name.clone(), arguments))
                .await
                .expect("in process");
            assert_eq!(results[call.id.as_str()], outcome.result, "call {}", call.id);
            compared += 1;
        }
        replay.close_session(&session).await;
    }
    assert!(compared >= 8, "only {compared} calls compared");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_seed_same_bytes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
    let config = common::config(5, 4);
    common::run(&config, common::scripted(7), common::sandbox().await, &a, true).await;
    common::run(&config, common::scripted(7), common::sandbox().await, &b, true).await;
    let (a, b) = (std::fs::read(&a).expect("a"), std::fs::read(&b).expect("b"));
    assert!(!a.is_empty());
    assert!(a == b, "two runs with the same seed differ");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_samples_than_paths_reuse_paths_as_distinct_samples() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("data.jsonl");
    let config = common::config(10, 4);
    let paths = common::paths(&config).await.len();
    assert_eq!(paths, 4);
    let summary = common::run(&config, common::scripted(7), common::sandbox().await, &out, true).await;
    assert_eq!((summary.target, summary.in_file), (10, 10));
    let samples: Vec<Sample> = common::samples(&out);
    let mut by_path: BTreeMap<String, Vec<&Sample>> = BTreeMap::new();
    for sample in &samples {
        by_path.entry(sample.metadata.topic_id.clone()).or_default().push(sample);
    }
    assert_eq!(by_path.len(), 4, "every path is used");
    for group in by_path.values() {
        let conversations: BTreeSet<String> =
            group.iter().map(|s| serde_json::to_string(&s.messages).expect("json")).collect();
        assert_eq!(conversations.len(), group.len(), "reuses of a path are distinct samples");
    }
}
