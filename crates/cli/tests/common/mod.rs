//! Shared helpers: the real MCP peers .ci/run installs, and `weft serve`.

#![allow(dead_code, unused_imports)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

pub use weft_bench::peers::{Reaped, everything, everything_http, python};

/// `weft serve` with `workers` server threads on a free loopback port.
pub fn weft_serve(workers: usize) -> (Reaped, String) {
    weft_serve_with(workers, &[])
}

/// [`weft_serve`] with more command-line arguments.
pub fn weft_serve_with(workers: usize, extra: &[&str]) -> (Reaped, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(["serve", "--listen", "127.0.0.1:0", "--workers", &workers.to_string()])
        .args(extra)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("weft serve starts");
    let stderr = child.stderr.take().expect("stderr");
    let child = Reaped(child);
    let mut lines = BufReader::new(stderr).lines();
    let addr = loop {
        let line = lines.next().expect("serve logs its address").expect("utf-8");
        if let Some(url) =
            line.split("listening on http://").nth(1).and_then(|rest| rest.split_whitespace().next())
        {
            break url.trim().to_owned();
        }
    };
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, addr)
}
