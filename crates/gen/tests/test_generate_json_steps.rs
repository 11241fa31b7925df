//! The JSON-step fallback end to end: a fake OpenAI-compatible model that
//! refuses native `tools` (HTTP 400) and answers each step with a JSON object
//! through structured output. The dataset must look exactly like one from
//! native tool calling, with every result coming from the real sandbox.

use crate::common;

use std::time::Duration;

use weft_gen::validate::{Rules, validate};
use weft_llm::{ProviderSpec, build_model};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_without_tool_calling_works_through_json_steps() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let options = weft_bench::FakeOptions { latency: Duration::ZERO, ..Default::default() };
    tokio::spawn(weft_bench::serve(listener, options));

    let config = common::config_with(2, 2, |text| {
        text.replace("    max_agent_steps: 5\n", "    max_agent_steps: 6\n    tool_calling: json\n")
    });
    let tools = config.generation.tools.as_ref().expect("tools");
    assert_eq!(tools.tool_calling, weft_gen::config::ToolCalling::Json);

    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("data.jsonl");
    let mut spec = ProviderSpec::new("openai", "no-tools-model");
    spec.base_url = Some(format!("http://{addr}/v1"));
    spec.max_retries = 0;
    let model = build_model(&spec).expect("a local endpoint needs no key");
    let summary = common::run(&config, model, common::sandbox().await, &out, true).await;
    assert!(summary.complete(), "{summary:?}");
    let samples = common::samples(&out);
    assert_eq!(samples.len(), 2);
    for sample in &samples {
        validate(sample, &Rules { max_per_query: 4, min_tool_calls: 1 }).expect("valid");
        assert_eq!(sample.metadata.attempts, 1, "no attempt failed");
        let calls: Vec<(&str, &str)> = sample
            .messages
            .iter()
            .filter_map(|m| m.tool_calls.as_ref())
            .flatten()
            .map(|c| (c.function.name.as_str(), c.function.arguments.as_str()))
            .collect();
        assert_eq!(calls[4], ("read_file", r#"{"file_path":7}"#), "argument text kept as written");
        let results: Vec<&str> = sample
            .messages
            .iter()
            .filter(|m| m.role == "tool")
            .filter_map(|m| m.content.as_deref())
            .collect();
        assert_eq!(results.len(), 6);
        assert_eq!(results[0], r#"["README.md","app.py","config.json"]"#);
        assert_eq!(results[1], "{\"version\": \"0.1.0\", \"debug\": false}\n");
        assert_eq!(results[2], "Successfully wrote 36 bytes to summary.txt");
        assert_eq!(results[3], "config.json sets version and debug.\n");
        assert!(results[4].contains("/file_path"), "checked against the schema: {}", results[4]);
        assert_eq!(results[5], "File not found: CHANGELOG.md");
        assert_eq!(sample.metadata.error_types, ["FileNotFound", "InvalidArguments"]);
        assert_eq!(
            sample.final_answer,
            "Done: summary.txt holds a summary of config.json; there is no CHANGELOG.md."
        );
        // The thoughts of the JSON steps became the assistant texts.
        let thoughts: Vec<&str> = sample
            .messages
            .iter()
            .filter(|m| m.role == "assistant" && m.tool_calls.is_some())
            .filter_map(|m| m.content.as_deref())
            .collect();
        assert_eq!(thoughts[0], "Let me look at the workspace and the config.");
    }
}
