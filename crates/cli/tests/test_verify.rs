//! `weft verify`: generated datasets replay to the same results, and a
//! forged result, a swapped call order and a changed scenario are each
//! named with the first divergence.

use crate::common::{jsonl as samples, run, stderr, weft};
use serde_json::Value;
use std::path::{Path, PathBuf};

const SEED: &str = "    scenario_seed:\n      files:\n        config.json: '{\"version\": \"0.1.0\"}'\n        \
                    README.md: \"# demo\\n\"\n        lib/util.py: \"X = 1\\n\"\n";

/// A scripted config with `tools` (YAML under `generation.tools`) and
/// `conversation` (the flow map of `generation.conversation`).
fn config(dir: &Path, conversation: &str, tools: &str) -> PathBuf {
    let path = dir.join("config.yaml");
    let text = format!(
        "llm: {{provider: scripted, model: scripted}}\nseed: 3\n\
         topics: {{prompt: Files, depth: 1, degree: 3, save_as: \"{}\"}}\n\
         generation:\n  system_prompt: You help with files.\n  conversation: {conversation}\n  tools:\n{tools}\
         output: {{num_samples: 6, batch_size: 3, save_as: \"{}\"}}\n",
        dir.join("topics.jsonl").display(),
        dir.join("data.jsonl").display()
    );
    std::fs::write(&path, text).expect("config");
    path
}

fn generate(config: &Path) {
    let output = run(weft().args(["generate", "--no-tui"]).arg(config));
    assert!(output.status.success(), "{}", stderr(&output));
}

fn verify(dataset: &Path, config: &Path) -> (Option<i32>, String, Value) {
    let output = run(weft().arg("verify").arg(dataset).arg("--config").arg(config).arg("--json"));
    let report = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (output.status.code(), stderr(&output), report)
}

fn write_samples(path: &Path, samples: &[Value]) {
    let lines: Vec<String> = samples.iter().map(Value::to_string).collect();
    std::fs::write(path, lines.join("\n") + "\n").expect("write");
}

#[test]
fn generated_datasets_verify_scripted_multi_turn_and_mock_tools() {
    let builtin = "    components: {builtin: [read_file, write_file, list_files]}\n";
    let custom = "    custom:\n      - name: escalate_ticket\n        description: Hand over to a human\n        \
                  parameters: [{name: reason, type: str, description: Why, required: true}]\n        \
                  returns: Ticket number\n";
    let cases = [
        ("single turn, VFS", "{type: cot, reasoning_style: agent}".to_owned(), format!("{builtin}{SEED}")),
        (
            "multi-turn, VFS",
            "{type: cot, reasoning_style: agent, agent_mode: multi_turn, min_turns: 2, max_turns: 3}"
                .to_owned(),
            format!("{builtin}{SEED}"),
        ),
        ("mock tools", "{type: cot, reasoning_style: agent}".to_owned(), format!("{custom}{SEED}")),
    ];
    for (name, conversation, tools) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = config(dir.path(), &conversation, &tools);
        generate(&config);
        let (code, err, report) = verify(&dir.path().join("data.jsonl"), &config);
        assert_eq!(code, Some(0), "{name}: {err}");
        assert_eq!(report["samples"], 6, "{name}: {report}");
        assert_eq!(report["verified"], 6, "{name}: {report}");
        assert!(report["calls"].as_u64().expect("calls") >= 6, "{name}: {report}");
        let replay = &samples(&dir.path().join("data.jsonl"))[0]["metadata"]["replay"];
        assert_eq!(replay["scenario"], "default", "{name}");
        assert_eq!(replay["scenario_sha256"].as_str().map(str::len), Some(64), "{name}");
        if name == "mock tools" {
            assert_eq!(replay["components"]["mock"], "builtin", "{name}");
            let made: usize = samples(&dir.path().join("data.jsonl"))
                .iter()
                .map(|s| calls_of(s, "escalate_ticket").len())
                .sum();
            assert!(made > 0, "{name}: no mock tool was called");
        } else {
            let vfs = replay["components"]["vfs"].as_str();
            assert!(vfs.is_some_and(|v| v.starts_with("sha256:") && v.len() == 23), "{name}: {replay}");
        }
    }
}

