//! End to end against a fake OpenAI-compatible server on loopback: the real
//! wire format with tool calls, one HTTP 500 and one malformed 200 reply,
//! both retried as calls.

use crate::common;

use weft_gen::validate::{Rules, validate};
use weft_llm::{ProviderSpec, build_model};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fake_openai_server_drives_real_tool_calls() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let options =
        weft_bench::FakeOptions { fail_with_500: vec![3], malformed: vec![7], ..Default::default() };
    tokio::spawn(weft_bench::serve(listener, options));

    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("data.jsonl");
    let config = common::config(3, 1);
    let mut spec = ProviderSpec::new("openai", "fake-model");
    spec.base_url = Some(format!("http://{addr}/v1"));
    spec.max_retries = 2;
    let model = build_model(&spec).expect("a local endpoint needs no key");
    let summary = common::run(&config, model, common::sandbox().await, &out, true).await;
    assert!(summary.complete(), "{summary:?}");
    let samples = common::samples(&out);
    assert_eq!(samples.len(), 3);
    // The malformed reply was retried as a call: no attempt (and none of
    // its earlier model calls) was wasted.
    assert_eq!(samples.iter().map(|s| s.metadata.attempts).max(), Some(1));
    for sample in &samples {
        validate(sample, &Rules { max_per_query: 4, min_tool_calls: 1 }).expect("valid");
        assert_eq!(sample.metadata.provider, "openai");
        assert_eq!(sample.metadata.model, "fake-model");
        assert_eq!(sample.metadata.tool_calls, 5);
        let results: Vec<&str> = sample
            .messages
            .iter()
            .filter(|m| m.role == "tool")
            .filter_map(|m| m.content.as_deref())
            .collect();
        assert_eq!(
            results,
            [
                r#"["README.md","app.py","config.json"]"#,
                "{\"version\": \"0.1.0\", \"debug\": false}\n",
                "Successfully wrote 36 bytes to summary.txt",
                "config.json sets version and debug.\n",
                "File not found: CHANGELOG.md",
            ]
        );
        assert_eq!(sample.metadata.error_types, ["FileNotFound"]);
        assert!(!sample.metadata.recovered, "the failed call was the last one");
        assert_eq!(
            sample.final_answer,
            "Done: summary.txt holds a summary of config.json; there is no CHANGELOG.md."
        );
        // The provider's own ids were replaced by 9-alphanumeric ones.
        for call in sample.messages.iter().filter_map(|m| m.tool_calls.as_ref()).flatten() {
            assert!(weft_gen::ids::is_call_id(&call.id), "{}", call.id);
        }
    }
}
