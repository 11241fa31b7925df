//! Tool calls over a socket take a hot path that skips the router; anything
//! it declines (here: chunked bodies) goes through the router. Both must
//! answer every request identically.

use crate::common;

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

/// Writes `bytes` on `stream` and reads until `answers` complete responses
/// (each with a `content-length`) have arrived; their status lines and bodies.
async fn exchange(stream: &mut tokio::net::TcpStream, bytes: &[u8], answers: usize) -> Vec<(String, String)> {
    stream.write_all(bytes).await.expect("write");
    let mut raw = Vec::new();
    let mut parsed = Vec::new();
    while parsed.len() < answers {
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .expect("answered in time")
            .expect("read");
        assert!(n > 0, "closed after {} answers: {:?}", parsed.len(), String::from_utf8_lossy(&raw));
        raw.extend_from_slice(&chunk[..n]);
        parsed.clear();
        let mut rest = raw.as_slice();
        while let Some(end) = rest.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&rest[..end]).into_owned();
            let length: usize = head
                .lines()
                .find_map(|line| {
                    line.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse())
                })
                .map_or(0, |parsed| parsed.expect("a length"));
            if rest.len() < end + 4 + length {
                break;
            }
            let body = String::from_utf8_lossy(&rest[end + 4..end + 4 + length]).into_owned();
            parsed.push((head, body));
            rest = &rest[end + 4 + length..];
        }
    }
    parsed
}

fn post(path: &str, body: &str, extra: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n{extra}content-length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// Pipelined calls, a head split across writes, and a connection that turns
/// from tool calls to other routes and back: every request is answered, in
/// order, on one connection.
#[tokio::test]
async fn one_connection_serves_pipelined_split_and_mixed_requests() {
    let (addr, _stop) = common::spawn(common::state().await).await;
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let write = r#"{"session_id":"p","tool":"write_file","args":{"file_path":"a.txt","content":"one"}}"#;
    let read = r#"{"session_id":"p","tool":"read_file","args":{"file_path":"a.txt"}}"#;
    let pipelined = format!("{}{}", post("/vfs/execute", write, ""), post("/execute", read, ""));
    let answers = exchange(&mut stream, pipelined.as_bytes(), 2).await;
    assert!(answers[0].0.starts_with("HTTP/1.1 200 OK"), "{answers:?}");
    assert!(answers[0].0.to_ascii_lowercase().contains("content-type: application/json"), "{answers:?}");
    assert!(answers[0].0.to_ascii_lowercase().contains("date: "), "{answers:?}");
    assert_eq!(answers[1].1, r#"{"success":true,"result":"one"}"#);

    // A head that arrives in pieces.
    let request = post("/vfs/execute", read, "");
    let (first, second) = request.split_at(20);
    stream.write_all(first.as_bytes()).await.expect("write");
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let answers = exchange(&mut stream, second.as_bytes(), 1).await;
    assert_eq!(answers[0].1, r#"{"success":true,"result":"one"}"#);

    // Another route, then a tool call again, on the same connection.
    let health = "GET /health HTTP/1.1\r\nhost: localhost\r\n\r\n";
    let mixed = format!("{health}{}", post("/vfs/execute", read, ""));
    let answers = exchange(&mut stream, mixed.as_bytes(), 2).await;
    assert!(answers[0].1.contains(r#""status":"healthy""#), "{answers:?}");
    assert_eq!(answers[1].1, r#"{"success":true,"result":"one"}"#);
}

/// `Connection: close` is honoured (said back, then the server closes), and
/// `Expect: 100-continue` gets its interim answer before the body is sent.
#[tokio::test]
async fn connection_close_and_expect_continue_are_honoured() {
    let (addr, _stop) = common::spawn(common::state().await).await;
    let read = r#"{"session_id":"c","tool":"read_file","args":{"file_path":"none.txt"}}"#;
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let answers =
        exchange(&mut stream, post("/vfs/execute", read, "connection: close\r\n").as_bytes(), 1).await;
    assert!(answers[0].0.to_ascii_lowercase().contains("connection: close"), "{answers:?}");
    assert!(answers[0].1.contains("FileNotFound"), "{answers:?}");
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).await.expect("closed cleanly");
    assert!(rest.is_empty(), "{:?}", String::from_utf8_lossy(&rest));

    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "POST /vfs/execute HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\nexpect: 100-continue\r\ncontent-length: {}\r\n\r\n",
        read.len()
    );
    stream.write_all(head.as_bytes()).await.expect("write head");
    let mut interim = [0u8; 64];
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut interim))
        .await
        .expect("the interim answer comes before the body")
        .expect("read");
    assert!(String::from_utf8_lossy(&interim[..n]).starts_with("HTTP/1.1 100 Continue"));
    let answers = exchange(&mut stream, read.as_bytes(), 1).await;
    assert!(answers[0].1.contains("FileNotFound"), "{answers:?}");
}

/// Shutting down closes idle connections and returns promptly.
#[tokio::test]
async fn shutdown_closes_idle_connections() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(weft_server::serve(listener, common::state().await, async move {
        let _ = stopped.await;
    }));
    let read = r#"{"session_id":"i","tool":"list_files","args":{}}"#;
    let mut idle = tokio::net::TcpStream::connect(addr).await.expect("connect");
    exchange(&mut idle, post("/vfs/execute", read, "").as_bytes(), 1).await;
    let mut handed_off = tokio::net::TcpStream::connect(addr).await.expect("connect");
    exchange(&mut handed_off, b"GET /health HTTP/1.1\r\nhost: localhost\r\n\r\n", 1).await;

    let _ = stop.send(());
    tokio::time::timeout(std::time::Duration::from_secs(5), server)
        .await
        .expect("the server stops with connections open")
        .expect("task")
        .expect("served");
    for stream in [&mut idle, &mut handed_off] {
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).await.expect("closed");
        assert!(rest.is_empty());
    }
}
