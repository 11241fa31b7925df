//! `output.format: custom` through the binary: generate, shard and merge,
//! render with `weft format --to custom`, and the clear refusals when a
//! custom record meets a conversation format or `weft inspect`.

use crate::common::{run, stderr, weft};
use std::path::{Path, PathBuf};

/// The example config, with its topics and records in `dir`.
fn config(dir: &Path) -> PathBuf {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/custom-records.yaml");
    let text = std::fs::read_to_string(example).expect("the example exists");
    let text = text
        .replace(
            "save_as: custom-records.jsonl",
            &format!("save_as: \"{}\"", dir.join("records.jsonl").display()),
        )
        .replace(
            "  degree: 2\n",
            &format!("  degree: 2\n  save_as: \"{}\"\n", dir.join("topics.jsonl").display()),
        )
        .replace("num_samples: 4", "num_samples: 5");
    let path = dir.join("config.yaml");
    std::fs::write(&path, text).expect("config");
    path
}

#[test]
fn records_are_generated_sharded_merged_and_rendered() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config(dir.path());
    let records = dir.path().join("records.jsonl");

    let whole = run(weft().arg("generate").arg(&config).arg("--no-tui"));
    assert!(whole.status.success(), "{}", stderr(&whole));
    assert!(stderr(&whole).contains("5 of 5 samples"), "{}", stderr(&whole));
    let unsharded = std::fs::read_to_string(&records).expect("records");
    assert_eq!(unsharded.lines().count(), 5);
    for line in unsharded.lines() {
        let record: serde_json::Value = serde_json::from_str(line).expect("JSON");
        let keys: Vec<&String> = record.as_object().expect("object").keys().collect();
        assert!(
            keys.iter().all(|k| ["title", "severity", "steps", "affected_files"].contains(&k.as_str())),
            "{keys:?}"
        );
    }
    let canonical = dir.path().join("records.jsonl.weft.jsonl");

    // The records again from the canonical file, as `weft format` renders them.
    let again = dir.path().join("again.jsonl");
    let format = run(weft().arg("format").arg(&canonical).args(["--to", "custom", "-o"]).arg(&again));
    assert!(format.status.success(), "{}", stderr(&format));
    assert_eq!(std::fs::read_to_string(&again).expect("rendered"), unsharded);

    // A conversation format cannot render a record, and says so.
    let trl =
        run(weft().arg("format").arg(&canonical).args(["--to", "trl", "-o"]).arg(dir.path().join("t.jsonl")));
    assert_eq!(trl.status.code(), Some(2), "{}", stderr(&trl));
    assert!(stderr(&trl).contains("records.jsonl.weft.jsonl:1: this is a custom record"), "{}", stderr(&trl));
    assert!(stderr(&trl).contains("--to custom"), "{}", stderr(&trl));
    let inspect = run(weft().arg("inspect").arg(&canonical));
    assert!(!inspect.status.success());
    assert!(stderr(&inspect).contains("custom record"), "{}", stderr(&inspect));

    // Two shards and a merge hold exactly the unsharded records.
    for spec in ["0/2", "1/2"] {
        let part = run(weft().arg("generate").arg(&config).args(["--no-tui", "--shard", spec]));
        assert!(part.status.success(), "{spec}: {}", stderr(&part));
    }
    let shard = |i: usize| dir.path().join(format!("records.shard-{i}-of-2.jsonl"));
    assert_eq!(std::fs::read_to_string(shard(0)).expect("shard").lines().count(), 3);
    let merged = dir.path().join("merged.jsonl");
    let merge = run(weft().arg("merge").arg(&merged).arg(shard(0)).arg(shard(1)).args(["--expect", "5"]));
    assert!(merge.status.success(), "{}", stderr(&merge));
    assert_eq!(std::fs::read_to_string(&merged).expect("merged"), unsharded);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("merged.jsonl.weft.jsonl")).expect("merged canonical"),
        std::fs::read_to_string(&canonical).expect("canonical")
    );
    // A custom shard and a conversation file do not merge.
    std::fs::write(dir.path().join("other.jsonl"), "").expect("other");
    let mixed = run(weft()
        .arg("merge")
        .arg(dir.path().join("m2.jsonl"))
        .arg(shard(0))
        .arg(dir.path().join("other.jsonl")));
    assert_eq!(mixed.status.code(), Some(2), "{}", stderr(&mixed));
    assert!(stderr(&mixed).contains("custom-record run"), "{}", stderr(&mixed));
}
