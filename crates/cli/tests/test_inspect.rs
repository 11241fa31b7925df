//! `weft inspect` as a user runs it: on weft-dataset's hand-built inspect
//! fixtures (the figures themselves are checked there), the outputs and
//! the exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../dataset/tests/fixtures/inspect").join(name)
}

fn weft_inspect(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_weft")).arg("inspect").args(args).output().expect("weft runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn summary_json_and_report() {
    let dataset = fixture("dataset.jsonl");
    let topics = fixture("topics.jsonl");
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.html");
    let out = weft_inspect(&[
        dataset.to_str().expect("path"),
        "--topics",
        topics.to_str().expect("path"),
        "--html",
        report.to_str().expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("12 samples, 3 failures (yield 80.0%)"), "{stdout}");
    assert!(stdout.contains("Recovery: 6 of 9 failed calls recovered (66.7%)"), "{stdout}");
    let html = std::fs::read_to_string(&report).expect("report written");
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<svg") && !html.contains("<script"));

    let out = weft_inspect(&[dataset.to_str().expect("path"), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let figures: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(figures["format"], "weft-inspect/1");
    assert_eq!(figures["samples"], 12);
    assert_eq!(figures["recovery"]["recovered_calls"], 6);
}

#[test]
fn bad_inputs_exit_2_with_where() {
    let bad = fixture("bad.jsonl");
    let out = weft_inspect(&[bad.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("bad.jsonl:3: not a weft sample"), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());

    let out = weft_inspect(&["/nonexistent/dataset.jsonl"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot read /nonexistent/dataset.jsonl"), "{}", text(&out.stderr));

    let dataset = fixture("dataset.jsonl");
    let out = weft_inspect(&[dataset.to_str().expect("path"), "--html", "/nonexistent/dir/report.html"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot write /nonexistent/dir/report.html"), "{}", text(&out.stderr));

    // A usage error (clap's).
    let out = weft_inspect(&[]);
    assert_eq!(out.status.code(), Some(2));
}
