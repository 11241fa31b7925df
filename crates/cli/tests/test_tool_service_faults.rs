//! `weft generate` against a real `weft serve` that dies under it: killed
//! and back after a while (the calls in flight fail at the transport), and
//! killed and restarted at once (in-memory sessions are gone). Either way
//! the dataset must be what a calm run writes — no connection errors, no
//! endpoint URL, no sample built half in a session that no longer existed.

use crate::common;
use crate::common::weft;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::Reaped;

/// `weft serve` on exactly `port` (in-memory sessions).
fn serve_on(port: u16) -> Reaped {
    let mut child = Reaped(
        weft()
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--workers", "1"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("weft serve starts"),
    );
    let (_, _, rest) = common::until_listening(&mut child.0);
    std::thread::spawn(move || rest.for_each(drop));
    child
}

fn config(dir: &Path, llm: &str, endpoint: Option<&str>, out: &str, samples: u32) -> PathBuf {
    let topics = dir.join("topics.jsonl");
    let lines: Vec<String> =
        (0..4).map(|i| format!("{{\"path\": [\"Files\", \"Chores\", \"Chore {i}\"]}}")).collect();
    std::fs::write(&topics, lines.join("\n") + "\n").expect("topics");
    let endpoint = endpoint.map(|url| format!("    spin_endpoint: \"{url}\"\n")).unwrap_or_default();
    let path = dir.join(format!("{out}.yaml"));
    let yaml = format!(
        "llm: {{provider: openai, model: fake, base_url: \"{llm}\"}}
topics: {{prompt: Files, depth: 2, degree: 2, save_as: \"{topics}\"}}
generation:
  system_prompt: You help with files.
  conversation: {{type: cot, reasoning_style: agent}}
  tools:
{endpoint}    components: {{builtin: [read_file, write_file, list_files]}}
    max_per_query: 2
    scenario_seed:
      files:
        config.json: '{{\"debug\": true}}'
output: {{num_samples: {samples}, batch_size: 4, save_as: \"{out}\"}}
",
        topics = topics.display(),
        out = dir.join(format!("{out}.jsonl")).display(),
    );
    std::fs::write(&path, yaml).expect("config");
    path
}

fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path).map(|text| text.matches('\n').count()).unwrap_or(0)
}

fn wait_for_lines(path: &Path, count: usize) {
    let started = Instant::now();
    while lines(path) < count {
        assert!(started.elapsed() < Duration::from_secs(60), "no progress in {}", path.display());
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The dataset a run without faults writes, in process (the same tools).
fn calm_run(dir: &Path, llm: &str, samples: u32) -> Vec<u8> {
    let calm = config(dir, llm, None, "calm", samples);
    let output = weft()
        .arg("generate")
        .arg(&calm)
        .args(["--no-tui", "--deterministic", "--topics-load"])
        .arg(dir.join("topics.jsonl"))
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    std::fs::read(dir.join("calm.jsonl")).expect("calm dataset")
}

fn assert_no_transport_text(dataset: &[u8], port: u16) {
    let text = String::from_utf8_lossy(dataset);
    for needle in
        ["Connection refused", "HTTP error", "HTTPError", "error sending request", &port.to_string()]
    {
        assert!(!text.contains(needle), "the dataset holds {needle:?}");
    }
}

#[test]
fn a_tool_service_that_dies_mid_run_leaves_no_connection_errors_in_the_data() {
    let (llm, _runtime) = common::fake_llm(30);
    let dir = tempfile::tempdir().expect("tempdir");
    let samples = 24;
    let calm = calm_run(dir.path(), &llm, samples);

    let port = weft_bench::peers::free_port();
    let server = serve_on(port);
    let faulty = config(dir.path(), &llm, Some(&format!("http://127.0.0.1:{port}")), "faulty", samples);
    let run = weft()
        .arg("generate")
        .arg(&faulty)
        .args(["--no-tui", "--deterministic", "--topics-load"])
        .arg(dir.path().join("topics.jsonl"))
        .stderr(Stdio::piped())
        .spawn()
        .expect("weft generate starts");
    let data = dir.path().join("faulty.jsonl");
    wait_for_lines(&data, 4);
    drop(server); // SIGKILL: the calls in flight fail at the transport
    std::thread::sleep(Duration::from_millis(1200));
    let _server = serve_on(port);
    let output = run.wait_with_output().expect("generate ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let dataset = std::fs::read(&data).expect("dataset");
    assert_no_transport_text(&dataset, port);
    assert_eq!(String::from_utf8_lossy(&dataset), String::from_utf8_lossy(&calm));
    assert!(stderr.contains("tool service"), "the outage was met and redone: {stderr}");
}

#[test]
fn a_tool_service_restarted_at_once_is_noticed_and_the_samples_redone() {
    let (llm, _runtime) = common::fake_llm(30);
    let dir = tempfile::tempdir().expect("tempdir");
    let samples = 40;
    let calm = calm_run(dir.path(), &llm, samples);

    let port = weft_bench::peers::free_port();
    let mut server = serve_on(port);
    let faulty = config(dir.path(), &llm, Some(&format!("http://127.0.0.1:{port}")), "faulty", samples);
    let run = weft()
        .arg("generate")
        .arg(&faulty)
        .args(["--no-tui", "--deterministic", "--topics-load"])
        .arg(dir.path().join("topics.jsonl"))
        .stderr(Stdio::piped())
        .spawn()
        .expect("weft generate starts");
    let data = dir.path().join("faulty.jsonl");
    // Three restarts, each with samples in flight at every stage.
    for written in [4, 14, 24] {
        wait_for_lines(&data, written);
        drop(server);
        server = serve_on(port);
    }
    let output = run.wait_with_output().expect("generate ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let dataset = std::fs::read(&data).expect("dataset");
    assert_no_transport_text(&dataset, port);
    // A sample half made in a session the restart emptied would differ:
    // `list_files` answering `[]`, the seeded config.json "not found".
    assert_eq!(String::from_utf8_lossy(&dataset), String::from_utf8_lossy(&calm));
    drop(server);
}
