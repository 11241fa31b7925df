//! `weft generate` as a user runs it: the real binary, real signals, a fake
//! OpenAI-compatible server on loopback.

use crate::common::weft;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A config over the fake, with a pre-made topic file of 4 paths.
fn setup(dir: &Path, base_url: &str, num_samples: u32, extra_tools: &str) -> (PathBuf, PathBuf) {
    let topics = dir.join("topics.jsonl");
    let lines: Vec<String> =
        (0..4).map(|i| format!("{{\"path\": [\"Files\", \"Chores\", \"Chore {i}\"]}}")).collect();
    std::fs::write(&topics, lines.join("\n") + "\n").expect("topics");
    let config = dir.join("config.yaml");
    let yaml = format!(
        "llm: {{provider: openai, model: fake, base_url: \"{base_url}\"}}
topics: {{prompt: Files, depth: 2, degree: 2, save_as: \"{topics}\"}}
generation:
  system_prompt: You help with files.
  conversation: {{type: cot, reasoning_style: agent}}
  tools:
    components: {{builtin: [read_file, write_file, list_files]}}
    max_per_query: 2
{extra_tools}    scenario_seed:
      files:
        config.json: '{{\"debug\": true}}'
output: {{num_samples: {num_samples}, batch_size: 4, save_as: \"{out}\"}}
",
        topics = topics.display(),
        out = dir.join("data.jsonl").display(),
    );
    std::fs::write(&config, yaml).expect("config");
    (config, topics)
}

fn indices(path: &Path) -> Vec<u64> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).expect("every line is whole JSON");
            value["metadata"]["sample_index"].as_u64().expect("sample_index")
        })
        .collect()
}

fn wait_for_lines(path: &Path, lines: usize) {
    let started = Instant::now();
    while indices_lenient(path) < lines {
        assert!(started.elapsed() < Duration::from_secs(30), "no progress in {}", path.display());
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn indices_lenient(path: &Path) -> usize {
    std::fs::read_to_string(path).map(|t| t.matches('\n').count()).unwrap_or(0)
}

fn generate(config: &Path, topics: &Path, extra: &[&str]) -> Output {
    weft()
        .arg("generate")
        .arg(config)
        .arg("--no-tui")
        .arg("--topics-load")
        .arg(topics)
        .args(extra)
        .output()
        .expect("weft runs")
}

#[test]
fn kill_9_mid_run_then_resume_gives_exactly_num_samples() {
    let (base_url, _runtime) = crate::common::fake_llm(40);
    let dir = tempfile::tempdir().expect("tempdir");
    let (config, topics) = setup(dir.path(), &base_url, 24, "");
    let data = dir.path().join("data.jsonl");
    let mut child = weft()
        .arg("generate")
        .arg(&config)
        .arg("--no-tui")
        .arg("--topics-load")
        .arg(&topics)
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    wait_for_lines(&data, 3);
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let before = indices(&data);
    assert!(before.len() >= 3 && before.len() < 24, "{} samples before the kill", before.len());

    let resumed = generate(&config, &topics, &["--resume"]);
    let stderr = String::from_utf8_lossy(&resumed.stderr);
    assert_eq!(resumed.status.code(), Some(0), "{stderr}");
    let after = indices(&data);
    assert_eq!(after.len(), 24, "{stderr}");
    assert_eq!(after.iter().copied().collect::<BTreeSet<_>>().len(), 24, "no duplicates");
    assert_eq!(after, (0..24).collect::<Vec<_>>());
}

#[test]
fn sigterm_stops_new_work_and_leaves_a_valid_file() {
    let (base_url, _runtime) = crate::common::fake_llm(40);
    let dir = tempfile::tempdir().expect("tempdir");
    let (config, topics) = setup(dir.path(), &base_url, 40, "");
    let data = dir.path().join("data.jsonl");
    let child = weft()
        .arg("generate")
        .arg(&config)
        .arg("--no-tui")
        .arg("--topics-load")
        .arg(&topics)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_for_lines(&data, 2);
    let status = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().expect("kill");
    assert!(status.success());
    let output = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("--resume"), "{stderr}");
    let written = indices(&data);
    assert!(!written.is_empty() && written.len() < 40, "{} written", written.len());

    let resumed = generate(&config, &topics, &["--resume"]);
    assert_eq!(resumed.status.code(), Some(0), "{}", String::from_utf8_lossy(&resumed.stderr));
    assert_eq!(indices(&data), (0..40).collect::<Vec<_>>());
}

#[test]
fn an_unreachable_tool_service_stops_before_any_llm_call() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Nothing listens on the LLM URL either: reaching it would hang or fail differently.
    let (config, topics) =
        setup(dir.path(), "http://127.0.0.1:9/v1", 3, "    spin_endpoint: http://127.0.0.1:9\n");
    let output = generate(&config, &topics, &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("unavailable") && stderr.contains("weft serve"), "{stderr}");
    assert!(!dir.path().join("data.jsonl").exists());
}

#[test]
fn the_quickstart_runs_offline_and_writes_exactly_num_samples() {
    let dir = tempfile::tempdir().expect("tempdir");
    let quickstart = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/quickstart.yaml");
    let output = weft()
        .current_dir(dir.path())
        .args(["generate", quickstart, "--no-tui", "--num-samples", "7", "--batch-size", "3"])
        .output()
        .expect("weft runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(indices(&dir.path().join("quickstart-dataset.jsonl")), (0..7).collect::<Vec<_>>());
    assert!(stderr.contains("7 of 7 samples"), "{stderr}");
}

#[test]
fn a_bad_config_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("bad.yaml");
    std::fs::write(&config, "output: {num_sample: 4}\n").expect("write");
    let output = weft().arg("generate").arg(&config).arg("--no-tui").output().expect("weft runs");
    assert_eq!(output.status.code(), Some(2));
}

/// `weft generate` of `examples/quickstart.yaml` (offline) with `batch_size`,
/// under the shell's `ulimit` commands.
fn generate_under_limits(dir: &Path, limits: &str, batch_size: u32) -> Output {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/quickstart.yaml");
    let script = format!(
        "{limits} && exec \"$0\" generate \"$1\" --no-tui --num-samples 2 --batch-size {batch_size} -o \"$2\""
    );
    Command::new("sh")
        .args(["-c", &script, env!("CARGO_BIN_EXE_weft")])
        .arg(&example)
        .arg(dir.join("data.jsonl"))
        .current_dir(dir)
        .output()
        .expect("sh runs")
}

#[test]
fn the_open_file_limit_is_raised_and_a_too_low_one_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A soft limit below what 100 in flight need, a hard one above: raised, nothing said.
    let raised = generate_under_limits(dir.path(), "ulimit -Sn 64 && ulimit -Hn 1024", 100);
    let stderr = String::from_utf8_lossy(&raised.stderr);
    assert!(raised.status.success(), "{stderr}");
    assert!(!stderr.contains("open files"), "{stderr}");
    // A hard limit below it: the run goes on, and says what to change.
    let low = generate_under_limits(dir.path(), "ulimit -Sn 128 && ulimit -Hn 128", 200);
    let stderr = String::from_utf8_lossy(&low.stderr);
    assert!(low.status.success(), "{stderr}");
    assert!(
        stderr.contains("output.batch_size 200 needs about 464 open files")
            && stderr.contains("may open 128")
            && stderr.contains("ulimit -Hn"),
        "{stderr}"
    );
}