#[test]
fn a_sample_made_against_a_fake_openai_model_verifies() {
    let (base_url, _runtime) = crate::common::fake_llm(0);
    let dir = tempfile::tempdir().expect("tempdir");
    let topics = dir.path().join("topics.jsonl");
    std::fs::write(&topics, "{\"path\": [\"Files\", \"Chores\"]}\n").expect("topics");
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "llm: {{provider: openai, model: fake, base_url: \"{base_url}\"}}\n\
             topics: {{prompt: Files, depth: 1, degree: 1, save_as: \"{}\"}}\n\
             generation:\n  system_prompt: You help with files.\n  conversation: {{type: cot, reasoning_style: agent}}\n  \
             tools:\n    components: {{builtin: [read_file, write_file, list_files]}}\n{SEED}\
             output: {{num_samples: 4, batch_size: 2, save_as: \"{}\"}}\n",
            topics.display(),
            dir.path().join("data.jsonl").display()
        ),
    )
    .expect("config");
    let output = run(weft().args(["generate", "--no-tui"]).arg(&config).arg("--topics-load").arg(&topics));
    assert!(output.status.success(), "{}", stderr(&output));
    let (code, err, report) = verify(&dir.path().join("data.jsonl"), &config);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(report["verified"], 4, "{report}");
    assert!(report["calls"].as_u64().expect("calls") >= 4, "{report}");
    assert!(err.contains("4 of 4 samples verified"), "{err}");
}

