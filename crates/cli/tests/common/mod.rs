//! Shared helpers: the real MCP peers .ci/run installs, and `weft serve`.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};

fn peer(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(path) => {
            assert!(std::path::Path::new(&path).is_file(), "{var}={path} is not a file");
            Some(path)
        }
        Err(_) => {
            eprintln!("SKIPPED: {var} is unset; source .ci/mcp-peers.sh to run this test");
            None
        }
    }
}

/// The CLI script of `@modelcontextprotocol/server-everything`.
pub fn everything() -> Option<String> {
    peer("WEFT_MCP_EVERYTHING")
}

/// A Python with the official `mcp` package.
pub fn python() -> Option<String> {
    peer("WEFT_MCP_PYTHON")
}

/// A child process killed and reaped when dropped.
pub struct Reaped(pub Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

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

/// server-everything in Streamable HTTP mode on a free port, once it accepts
/// connections.
pub fn everything_http(script: &str) -> (Reaped, String) {
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let mut child = Reaped(
        Command::new("node")
            .args([script, "streamableHttp"])
            .env("PORT", port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("node starts"),
    );
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    for _ in 0..400 {
        if TcpStream::connect(addr).is_ok() {
            return (child, format!("http://{addr}/mcp"));
        }
        if let Some(status) = child.0.try_wait().expect("wait") {
            panic!("server-everything exited early: {status}");
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    panic!("server-everything never listened on {addr}");
}
