//! The verifier's verdicts that a generated dataset alone does not reach:
//! a tool that calls a live service is reported as not replayable, never as
//! verified; a tool service that fails during replay makes the sample
//! unverifiable, never diverged; a rebuilt component is noted.

use crate::common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use weft_gen::verify::{DEFAULT_SCENARIO, Verdict, Verifier};
use weft_protocol::{
    BackendError, ScenarioSeed, SessionId, ToolBackend, ToolCall, ToolDefinition, ToolOrigin, ToolOutcome,
};

/// The in-process sandbox, with `read_file` said to reach a live service
/// (as a component granted outbound hosts is), a version of its own for the
/// VFS, and a switch that makes every call fail in transport.
struct Marked {
    inner: Arc<dyn ToolBackend>,
    live_reads: bool,
    version: &'static str,
    down: AtomicBool,
}

#[async_trait]
impl ToolBackend for Marked {
    async fn health(&self) -> Result<(), BackendError> {
        self.inner.health().await
    }
    async fn tools(&self) -> Result<Vec<ToolDefinition>, BackendError> {
        self.inner.tools().await
    }
    async fn open_session(&self, seed: &ScenarioSeed) -> Result<SessionId, BackendError> {
        self.inner.open_session(seed).await
    }
    async fn execute(&self, session: &SessionId, call: &ToolCall) -> Result<ToolOutcome, BackendError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(BackendError::Unavailable {
                endpoint: "test".into(),
                reason: "connection reset".into(),
            });
        }
        self.inner.execute(session, call).await
    }
    async fn close_session(&self, session: &SessionId) {
        self.inner.close_session(session).await
    }
    fn origin(&self, tool: &str) -> Option<ToolOrigin> {
        let mut origin = self.inner.origin(tool)?;
        origin.live = self.live_reads && tool == "read_file";
        origin.version = self.version.to_owned();
        Some(origin)
    }
}

async fn marked(live_reads: bool, version: &'static str) -> Arc<Marked> {
    Arc::new(Marked { inner: common::sandbox().await, live_reads, version, down: AtomicBool::new(false) })
}

fn scenarios(config: &weft_gen::config::Config) -> BTreeMap<String, ScenarioSeed> {
    let seed = config.generation.tools.as_ref().map(|t| t.scenario_seed.clone()).unwrap_or_default();
    BTreeMap::from([(DEFAULT_SCENARIO.to_owned(), seed)])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_tools_are_not_replayable_and_a_failing_service_is_not_a_divergence() {
    let config = common::config(6, 3);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("data.jsonl");
    let backend = marked(true, "sha256:0000000000000001").await;
    let summary = common::run(&config, common::scripted(config.seed), backend.clone(), &out, true).await;
    assert!(summary.complete(), "{summary:?}");
    let samples = common::samples(&out);
    for sample in &samples {
        let replay = sample.metadata.replay.as_ref().expect("metadata.replay");
        assert_eq!(replay.live_tools, ["read_file"]);
        assert_eq!(replay.components.get("vfs").map(String::as_str), Some("sha256:0000000000000001"));
    }

    // Every scripted sample reads a file: none is verified, none diverges.
    let verifier = Verifier::new(backend.clone(), scenarios(&config));
    for sample in &samples {
        assert_eq!(
            verifier.verify(sample).await,
            Verdict::NotReplayable { tools: vec!["read_file".to_owned()] }
        );
    }

    // Samples made where nothing is live, replayed with the VFS rebuilt
    // since: verified, and the rebuild noted.
    let calm = dir.path().join("calm.jsonl");
    let made = marked(false, "sha256:0000000000000001").await;
    common::run(&config, common::scripted(config.seed), made, &calm, true).await;
    let samples = common::samples(&calm);
    let rebuilt = marked(false, "sha256:0000000000000002").await;
    let verifier = Verifier::new(rebuilt.clone(), scenarios(&config));
    for sample in &samples {
        match verifier.verify(sample).await {
            Verdict::Verified { calls, notes } => {
                assert_eq!(calls, sample.metadata.tool_calls as usize);
                assert_eq!(
                    notes,
                    ["component `vfs` changed since the sample was made: sha256:0000000000000001 then, \
                      sha256:0000000000000002 now"]
                );
            }
            other => panic!("{other:?}"),
        }
    }

    // The service failing mid-replay proves nothing either way.
    rebuilt.down.store(true, Ordering::SeqCst);
    match verifier.verify(&samples[0]).await {
        Verdict::Unverifiable { reason } => {
            assert!(reason.contains("the tool service failed during replay"), "{reason}");
            assert!(reason.contains("connection reset"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn samples_without_a_replay_record_are_unverifiable_and_samples_without_calls_pass() {
    let config = common::config(2, 2);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("data.jsonl");
    let backend = common::sandbox().await;
    common::run(&config, common::scripted(config.seed), backend.clone(), &out, true).await;
    let mut samples = common::samples(&out);
    let verifier = Verifier::new(backend, scenarios(&config));
    assert!(matches!(verifier.verify(&samples[0]).await, Verdict::Verified { .. }));
    samples[0].metadata.replay = None;
    match verifier.verify(&samples[0]).await {
        Verdict::Unverifiable { reason } => assert!(reason.contains("no `metadata.replay`"), "{reason}"),
        other => panic!("{other:?}"),
    }
    // A sample that called nothing has nothing to disprove.
    samples[1].messages.retain(|m| m.role != "tool" && m.tool_calls.is_none());
    samples[1].tool_context = None;
    assert_eq!(verifier.verify(&samples[1]).await, Verdict::Verified { calls: 0, notes: Vec::new() });
}
