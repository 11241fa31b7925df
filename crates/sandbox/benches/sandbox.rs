//! Hot paths of the sandbox: one tool call in a fresh instance, and opening a
//! session seeded with ten files. Budgets (design.md §7, issue 2): read_file
//! p50 ≤ 20 µs; open + seed 10 files ≤ 0.5 ms.
//!
//! `cargo bench -p weft-sandbox --bench sandbox`; `bench/sandbox.sh` prints
//! medians against the budgets.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use weft_protocol::{ScenarioSeed, ToolBackend};
use weft_sandbox::{Manifest, Sandbox};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

fn calls(c: &mut Criterion) {
    let rt = runtime();
    let sandbox = rt.block_on(Sandbox::new(Manifest::builtin())).expect("sandbox");
    rt.block_on(sandbox.execute(
        "bench",
        "write_file",
        r#"{"file_path":"config.json","content":"{\"debug\": true}"}"#,
    ));
    let read = r#"{"file_path":"config.json"}"#;
    let outcome = rt.block_on(sandbox.execute("bench", "read_file", read));
    assert!(outcome.success, "{outcome:?}");

    c.bench_function("read_file (fresh instance)", |b| {
        b.iter(|| rt.block_on(sandbox.execute(black_box("bench"), "read_file", black_box(read))))
    });
    c.bench_function("permission denied (fresh instance)", |b| {
        b.iter(|| rt.block_on(sandbox.execute("bench", "read_file", r#"{"file_path":"/etc/passwd"}"#)))
    });

    let mut seed = ScenarioSeed::default();
    for i in 0..10 {
        seed.files.insert(format!("src/module_{i}.py"), format!("def f{i}():\n    return {i}\n"));
    }
    c.bench_function("open session + seed 10 files + close", |b| {
        b.iter(|| {
            rt.block_on(async {
                let session = ToolBackend::open_session(&sandbox, &seed).await.expect("seeded");
                ToolBackend::close_session(&sandbox, &session).await;
            })
        })
    });
}

criterion_group!(benches, calls);
criterion_main!(benches);
