//! Tools a config brings itself — inline `custom` definitions and
//! `mcp_servers` imports — are loaded into the mock tier at start and take
//! part in generation like the VFS tools: offered, called, answered from
//! their schemas, recorded.

use crate::common;

use std::path::Path;
use std::process::Command;

use serde_json::Value;

const CUSTOM: &str = r#"    custom:
      - name: escalate_ticket
        description: Hand the conversation to a human
        parameters: [{name: reason, type: str, description: Why, required: true}]
        returns: Ticket number
"#;

fn config(dir: &Path, tools: &str) -> std::path::PathBuf {
    let path = dir.join("config.yaml");
    let text = format!(
        "llm: {{provider: scripted, model: scripted}}\nseed: 1\n\
         topics: {{prompt: Support, depth: 1, degree: 2, save_as: {}}}\n\
         generation:\n  system_prompt: You are a support agent.\n  \
         conversation: {{type: cot, reasoning_style: agent}}\n  tools:\n{tools}\
         output: {{num_samples: 2, batch_size: 2, save_as: {}}}\n",
        dir.join("topics.jsonl").display(),
        dir.join("out.jsonl").display()
    );
    std::fs::write(&path, text).expect("config");
    path
}

fn generate(config: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(["generate", "--no-tui"])
        .arg(config)
        .output()
        .expect("weft runs")
}

fn samples(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("out.jsonl"))
        .expect("dataset")
        .lines()
        .map(|line| serde_json::from_str(line).expect("a sample"))
        .collect()
}

/// `(tool, result)` of every tool message, in order.
fn results(sample: &Value) -> Vec<(String, Value)> {
    let messages = sample["messages"].as_array().expect("messages");
    let mut names = std::collections::HashMap::new();
    for call in messages.iter().filter_map(|m| m["tool_calls"].as_array()).flatten() {
        names.insert(call["id"].as_str().unwrap_or_default().to_owned(), call["function"]["name"].clone());
    }
    messages
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| {
            let name = names[m["tool_call_id"].as_str().expect("id")].as_str().expect("name").to_owned();
            (name, serde_json::from_str(m["content"].as_str().expect("text")).unwrap_or(Value::Null))
        })
        .collect()
}

/// The names of the tools a sample offered the model, in order.
fn offered(sample: &Value) -> Vec<&str> {
    sample["tools"].as_array().expect("tools").iter().filter_map(|t| t["function"]["name"].as_str()).collect()
}

#[test]
fn inline_custom_tools_are_served_by_the_mock_tier() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = generate(&config(dir.path(), CUSTOM));
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    for sample in samples(dir.path()) {
        let offered = offered(&sample);
        assert_eq!(offered, ["escalate_ticket"]);
        let (name, result) = &results(&sample)[0];
        assert_eq!(name, "escalate_ticket");
        assert_eq!(result["mock_result"], "Successfully executed escalate_ticket");
        assert_eq!(result["description"], "Hand the conversation to a human Returns: Ticket number");
        assert!(result["input_received"]["reason"].is_string(), "{result}");
    }
}

#[test]
fn mcp_server_tools_are_imported_and_called() {
    let Some(everything) = common::everything() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let tools = format!(
        "{CUSTOM}    mcp_servers:\n      - name: everything\n        command: node\n        \
         args: [\"{everything}\", stdio]\n        tools: [echo, get-sum]\n"
    );
    let output = generate(&config(dir.path(), &tools));
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    for sample in samples(dir.path()) {
        let offered = offered(&sample);
        assert_eq!(offered, ["escalate_ticket", "echo", "get-sum"]);
        let echo = &sample["tools"][1]["function"];
        assert_eq!(echo["parameters"]["required"], serde_json::json!(["message"]), "the server's own schema");
        let called: Vec<String> = results(&sample).into_iter().map(|(name, _)| name).collect();
        assert!(called.contains(&"echo".to_owned()) && called.contains(&"get-sum".to_owned()), "{called:?}");
    }

    // A tool the server does not offer stops the run before any sample.
    let dir = tempfile::tempdir().expect("tempdir");
    let tools = format!(
        "    mcp_servers:\n      - name: everything\n        command: node\n        \
         args: [\"{everything}\", stdio]\n        tools: [no_such_tool]\n"
    );
    let output = generate(&config(dir.path(), &tools));
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("MCP server `everything` does not offer no_such_tool"), "{stderr}");
    assert!(!dir.path().join("out.jsonl").exists());
}

#[test]
fn with_a_tool_service_the_brought_tools_are_loaded_into_its_mock_tier() {
    let (_serve, base) = common::weft_serve(1);
    let dir = tempfile::tempdir().expect("tempdir");
    let tools = format!("    spin_endpoint: http://{base}\n{CUSTOM}");
    let output = generate(&config(dir.path(), &tools));
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    for sample in samples(dir.path()) {
        let (name, result) = &results(&sample)[0];
        assert_eq!(name, "escalate_ticket");
        assert_eq!(result["mock_result"], "Successfully executed escalate_ticket");
    }
}
