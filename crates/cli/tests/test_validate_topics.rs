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

/// A tree with a topic written twice (case aside) under two parents.
const TREE: &str = r#"{"path": ["Rust", "Ownership", "Borrowing"]}
{"path": ["Rust", "Ownership", "Moves"]}
{"path": ["Rust", "Traits & Generics"]}
{"path": ["Rust", "Memory", "ownership"]}
"#;

fn topic_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("topic file");
    path
}

#[test]
fn topics_inspect_counts_depth_leaves_duplicates_and_cycles() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tree = topic_file(dir.path(), "tree.jsonl", TREE);
    let out = weft(&["topics", "inspect", tree.to_str().expect("utf-8")], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    assert!(report.contains("tree, 7 topics, 4 paths, depth 2, 4 leaves"), "{report}");
    assert!(report.contains("paths ending at each depth: 1: 1, 2: 3"), "{report}");
    assert!(report.contains("duplicate topics: 1"), "{report}");
    assert!(report.contains("\"Ownership\": Rust > Ownership; Rust > Memory > ownership"), "{report}");
    assert!(report.contains("cycles: 0"), "{report}");

    // A hand-edited graph whose edge B -> A closes a cycle, A with two parents.
    let graph = topic_file(
        dir.path(),
        "graph.json",
        r#"{"root_id": 0, "nodes": {
            "0": {"id": 0, "topic": "Rust", "children": [1, 3]},
            "1": {"id": 1, "topic": "A", "children": [2]},
            "2": {"id": 2, "topic": "B", "children": [1]},
            "3": {"id": 3, "topic": "C", "children": []}}}"#,
    );
    let out = weft(&["topics", "inspect", graph.to_str().expect("utf-8"), "--json"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(stats["mode"], "graph");
    assert_eq!(stats["cycles"], serde_json::json!([["A", "B", "A"]]), "{stats}");
    assert_eq!(stats["shared"], 1, "{stats}");
    assert_eq!(stats["leaves"], 1, "{stats}");
}

#[test]
fn topics_prune_cuts_levels_and_matching_subtrees() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tree = topic_file(dir.path(), "tree.jsonl", TREE);
    let file = tree.to_str().expect("utf-8");
    let out = weft(&["topics", "prune", file, "--depth", "1", "--out", "shallow.jsonl"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("shallow.jsonl")).expect("pruned"),
        "{\"path\": [\"Rust\", \"Ownership\"]}\n{\"path\": [\"Rust\", \"Traits & Generics\"]}\n\
         {\"path\": [\"Rust\", \"Memory\"]}\n"
    );
    let out = weft(&["topics", "prune", file, "--match", "OWNER", "--out", "no-owner.jsonl"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("no-owner.jsonl")).expect("pruned"),
        "{\"path\": [\"Rust\", \"Traits & Generics\"]}\n{\"path\": [\"Rust\", \"Memory\"]}\n"
    );
    assert!(text(&out.stderr).contains("3 of 7 topics kept (2 paths)"), "{}", text(&out.stderr));
    let out = weft(&["topics", "prune", file, "--out", "same.jsonl"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--depth N and/or --match TEXT"), "{}", text(&out.stderr));
}

#[test]
fn topics_visualize_writes_well_formed_svg_with_every_topic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tree = topic_file(dir.path(), "tree.jsonl", TREE);
    let out =
        weft(&["topics", "visualize", tree.to_str().expect("utf-8"), "--svg", "topics.svg"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let svg_path = dir.path().join("topics.svg");
    let svg = std::fs::read_to_string(&svg_path).expect("svg");
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""), "{svg}");
    assert_eq!(svg.matches("<text ").count(), 7, "one label per topic");
    assert!(svg.contains(">Traits &amp; Generics</text>"), "{svg}");
    // A real XML parser reads it: what a browser or an editor will do.
    let parsed = Command::new("python3")
        .args([
            "-c",
            "import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); \
                      print(len(r.findall('.//{http://www.w3.org/2000/svg}text')))",
        ])
        .arg(&svg_path)
        .output()
        .expect("python3 runs");
    assert!(parsed.status.success(), "{}", text(&parsed.stderr));
    assert_eq!(text(&parsed.stdout).trim(), "7");
}
