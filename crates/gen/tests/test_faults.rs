//! Faults that must never reach a dataset: a tool service that fails or
//! loses sessions mid-sample, a model that replies with nothing, and old
//! files holding samples built on such faults.

use crate::common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::watch;
use weft_gen::config::Config;
use weft_gen::generate::{GenerateOptions, GenerateSummary, generate};
use weft_gen::pipeline::OutagePolicy;
use weft_gen::validate::sound;
use weft_llm::{ChatModel, ChatRequest, ChatResponse, LlmError, Purpose};
use weft_protocol::{
    BackendError, ScenarioSeed, SessionId, ToolBackend, ToolCall, ToolDefinition, ToolOutcome,
};

/// Which calls of a [`Faulty`] backend fail, and how.
#[derive(Clone, Copy)]
enum Fault {
    /// Calls numbered `from..to` (1-based, over the whole run) cannot reach the service.
    Unreachable { from: u64, to: u64 },
    /// Call number `at` finds its session's store replaced.
    Lost { at: u64 },
    /// Every call from `from` on cannot reach the service.
    DeadFrom { from: u64 },
}

/// The in-process sandbox behind a fault.
struct Faulty {
    inner: Arc<dyn ToolBackend>,
    fault: Fault,
    calls: AtomicU64,
    opened: AtomicU64,
}

impl Faulty {
    async fn new(fault: Fault) -> Arc<Self> {
        Arc::new(Self {
            inner: common::sandbox().await,
            fault,
            calls: AtomicU64::new(0),
            opened: AtomicU64::new(0),
        })
    }
}

#[async_trait]
impl ToolBackend for Faulty {
    async fn health(&self) -> Result<(), BackendError> {
        self.inner.health().await
    }
    async fn tools(&self) -> Result<Vec<ToolDefinition>, BackendError> {
        self.inner.tools().await
    }
    async fn open_session(&self, seed: &ScenarioSeed) -> Result<SessionId, BackendError> {
        self.opened.fetch_add(1, Ordering::SeqCst);
        self.inner.open_session(seed).await
    }
    async fn execute(&self, session: &SessionId, call: &ToolCall) -> Result<ToolOutcome, BackendError> {
        let number = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let unavailable = || BackendError::Unavailable {
            endpoint: "http://127.0.0.1:9".into(),
            reason: "error sending request: Connection refused".into(),
        };
        match self.fault {
            Fault::Unreachable { from, to } if (from..to).contains(&number) => Err(unavailable()),
            Fault::DeadFrom { from } if number >= from => Err(unavailable()),
            Fault::Lost { at } if number == at => {
                // What a restarted service would do: forget the session, then say so.
                self.inner.close_session(session).await;
                Err(BackendError::SessionLost {
                    session: session.to_string(),
                    reason: "store changed".into(),
                })
            }
            _ => self.inner.execute(session, call).await,
        }
    }
    async fn close_session(&self, session: &SessionId) {
        self.inner.close_session(session).await
    }
    fn origin(&self, tool: &str) -> Option<weft_protocol::ToolOrigin> {
        self.inner.origin(tool)
    }
}

fn quick_outages(retries: u32) -> OutagePolicy {
    OutagePolicy { retries, delay: Duration::from_millis(1), max_delay: Duration::from_millis(5) }
}

async fn run_with(
    config: &Config,
    model: Arc<dyn ChatModel>,
    backend: Arc<dyn ToolBackend>,
    out: &Path,
    options: GenerateOptions,
) -> GenerateSummary {
    let paths = common::paths(config).await;
    let options = GenerateOptions { output: Some(out.to_owned()), record_latency: false, ..options };
    let (_stop, stop_rx) = watch::channel(false);
    generate(config, model, backend, &paths, options, stop_rx).await.expect("generation runs")
}

