//! `weft serve` as a user runs it: a real process on a real port, stopped by
//! a real signal.

use crate::common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn http(addr: &str, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    stream.write_all(request.as_bytes()).expect("send");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("read");
    reply
}

fn post(addr: &str, path: &str, body: &str) -> String {
    http(
        addr,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
}

#[test]
fn serve_answers_then_stops_cleanly_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("weft serve starts");
    let (addr, startup, lines) = common::until_listening(&mut child);
    assert!(startup.iter().any(|l| l.contains("key-value store default: in-memory")), "{startup:?}");
    assert!(startup.iter().any(|l| l.contains("component vfs: 7 tools")), "{startup:?}");
    // No transparent huge pages: the kernel zeroing 2 MiB each time the
    // allocator touches a purged range again cost a tenth of the CPU.
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).expect("status");
    assert!(status.lines().any(|l| l == "THP_enabled:\t0"), "{status}");

    let reply = post(
        &addr,
        "/vfs/execute",
        r#"{"session_id":"s","tool":"write_file","args":{"file_path":"a.txt","content":"abc"}}"#,
    );
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.ends_with(r#"{"success":true,"result":"Successfully wrote 3 bytes to a.txt"}"#), "{reply}");
    let reply = post(&addr, "/vfs/execute", "{broken");
    assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");
    assert!(reply.contains(r#""error_type":"InvalidRequest""#), "{reply}");

    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = child.try_wait().expect("wait") {
            break exit;
        }
        assert!(Instant::now() < deadline, "weft serve did not stop within 10 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "exit status {exit:?}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l.contains("SIGTERM")), "{rest:?}");
}

#[test]
fn tools_call_prints_the_envelope_and_exits_1_on_a_tool_error() {
    let output = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(["tools", "call", "read_file", r#"{"file_path":"/etc/passwd"}"#])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        r#"{"success":false,"result":"Access denied: /etc/passwd","error_type":"PermissionDenied"}"#
    );
    let output = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(["tools", "call", "list_files"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), r#"{"success":true,"result":"[]"}"#);
    let output = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(["tools", "call", "read_file", "{not json"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("arguments must be JSON"));
}

#[test]
fn tools_list_names_every_vfs_tool() {
    let output =
        Command::new(env!("CARGO_BIN_EXE_weft")).args(["tools", "list", "--json"]).output().expect("runs");
    assert!(output.status.success());
    let listing: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let names: Vec<&str> =
        listing["tools"].as_array().expect("tools").iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(
        names,
        ["read_file", "write_file", "list_files", "delete_file", "edit_file", "search_files", "move_file"]
    );
}

#[test]
fn replicas_over_one_redis_serve_one_session() {
    let Some(redis) = weft_sandbox::testing::redis("replicas_over_one_redis_serve_one_session") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let label = weft_sandbox::testing::unique("serve");
    let manifest = dir.path().join("weft.toml");
    std::fs::write(
        &manifest,
        format!(
            "[component.vfs]\nsource = \"builtin:vfs\"\nkey_value_stores = [\"{label}\"]\n\
             [key_value_store.{label}]\ntype = \"redis\"\nurl = \"redis://127.0.0.1:1\"\n"
        ),
    )
    .expect("manifest");
    // The URL in the file is wrong on purpose: the environment's wins, so a
    // password need never be written into the manifest.
    let var = format!("WEFT_KV_{}_URL", label.to_ascii_uppercase().replace('-', "_"));
    let serve = |env_url: &str| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_weft"));
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--manifest"])
            .arg(&manifest)
            .env(&var, env_url)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = common::Reaped(command.spawn().expect("weft serve starts"));
        let (addr, startup, rest) = common::until_listening(&mut child.0);
        std::thread::spawn(move || rest.for_each(drop));
        (child, addr, startup)
    };
    let (_a, a, startup) = serve(&redis.url);
    let (_b, b, _) = serve(&redis.url);
    let address = redis.url.trim_start_matches("redis://");
    assert!(
        startup.iter().any(|l| l.contains(&format!("key-value store {label}: Redis at {address}/0"))),
        "{startup:?}"
    );

    let call = |addr: &str, tool: &str, args: &str| {
        post(addr, "/vfs/execute", &format!(r#"{{"session_id":"team","tool":"{tool}","args":{args}}}"#))
    };
    let reply = call(&a, "write_file", r#"{"file_path":"todo.md","content":"ship it"}"#);
    assert!(reply.ends_with(r#""result":"Successfully wrote 7 bytes to todo.md"}"#), "{reply}");
    let reply = call(&b, "read_file", r#"{"file_path":"todo.md"}"#);
    assert!(reply.ends_with(r#"{"success":true,"result":"ship it"}"#), "{reply}");
    // DeepFabric's cleanup on one replica ends the session for all of them.
    let reply = http(&b, &format!("DELETE /session/team HTTP/1.1\r\nHost: {b}\r\nConnection: close\r\n\r\n"));
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    let reply = call(&a, "read_file", r#"{"file_path":"todo.md"}"#);
    assert!(reply.contains(r#""error_type":"FileNotFound""#), "{reply}");
}
