//! MCP as users meet it: the official Python SDK talking to `weft serve`'s
//! `/mcp` and to `weft mcp --stdio`, and `weft tools import` reading real MCP
//! servers.

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::Command;

use serde_json::Value;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/mcp_client.py");

fn run_python_client(python: &str, mode: &str, target: &str) -> Value {
    let output = Command::new(python).args([FIXTURE, mode, target]).output().expect("python runs");
    assert!(
        output.status.success(),
        "the Python MCP client failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|err| panic!("{err}: {}", String::from_utf8_lossy(&output.stdout)))
}

fn text(result: &Value) -> String {
    result["content"].as_array().into_iter().flatten().filter_map(|c| c["text"].as_str()).collect()
}

fn assert_sessions(report: &Value) {
    let first = &report["first"];
    let names: Vec<&str> = first["tools"]["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(
        names,
        ["read_file", "write_file", "list_files", "delete_file", "edit_file", "search_files", "move_file"]
    );
    let read_file = &first["tools"]["tools"][0];
    assert_eq!(read_file["inputSchema"]["required"], serde_json::json!(["file_path"]), "{read_file}");

    assert_eq!(first["write"]["isError"], false, "{}", first["write"]);
    assert_eq!(text(&first["read"]), "kept", "state carries within a session: {}", first["read"]);
    assert_eq!(first["read"]["isError"], false);

    let denied = &first["denied"];
    assert_eq!(denied["isError"], true, "{denied}");
    assert_eq!(text(denied), "Access denied: /etc/passwd");
    assert_eq!(denied["_meta"]["weft/error_type"], "PermissionDenied", "{denied}");

    let second = &report["second"]["read"];
    assert_eq!(second["isError"], true, "sessions are isolated: {second}");
    assert_eq!(text(second), "File not found: notes.txt");
    assert_eq!(second["_meta"]["weft/error_type"], "FileNotFound");
}

#[test]
fn python_sdk_over_streamable_http_on_weft_serve() {
    let Some(python) = common::python() else { return };
    // Two workers: one MCP session may be served by either of them.
    let (_serve, addr) = common::weft_serve(2);
    let report = run_python_client(&python, "http", &format!("http://{addr}/mcp"));
    assert_sessions(&report);
}

#[test]
fn python_sdk_over_weft_mcp_stdio() {
    let Some(python) = common::python() else { return };
    let report = run_python_client(&python, "stdio", env!("CARGO_BIN_EXE_weft"));
    assert_sessions(&report);
}

#[test]
fn weft_mcp_stdio_keeps_stdout_for_the_protocol() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(["mcp", "--stdio"])
        .env("RUST_LOG", "debug")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("weft mcp starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let requests = [
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}"#,
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"list_files","arguments":{}}}"#,
    ];
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
    writeln!(stdin, "{}", requests[0]).expect("write");
    let init: Value = serde_json::from_str(&stdout.next().expect("line").expect("utf-8")).expect("json");
    assert_eq!(init["result"]["protocolVersion"], "2025-06-18", "{init}");
    assert_eq!(init["result"]["serverInfo"]["name"], "weft");
    writeln!(stdin, "{}\n{}", requests[1], requests[2]).expect("write");
    let call: Value = serde_json::from_str(&stdout.next().expect("line").expect("utf-8")).expect("json");
    assert_eq!(call["id"], 2);
    assert_eq!(call["result"]["content"][0]["text"], "[]", "{call}");
    drop(stdin); // EOF ends the session and the process.
    let rest: Vec<String> = stdout.map_while(Result::ok).collect();
    assert!(rest.is_empty(), "only protocol messages on stdout: {rest:?}");
    let status = child.wait().expect("exits");
    assert!(status.success(), "{status}");
    let mut logs = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut logs).expect("stderr");
    assert!(logs.contains("backend session closed"), "EOF closes the sandbox session: {logs}");
}

