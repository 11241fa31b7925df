//! The real peers that `.ci/mcp-peers.sh` and `.ci/hub-peers.sh` install,
//! for the tests of several crates: where to find them, and
//! server-everything over HTTP.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};

/// The file a peer variable names. `None` (with a loud note) when unset; a
/// set variable pointing at nothing fails the test.
pub fn peer(var: &str) -> Option<String> {
    peer_installed_by(var, ".ci/mcp-peers.sh")
}

/// [`peer`], for a variable that `script` exports.
pub fn peer_installed_by(var: &str, script: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(path) => {
            assert!(std::path::Path::new(&path).is_file(), "{var}={path} is not a file");
            Some(path)
        }
        Err(_) => {
            // In CI a missing peer is a failure, never a skip.
            assert!(std::env::var("CI").as_deref() != Ok("true"), "{var} is unset: source {script}");
            eprintln!("SKIPPED: {var} is unset; source {script} to run this test");
            None
        }
    }
}

/// A Python with the official `huggingface_hub` client (`.ci/hub-peers.sh`).
pub fn hf_python() -> Option<String> {
    peer_installed_by("WEFT_HF_PYTHON", ".ci/hub-peers.sh")
}

/// The CLI script of `@modelcontextprotocol/server-everything`.
pub fn everything() -> Option<String> {
    peer("WEFT_MCP_EVERYTHING")
}

/// A Python with the official `mcp` package.
pub fn python() -> Option<String> {
    peer("WEFT_MCP_PYTHON")
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

/// A child process killed and reaped when dropped.
pub struct Reaped(pub Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// server-everything in Streamable HTTP mode on a free port, once it accepts
/// connections; the second value is its `/mcp` URL.
pub fn everything_http(script: &str) -> (Reaped, String) {
    let port = free_port();
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
