//! Shared helpers: the real MCP peers .ci/run installs, and `weft serve`.

#![allow(dead_code, unused_imports)]

use std::io::{BufRead, BufReader, Lines};
use std::process::{Child, ChildStderr, Command, Stdio};

pub use weft_bench::peers::{Reaped, everything, everything_http, python};

/// The `weft` binary under test.
pub fn weft() -> Command {
    Command::new(env!("CARGO_BIN_EXE_weft"))
}

/// Runs `command` to its end.
pub fn run(command: &mut Command) -> std::process::Output {
    command.output().expect("weft runs")
}

/// What a finished command wrote on stderr.
pub fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Every line of a JSONL file, parsed.
pub fn jsonl(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .expect("the file exists")
        .lines()
        .map(|line| serde_json::from_str(line).expect("every line is JSON"))
        .collect()
}

/// The fake OpenAI-compatible LLM (weft-bench) on a runtime of its own:
/// its base URL (`http://127.0.0.1:PORT/v1`) and the runtime keeping it up.
pub fn fake_llm_with(options: weft_bench::FakeOptions) -> (String, tokio::runtime::Runtime) {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("rt");
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let addr = listener.local_addr().expect("addr");
    runtime.spawn(weft_bench::serve(listener, options));
    (format!("http://{addr}/v1"), runtime)
}

/// [`fake_llm_with`] answering after `latency_ms`.
pub fn fake_llm(latency_ms: u64) -> (String, tokio::runtime::Runtime) {
    fake_llm_with(weft_bench::FakeOptions {
        latency: std::time::Duration::from_millis(latency_ms),
        ..weft_bench::FakeOptions::default()
    })
}

/// `weft serve` with `workers` server threads on a free loopback port.
pub fn weft_serve(workers: usize) -> (Reaped, String) {
    weft_serve_with(workers, &[])
}

/// [`weft_serve`] with more command-line arguments.
pub fn weft_serve_with(workers: usize, extra: &[&str]) -> (Reaped, String) {
    let mut args = vec!["--workers".to_owned(), workers.to_string()];
    args.extend(extra.iter().map(|arg| (*arg).to_owned()));
    spawn_serve(&args, &[])
}

/// `weft serve --manifest MANIFEST` (one worker) with more arguments and
/// environment: the child and its base URL (`http://127.0.0.1:PORT`).
pub fn serve_manifest(manifest: &std::path::Path, extra: &[&str], env: &[(&str, &str)]) -> (Reaped, String) {
    let mut args = vec!["--workers".to_owned(), "1".to_owned(), "--manifest".to_owned()];
    args.push(manifest.to_str().expect("a UTF-8 manifest path").to_owned());
    args.extend(extra.iter().map(|arg| (*arg).to_owned()));
    let (child, addr) = spawn_serve(&args, env);
    (child, format!("http://{addr}"))
}

/// `weft serve` on a free loopback port with `args` and `env`: the child and
/// the address it listens on.
fn spawn_serve(args: &[String], env: &[(&str, &str)]) -> (Reaped, String) {
    let mut child = Reaped(
        Command::new(env!("CARGO_BIN_EXE_weft"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .envs(env.iter().copied())
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("weft serve starts"),
    );
    let (addr, _, rest) = until_listening(&mut child.0);
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || rest.for_each(drop));
    (child, addr)
}

/// The rest of a child's stderr, line by line.
pub type StderrLines = Lines<BufReader<ChildStderr>>;

/// Reads a `weft serve` child's stderr (piped) up to the line saying where
/// it listens: the address, the lines so far, and the rest of stderr (drain
/// it, or the server blocks on a full pipe).
pub fn until_listening(child: &mut Child) -> (String, Vec<String>, StderrLines) {
    let mut lines = BufReader::new(child.stderr.take().expect("stderr is piped")).lines();
    let mut startup = Vec::new();
    loop {
        let line = lines.next().expect("serve logs its address").expect("utf-8");
        startup.push(line.clone());
        if let Some(url) =
            line.split("listening on http://").nth(1).and_then(|rest| rest.split_whitespace().next())
        {
            return (url.trim().to_owned(), startup, lines);
        }
    }
}
