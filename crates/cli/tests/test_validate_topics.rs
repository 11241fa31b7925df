//! `weft validate` and `weft topics` as a user runs them: exit codes, what
//! goes to stdout and what to stderr.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

fn weft(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_weft")).args(args).current_dir(dir).output().expect("weft runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn validate_prints_the_summary_and_exits_0() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = repo("examples/quickstart.yaml");
    let out = weft(&["validate", config.to_str().expect("utf-8")], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("topics: tree, depth 2, degree 2 -> 4 paths"), "{stdout}");
    assert!(stdout.contains("read_file    -> vfs (in-process)"), "{stdout}");
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

#[test]
fn validate_puts_deprecations_on_stderr() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = repo("examples/deepfabric-seed.yaml");
    let out = weft(&["validate", config.to_str().expect("utf-8")], dir.path());
    assert_eq!(out.status.code(), Some(0));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().filter(|l| l.starts_with("warning: ")).count(), 2, "{stderr}");
    assert!(text(&out.stdout).contains("http://localhost:3000/vfs/execute"));
}

#[test]
fn validate_exits_2_with_every_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = repo("crates/gen/tests/fixtures/broken/typo-key.yaml");
    let out = weft(&["validate", config.to_str().expect("utf-8")], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("typo-key.yaml:12:3 — did you mean `num_samples`?"), "{stderr}");
    assert!(stderr.contains("has 3 errors"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn flags_override_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = repo("examples/openai-graph-agent.yaml");
    let args =
        ["validate", config.to_str().expect("utf-8"), "--provider", "scripted", "--num-samples", "25%"];
    let out = weft(&args, dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("generation scripted / gpt-4o-mini"), "{stdout}");
    assert!(stdout.contains("samples: 25% of topic paths"), "{stdout}");
    let bad = weft(&["validate", config.to_str().expect("utf-8"), "--num-samples", "lots"], dir.path());
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn topics_generates_saves_and_reloads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = repo("examples/quickstart.yaml");
    let config = config.to_str().expect("utf-8");
    let out = weft(&["topics", config], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let saved =
        std::fs::read_to_string(dir.path().join("topic_tree.jsonl")).expect("saved to topics.save_path()");
    assert_eq!(saved.lines().count(), 4);
    assert!(saved.starts_with("{\"path\": [\"Everyday file chores in a small Python project\", "));
    assert!(text(&out.stdout).starts_with("Everyday file chores in a small Python project\n├── "));

    let again =
        weft(&["topics", config, "--topics-load", "topic_tree.jsonl", "--out", "copy.jsonl"], dir.path());
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert_eq!(again.stdout, out.stdout);
    assert_eq!(std::fs::read_to_string(dir.path().join("copy.jsonl")).expect("copy"), saved);
}
