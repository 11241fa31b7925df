//! Defect 5 of the reliability issue: idle and slow sockets used to stay
//! open for ever, so 1,100 of them (past the fd limit) made valid calls
//! time out. Now a slow head is closed at the header timeout, and with the
//! connection cap nearly reached idle sockets are closed within a second:
//! a valid client keeps being answered.

use crate::common;

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use weft_server::ConnectionLimits;

const WRITE: &str = r#"{"session_id":"s","tool":"write_file","args":{"file_path":"a.txt","content":"ok"}}"#;

/// Whether the server closed `stream` within `within` (EOF or reset).
async fn closed_within(stream: &mut tokio::net::TcpStream, within: Duration) -> bool {
    let mut byte = [0u8; 512];
    loop {
        match tokio::time::timeout(within, stream.read(&mut byte)).await {
            Err(_elapsed) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

/// One valid call on a fresh connection: its status, or none.
async fn valid_call(addr: std::net::SocketAddr) -> Option<u16> {
    let mut stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let request = format!(
        "POST /vfs/execute HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{WRITE}",
        WRITE.len()
    );
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut reply = Vec::new();
    tokio::time::timeout(Duration::from_secs(2), stream.read_to_end(&mut reply)).await.ok()?.ok()?;
    let reply = String::from_utf8_lossy(&reply);
    reply.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::test]
async fn a_slow_head_is_closed_at_the_header_timeout() {
    let limits =
        ConnectionLimits { header_timeout: Duration::from_millis(300), ..ConnectionLimits::default() };
    let (addr, _stop) = common::spawn(common::state().await.connection_limits(limits)).await;
    let mut slow = tokio::net::TcpStream::connect(addr).await.expect("connect");
    slow.write_all(b"POST /vfs/execute HTTP/1.1\r\nhost: localhost\r\ncontent-le").await.expect("write");
    let started = Instant::now();
    assert!(closed_within(&mut slow, Duration::from_secs(5)).await, "a head that never ends is closed");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());

    // A body that never arrives is closed the same way.
    let mut stalled = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let head = "POST /vfs/execute HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{";
    stalled.write_all(head.as_bytes()).await.expect("write");
    assert!(closed_within(&mut stalled, Duration::from_secs(5)).await, "a body that never ends is closed");

    // A kept-alive connection that is merely idle is not (60 s by default).
    let mut idle = tokio::net::TcpStream::connect(addr).await.expect("connect");
    assert!(!closed_within(&mut idle, Duration::from_millis(800)).await, "idle is not slow");
    assert_eq!(valid_call(addr).await, Some(200));
}

#[tokio::test]
async fn idle_sockets_past_the_cap_do_not_starve_valid_clients() {
    let limits = ConnectionLimits { max_connections: 20, ..ConnectionLimits::default() };
    let (addr, _stop) = common::spawn(common::state().await.connection_limits(limits)).await;
    let mut idle = Vec::new();
    for _ in 0..60 {
        idle.push(tokio::net::TcpStream::connect(addr).await.expect("connect"));
    }
    // Valid clients get in: retried for at most five seconds.
    let started = Instant::now();
    let mut answered = 0;
    while answered < 5 && started.elapsed() < Duration::from_secs(5) {
        if valid_call(addr).await == Some(200) {
            answered += 1;
        } else {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    assert_eq!(answered, 5, "valid calls were answered while 60 idle sockets were open");
    // Idle sockets were refused past the cap or reaped near it; the ones
    // left are below three quarters of the cap, where idling is allowed.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let mut open = 0;
    for socket in &mut idle {
        if !closed_within(socket, Duration::from_millis(20)).await {
            open += 1;
        }
    }
    assert!(open < 15, "{open} of 60 idle sockets stayed open");
    let metrics = reqwest_metrics(addr).await;
    assert!(
        metrics.contains(r#"weft_requests_rejected_total{error_type="TooManyConnections"}"#),
        "{metrics}"
    );
}

async fn reqwest_metrics(addr: std::net::SocketAddr) -> String {
    common::http_client()
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text")
}
