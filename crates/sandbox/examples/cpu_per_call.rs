//! CPU time per in-process call, read from the kernel's per-thread
//! accounting (`/proc/thread-self/schedstat`), so the figure holds on a busy
//! machine where wall-clock benchmarks do not. Counts user and kernel time
//! (the pooling allocator's memory reset is kernel work).
//!
//! `cargo run --release -p weft-sandbox --example cpu_per_call [CALLS]`

use std::time::Instant;

use weft_sandbox::{Manifest, Sandbox};

fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let calls: u32 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(50_000);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let sandbox = rt.block_on(Sandbox::new(Manifest::builtin())).expect("sandbox");
    let write = r#"{"file_path":"config.json","content":"{\"debug\": true}"}"#;
    assert!(rt.block_on(sandbox.execute("bench", "write_file", write)).success);
    let read = r#"{"file_path":"config.json"}"#;
    for _ in 0..2_000 {
        rt.block_on(sandbox.execute("bench", "read_file", read));
    }
    let (cpu, wall) = (thread_cpu_ns(), Instant::now());
    for _ in 0..calls {
        let outcome = rt.block_on(sandbox.execute("bench", "read_file", read));
        assert!(outcome.success);
    }
    let cpu = thread_cpu_ns() - cpu;
    let wall = wall.elapsed();
    println!(
        "read_file, fresh instance: {:.2} µs CPU per call, {:.2} µs wall ({calls} calls)",
        cpu as f64 / f64::from(calls) / 1e3,
        wall.as_nanos() as f64 / f64::from(calls) / 1e3
    );
}
