//! Who may call (defects 8 and 9 of the reliability issue), over a real
//! socket with hand-written requests, as a browser or an attacker sends them:
//! a foreign `Host` (DNS rebinding) or `Origin`, and a cross-origin "simple"
//! body (`text/plain`), are refused on every route, the hot tool-call path
//! included; probes still read `/health`; `/mcp` answers batches and bad
//! arguments with JSON-RPC errors and caps its sessions.

use crate::common;

use std::net::SocketAddr;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Sends `head` (request line and headers, no blank line) and `body` with a
/// `Content-Length`; returns the status and the body as JSON (or a string).
async fn raw(addr: SocketAddr, head: &str, body: &str) -> (u16, Value) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!("{head}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).await.expect("read");
    let reply = String::from_utf8(reply).expect("utf-8");
    let (head, body) = reply.split_once("\r\n\r\n").expect("head and body");
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("status");
    let json = serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_owned()));
    (status, json)
}

const WRITE: &str =
    r#"{"session_id":"s1","tool":"write_file","args":{"file_path":"a.txt","content":"mine"}}"#;
const READ: &str = r#"{"session_id":"s1","tool":"read_file","args":{"file_path":"a.txt"}}"#;

#[tokio::test]
async fn foreign_hosts_are_refused_on_every_route_and_loopback_is_served() {
    let (addr, _stop) = common::spawn(common::state().await).await;
    let json = "content-type: application/json";
    let (status, reply) =
        raw(addr, &format!("POST /vfs/execute HTTP/1.1\r\nhost: {addr}\r\n{json}"), WRITE).await;
    assert_eq!((status, reply["success"].clone()), (200, json!(true)), "{reply}");

    for host in [
        "evil.example.com",
        "evil.example.com:3000",
        "evil.example.com@127.0.0.1",
        "127.0.0.1.evil.example.com",
    ] {
        for (method, path, body) in [
            ("POST", "/vfs/execute", WRITE),
            ("POST", "/execute", WRITE),
            ("GET", "/tools", ""),
            ("DELETE", "/session/s1", ""),
            ("POST", "/mock/clear", ""),
        ] {
            let head = format!("{method} {path} HTTP/1.1\r\nhost: {host}\r\n{json}");
            let (status, reply) = raw(addr, &head, body).await;
            assert_eq!(
                (status, reply["error_type"].as_str()),
                (403, Some("Forbidden")),
                "{host} {path}: {reply}"
            );
        }
    }
    // Nothing the refused requests carried reached the session.
    let (_, reply) =
        raw(addr, &format!("POST /vfs/execute HTTP/1.1\r\nhost: localhost\r\n{json}"), READ).await;
    assert_eq!(reply["result"], "mine", "{reply}");

    // Probes address a pod by its IP.
    for path in ["/health", "/vfs/health", "/metrics"] {
        let (status, _) = raw(addr, &format!("GET {path} HTTP/1.1\r\nhost: 10.1.2.3:3000"), "").await;
        assert_eq!(status, 200, "{path}");
    }
    let (status, _) = raw(addr, "GET /tools HTTP/1.1\r\nhost: [::1]:3000", "").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn cross_origin_and_non_json_bodies_cannot_load_mock_tools() {
    let (addr, _stop) = common::spawn(common::state().await).await;
    let schema = r#"{"tools": [{"name": "lookup", "description": "d", "mockResponse": "attacker text"}]}"#;
    let host = format!("host: {addr}");
    // What a page's fetch(..., {mode: "no-cors", body}) sends.
    let browser = format!(
        "POST /mock/load-schema HTTP/1.1\r\n{host}\r\ncontent-type: text/plain\r\norigin: http://evil.example.com"
    );
    let (status, reply) = raw(addr, &browser, schema).await;
    assert_eq!((status, reply["error_type"].as_str()), (403, Some("Forbidden")), "{reply}");
    let plain = format!("POST /mock/load-schema HTTP/1.1\r\n{host}\r\ncontent-type: text/plain");
    let (status, reply) = raw(addr, &plain, schema).await;
    assert_eq!((status, reply["error_type"].as_str()), (415, Some("UnsupportedMediaType")), "{reply}");
    let untyped = format!("POST /vfs/execute HTTP/1.1\r\n{host}");
    let (status, reply) = raw(addr, &untyped, WRITE).await;
    assert_eq!((status, reply["error_type"].as_str()), (415, Some("UnsupportedMediaType")), "{reply}");
    let null_origin =
        format!("POST /vfs/execute HTTP/1.1\r\n{host}\r\ncontent-type: application/json\r\norigin: null");
    assert_eq!(raw(addr, &null_origin, WRITE).await.0, 403);

    let (_, listed) = raw(addr, &format!("GET /mock/list-tools HTTP/1.1\r\n{host}"), "").await;
    assert_eq!(listed, json!({"tools": []}), "no mock tool was loaded");

    // The same load from the service's own origin, as JSON, is served.
    let own = format!(
        "POST /mock/load-schema HTTP/1.1\r\n{host}\r\ncontent-type: application/json\r\norigin: http://localhost:5173"
    );
    assert_eq!(raw(addr, &own, schema).await.0, 200);
}

#[tokio::test]
async fn allowed_hosts_are_served_by_name() {
    let state = common::state().await.allow_hosts(&["weft".to_owned()]);
    let (addr, _stop) = common::spawn(state).await;
    let head = "POST /vfs/execute HTTP/1.1\r\nhost: weft:3000\r\ncontent-type: application/json";
    assert_eq!(raw(addr, head, WRITE).await.0, 200);
    let other =
        "POST /vfs/execute HTTP/1.1\r\nhost: weft.evil.example:3000\r\ncontent-type: application/json";
    assert_eq!(raw(addr, other, WRITE).await.0, 403);
}

/// One `POST /mcp` with the headers MCP clients send.
async fn mcp(addr: SocketAddr, session: Option<&str>, body: &str) -> (u16, Value) {
    let mut head = format!(
        "POST /mcp HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\naccept: application/json, text/event-stream\r\nmcp-protocol-version: 2025-06-18"
    );
    if let Some(session) = session {
        head.push_str(&format!("\r\nmcp-session-id: {session}"));
    }
    let (status, reply) = raw(addr, &head, body).await;
    // An SSE answer: the JSON of its data line.
    let reply = match reply.as_str().and_then(|text| text.lines().find_map(|l| l.strip_prefix("data: "))) {
        Some(data) if !data.trim().is_empty() => serde_json::from_str(data).unwrap_or(reply),
        _ => reply,
    };
    (status, reply)
}

fn initialize(id: u32) -> String {
    json!({
        "jsonrpc": "2.0", "id": id, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
    })
    .to_string()
}

#[tokio::test]
async fn mcp_batches_and_bad_arguments_get_json_rpc_errors() {
    let (addr, _stop) = common::spawn(common::state().await).await;
    let batch = format!("[{}]", initialize(1));
    let (status, reply) = mcp(addr, None, &batch).await;
    assert_eq!((status, reply["error"]["code"].as_i64()), (400, Some(-32600)), "{reply}");
    assert_eq!(reply["jsonrpc"], "2.0");

    let (status, reply) = mcp(addr, None, "{not json").await;
    assert_eq!((status, reply["error"]["code"].as_i64()), (400, Some(-32700)), "{reply}");

    for arguments in [json!("a string"), json!([1, 2]), json!(7)] {
        let call = json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call",
                          "params": {"name": "list_files", "arguments": arguments}});
        let (status, reply) = mcp(addr, Some("any"), &call.to_string()).await;
        assert_eq!(
            (status, reply["error"]["code"].as_i64(), reply["id"].as_i64()),
            (200, Some(-32602), Some(9)),
            "{reply}"
        );
    }
}

