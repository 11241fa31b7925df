//! CPU time per in-process call, read from the kernel's per-thread
//! accounting (`/proc/thread-self/schedstat`), so the figure holds on a busy
//! machine where wall-clock benchmarks do not. Counts user and kernel time
//! (the pooling allocator's memory reset is kernel work).
//!
//! `cargo run --release -p weft-sandbox --example cpu_per_call [CALLS] [THREADS] [--floor]`
//!
//! `--floor` calls the no-std test guest's `echo` instead of the VFS's
//! `read_file`: a component that does nothing, so the figure is what a fresh
//! component instance costs by itself (store, three core instances, memory
//! reset), the floor under any tool call.
//!
//! With several threads, each runs its own single-threaded runtime against
//! one shared sandbox, as `weft serve`'s workers do; the figure then includes
//! what the threads cost each other (shared pool, page-table work).

use std::path::{Path, PathBuf};
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

/// The no-std test guest, alone: its `echo` does no work.
const FLOOR_MANIFEST: &str = r#"
weft_manifest_version = 1
[component.bare]
source = "builtin:misbehave-bare"
"#;

/// Runs `calls` calls of `tool` on this thread; its CPU time in ns.
fn calls_of(sandbox: &Sandbox, tool: &str, calls: u32) -> u64 {
    let rt = runtime();
    let read = r#"{"file_path":"config.json"}"#;
    for _ in 0..2_000 {
        rt.block_on(sandbox.execute("bench", tool, read));
    }
    let cpu = thread_cpu_ns();
    for _ in 0..calls {
        let outcome = rt.block_on(sandbox.execute("bench", tool, read));
        assert!(outcome.success);
    }
    thread_cpu_ns() - cpu
}

fn main() {
    let floor = std::env::args().any(|arg| arg == "--floor");
    let mut args = std::env::args().skip(1).filter(|arg| arg != "--floor");
    let calls: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(50_000);
    let threads: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let rt = runtime();
    let (manifest, tool) = if floor {
        let manifest = Manifest::parse(FLOOR_MANIFEST, Path::new("<floor>"), PathBuf::from("."));
        (manifest.expect("the floor manifest is valid"), "echo")
    } else {
        (Manifest::builtin(), "read_file")
    };
    let sandbox = rt.block_on(Sandbox::new(manifest)).expect("sandbox");
    if !floor {
        let write = r#"{"file_path":"config.json","content":"{\"debug\": true}"}"#;
        assert!(rt.block_on(sandbox.execute("bench", "write_file", write)).success);
    }
    let wall = Instant::now();
    let cpu: u64 = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads).map(|_| scope.spawn(|| calls_of(&sandbox, tool, calls))).collect();
        handles.into_iter().map(|handle| handle.join().expect("thread")).sum()
    });
    let wall = wall.elapsed();
    let total = f64::from(calls) * f64::from(threads);
    println!(
        "{tool}, fresh instance, {threads} thread(s): {:.2} µs CPU per call, {:.0} calls/s ({calls} calls each)",
        cpu as f64 / total / 1e3,
        total / wall.as_secs_f64()
    );
}
