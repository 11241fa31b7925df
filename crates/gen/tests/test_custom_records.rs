//! `output.format: custom`: samples are records of the config's
//! `generation.output_schema`, checked against it, retried with the reason
//! when they break it, recorded as failures when they never pass, and
//! resumable from the canonical file beside the records.

use crate::common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use serde_json::Value;
use tokio::sync::watch;
use weft_gen::config::{self, Config, Overrides, SampleKind};
use weft_gen::generate::{GenerateOptions, GenerateSummary, generate};
use weft_gen::sample::CustomRecord;
use weft_gen::writer::{envelope_path, failures_path};
use weft_llm::{ChatModel, ChatRequest, ChatResponse, FinishReason, LlmError, Purpose, Usage};

fn example() -> Config {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/custom-records.yaml");
    let text = std::fs::read_to_string(path).expect("the example exists");
    config::parse_with_env(&text, "examples/custom-records.yaml", &Overrides::default(), &|_| None)
        .expect("the example is valid")
}

async fn run(config: &Config, model: Arc<dyn ChatModel>, out: &Path, resume: bool) -> GenerateSummary {
    let paths = common::paths(config).await;
    let options = GenerateOptions { resume, output: Some(out.to_owned()), ..GenerateOptions::default() };
    let (_stop, stop_rx) = watch::channel(false);
    // No tool runs for a record: a backend that is never asked anything.
    let backend = Arc::new(
        weft_tools::HttpBackend::new(weft_tools::HttpBackendOptions::new("http://127.0.0.1:9"))
            .expect("a client"),
    );
    generate(config, model, backend, &paths, options, stop_rx).await.expect("generation runs")
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("{}: {err}", path.display()))
        .lines()
        .map(|line| serde_json::from_str(line).expect("JSON line"))
        .collect()
}

#[tokio::test]
async fn scripted_records_follow_the_schema_and_resume_from_the_canonical_file() {
    let config = example();
    assert_eq!(config.output.format, SampleKind::Custom);
    let schema = config.generation.output_schema.clone().expect("schema");
    let validator = weft_tools::validate::Validator::compile("schema", &schema).expect("compiles");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("records.jsonl");

    let summary = run(&config, common::scripted(config.seed), &out, false).await;
    assert!(summary.complete(), "{summary:?}");
    assert_eq!(summary.path, out);
    let records = lines(&out);
    assert_eq!(records.len(), 4);
    for record in &records {
        validator.validate(record).unwrap_or_else(|err| panic!("{record}: {err}"));
        assert!(record.get("metadata").is_none(), "records are the schema's alone: {record}");
    }
    // Records differ by topic: the scripted model writes the topic path into strings.
    let titles: std::collections::BTreeSet<&str> =
        records.iter().filter_map(|r| r["title"].as_str()).collect();
    assert_eq!(titles.len(), 4, "{titles:?}");

    let canonical = envelope_path(&out);
    let envelopes: Vec<CustomRecord> = std::fs::read_to_string(&canonical)
        .expect("the canonical file")
        .lines()
        .map(|line| serde_json::from_str(line).expect("an envelope"))
        .collect();
    assert_eq!(envelopes.iter().map(|e| e.metadata.sample_index).collect::<Vec<_>>(), [0, 1, 2, 3]);
    for (envelope, record) in envelopes.iter().zip(&records) {
        assert_eq!(&envelope.record, record);
        assert_eq!(envelope.metadata.conversation_type, "custom");
        assert_eq!(envelope.metadata.provider, "scripted");
        assert_eq!(envelope.metadata.attempts, 1);
        assert_eq!(envelope.metadata.schema_sha256.len(), 64);
        assert!(envelope.metadata.tokens.completion > 0);
        assert!(!envelope.metadata.topic_path.is_empty());
    }
    let before = std::fs::read(&out).expect("records");

    // A crash after two records, the second one torn: resume makes the
    // missing ones and ends with the same bytes.
    let text = std::fs::read_to_string(&canonical).expect("canonical");
    let kept: Vec<&str> = text.lines().take(2).collect();
    std::fs::write(&canonical, format!("{}\n{}", kept[0], &kept[1][..kept[1].len() / 2])).expect("tear");
    std::fs::remove_file(&out).expect("records gone");
    let summary = run(&config, common::scripted(config.seed), &out, true).await;
    assert!(summary.complete(), "{summary:?}");
    assert_eq!(summary.resumed, 1);
    assert_eq!(summary.report.written, 3);
    assert_eq!(std::fs::read(&out).expect("records"), before);
}

