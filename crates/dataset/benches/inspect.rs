//! `inspect` throughput (samples/s) and peak RSS on 100,000 samples.
//!
//! ```sh
//! cargo bench -p weft-dataset --bench inspect [-- SAMPLES]
//! ```
//!
//! The dataset is made from the test fixtures (`tests/fixtures/inspect`),
//! every sample with its own request, topic, index and token counts, in two
//! sizes: as the fixtures are (~3 KB a line) and with every tool result
//! 1.5 KB longer (~6 KB a line, nearer real samples). Each is inspected
//! with one worker and with one per core, each run in a fresh process
//! whose peak RSS (`VmHWM`) is what inspecting takes. CPU time
//! per sample (all threads) is printed too: on a shared machine it is the
//! figure that does not depend on what else runs.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use serde_json::Value;
use weft_dataset::inspect::{Options, inspect};

const WORDS: &[&str] = &[
    "read",
    "config",
    "report",
    "summary",
    "logs",
    "error",
    "release",
    "notes",
    "database",
    "staging",
    "production",
    "files",
    "delete",
    "backup",
    "search",
    "pattern",
    "tests",
    "results",
    "quarterly",
    "sales",
    "region",
    "service",
    "deploy",
    "checklist",
    "settings",
    "level",
    "debug",
    "warning",
    "workspace",
    "archive",
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // A child run: inspect one file, print one line of figures.
    if let [flag, path, workers, ..] = &args[..]
        && flag == "--run"
    {
        run(Path::new(path), workers.parse().expect("workers"));
        return;
    }
    let samples: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(100_000);
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/inspect/dataset.jsonl");
    let lines: Vec<Value> = std::fs::read_to_string(&fixture)
        .expect("fixture")
        .lines()
        .map(|l| serde_json::from_str(l).expect("fixture line"))
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    println!("inspect: {samples} samples, {threads} cores; each run in a fresh process");
    for (label, padding) in [("fixture lines", 0), ("long tool results", 1500)] {
        let path = dir.path().join("dataset.jsonl");
        let bytes = write_dataset(&path, &lines, samples, padding);
        for workers in [1, threads] {
            let out = std::process::Command::new(std::env::current_exe().expect("bench binary"))
                .args(["--run", &path.display().to_string(), &workers.to_string()])
                .output()
                .expect("child run");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            println!(
                "  {label:<18} {:>4.1} KB/line  {workers} worker(s): {}",
                bytes as f64 / samples as f64 / 1024.0,
                String::from_utf8_lossy(&out.stdout).trim()
            );
        }
    }
}

/// Inspects `path` with `workers` and prints samples/s, MB/s, CPU time per
/// sample and the process's peak RSS.
fn run(path: &Path, workers: usize) {
    let bytes = std::fs::metadata(path).expect("dataset").len();
    let (start, cpu_start) = (Instant::now(), cpu_seconds());
    let inspection = inspect(path, &Options { topics: None, threads: workers }).expect("inspect");
    let (seconds, cpu) = (start.elapsed().as_secs_f64(), cpu_seconds() - cpu_start);
    let samples = inspection.figures.samples as f64;
    println!(
        "{:>8.0} samples/s  {:>5.0} MB/s  CPU {:>5.1} µs/sample  peak RSS {:>5.1} MB",
        samples / seconds,
        bytes as f64 / seconds / 1e6,
        cpu / samples * 1e6,
        peak_rss_kb() as f64 / 1024.0
    );
}

/// Writes `samples` lines made from `lines`, each with its own request
/// and topic; `padding` bytes are added to every tool result.
fn write_dataset(path: &Path, lines: &[Value], samples: usize, padding: usize) -> u64 {
    let mut out = BufWriter::new(std::fs::File::create(path).expect("create"));
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut bytes = 0;
    for i in 0..samples {
        let mut sample = lines[i % lines.len()].clone();
        let mut words = Vec::new();
        for _ in 0..14 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            words.push(WORDS[(seed % WORDS.len() as u64) as usize]);
        }
        let request = format!("Please {} {i} and tell me what you find.", words.join(" "));
        sample["question"] = Value::from(request.clone());
        for message in sample["messages"].as_array_mut().expect("messages") {
            match message["role"].as_str() {
                Some("user") => message["content"] = Value::from(request.clone()),
                Some("tool") if padding > 0 => {
                    let grown = format!(
                        "{}\n{}",
                        message["content"].as_str().unwrap_or_default(),
                        "x".repeat(padding)
                    );
                    message["content"] = Value::from(grown);
                }
                _ => {}
            }
        }
        let metadata = &mut sample["metadata"];
        metadata["sample_index"] = Value::from(i);
        metadata["topic_path"] = serde_json::json!(["Files", words[0], words[1]]);
        metadata["tokens"] = serde_json::json!({"prompt": 1000 + i % 977, "completion": 100 + i % 313});
        let line = serde_json::to_string(&sample).expect("json");
        bytes += line.len() as u64 + 1;
        writeln!(out, "{line}").expect("write");
    }
    out.flush().expect("flush");
    bytes
}

/// User plus system CPU time of the whole process so far (all threads;
/// clock ticks of /proc/self/stat, 10 ms each on Linux).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // After the command name (in parentheses) come state, ppid, ... and
    // utime and stime 12th and 13th.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    (ticks(11) + ticks(12)) as f64 / 100.0
}

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}
