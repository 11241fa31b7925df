//! `weft split`: train and eval by topic path, no topic in both, every line
//! kept byte for byte, the same split for the same seed.

use crate::common::{run, stderr, weft};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn topics(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .expect("half")
        .lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).expect("JSON");
            let path: Vec<&str> = value["metadata"]["topic_path"]
                .as_array()
                .expect("topic_path")
                .iter()
                .filter_map(|p| p.as_str())
                .collect();
            path.join(" -> ")
        })
        .collect()
}

#[test]
fn a_split_keeps_topics_apart_and_every_line_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "llm: {{provider: scripted, model: scripted}}\nseed: 2\n\
             topics: {{prompt: Files, depth: 2, degree: 3, save_as: \"{}\"}}\n\
             generation:\n  system_prompt: You help with files.\n  conversation: {{type: cot, reasoning_style: agent}}\n  \
             tools:\n    components: {{builtin: [read_file, write_file, list_files]}}\n    \
             scenario_seed: {{files: {{a.txt: a}}}}\n\
             output: {{num_samples: 30, batch_size: 6, save_as: \"{}\"}}\n",
            dir.path().join("topics.jsonl").display(),
            dir.path().join("data.jsonl").display()
        ),
    )
    .expect("config");
    let output = run(weft().args(["generate", "--no-tui", "--deterministic"]).arg(&config));
    assert!(output.status.success(), "{}", stderr(&output));
    let data = dir.path().join("data.jsonl");
    let all = topics(&data);
    let mut per_topic: BTreeMap<&str, usize> = BTreeMap::new();
    for topic in &all {
        *per_topic.entry(topic.as_str()).or_default() += 1;
    }
    assert!(per_topic.len() >= 4, "{per_topic:?}");

    let output = run(weft().arg("split").arg(&data).args(["--eval", "0.2", "--seed", "7"]));
    assert!(output.status.success(), "{}", stderr(&output));
    let (train, eval) = (dir.path().join("data.train.jsonl"), dir.path().join("data.eval.jsonl"));
    let (train_topics, eval_topics) = (topics(&train), topics(&eval));
    let train_set: BTreeSet<&String> = train_topics.iter().collect();
    let eval_set: BTreeSet<&String> = eval_topics.iter().collect();
    assert!(train_set.is_disjoint(&eval_set), "a topic in both halves");
    // At least the share, and short of it by less than one topic's samples.
    let largest = per_topic.values().max().copied().unwrap_or(0);
    assert!(eval_topics.len() >= 6, "eval holds {} of 30", eval_topics.len());
    assert!(eval_topics.len() < 6 + largest, "eval holds {} of 30", eval_topics.len());
    assert!(
        stderr(&output).contains(&format!("eval:  {} samples", eval_topics.len())),
        "{}",
        stderr(&output)
    );
    // Every line once, byte for byte, in order within each half.
    let original: Vec<String> =
        std::fs::read_to_string(&data).expect("data").lines().map(str::to_owned).collect();
    let halves = [train.as_path(), eval.as_path()].map(|p| std::fs::read_to_string(p).expect("half"));
    let mut rejoined: Vec<&str> = halves.iter().flat_map(|h| h.lines()).collect();
    rejoined.sort_unstable();
    let mut sorted: Vec<&str> = original.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    assert_eq!(rejoined, sorted);
    let in_order: Vec<&String> =
        original.iter().filter(|l| halves[1].lines().any(|e| e == l.as_str())).collect();
    assert_eq!(in_order, halves[1].lines().map(str::to_owned).collect::<Vec<_>>().iter().collect::<Vec<_>>());

    // The same seed, the same split; another seed, another eval set.
    let out = dir.path().join("again");
    let output =
        run(weft().arg("split").arg(&data).args(["--eval", "0.2", "--seed", "7", "--out-dir"]).arg(&out));
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        std::fs::read(out.join("data.eval.jsonl")).expect("eval"),
        std::fs::read(&eval).expect("eval")
    );
    let differs = (0..5).any(|seed| {
        let out = dir.path().join(format!("seed{seed}"));
        let output = run(weft()
            .arg("split")
            .arg(&data)
            .args(["--eval", "0.2", "--seed", &seed.to_string(), "--out-dir"])
            .arg(&out));
        assert!(output.status.success(), "{}", stderr(&output));
        std::fs::read(out.join("data.eval.jsonl")).expect("eval") != std::fs::read(&eval).expect("eval")
    });
    assert!(differs, "the seed does not change the split");
}

#[test]
fn bad_input_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("d.jsonl");
    std::fs::write(&data, "{\"metadata\": {\"topic_path\": [\"A\"]}}\n").expect("write");
    let output = run(weft().arg("split").arg(&data).args(["--eval", "1.5"]));
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("a fraction between 0 and 1"), "{}", stderr(&output));
    let output = run(weft().arg("split").arg(&data).args(["--eval", "0.5"]));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("holds 1 topic(s); a split by topic needs at least two"),
        "{}",
        stderr(&output)
    );
    std::fs::write(&data, "{\"metadata\": {\"topic_path\": [\"A\"]}}\n{\"messages\": []}\n").expect("write");
    let output = run(weft().arg("split").arg(&data).args(["--eval", "0.5"]));
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("d.jsonl:2: no `metadata`"), "{}", stderr(&output));
}
