//! The reliability suite: `weft generate` under faults, as a user runs it
//! (the real binary, real signals, a fake OpenAI-compatible server on
//! loopback that injects the faults). Every loop is bounded. Each test
//! prints one `reliability:` line of figures (trials, faults injected,
//! samples lost, samples with error text), which the closing notes quote.
//!
//! - kill -9 at 20 moments, then `--resume`: exactly N samples, none torn,
//!   none twice, every one sound;
//! - an LLM fault matrix (429, 500, a hang past the timeout, a truncated
//!   body, an empty body, invalid tool-call JSON, an unknown tool, an empty
//!   reply; each at the first agent turn and at a middle one): every run
//!   ends, every sample is written or recorded failed with its reason, and
//!   no written sample carries an error text or an empty turn.

use crate::common::weft;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use weft_bench::{FakeOptions, Fault};

/// A config over the fake with a pre-made topic file; retries are quick.
fn config(dir: &Path, llm: &str, samples: u32, batch: u32) -> PathBuf {
    let topics = dir.join("topics.jsonl");
    let lines: Vec<String> =
        (0..4).map(|i| format!("{{\"path\": [\"Files\", \"Chores\", \"Chore {i}\"]}}")).collect();
    std::fs::write(&topics, lines.join("\n") + "\n").expect("topics");
    let path = dir.join("config.yaml");
    let yaml = format!(
        "llm: {{provider: openai, model: fake, base_url: \"{llm}\", timeout: 1}}
topics: {{prompt: Files, depth: 2, degree: 2, save_as: \"{topics}\"}}
generation:
  system_prompt: You help with files.
  conversation: {{type: cot, reasoning_style: agent}}
  max_retries: 2
  rate_limit: {{max_retries: 3, base_delay: 0.1, max_delay: 1.5}}
  tools:
    components: {{builtin: [read_file, write_file, list_files]}}
    max_per_query: 3
    scenario_seed:
      files:
        config.json: '{{\"debug\": true}}'
output: {{num_samples: {samples}, batch_size: {batch}, save_as: \"{out}\"}}
",
        topics = topics.display(),
        out = dir.join("data.jsonl").display(),
    );
    std::fs::write(&path, yaml).expect("config");
    path
}

fn run(config: &Path, extra: &[&str]) -> std::process::Output {
    let topics = config.with_file_name("topics.jsonl");
    weft()
        .arg("generate")
        .arg(config)
        .arg("--no-tui")
        .arg("--topics-load")
        .arg(&topics)
        .args(extra)
        .stdout(Stdio::null())
        .output()
        .expect("weft runs")
}

/// Texts that only a failure of the LLM or of the tool service writes. (A
/// model's malformed call is another matter: its `InvalidArguments` or
/// `UnknownTool` answer is a real observation the sample keeps.)
const ERROR_TEXTS: [&str; 10] = [
    "injected",
    "error sending request",
    "no complete reply within",
    "closed the connection before the reply",
    "Connection refused",
    "HTTP error",
    "HTTPError",
    "rate_limit_exceeded",
    "server_error",
    "operation timed out",
];

/// What a finished dataset holds.
#[derive(Debug, Default)]
struct Audit {
    indices: Vec<u64>,
    torn: usize,
    unsound: Vec<String>,
    with_error_text: usize,
    failures: BTreeSet<u64>,
    failures_without_reason: usize,
}

fn audit(dir: &Path) -> Audit {
    let mut audit = Audit::default();
    let text = std::fs::read_to_string(dir.join("data.jsonl")).unwrap_or_default();
    for line in text.lines() {
        let Ok(sample) = serde_json::from_str::<weft_dataset::sample::Sample>(line) else {
            audit.torn += 1;
            continue;
        };
        audit.indices.push(sample.metadata.sample_index);
        if let Err(invalid) = weft_dataset::validate::sound(&sample) {
            audit.unsound.push(invalid.0);
        }
        if ERROR_TEXTS.iter().any(|needle| line.contains(needle)) {
            audit.with_error_text += 1;
        }
    }
    let failures = std::fs::read_to_string(dir.join("data.jsonl.failures.jsonl")).unwrap_or_default();
    for line in failures.lines() {
        let record: serde_json::Value = serde_json::from_str(line).expect("failure records are whole JSON");
        let index = record["sample_index"].as_u64().expect("a failure names its sample");
        audit.failures.insert(index);
        if record["reason"].as_str().is_none_or(|reason| reason.trim().is_empty()) {
            audit.failures_without_reason += 1;
        }
    }
    audit
}

/// kill -9 at 20 moments of one run, each followed by `--resume`; then a
/// last resume to the end.
#[test]
fn twenty_kills_then_resume_give_exactly_n_samples() {
    const N: u64 = 48;
    let (llm, _runtime) = crate::common::fake_llm_with(FakeOptions {
        latency: Duration::from_millis(25),
        ..FakeOptions::default()
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config(dir.path(), &llm, N as u32, 4);
    let data = dir.path().join("data.jsonl");
    // A fixed, spread set of moments (ms after the start), no RNG needed.
    let mut seed = 0x2545_f491_u64;
    let mut kills_mid_run = 0;
    let started = Instant::now();
    for trial in 0..20 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let after = Duration::from_millis(60 + seed % 240);
        let mut args = vec!["generate".to_owned(), config.display().to_string(), "--no-tui".to_owned()];
        args.extend(["--topics-load".to_owned(), dir.path().join("topics.jsonl").display().to_string()]);
        if trial > 0 {
            args.push("--resume".to_owned());
        }
        let mut child =
            weft().args(&args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn");
        std::thread::sleep(after);
        if child.try_wait().expect("status").is_none() {
            kills_mid_run += 1;
        }
        child.kill().expect("SIGKILL");
        let _ = child.wait();
    }
    let resumed = run(&config, &["--resume"]);
    assert_eq!(resumed.status.code(), Some(0), "{}", String::from_utf8_lossy(&resumed.stderr));
    let audit = audit(dir.path());
    let unique: BTreeSet<u64> = audit.indices.iter().copied().collect();
    assert_eq!(audit.torn, 0, "torn lines in {}", data.display());
    assert_eq!(audit.indices.len(), unique.len(), "a sample was written twice");
    assert_eq!(unique, (0..N).collect(), "exactly samples 0..{N}");
    assert!(audit.unsound.is_empty(), "{:?}", audit.unsound);
    assert_eq!(audit.with_error_text, 0);
    assert!(audit.failures.is_empty(), "failure records left for samples that exist: {:?}", audit.failures);
    assert!(kills_mid_run >= 10, "only {kills_mid_run} of 20 kills landed mid-run");
    eprintln!(
        "reliability: kill -9 trials=20 mid-run={kills_mid_run} samples={N} lost=0 duplicated=0 torn=0 \
         error_text=0 ({:.1}s)",
        started.elapsed().as_secs_f64()
    );
}

/// One run of the fault matrix: `fault` at request `at` (batch 1, so the
/// requests of sample 0 come first: 1 asks the question, 2 is the first
/// agent turn, 4 a middle one).
fn fault_run(fault: Fault, at: usize) -> (Audit, Option<i32>, String) {
    const N: u32 = 3;
    let (llm, runtime) =
        crate::common::fake_llm_with(FakeOptions { faults: vec![(at, fault)], ..FakeOptions::default() });
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config(dir.path(), &llm, N, 1);
    let output = run(&config, &[]);
    drop(runtime);
    (audit(dir.path()), output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn every_llm_fault_ends_with_sound_samples_or_recorded_failures() {
    let started = Instant::now();
    let cases: Vec<(Fault, usize)> = Fault::ALL.iter().flat_map(|&fault| [(fault, 2), (fault, 4)]).collect();
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = cases
            .chunks(4)
            .map(|chunk| {
                scope.spawn(move || {
                    chunk.iter().map(|&(f, at)| ((f, at), fault_run(f, at))).collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a fault run")).collect()
    });
    let (mut written, mut failed) = (0, 0);
    for ((fault, at), (audit, code, stderr)) in &results {
        let case = format!("{fault:?} at request {at}");
        assert_eq!(*code, Some(0), "{case}: the run must end normally\n{stderr}");
        assert_eq!(audit.torn, 0, "{case}");
        assert!(audit.unsound.is_empty(), "{case}: {:?}", audit.unsound);
        assert_eq!(audit.with_error_text, 0, "{case}: a sample carries an error text");
        assert_eq!(audit.failures_without_reason, 0, "{case}: a failure without its reason");
        let indices: BTreeSet<u64> = audit.indices.iter().copied().collect();
        assert!(indices.is_disjoint(&audit.failures), "{case}: a sample both written and failed");
        let all: BTreeSet<u64> = indices.union(&audit.failures).copied().collect();
        assert_eq!(all, (0..3).collect(), "{case}: every sample is written or recorded failed");
        written += indices.len();
        failed += audit.failures.len();
    }
    eprintln!(
        "reliability: LLM fault matrix runs={} faults_injected={} samples={} written={written} \
         recorded_failed={failed} lost=0 error_text=0 empty_turns=0 ({:.1}s)",
        results.len(),
        results.len(),
        results.len() * 3,
        started.elapsed().as_secs_f64()
    );
}

/// The resident memory of process `pid`, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// One request on its own connection: `bytes`, then read the answer for a
/// moment (or not at all for requests that are cut off), then close.
fn send_raw(addr: &str, bytes: &[u8], read: bool) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(3))).ok()?;
    let _ = stream.write_all(bytes);
    if !read {
        return None;
    }
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    Some(String::from_utf8_lossy(&reply).into_owned())
}

fn valid_call(addr: &str) -> Option<String> {
    let body = r#"{"session_id":"ok","tool":"read_file","args":{"file_path":"a.txt"}}"#;
    let request = format!(
        "POST /vfs/execute HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    send_raw(addr, request.as_bytes(), true)
}

/// 10,000 malformed, oversize, foreign and cut-off requests from 16
/// clients at once: the server answers each it can with a 4xx, stays up,
/// keeps its memory, and answers valid calls all along.
#[test]
fn ten_thousand_bad_requests_leave_the_server_up_and_its_memory_flat() {
    let (serve, addr) = crate::common::weft_serve_with(1, &["--header-timeout", "2"]);
    let pid = serve.0.id();
    let write = r#"{"session_id":"ok","tool":"write_file","args":{"file_path":"a.txt","content":"kept"}}"#;
    let seed = format!(
        "POST /vfs/execute HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{write}",
        write.len()
    );
    assert!(send_raw(&addr, seed.as_bytes(), true).is_some_and(|r| r.starts_with("HTTP/1.1 200")));
    // Warm up the allocator and the pools before the baseline.
    for _ in 0..500 {
        valid_call(&addr);
    }
    let before = rss_kib(pid);
    let started = Instant::now();
    let big_header =
        format!("GET /nope HTTP/1.1\r\nhost: {addr}\r\nx-junk: {}\r\n\r\n", "j".repeat(20 << 10));
    let bad: Vec<(Vec<u8>, bool)> = vec![
        (b"GARBAGE / NOT-HTTP\r\n\r\n".to_vec(), true),
        (format!("POST /vfs/execute HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: 9\r\n\r\n{{not json").into_bytes(), true),
        ([format!("POST /vfs/execute HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: 5000000\r\n\r\n").into_bytes(), vec![b'x'; 64 << 10]].concat(), false),
        (format!("POST /vfs/execute HTTP/1.1\r\nhost: {addr}\r\ncontent-le").into_bytes(), false),
        (format!("PATCH /nowhere/at/all HTTP/1.1\r\nhost: {addr}\r\n\r\n").into_bytes(), true),
        (big_header.into_bytes(), true),
        (b"POST /mock/load-schema HTTP/1.1\r\nhost: evil.example.com\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\n{}".to_vec(), true),
        ((0u8..=255).cycle().take(4096).collect(), true),
    ];
    let answered_4xx = std::sync::atomic::AtomicUsize::new(0);
    let valid_ok = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for client in 0..16 {
            let (bad, addr, answered_4xx, valid_ok) = (&bad, &addr, &answered_4xx, &valid_ok);
            scope.spawn(move || {
                for i in 0..625 {
                    let (bytes, read) = &bad[(client + i) % bad.len()];
                    if let Some(reply) = send_raw(addr, bytes, *read)
                        && reply.starts_with("HTTP/1.1 4")
                    {
                        answered_4xx.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    if i % 125 == 0
                        && valid_call(addr)
                            .is_some_and(|r| r.starts_with("HTTP/1.1 200") && r.contains("kept"))
                    {
                        valid_ok.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            });
        }
    });
    let flood = started.elapsed();
    // Cut-off requests wait out their header timeout; then memory settles.
    std::thread::sleep(Duration::from_secs(3));
    let reply = valid_call(&addr).expect("still up");
    assert!(reply.starts_with("HTTP/1.1 200") && reply.contains("kept"), "{reply}");
    let after = rss_kib(pid);
    let valid_ok = valid_ok.into_inner();
    let answered_4xx = answered_4xx.into_inner();
    assert_eq!(valid_ok, 16 * 5, "every valid call during the flood was answered");
    assert!(answered_4xx >= 7_000, "only {answered_4xx} bad requests got a 4xx");
    let grown = after.saturating_sub(before);
    assert!(grown < 32 << 10, "RSS grew by {grown} KiB ({before} → {after} KiB)");
    eprintln!(
        "reliability: bad-request flood requests=10000 answered_4xx={answered_4xx} valid_during={valid_ok}/80 \
         rss_before={before}KiB rss_after={after}KiB ({:.1}s)",
        flood.as_secs_f64()
    );
}
