//! Irrelevance samples (`conversation.irrelevant_share`): a share of the
//! samples asks for something the offered tools cannot serve, and the
//! right answer calls no tool. A model that calls tools anyway does not
//! make a sample: the failure is recorded with its reason.

use crate::common::{jsonl, run, stderr, weft};
use std::path::Path;

fn config(dir: &Path, llm: &str, share: &str, samples: u32) -> std::path::PathBuf {
    let topics = dir.join("topics.jsonl");
    std::fs::write(&topics, "{\"path\": [\"Files\", \"Chores\"]}\n{\"path\": [\"Files\", \"Notes\"]}\n")
        .expect("topics");
    let path = dir.join("config.yaml");
    let text = format!(
        "llm: {llm}\nseed: 11\n\
         topics: {{prompt: Files, depth: 1, degree: 2, save_as: \"{}\"}}\n\
         generation:\n  system_prompt: You help with files.\n  \
         conversation: {{type: cot, reasoning_style: agent, min_tool_calls: 2, irrelevant_share: {share}}}\n  \
         sample_retries: 1\n  \
         tools:\n    components: {{builtin: [read_file, write_file, list_files]}}\n    \
         scenario_seed: {{files: {{\"config.json\": \"{{\\\"debug\\\": true}}\"}}}}\n\
         output: {{num_samples: {samples}, batch_size: 4, save_as: \"{}\"}}\n",
        topics.display(),
        dir.join("data.jsonl").display()
    );
    std::fs::write(&path, text).expect("config");
    path
}

fn generate(config: &Path) -> std::process::Output {
    let topics = config.with_file_name("topics.jsonl");
    run(weft().args(["generate", "--no-tui"]).arg(config).arg("--topics-load").arg(topics))
}

#[test]
fn a_share_of_samples_asks_what_no_tool_can_do_and_calls_none() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config(dir.path(), "{provider: scripted, model: scripted}", "0.4", 20);
    let output = run(weft().arg("validate").arg(&config));
    assert!(output.status.success(), "{}", stderr(&output));
    let shown = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(shown.contains("40% irrelevance samples"), "{shown}");
    let output = generate(&config);
    assert!(output.status.success(), "{}", stderr(&output));
    let data = dir.path().join("data.jsonl");
    let samples = jsonl(&data);
    assert_eq!(samples.len(), 20);
    let (irrelevant, relevant): (Vec<_>, Vec<_>) =
        samples.iter().partition(|s| s["metadata"]["irrelevant"] == true);
    // Drawn per sample from the seed: about 40%, neither none nor all.
    assert!((4..=12).contains(&irrelevant.len()), "{} irrelevance samples of 20", irrelevant.len());
    for sample in &irrelevant {
        let roles: Vec<&str> = sample["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .filter_map(|m| m["role"].as_str())
            .collect();
        assert_eq!(roles, ["system", "user", "assistant"], "{sample}");
        assert_eq!(sample["metadata"]["tool_calls"], 0, "{sample}");
        let request = sample["messages"][1]["content"].as_str().expect("request");
        assert!(!request.contains("config.json"), "the request should need no file: {request}");
        let answer = sample["final_answer"].as_str().expect("answer");
        assert!(answer.contains("`read_file`"), "the answer says what the tools can do: {answer}");
    }
    for sample in &relevant {
        assert!(sample.get("metadata").and_then(|m| m.get("irrelevant")).is_none(), "{sample}");
        // `min_tool_calls: 2` still holds for the others.
        assert!(sample["metadata"]["tool_calls"].as_u64().expect("calls") >= 2, "{sample}");
    }
    // The same seed gives the same samples the same role.
    let again = dir.path().join("again.jsonl");
    let output = run(weft()
        .args(["generate", "--no-tui", "--output"])
        .arg(&again)
        .arg(&config)
        .arg("--topics-load")
        .arg(dir.path().join("topics.jsonl")));
    assert!(output.status.success(), "{}", stderr(&output));
    let flags = |rows: &[serde_json::Value]| -> Vec<bool> {
        rows.iter().map(|s| s["metadata"]["irrelevant"] == true).collect()
    };
    assert_eq!(flags(&samples), flags(&jsonl(&again)));
    // Irrelevance samples replay like any other (there is nothing to re-run).
    let verify = run(weft().arg("verify").arg(&data).arg("--config").arg(&config));
    assert!(verify.status.success(), "{}", stderr(&verify));
    assert!(stderr(&verify).contains("20 of 20 samples verified"), "{}", stderr(&verify));
}

#[test]
fn a_model_that_calls_tools_on_an_irrelevant_request_makes_no_sample() {
    // The fake model asks about config.json and calls tools whatever the request.
    let (base_url, _runtime) = crate::common::fake_llm(0);
    let dir = tempfile::tempdir().expect("tempdir");
    let llm = format!("{{provider: openai, model: fake, base_url: \"{base_url}\"}}");
    let config = config(dir.path(), &llm, "1.0", 2);
    let output = generate(&config);
    assert!(!output.status.success(), "no sample can be made: {}", stderr(&output));
    let data = dir.path().join("data.jsonl");
    assert!(!data.exists() || jsonl(&data).is_empty(), "no sample was written");
    let failures = jsonl(&dir.path().join("data.jsonl.failures.jsonl"));
    assert_eq!(failures.len(), 2, "{failures:?}");
    for failure in &failures {
        let text = failure.to_string();
        assert!(
            text.contains(
                "the request is one the offered tools cannot serve, yet the assistant called list_files"
            ),
            "{text}"
        );
    }
}

#[test]
fn a_share_out_of_range_or_without_tools_is_refused_at_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config(dir.path(), "{provider: scripted, model: scripted}", "1.5", 2);
    let output = run(weft().arg("validate").arg(&config));
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(text.contains("config.yaml:6:90"), "{text}");
    assert!(text.contains("`conversation.irrelevant_share: 1.5` is out of range 0..=1"), "{text}");
    let bare = dir.path().join("bare.yaml");
    std::fs::write(
        &bare,
        "llm: {provider: scripted, model: scripted}\ntopics: {prompt: Files, depth: 1, degree: 2}\n\
         generation:\n  system_prompt: You help.\n  conversation:\n    irrelevant_share: 0.2\n\
         output: {num_samples: 2, save_as: data.jsonl}\n",
    )
    .expect("config");
    let output = run(weft().arg("validate").arg(&bare));
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(text.contains("bare.yaml:6:23"), "{text}");
    assert!(text.contains("no tools are offered"), "{text}");
}
