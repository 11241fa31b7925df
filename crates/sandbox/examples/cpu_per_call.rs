//! CPU time per in-process call, read from the kernel's per-thread
//! accounting (`/proc/thread-self/schedstat`), so the figure holds on a busy
//! machine where wall-clock benchmarks do not. Counts user and kernel time
//! (the pooling allocator's memory reset is kernel work).
//!
//! `cargo run --release -p weft-sandbox --example cpu_per_call [CALLS] [THREADS]`
//!
//! With several threads, each runs its own single-threaded runtime against
//! one shared sandbox, as `weft serve`'s workers do; the figure then includes
//! what the threads cost each other (shared pool, page-table work).

use std::time::Instant;

use weft_sandbox::{Manifest, Sandbox};

fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

/// Runs `calls` reads on this thread; its CPU time in ns.
fn reads(sandbox: &Sandbox, calls: u32) -> u64 {
    let rt = runtime();
    let read = r#"{"file_path":"config.json"}"#;
    for _ in 0..2_000 {
        rt.block_on(sandbox.execute("bench", "read_file", read));
    }
    let cpu = thread_cpu_ns();
    for _ in 0..calls {
        let outcome = rt.block_on(sandbox.execute("bench", "read_file", read));
        assert!(outcome.success);
    }
    thread_cpu_ns() - cpu
}

fn main() {
    let mut args = std::env::args().skip(1);
    let calls: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(50_000);
    let threads: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let rt = runtime();
    let sandbox = rt.block_on(Sandbox::new(Manifest::builtin())).expect("sandbox");
    let write = r#"{"file_path":"config.json","content":"{\"debug\": true}"}"#;
    assert!(rt.block_on(sandbox.execute("bench", "write_file", write)).success);
    let wall = Instant::now();
    let cpu: u64 = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads).map(|_| scope.spawn(|| reads(&sandbox, calls))).collect();
        handles.into_iter().map(|handle| handle.join().expect("thread")).sum()
    });
    let wall = wall.elapsed();
    let total = f64::from(calls) * f64::from(threads);
    println!(
        "read_file, fresh instance, {threads} thread(s): {:.2} µs CPU per call, {:.0} calls/s ({calls} calls each)",
        cpu as f64 / total / 1e3,
        total / wall.as_secs_f64()
    );
}
