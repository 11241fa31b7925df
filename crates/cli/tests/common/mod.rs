//! Shared helpers: the real MCP peers .ci/run installs, and `weft serve`.

#![allow(dead_code, unused_imports)]

use std::io::{BufRead, BufReader, Lines};
use std::process::{Child, ChildStderr, Command, Stdio};

pub use weft_bench::peers::{Reaped, everything, everything_http, python};

/// `weft serve` with `workers` server threads on a free loopback port.
pub fn weft_serve(workers: usize) -> (Reaped, String) {
    weft_serve_with(workers, &[])
}

/// [`weft_serve`] with more command-line arguments.
pub fn weft_serve_with(workers: usize, extra: &[&str]) -> (Reaped, String) {
    let mut child = Reaped(
        Command::new(env!("CARGO_BIN_EXE_weft"))
            .args(["serve", "--listen", "127.0.0.1:0", "--workers", &workers.to_string()])
            .args(extra)
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
