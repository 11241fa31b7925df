//! The real MCP peers that `.ci/mcp-peers.sh` installs, for the tests of
//! several crates: where to find them, and server-everything over HTTP.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};

/// The file a peer variable names. `None` (with a loud note) when unset; a
/// set variable pointing at nothing fails the test.
pub fn peer(var: &str) -> Option<String> {
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
