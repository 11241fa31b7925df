//! A run split with `weft generate --shard` and joined with `weft merge`
//! holds exactly what one unsharded run writes.

use crate::common::{run, stderr, weft};
use std::path::{Path, PathBuf};
use std::process::Output;

/// An offline config (scripted model, in-process sandbox) of 7 samples.
fn config(dir: &Path) -> PathBuf {
    let path = dir.join("config.yaml");
    let yaml = format!(
        "llm: {{provider: scripted, model: scripted}}
seed: 11
topics: {{prompt: Small Python projects, mode: tree, depth: 2, degree: 2, save_as: \"{topics}\"}}
generation:
  system_prompt: You help with files.
  conversation: {{type: cot, reasoning_style: agent}}
  tools:
    components: {{builtin: [read_file, write_file, list_files]}}
    max_per_query: 3
    scenario_seed:
      files:
        app.py: 'print(1)'
output: {{num_samples: 7, batch_size: 2, save_as: \"{out}\"}}
",
        topics = dir.join("topics.jsonl").display(),
        out = dir.join("data.jsonl").display(),
    );
    std::fs::write(&path, yaml).expect("config");
    path
}

fn generate(config: &Path, extra: &[&str]) -> Output {
    run(weft().arg("generate").arg(config).args(["--no-tui", "--deterministic"]).args(extra))
}

#[test]
fn shards_merge_into_the_unsharded_dataset() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config(dir.path());

    // A shard does not grow topics of its own: its siblings would differ.
    let alone = generate(&config, &["--shard", "0/3"]);
    assert_eq!(alone.status.code(), Some(2), "{}", stderr(&alone));
    assert!(stderr(&alone).contains("weft topics"), "{}", stderr(&alone));
    assert!(!dir.path().join("data.shard-0-of-3.jsonl").exists());

    let whole = generate(&config, &[]);
    assert!(whole.status.success(), "{}", stderr(&whole));
    let unsharded = std::fs::read(dir.path().join("data.jsonl")).expect("dataset");

    // Three shards, as three machines would run them; one takes its index
    // from the Kubernetes Job.
    for spec in ["0/3", "2/3"] {
        let part = generate(&config, &["--shard", spec]);
        assert!(part.status.success(), "{spec}: {}", stderr(&part));
    }
    let part = run(weft()
        .arg("generate")
        .arg(&config)
        .args(["--no-tui", "--deterministic", "--shard", "/3"])
        .env("JOB_COMPLETION_INDEX", "1"));
    assert!(part.status.success(), "{}", stderr(&part));
    assert!(stderr(&part).contains("2 of 2 samples"), "{}", stderr(&part));
    let shard = |i: usize| dir.path().join(format!("data.shard-{i}-of-3.jsonl"));
    let lines = |path: &Path| std::fs::read_to_string(path).expect("shard").lines().count();
    assert_eq!([lines(&shard(0)), lines(&shard(1)), lines(&shard(2))], [3, 2, 2]);

    let merged = dir.path().join("merged.jsonl");
    let out = run(weft()
        .arg("merge")
        .arg(&merged)
        .args([shard(2), shard(0), shard(1), shard(0)])
        .args(["--expect", "7"]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("7 samples from 4 files"), "{}", stderr(&out));
    assert!(stderr(&out).contains("3 duplicate copies dropped"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read(&merged).expect("merged"),
        unsharded,
        "the merge is the unsharded run, byte for byte"
    );

    // A shard left out is named, by index.
    let short = dir.path().join("short.jsonl");
    let out = run(weft().arg("merge").arg(&short).args([shard(0), shard(2)]).args(["--expect", "7"]));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("2 samples missing (indices 1, 4)"), "{}", stderr(&out));
}

#[test]
fn shards_of_different_runs_do_not_merge() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("a.jsonl");
    let b = dir.path().join("b.jsonl");
    let sample = |index: u64, text: &str| {
        format!(
            "{{\"messages\":[{{\"role\":\"user\",\"content\":\"{text}\"}}],\"metadata\":{{\"sample_index\":{index}}}}}\n"
        )
    };
    std::fs::write(&a, sample(0, "one") + &sample(1, "two")).expect("a");
    std::fs::write(&b, sample(1, "other")).expect("b");
    let merged = dir.path().join("merged.jsonl");
    let out = run(weft().arg("merge").arg(&merged).arg(&a).arg(&b));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("sample 1 differs between"), "{}", stderr(&out));
    assert!(!merged.exists(), "nothing is written");

    // Failures carry over, except where another shard has the sample.
    std::fs::write(&b, sample(3, "three")).expect("b");
    let failure = |index: u64| {
        format!(
            "{{\"sample_index\":{index},\"topic_id\":\"t\",\"topic_path\":[\"x\"],\"attempts\":3,\"reason\":\"no tool call\",\"errors\":[]}}\n"
        )
    };
    std::fs::write(dir.path().join("b.jsonl.failures.jsonl"), failure(1) + &failure(2)).expect("failures");
    let out = run(weft().arg("merge").arg(&merged).arg(&a).arg(&b));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("3 samples from 2 files") && stderr(&out).contains("1 failures recorded"),
        "{}",
        stderr(&out)
    );
    let failures = std::fs::read_to_string(dir.path().join("merged.jsonl.failures.jsonl")).expect("failures");
    assert_eq!(failures, failure(2));

    // A corrupt line is located.
    std::fs::write(&b, "{not json\n").expect("b");
    let out = run(weft().arg("merge").arg(&merged).arg(&a).arg(&b));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("b.jsonl:1: not a weft sample"), "{}", stderr(&out));
}