/// Every sample is sound, and no text in the file comes from a transport failure.
fn assert_clean(out: &Path) {
    let text = std::fs::read_to_string(out).expect("dataset");
    for needle in ["Connection refused", "127.0.0.1:9", "HTTP error", "HTTPError", "store changed"] {
        assert!(!text.contains(needle), "the dataset holds {needle:?}");
    }
    for sample in common::samples(out) {
        sound(&sample).expect("every written sample is sound");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_that_never_reached_the_tool_service_are_redone_not_recorded() {
    let config = common::config(6, 3);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("data.jsonl");
    let backend = Faulty::new(Fault::Unreachable { from: 4, to: 9 }).await;
    let options = GenerateOptions { outages: quick_outages(8), ..GenerateOptions::default() };
    let summary = run_with(&config, common::scripted(config.seed), backend.clone(), &out, options).await;
    assert!(summary.complete(), "{summary:?}");
    assert!(summary.report.failures.is_empty(), "{:?}", summary.report.failures);
    assert_clean(&out);
    assert!(backend.opened.load(Ordering::SeqCst) > 6, "the attempts that met the outage were redone");

    // Redone from the same seed, the samples are those of a run without the outage.
    let calm = dir.path().join("calm.jsonl");
    let options = GenerateOptions::default();
    run_with(&config, common::scripted(config.seed), common::sandbox().await, &calm, options).await;
    assert_eq!(std::fs::read(&out).expect("faulty run"), std::fs::read(&calm).expect("calm run"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_session_makes_the_sample_again_in_a_fresh_one() {
    let config = common::config(4, 2);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("data.jsonl");
    let backend = Faulty::new(Fault::Lost { at: 3 }).await;
    let options = GenerateOptions { outages: quick_outages(8), ..GenerateOptions::default() };
    let summary = run_with(&config, common::scripted(config.seed), backend.clone(), &out, options).await;
    assert!(summary.complete(), "{summary:?}");
    assert_clean(&out);
    assert_eq!(backend.opened.load(Ordering::SeqCst), 5, "one sample opened a second session");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_tool_service_records_failures_and_resume_makes_them_good() {
    let config = common::config(6, 2);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("data.jsonl");
    let backend = Faulty::new(Fault::DeadFrom { from: 10 }).await;
    let options = GenerateOptions { outages: quick_outages(2), ..GenerateOptions::default() };
    let summary = run_with(&config, common::scripted(config.seed), backend, &out, options).await;
    assert!(!summary.complete());
    assert!(!summary.report.failures.is_empty());
    for failure in &summary.report.failures {
        assert!(failure.reason.starts_with("the tool service failed"), "{}", failure.reason);
    }
    assert_clean(&out);
    let failures_path = weft_gen::writer::failures_path(&out);
    assert!(failures_path.exists());

    // The service is back: resume makes the missing samples, and the failure
    // records of samples that now exist are gone.
    let options = GenerateOptions { resume: true, ..GenerateOptions::default() };
    let summary =
        run_with(&config, common::scripted(config.seed), common::sandbox().await, &out, options).await;
    assert!(summary.complete(), "{summary:?}");
    assert_clean(&out);
    assert!(!failures_path.exists(), "stale failure records linger");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_drops_samples_an_older_run_built_on_transport_errors() {
    let config = common::config(4, 2);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("data.jsonl");
    run_with(
        &config,
        common::scripted(config.seed),
        common::sandbox().await,
        &out,
        GenerateOptions::default(),
    )
    .await;
    let good = std::fs::read_to_string(&out).expect("dataset");
    // What weft 2ce91d6 wrote when the service died under a sample.
    let mut poisoned: Vec<String> = good.lines().map(str::to_owned).collect();
    let mut sample: serde_json::Value = serde_json::from_str(&poisoned[1]).expect("json");
    let refused =
        "HTTP error: error sending request for url (http://127.0.0.1:9/vfs/execute): Connection refused";
    for message in sample["messages"].as_array_mut().expect("messages") {
        if message["role"] == "tool" {
            message["content"] = refused.into();
        }
    }
    for execution in sample["tool_context"]["executions"].as_array_mut().expect("executions") {
        execution["result"] = refused.into();
    }
    for call in sample["metadata"]["calls"].as_array_mut().expect("calls") {
        call["success"] = false.into();
        call["error_type"] = "HTTPError".into();
    }
    poisoned[1] = sample.to_string();
    std::fs::write(&out, poisoned.join("\n") + "\n").expect("write");

    let options = GenerateOptions { resume: true, ..GenerateOptions::default() };
    let summary =
        run_with(&config, common::scripted(config.seed), common::sandbox().await, &out, options).await;
    assert!(summary.complete(), "{summary:?}");
    assert_eq!(summary.resumed, 3, "the poisoned sample is not kept");
    assert_clean(&out);
    assert_eq!(std::fs::read_to_string(&out).expect("dataset"), good);
}

/// The scripted model, but every `every`-th agent step replies with nothing.
struct Mute {
    inner: Arc<dyn ChatModel>,
    every: u64,
    steps: AtomicU64,
}

#[async_trait]
impl ChatModel for Mute {
    fn provider(&self) -> &str {
        self.inner.provider()
    }
    fn model(&self) -> &str {
        self.inner.model()
    }
    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        if request.purpose == Purpose::AgentStep {
            let step = self.steps.fetch_add(1, Ordering::SeqCst) + 1;
            if step.is_multiple_of(self.every) {
                let mut empty = self.inner.chat(request).await?;
                empty.content.clear();
                empty.tool_calls.clear();
                return Ok(empty);
            }
        }
        self.inner.chat(request).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_replies_in_any_turn_never_reach_the_dataset() {
    let config = common::config_with(10, 3, |text| {
        text.replace(
            "    reasoning_style: agent\n",
            "    reasoning_style: agent\n    agent_mode: multi_turn\n    min_turns: 3\n    max_turns: 3\n",
        )
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("data.jsonl");
    let model = Arc::new(Mute { inner: common::scripted(config.seed), every: 4, steps: AtomicU64::new(0) });
    let summary =
        run_with(&config, model.clone(), common::sandbox().await, &out, GenerateOptions::default()).await;
    assert!(summary.complete(), "{summary:?}");
    assert!(model.steps.load(Ordering::SeqCst) >= 40, "the fault was met");
    for sample in common::samples(&out) {
        sound(&sample).expect("sound");
        for (index, message) in sample.messages.iter().enumerate() {
            let calls = message.tool_calls.as_ref().is_some_and(|calls| !calls.is_empty());
            let text = message.content.as_deref().unwrap_or_default();
            if message.role != "tool" && !calls {
                assert!(
                    !text.trim().is_empty(),
                    "sample {}: message {index} is empty",
                    sample.metadata.sample_index
                );
            }
        }
    }
}