fn tool_names(document: &Value) -> Vec<String> {
    document["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .filter_map(|t| t["name"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn import_from_server_everything_over_stdio_writes_yaml() {
    let Some(script) = common::everything() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("everything.yaml");
    let command = format!("node '{script}' stdio");
    let output = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(["tools", "import", "--mcp-cmd", &command, "--out"])
        .arg(&out)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let yaml = std::fs::read_to_string(&out).expect("written");
    let document: Value = serde_saphyr::from_str(&yaml).expect("YAML");
    let names = tool_names(&document);
    assert!(names.iter().any(|n| n == "echo") && names.iter().any(|n| n == "get-sum"), "{names:?}");
    let echo =
        document["tools"].as_array().expect("tools").iter().find(|t| t["name"] == "echo").expect("echo");
    assert_eq!(echo["inputSchema"]["properties"]["message"]["type"], "string");
}

#[test]
fn import_from_server_everything_over_http_prints_json() {
    let Some(script) = common::everything() else { return };
    let (_server, url) = common::everything_http(&script);
    let output = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(["tools", "import", "--mcp", &url])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let document: Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    let names = tool_names(&document);
    assert!(names.iter().any(|n| n == "echo") && names.iter().any(|n| n == "get-sum"), "{names:?}");
}

/// Answers one `POST /mock/load-schema` like a weft serve would, and hands
/// back the request line and body.
fn fake_load_schema() -> (String, std::thread::JoinHandle<(String, Value)>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        let mut reader = BufReader::new(stream);
        let mut request_line = String::new();
        reader.read_line(&mut request_line).expect("request line");
        let mut length = 0;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).expect("header");
            if header.trim().is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().expect("length");
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).expect("body");
        let document: Value = serde_json::from_slice(&body).expect("JSON body");
        let answer = format!(r#"{{"loaded":{}}}"#, document["tools"].as_array().map_or(0, Vec::len));
        let mut stream = reader.into_inner();
        write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
            answer.len()
        )
        .expect("answer");
        (request_line.trim().to_owned(), document)
    });
    (format!("http://{addr}"), handle)
}

#[test]
fn import_posts_the_tools_to_a_running_serve() {
    let (endpoint, server) = fake_load_schema();
    // weft's own stdio MCP server is the source: no external peer needed.
    let command = format!("'{}' mcp --stdio", env!("CARGO_BIN_EXE_weft"));
    let output = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(["tools", "import", "--mcp-cmd", &command, "--endpoint", &endpoint])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), r#"{"loaded":7}"#);
    let (request_line, document) = server.join().expect("fake server");
    assert_eq!(request_line, "POST /mock/load-schema HTTP/1.1");
    assert_eq!(tool_names(&document)[0], "read_file");
    assert_eq!(document["tools"][0]["inputSchema"]["required"], serde_json::json!(["file_path"]));
}

#[test]
fn import_needs_a_server() {
    let output = Command::new(env!("CARGO_BIN_EXE_weft")).args(["tools", "import"]).output().expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--mcp"));
}

/// The status line of an MCP `initialize` sent to `addr` with `host` as `Host`.
fn initialize_status(addr: &str, host: &str) -> String {
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#;
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    write!(
        stream,
        "POST /mcp HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\naccept: application/json, text/event-stream\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut reply = String::new();
    BufReader::new(stream).read_line(&mut reply).expect("status line");
    reply.trim().to_owned()
}

#[test]
fn serve_accepts_the_mcp_hosts_it_is_told() {
    let (_serve, addr) = common::weft_serve_with(1, &["--allowed-host", "weft.internal"]);
    assert!(initialize_status(&addr, "weft.internal").contains(" 200 "), "allowed by the flag");
    assert!(initialize_status(&addr, &addr).contains(" 200 "), "loopback still allowed");
    let refused = initialize_status(&addr, "evil.example");
    assert!(refused.contains(" 403 ") || refused.contains(" 400 "), "{refused}");
}