/// The tool message answering `id` and its index.
fn tool_message(sample: &Value, id: &str) -> usize {
    sample["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .position(|m| m["role"] == "tool" && m["tool_call_id"] == id)
        .expect("a tool message answers the call")
}

/// `(message index, entry index, id)` of every call whose tool is `name`.
fn calls_of(sample: &Value, name: &str) -> Vec<(usize, usize, String)> {
    let mut found = Vec::new();
    for (at, message) in sample["messages"].as_array().expect("messages").iter().enumerate() {
        for (k, entry) in message["tool_calls"].as_array().into_iter().flatten().enumerate() {
            if entry["function"]["name"] == name {
                found.push((at, k, entry["id"].as_str().expect("id").to_owned()));
            }
        }
    }
    found
}

fn arguments(sample: &Value, (at, k): (usize, usize)) -> Value {
    let text = sample["messages"][at]["tool_calls"][k]["function"]["arguments"].as_str().expect("arguments");
    serde_json::from_str(text).expect("JSON")
}

type Call = (usize, usize, String);

/// A write of a file and a later read of the same file, and the file.
fn read_back(sample: &Value) -> Option<(Call, Call, String)> {
    for write in calls_of(sample, "write_file") {
        let file = arguments(sample, (write.0, write.1))["file_path"].clone();
        let read = calls_of(sample, "read_file")
            .into_iter()
            .find(|read| read.0 > write.0 && arguments(sample, (read.0, read.1))["file_path"] == file);
        if let Some(read) = read {
            return Some((write, read, file.as_str()?.to_owned()));
        }
    }
    None
}

fn execution_of(sample: &Value, arguments: &Value) -> usize {
    sample["tool_context"]["executions"]
        .as_array()
        .expect("executions")
        .iter()
        .position(|e| &e["arguments"] == arguments)
        .expect("an execution with those arguments")
}

#[test]
fn a_forged_result_a_swapped_order_and_a_changed_scenario_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config(
        dir.path(),
        "{type: cot, reasoning_style: agent}",
        &format!("    components: {{builtin: [read_file, write_file, list_files]}}\n{SEED}"),
    );
    generate(&config);
    let data = dir.path().join("data.jsonl");
    let original = samples(&data);

    // 1. A result edited by hand, in the message and in tool_context alike.
    let mut forged = original.clone();
    let sample = &mut forged[1];
    let (_, _, id) = calls_of(sample, "list_files").into_iter().next().expect("a list_files call");
    let at = tool_message(sample, &id);
    let truth = sample["messages"][at]["content"].as_str().expect("text").to_owned();
    let lie = "[\"README.md\",\"config.json\",\"secrets.env\"]";
    sample["messages"][at]["content"] = lie.into();
    let k = execution_of(sample, &"{}".into());
    sample["tool_context"]["executions"][k]["result"] = lie.into();
    let path = dir.path().join("forged.jsonl");
    write_samples(&path, &forged);
    let (code, err, report) = verify(&path, &config);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!((report["verified"].as_u64(), report["diverged"].as_u64()), (Some(5), Some(1)), "{report}");
    let verdict = &report["results"][1];
    assert_eq!(verdict["verdict"], "diverged", "{report}");
    assert_eq!(verdict["line"], 2);
    assert_eq!(verdict["divergence"]["message"], at, "{verdict}");
    assert_eq!(verdict["divergence"]["call"], "list_files({})", "{verdict}");
    assert_eq!(verdict["divergence"]["expected"], lie, "{verdict}");
    assert_eq!(verdict["divergence"]["got"], truth.as_str(), "{verdict}");
    // The same on the terminal, without --json.
    let plain = run(weft().arg("verify").arg(&path).arg("--config").arg(&config));
    assert_eq!(plain.status.code(), Some(1));
    let text = stderr(&plain);
    assert!(text.contains(&format!("forged.jsonl:2 (sample 1) at message {at}, list_files({{}})")), "{text}");
    assert!(text.contains("5 of 6 samples verified"), "{text}");
    // Only the message edited: the sample disagrees with itself.
    let mut half = original.clone();
    let at = tool_message(&half[0], &calls_of(&original[0], "list_files")[0].2);
    half[0]["messages"][at]["content"] = lie.into();
    write_samples(&path, &half);
    let (code, _, report) = verify(&path, &config);
    assert_eq!(code, Some(1));
    let reason = report["results"][0]["divergence"]["reason"].as_str().expect("reason");
    assert!(reason.contains("tool_context.executions[0]` disagrees with the messages"), "{reason}");

    // 2. The write of a file and the read of it swapped (calls, results and
    //    executions moved together, so only the order is wrong).
    let mut swapped = original.clone();
    let (index, (wm, wk, wid), (rm, rk, rid), file) = swapped
        .iter()
        .enumerate()
        .find_map(|(index, sample)| read_back(sample).map(|(w, r, file)| (index, w, r, file)))
        .expect("a sample that writes a file and reads it back");
    let sample = &mut swapped[index];
    let (wt, rt) = (tool_message(sample, &wid), tool_message(sample, &rid));
    let write_entry = sample["messages"][wm]["tool_calls"][wk].take();
    let read_entry = sample["messages"][rm]["tool_calls"][rk].take();
    sample["messages"][wm]["tool_calls"][wk] = read_entry.clone();
    sample["messages"][rm]["tool_calls"][rk] = write_entry.clone();
    let write_message = sample["messages"][wt].take();
    let read_message = sample["messages"][rt].take();
    sample["messages"][wt] = read_message;
    sample["messages"][rt] = write_message;
    let (we, re) = (
        execution_of(sample, &write_entry["function"]["arguments"]),
        execution_of(sample, &read_entry["function"]["arguments"]),
    );
    let executions = sample["tool_context"]["executions"].as_array_mut().expect("executions");
    executions.swap(we, re);
    write_samples(&path, &swapped);
    let (code, err, report) = verify(&path, &config);
    assert_eq!(code, Some(1), "{err}");
    let verdict = &report["results"][index];
    assert_eq!(verdict["verdict"], "diverged", "{report}");
    assert_eq!(verdict["divergence"]["message"], wt, "{verdict}");
    assert_eq!(verdict["divergence"]["got"], format!("File not found: {file}"), "{verdict}");
    assert_eq!(report["diverged"], 1, "{report}");

    // 3. The scenario changed since the samples were made: every sample that
    //    called a tool diverges before anything runs.
    let changed = dir.path().join("changed.yaml");
    let text = std::fs::read_to_string(&config).expect("config").replace("0.1.0", "0.2.0");
    std::fs::write(&changed, text).expect("config");
    let (code, _, report) = verify(&data, &changed);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(report["diverged"], 6, "{report}");
    let divergence = &report["results"][0]["divergence"];
    assert_eq!(divergence["reason"], "scenario `default` changed since the sample was made", "{divergence}");
    let plain = stderr(&run(weft().arg("verify").arg(&data).arg("--config").arg(&changed)));
    assert!(plain.contains("data.jsonl:1 (sample 0): scenario `default` changed"), "{plain}");
    assert!(plain.contains("expected: sha256 "), "{plain}");
    // A sample naming a scenario the config does not have cannot be checked.
    let mut renamed = original.clone();
    renamed[0]["metadata"]["replay"]["scenario"] = "staging".into();
    write_samples(&path, &renamed);
    let (code, _, report) = verify(&path, &config);
    assert_eq!(code, Some(1));
    assert_eq!(report["results"][0]["verdict"], "unverifiable", "{report}");
    assert!(report["results"][0]["reason"].as_str().expect("reason").contains("`staging`"), "{report}");
    // And the untouched dataset still verifies.
    let (code, err, _) = verify(&data, &config);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn bad_input_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.jsonl");
    std::fs::write(&path, "{\"record\": {\"a\": 1}, \"metadata\": {}}\n").expect("write");
    let output = run(weft().arg("verify").arg(&path));
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("bad.jsonl:1: a custom record"), "{}", stderr(&output));
    std::fs::write(&path, "{\"messages\": [}\n").expect("write");
    let output = run(weft().arg("verify").arg(&path));
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("bad.jsonl:1: not JSON"), "{}", stderr(&output));
    let output = run(weft().arg("verify").arg(dir.path().join("missing.jsonl")));
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("cannot read"), "{}", stderr(&output));
}