/// A model that writes records: `bad` replies first, then (for replies
/// whose prompt carries the refusal of an earlier one) `good`.
struct Records {
    bad: &'static str,
    good: Option<&'static str>,
    calls: AtomicU64,
    feedback: std::sync::Mutex<Vec<String>>,
}

#[async_trait]
impl ChatModel for Records {
    fn provider(&self) -> &str {
        "fake"
    }
    fn model(&self) -> &str {
        "records"
    }
    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        assert_eq!(request.purpose, Purpose::Record);
        let schema = request.response_schema.as_ref().expect("the schema is the response format");
        assert_eq!(schema.schema["required"], serde_json::json!(["title", "severity", "steps"]));
        self.calls.fetch_add(1, Ordering::Relaxed);
        let prompt = &request.messages.last().expect("a prompt").content;
        let refused = prompt.lines().find(|line| line.starts_with("An earlier answer was refused"));
        if let Some(line) = refused {
            self.feedback.lock().expect("lock").push(line.to_owned());
        }
        let content = match (refused, self.good) {
            (Some(_), Some(good)) => good,
            _ => self.bad,
        };
        Ok(ChatResponse {
            content: content.to_owned(),
            tool_calls: Vec::new(),
            reasoning: None,
            usage: Usage { prompt_tokens: 10, completion_tokens: 5 },
            finish_reason: FinishReason::Stop,
        })
    }
}

#[tokio::test]
async fn a_reply_that_breaks_the_schema_is_retried_with_the_reason() {
    let config = example();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("records.jsonl");
    let model = Arc::new(Records {
        bad: r#"{"title": "Crash", "severity": "urgent", "steps": []}"#,
        good: Some(
            "```json\n{\"title\": \"Crash on start\", \"severity\": \"high\", \"steps\": [\"run it\"]}\n```",
        ),
        calls: AtomicU64::new(0),
        feedback: Default::default(),
    });
    let summary = run(&config, model.clone(), &out, false).await;
    assert!(summary.complete(), "{summary:?}");
    assert_eq!(model.calls.load(Ordering::Relaxed), 8, "two attempts per record");
    let feedback = model.feedback.lock().expect("lock").clone();
    assert_eq!(feedback.len(), 4);
    for line in &feedback {
        assert!(line.contains("breaks the schema"), "{line}");
        assert!(line.contains("/severity"), "{line}");
        assert!(line.contains("/steps"), "{line}");
    }
    let records = lines(&out);
    assert_eq!(records.len(), 4);
    assert!(records.iter().all(|r| r["severity"] == "high"));
    let envelopes = lines(&envelope_path(&out));
    assert!(envelopes.iter().all(|e| e["metadata"]["attempts"] == 2));
}

#[tokio::test]
async fn records_that_never_pass_are_recorded_with_their_reasons_not_written() {
    let config = example();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("records.jsonl");
    let model = Arc::new(Records {
        bad: "Sure! Here is a bug report about your topic.",
        good: None,
        calls: AtomicU64::new(0),
        feedback: Default::default(),
    });
    let summary = run(&config, model.clone(), &out, false).await;
    assert!(!summary.complete());
    assert_eq!(summary.report.failures.len(), 4);
    assert_eq!(model.calls.load(Ordering::Relaxed), 12, "sample_retries: 2 → three attempts each");
    assert_eq!(std::fs::read_to_string(&out).expect("records file"), "");
    let failures = lines(&failures_path(&out));
    assert_eq!(failures.len(), 4);
    for failure in &failures {
        assert_eq!(failure["attempts"], 3);
        let errors = failure["errors"].as_array().expect("errors");
        assert_eq!(errors.len(), 3);
        assert!(errors.iter().all(|e| e.as_str().is_some_and(|e| e.contains("not JSON"))), "{failure}");
    }
}
