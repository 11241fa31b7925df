//! `weft eval`: a model whose behaviour is known — the fake OpenAI server,
//! whose every third conversation reads `config.json` with a wrong argument
//! name, reads it again correctly and answers without writing the summary —
//! works the eval split's tasks three times each in the sandbox, and every
//! figure of the report equals the one computed by hand.

use crate::common::{fake_llm, fake_llm_with, jsonl, run, stderr, weft};
use serde_json::Value;

const TOPICS: &str = "{\"path\": [\"Files\", \"Alpha\"]}\n{\"path\": [\"Files\", \"Beta\"]}\n\
                      {\"path\": [\"Files\", \"Gamma\"]}\n{\"path\": [\"Files\", \"Delta\"]}\n\
                      {\"path\": [\"Files\", \"Epsilon\"]}\n{\"path\": [\"Files\", \"Zeta\"]}\n";

fn close(value: &Value, want: f64, what: &str) {
    let got = value.as_f64().unwrap_or_else(|| panic!("{what} is not a number: {value}"));
    assert!((got - want).abs() < 1e-9, "{what}: {got}, computed by hand {want}");
}

#[test]
fn every_metric_equals_the_hand_computed_one() {
    let (reference_llm, _reference) = fake_llm(0);
    let dir = tempfile::tempdir().expect("tempdir");
    let topics = dir.path().join("topics.jsonl");
    std::fs::write(&topics, TOPICS).expect("topics");
    let config = dir.path().join("config.yaml");
    let write_config = |base_url: &str| {
        std::fs::write(
            &config,
            format!(
                "llm: {{provider: openai, model: fake, base_url: \"{base_url}\"}}\nseed: 3\n\
                 topics: {{prompt: Files, depth: 1, degree: 6, save_as: \"{}\"}}\n\
                 generation:\n  system_prompt: You help with files.\n  conversation: {{type: cot, reasoning_style: agent}}\n  \
                 tools:\n    components: {{builtin: [read_file, write_file, list_files]}}\n    \
                 scenario_seed:\n      files: {{\"config.json\": \"{{\\\"version\\\": 2, \\\"debug\\\": true}}\"}}\n      \
                 expect: {{files: {{\"summary.txt\": {{contains: \"config.json sets version\"}}}}}}\n\
                 output: {{num_samples: 6, batch_size: 2, save_as: \"{}\"}}\n",
                topics.display(),
                dir.path().join("data.jsonl").display()
            ),
        )
        .expect("config")
    };
    write_config(&reference_llm);
    let output = run(weft().args(["generate", "--no-tui"]).arg(&config).arg("--topics-load").arg(&topics));
    assert!(output.status.success(), "{}", stderr(&output));
    let data = dir.path().join("data.jsonl");
    let output = run(weft().arg("split").arg(&data).args(["--eval", "0.5"]));
    assert!(output.status.success(), "{}", stderr(&output));
    let tasks = jsonl(&dir.path().join("data.eval.jsonl"));
    assert_eq!(tasks.len(), 3, "three topics, one sample each, go to eval");

    // Without an eval split or a reachable model: clear errors.
    let missing = run(weft()
        .arg("eval")
        .arg(&config)
        .args(["--model", "m", "--tasks"])
        .arg(dir.path().join("none.jsonl")));
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("weft split"), "{}", stderr(&missing));

    let (model_url, _model) =
        fake_llm_with(weft_bench::FakeOptions { flaky_every: 3, ..weft_bench::FakeOptions::default() });
    let output = run(weft().arg("eval").arg(&config).args([
        "--model",
        "under-test",
        "--base-url",
        &model_url,
        "--runs",
        "3",
        "--concurrency",
        "1",
    ]));
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    // Progress, one line per run, and the summary.
    assert!(err.contains("[1/9] task line"), "{err}");
    assert!(err.contains("[9/9] task line"), "{err}");
    assert!(err.contains("end state: summary.txt contains"), "{err}");
    assert!(err.contains("pass^3 0.0%"), "{err}");
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("data.eval.report.json")).expect("json report"),
    )
    .expect("JSON");
    assert_eq!(report["model"], "openai/under-test");
    assert_eq!(report["tasks"], 3);
    assert_eq!(report["runs_per_task"], 3);
    assert_eq!(report["runs_scored"], 9);
    assert_eq!(report["processing_errors"], 0);
    // Runs 1 and 2 of each task do what the reference did (list, read,
    // write, read back, a missing CHANGELOG.md); run 3 calls read_file
    // with `path` (refused: InvalidArguments), then with `file_path`, and
    // writes nothing.
    let m = &report["metrics"];
    close(&m["tool_selection_accuracy"], 6.0 / 9.0, "tool selection"); // run 3 calls 1 of 3 tools
    close(&m["parameter_accuracy"], 6.0 / 9.0, "parameters"); // run 3: `path` is not `file_path`
    close(&m["execution_success_rate"], 6.0 / 9.0, "execution"); // run 3: a refused call
    close(&m["response_quality"], (6.0 + 3.0 / 3.0) / 9.0, "response quality"); // coverage 1, 1, 1/3
    close(&m["overall_score"], 0.40 * 6.0 / 9.0 + 0.35 * 6.0 / 9.0 + 0.25 * 6.0 / 9.0, "overall");
    assert_eq!(report["end_state"]["of"], 9);
    assert_eq!(report["end_state"]["passed"], 6);
    assert_eq!(report["success"]["passed"], 6);
    // pass^1 = 2/3; pass^2 = C(2,2)/C(3,2) = 1/3; pass^3 = 0.
    let pass = report["pass_hat"].as_array().expect("pass_hat");
    assert_eq!(pass.len(), 3);
    close(&pass[0], 2.0 / 3.0, "pass^1");
    close(&pass[1], 1.0 / 3.0, "pass^2");
    close(&pass[2], 0.0, "pass^3");
    // Every run meets a failed call; only run 3 follows it with a success.
    assert_eq!(report["error_recovery"]["of"], 9);
    assert_eq!(report["error_recovery"]["passed"], 3);
    for task in report["per_task"].as_array().expect("per_task") {
        assert_eq!((task["runs"].as_u64(), task["successes"].as_u64()), (Some(3), Some(2)), "{task}");
    }
    for run in report["runs"].as_array().expect("runs") {
        let third = run["run"] == 2;
        assert_eq!(run["success"], !third, "{run}");
        if third {
            assert_eq!(run["calls"][0]["error_type"], "InvalidArguments", "{run}");
            assert_eq!(run["recovered"], true, "{run}");
        }
    }
    let html = std::fs::read_to_string(dir.path().join("data.eval.report.html")).expect("html report");
    assert!(html.contains("openai/under-test") && html.contains("pass^3"), "{html}");
    assert!(html.contains("66.7%"), "the overall score is shown");
    assert!(html.contains("Runs that failed") && html.contains("read_file ✗ InvalidArguments"));

    // As a person sees it, in Chromium: a drawn page whose runs bar is
    // 6 succeeded to 3 failed.
    let Some(chromium) = crate::browser::chromium() else { return };
    let shot = crate::browser::screenshot(&chromium, &dir.path().join("data.eval.report.html"), dir.path());
    assert!(crate::browser::inked_share(&shot) > 0.03, "the page is nearly blank");
    let (green, red) = (crate::browser::GREEN, crate::browser::RED);
    let bars = crate::browser::bands(&shot, &[green, red, crate::browser::AMBER], 800);
    // The 26 px bar, not the tiles' 4 px top borders in the same colours.
    let &(first, last) = bars
        .iter()
        .find(|(first, last)| (20..=30).contains(&(last - first + 1)))
        .expect("the runs bar is drawn");
    crate::browser::assert_close(
        &crate::browser::shares(&shot, (first + last) / 2, &[green, red]),
        &[6.0 / 9.0, 3.0 / 9.0],
        "runs bar",
    );
}