#[tokio::test]
async fn mcp_sessions_are_capped_and_a_closed_one_frees_its_place() {
    let state = common::state().await.max_mcp_sessions(2);
    let (addr, _stop) = common::spawn(state).await;
    let mut sessions = Vec::new();
    for id in 0..2 {
        let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let body = initialize(id);
        let request = format!(
            "POST /mcp HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\naccept: application/json, text/event-stream\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.expect("write");
        let mut reply = Vec::new();
        stream.read_to_end(&mut reply).await.expect("read");
        let reply = String::from_utf8_lossy(&reply).to_ascii_lowercase();
        assert!(reply.starts_with("http/1.1 200"), "{reply}");
        let session = reply
            .lines()
            .find_map(|l| l.strip_prefix("mcp-session-id: "))
            .expect("a session id")
            .trim()
            .to_owned();
        sessions.push(session);
    }
    let (status, reply) = mcp(addr, None, &initialize(3)).await;
    assert_eq!((status, reply["error"]["code"].as_i64()), (503, Some(-32000)), "{reply}");
    assert!(reply["error"]["message"].as_str().is_some_and(|m| m.contains("at most 2")), "{reply}");

    // DELETE /mcp ends one; its place is free again.
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let delete = format!(
        "DELETE /mcp HTTP/1.1\r\nhost: {addr}\r\nmcp-session-id: {}\r\nconnection: close\r\n\r\n",
        sessions[0]
    );
    stream.write_all(delete.as_bytes()).await.expect("write");
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).await.expect("read");
    let mut status = 0;
    for _ in 0..200 {
        status = mcp(addr, None, &initialize(4)).await.0;
        if status == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(status, 200, "a place frees once a session ends");
}