#[test]
fn a_dataset_made_through_weft_serve_verifies_through_it() {
    let (_serve, addr) = crate::common::weft_serve(1);
    let dir = tempfile::tempdir().expect("tempdir");
    let tools = format!(
        "    spin_endpoint: \"http://{addr}\"\n    components: {{builtin: [read_file, write_file, list_files]}}\n{SEED}"
    );
    let config = config(dir.path(), "{type: cot, reasoning_style: agent}", &tools);
    generate(&config);
    let data = dir.path().join("data.jsonl");
    let replay = samples(&data)[0]["metadata"]["replay"].clone();
    let vfs = replay["components"]["vfs"].as_str().expect("weft serve reports the VFS's version");
    assert!(vfs.starts_with("sha256:"), "{replay}");
    let (code, err, report) = verify(&data, &config);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(report["verified"], 6, "{report}");
    // weft serve seeded the project's own lib/ as the in-process sandbox does.
    let text = std::fs::read_to_string(&data).expect("data");
    assert!(text.contains("lib/util.py"), "the seeded lib/ was never listed");
    assert!(!text.contains("Access denied: lib"), "weft serve refused the project's lib/");
    // The same samples verify in-process: the service ran the same component.
    let in_process = dir.path().join("in-process.yaml");
    let text = std::fs::read_to_string(&config).expect("config");
    std::fs::write(&in_process, text.replace(&format!("    spin_endpoint: \"http://{addr}\"\n"), ""))
        .expect("config");
    let (code, err, report) = verify(&data, &in_process);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(report["verified"], 6, "{report}");
}