#[test]
fn a_run_the_provider_fails_is_not_scored_and_says_why() {
    let (reference_llm, _reference) = fake_llm(0);
    let dir = tempfile::tempdir().expect("tempdir");
    let topics = dir.path().join("topics.jsonl");
    std::fs::write(&topics, "{\"path\": [\"Files\", \"Alpha\"]}\n").expect("topics");
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "llm: {{provider: openai, model: fake, base_url: \"{reference_llm}\"}}\n\
             topics: {{prompt: Files, depth: 1, degree: 1, save_as: \"{}\"}}\n\
             generation:\n  system_prompt: You help with files.\n  max_retries: 0\n  \
             tools:\n    components: {{builtin: [read_file, write_file, list_files]}}\n\
             output: {{num_samples: 1, save_as: \"{}\"}}\n",
            topics.display(),
            dir.path().join("data.jsonl").display()
        ),
    )
    .expect("config");
    let output = run(weft().args(["generate", "--no-tui"]).arg(&config).arg("--topics-load").arg(&topics));
    assert!(output.status.success(), "{}", stderr(&output));
    // Nothing listens on port 9 of loopback.
    let output = run(weft()
        .arg("eval")
        .arg(&config)
        .args(["--model", "gone", "--base-url", "http://127.0.0.1:9/v1", "--runs", "2", "--tasks"])
        .arg(dir.path().join("data.jsonl"))
        .arg("--report")
        .arg(dir.path().join("gone")));
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("not scored"), "{err}");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("gone.json")).expect("report"))
            .expect("JSON");
    assert_eq!(report["processing_errors"], 2);
    assert_eq!(report["runs_scored"], 0);
}
