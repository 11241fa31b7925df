//! `weft format` as a user runs it: the real binary on weft-dataset's
//! fixture dataset (one of whose samples has a call with invalid JSON
//! arguments, which object-argument formats cannot render).

use crate::common::{stderr, weft};
use std::path::{Path, PathBuf};

fn dataset(dir: &Path) -> PathBuf {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../dataset/tests/fixtures/samples.jsonl");
    let path = dir.join("data.jsonl");
    std::fs::copy(fixture, &path).expect("copy fixture");
    path
}

fn lines(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).expect("output");
    text.lines().map(|line| serde_json::from_str(line).expect("json line")).collect()
}

#[test]
fn renders_beside_the_dataset_and_exits_0() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dataset(dir.path());
    let output = weft().arg("format").arg(&data).args(["--to", "hermes"]).output().expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let records = lines(&dir.path().join("data.hermes.jsonl"));
    assert_eq!(records.len(), 4);
    assert!(records[0]["text"].as_str().expect("text").contains("<tool_call>"));
    assert!(stderr(&output).contains("4 of 4 samples written"), "{}", stderr(&output));
}

#[test]
fn names_the_samples_it_could_not_render_and_exits_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dataset(dir.path());
    let out = dir.path().join("train.jsonl");
    let output =
        weft().arg("format").arg(&data).args(["--to", "trl", "-o"]).arg(&out).output().expect("runs");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(lines(&out).len(), 3);
    let stderr = stderr(&output);
    assert!(
        stderr.contains(&format!("{}:3 (sample 2): call Bd3ArgsX1 (write_file)", data.display())),
        "{stderr}"
    );
    assert!(stderr.contains("3 of 4 samples written"), "{stderr}");
}

#[test]
fn chat_templates_take_their_file_and_options() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dataset(dir.path());
    let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("../dataset/tests/fixtures/chatml_tools.jinja");
    let output = weft()
        .arg("format")
        .arg(&data)
        .args(["--to", "chat-template", "--template"])
        .arg(&template)
        .args(["--bos", "<s>", "--date", "2025-01-15", "--split-parallel"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1), "the invalid-arguments sample: {}", stderr(&output));
    let records = lines(&dir.path().join("data.chatml_tools.jsonl"));
    let text = records[0]["text"].as_str().expect("text");
    assert!(
        text.starts_with("<s><|im_start|>system") && text.contains("Today is 15 January 2025."),
        "{text}"
    );
}

#[test]
fn usage_errors_exit_2_and_write_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dataset(dir.path());
    let cases: [(&[&str], &str); 4] = [
        (&["--to", "alpaca"], "unknown format `alpaca`"),
        (&["--to", "chat-template"], "needs --template"),
        (&["--to", "trl", "--split-parallel"], "--split-parallel is a chat-template option"),
        (&["--to", "chat-template", "--template", "missing.jinja"], "missing.jinja"),
    ];
    for (args, message) in cases {
        let output = weft().arg("format").arg(&data).args(args).output().expect("runs");
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
        assert!(stderr(&output).contains(message), "{args:?}: {}", stderr(&output));
    }
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"messages\": 1}\n").expect("write");
    let output = weft().arg("format").arg(&bad).args(["--to", "openai"]).output().expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(&format!("{}:1: not a weft sample", bad.display())),
        "{}",
        stderr(&output)
    );
    let written: Vec<_> =
        std::fs::read_dir(dir.path()).expect("dir").map(|e| e.expect("entry").file_name()).collect();
    assert_eq!(written.len(), 2, "only the inputs: {written:?}");
}

#[test]
fn a_config_finds_its_chat_template_beside_it_wherever_weft_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/training-formats.yaml");
    let out = dir.path().join("formats.jsonl");
    // Run from elsewhere: the template path is the config's, not the shell's.
    let output = weft()
        .current_dir(dir.path())
        .arg("generate")
        .arg(&example)
        .args(["--no-tui", "-o"])
        .arg(&out)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let chatml = lines(&dir.path().join("formats-dataset.chatml.jsonl"));
    assert_eq!(chatml.len(), 3);
    assert!(chatml[0]["text"].as_str().expect("text").contains("<|im_start|>"), "{}", chatml[0]);
    assert_eq!(lines(&dir.path().join("formats.trl.jsonl")).len(), 3);

    // A template that is not there is refused before anything runs, at its line.
    let text = std::fs::read_to_string(&example).expect("example");
    let broken = dir.path().join("broken.yaml");
    std::fs::write(&broken, text.replace("templates/chatml-tools.jinja", "templates/missing.jinja"))
        .expect("write");
    let output = weft().arg("validate").arg(&broken).output().expect("runs");
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    // (The entry's line: an entry of `formats` keeps no places inside it.)
    let line = text.lines().position(|l| l.contains("- name: chat-template")).expect("entry line") + 1;
    assert!(message.contains(&format!("broken.yaml:{line}:")), "{message}");
    assert!(message.contains("templates/missing.jinja"), "{message}");
    assert!(message.contains("relative to the config file's folder"), "{message}");
}
