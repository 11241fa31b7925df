//! Resume reads back what a crash left: whole lines count, a torn last line
//! is cut off, a corrupt line in the middle is an error, not silently lost.

use crate::common;

use std::collections::BTreeSet;

use weft_gen::writer::{Dataset, WriteError};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_keeps_whole_lines_and_cuts_a_torn_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("data.jsonl");
    common::run(&common::config(3, 3), common::scripted(7), common::sandbox().await, &out, true).await;
    let whole = std::fs::read(&out).expect("dataset");
    let mut torn = whole.clone();
    torn.extend_from_slice(br#"{"messages":[{"role":"user","content":"half a li"#);
    std::fs::write(&out, &torn).expect("write");

    let (dataset, done) = Dataset::resume(&out).expect("resumes");
    assert_eq!(done, BTreeSet::from([0, 1, 2]));
    assert_eq!(std::fs::read(&out).expect("dataset"), whole, "the torn line is cut off");
    assert_eq!(dataset.finish(|index| index < 3).expect("finishes"), 3);
}

#[test]
fn a_corrupt_line_in_the_middle_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("data.jsonl");
    std::fs::write(&out, "not json\n{\"metadata\":{\"sample_index\":0}}\n").expect("write");
    let err = Dataset::resume(&out).expect_err("corrupt");
    assert!(matches!(err, WriteError::Corrupt { line: 1, .. }), "{err}");
}

#[test]
fn resuming_a_missing_file_starts_fresh() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("new.jsonl");
    let (_dataset, done) = Dataset::resume(&out).expect("starts");
    assert!(done.is_empty());
    assert!(out.exists());
}
