//! Tool calls over a socket take a hot path that skips the router; anything
//! it declines (here: chunked bodies) goes through the router. Both must
//! answer every request identically.

mod common;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One request with a `Content-Length` body (the hot path): status and body.
async fn with_length(addr: std::net::SocketAddr, path: &str, body: &str) -> (u16, String) {
    let response = common::http_client()
        .post(format!("http://{addr}{path}"))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("request is answered");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

/// The same request with a chunked body, written by hand (the router).
async fn chunked(addr: std::net::SocketAddr, path: &str, body: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    let raw = String::from_utf8(raw).expect("utf-8 reply");
    let (head, body) = raw.split_once("\r\n\r\n").expect("a head and a body");
    let status = head.split_whitespace().nth(1).and_then(|code| code.parse().ok()).expect("status code");
    let lower = head.to_ascii_lowercase();
    let body = if lower.contains("transfer-encoding: chunked") { dechunk(body) } else { body.to_owned() };
    (status, body)
}

fn dechunk(mut text: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = text.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).expect("chunk size");
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        text = &rest[size + 2..];
    }
    out
}

#[tokio::test]
async fn hot_path_and_router_answer_alike() {
    let state = common::state().await;
    let (addr, _stop) = common::spawn(state).await;
    let write = r#"{"session_id":"s1","tool":"write_file","args":{"file_path":"a.txt","content":"hello"}}"#;
    assert_eq!(with_length(addr, "/vfs/execute", write).await.0, 200);

    let cases = [
        ("/vfs/execute", r#"{"session_id":"s1","tool":"read_file","args":{"file_path":"a.txt"}}"#),
        ("/vfs/execute", r#"{"session_id":"s1","tool":"read_file","args":{"file_path":"/etc/passwd"}}"#),
        ("/vfs/execute", r#"{"session_id":"s1","tool":"read_file","args":{}}"#),
        ("/vfs/execute", r#"{"session_id":"s1","tool":"no_such_tool","args":{}}"#),
        ("/vfs/execute", r#"{"session_id":"","tool":"read_file","args":{}}"#),
        ("/vfs/execute", r#"{"session_id": "s1", "tool": "#),
        ("/execute", r#"{"session_id":"s1","tool":"list_files","args":{}}"#),
        ("/execute", r#"{"session_id":"s1","tool":"no_such_tool"}"#),
        ("/nope/execute", r#"{"session_id":"s1","tool":"read_file","args":{}}"#),
        ("/mock/execute", r#"{"name":"missing","arguments":{}}"#),
    ];
    for (path, body) in cases {
        let hot = with_length(addr, path, body).await;
        let routed = chunked(addr, path, body).await;
        assert_eq!(hot, routed, "{path} {body}");
    }

    let (status, text) = with_length(addr, "/vfs/execute", cases[0].1).await;
    assert_eq!((status, text.as_str()), (200, r#"{"success":true,"result":"hello"}"#));
    let (status, text) = with_length(addr, "/vfs/execute", cases[5].1).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains(r#""error_type":"InvalidRequest""#), "{text}");
    let (status, text) = with_length(addr, "/nope/execute", cases[8].1).await;
    assert_eq!(status, 404, "{text}");
}

#[tokio::test]
async fn both_paths_are_counted() {
    let state = common::state().await;
    let (addr, _stop) = common::spawn(state).await;
    let read = r#"{"session_id":"s2","tool":"read_file","args":{"file_path":"missing.txt"}}"#;
    with_length(addr, "/vfs/execute", read).await;
    chunked(addr, "/vfs/execute", read).await;
    let metrics = common::http_client()
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let line = r#"weft_tool_calls_total{component="vfs",tool="read_file",error_type="FileNotFound"} 2"#;
    assert!(metrics.contains(line), "{metrics}");
}
