//! The client of plain `http://` endpoints (vLLM, Ollama, local gateways):
//! kept-alive connections, reply framing as servers really send it, and the
//! failures of a connection, against real sockets on loopback.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, State};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use weft_llm::{ChatModel, LlmError, ProviderSpec, build_model_in};

use crate::common::*;

/// A chat completion answering `content`, as JSON text.
fn completion(content: &str) -> String {
    json!({
        "id": "c", "object": "chat.completion", "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}
    })
    .to_string()
}

/// A model on `base` with no retries (the client's own resend is not one).
fn model(base: &str) -> Arc<dyn ChatModel> {
    let spec = ProviderSpec { max_retries: 0, timeout_secs: Some(2), ..spec("openai", "m", base) };
    build_model_in(&spec, &env_with("OPENAI_API_KEY", "sk-plain-secret")).unwrap()
}

/// What a scripted server does with one request.
enum Step {
    /// Writes these bytes, one write per piece, and keeps the connection.
    Answer(Vec<Vec<u8>>),
    /// Writes these bytes, then closes the connection.
    AnswerAndClose(Vec<u8>),
    /// Closes the connection without a word (a keep-alive timeout firing
    /// just as the request arrived).
    Close,
    /// Reads the request and never answers.
    Hang,
}

/// Requests a scripted server read: (connection number, head, body).
type Seen = Arc<Mutex<Vec<(usize, String, Vec<u8>)>>>;

/// A raw HTTP/1.1 server on loopback that meets requests, in the order they
/// arrive over all its connections, with `steps`.
async fn scripted(steps: Vec<Step>) -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let steps = Arc::new(Mutex::new(steps.into_iter().collect::<std::collections::VecDeque<_>>()));
    let record = seen.clone();
    tokio::spawn(async move {
        for connection in 0.. {
            let (stream, _) = listener.accept().await.unwrap();
            let (steps, seen) = (steps.clone(), record.clone());
            tokio::spawn(async move { serve(stream, connection, steps, seen).await });
        }
    });
    (base, seen)
}

async fn serve(
    mut stream: TcpStream,
    connection: usize,
    steps: Arc<Mutex<std::collections::VecDeque<Step>>>,
    seen: Seen,
) {
    let mut buf = Vec::new();
    loop {
        // One request: the head, then content-length bytes of body.
        let head_end = loop {
            if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            if !read_into(&mut stream, &mut buf).await {
                return;
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length: "))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0);
        while buf.len() < head_end + length {
            if !read_into(&mut stream, &mut buf).await {
                return;
            }
        }
        let body = buf[head_end..head_end + length].to_vec();
        buf.drain(..head_end + length);
        seen.lock().unwrap().push((connection, head, body));
        let step = steps.lock().unwrap().pop_front();
        match step {
            Some(Step::Answer(pieces)) => {
                for piece in pieces {
                    stream.write_all(&piece).await.unwrap();
                    stream.flush().await.unwrap();
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            }
            Some(Step::AnswerAndClose(bytes)) => {
                stream.write_all(&bytes).await.unwrap();
                return;
            }
            Some(Step::Close) | None => return,
            Some(Step::Hang) => {
                tokio::time::sleep(Duration::from_secs(30)).await;
                return;
            }
        }
    }
}

/// Appends what arrives to `buf`; `false` at the connection's end.
async fn read_into(stream: &mut TcpStream, buf: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; 4096];
    match stream.read(&mut chunk).await {
        Ok(0) | Err(_) => false,
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            true
        }
    }
}

/// A keep-alive reply with a `content-length`, in one piece.
fn sized(content: &str) -> Step {
    let body = completion(content);
    Step::Answer(vec![
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    ])
}

fn connections(seen: &Seen) -> BTreeSet<usize> {
    seen.lock().unwrap().iter().map(|(connection, ..)| *connection).collect()
}

#[tokio::test]
async fn the_request_carries_the_headers_and_the_body_it_says() {
    let (base, seen) = scripted(vec![sized("hello")]).await;
    let reply = model(&base).chat(&plain("Hi")).await.unwrap();
    assert_eq!(reply.content, "hello");
    let (_, head, body) = seen.lock().unwrap()[0].clone();
    let lines: Vec<&str> = head.lines().collect();
    assert_eq!(lines[0], "POST /v1/chat/completions HTTP/1.1");
    let port = base.trim_start_matches("http://").trim_end_matches("/v1");
    for expected in [
        format!("host: {port}"),
        "authorization: Bearer sk-plain-secret".to_owned(),
        "content-type: application/json".to_owned(),
        format!("content-length: {}", body.len()),
    ] {
        assert!(lines.contains(&expected.as_str()), "{expected} missing from {head}");
    }
    assert!(lines.iter().any(|line| line.starts_with("user-agent: weft/")), "{head}");
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["model"], "m");
    assert_eq!(body["messages"][1], json!({"role": "user", "content": "Hi"}));
}

#[tokio::test]
async fn a_kept_alive_connection_carries_request_after_request() {
    let (base, seen) = scripted((0..20).map(|i| sized(&format!("reply {i}"))).collect()).await;
    let model = model(&base);
    for i in 0..20 {
        assert_eq!(model.chat(&plain("Hi")).await.unwrap().content, format!("reply {i}"));
    }
    assert_eq!(connections(&seen).len(), 1);
}

#[tokio::test]
async fn replies_are_read_however_the_server_frames_them() {
    let chunked = completion("chunked");
    let (first, second) = chunked.split_at(chunked.len() / 3);
    let by_close = completion("until close");
    let (base, seen) = scripted(vec![
        // Chunked, with a chunk extension and a trailer, five bytes per write.
        Step::Answer(
            format!(
                "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n{:x};ext=1\r\n{first}\r\n{:X}\r\n{second}\r\n0\r\nx-trailer: t\r\n\r\n",
                first.len(),
                second.len()
            )
            .into_bytes()
            .chunks(5)
            .map(<[u8]>::to_vec)
            .collect(),
        ),
        // An informational head first, then the reply in two writes.
        Step::Answer(vec![
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: ".to_vec(),
            format!("{}\r\n\r\n{}", completion("after 100").len(), completion("after 100")).into_bytes(),
        ]),
        // No length at all: the body runs to the connection's end.
        Step::AnswerAndClose(format!("HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n{by_close}").into_bytes()),
        sized("on a new connection"),
    ])
    .await;
    let model = model(&base);
    for expected in ["chunked", "after 100", "until close", "on a new connection"] {
        assert_eq!(model.chat(&plain("Hi")).await.unwrap().content, expected);
    }
    // The first three shared a connection; the close forced a new one.
    let seen = seen.lock().unwrap();
    let on: Vec<usize> = seen.iter().map(|(connection, ..)| *connection).collect();
    assert_eq!(on, [0, 0, 0, 1]);
}

#[tokio::test]
async fn a_connection_closed_as_the_request_went_out_is_sent_again_at_once() {
    // The server answers once, then closes the kept-alive connection on the
    // next request without answering it.
    let (base, seen) = scripted(vec![sized("first"), Step::Close, sized("second")]).await;
    let model = model(&base);
    assert_eq!(model.chat(&plain("one")).await.unwrap().content, "first");
    assert_eq!(model.chat(&plain("two")).await.unwrap().content, "second");
    let seen = seen.lock().unwrap();
    let bodies: Vec<(usize, serde_json::Value)> = seen
        .iter()
        .map(|(connection, _, body)| (*connection, serde_json::from_slice(body).unwrap()))
        .collect();
    assert_eq!(bodies.len(), 3);
    assert_eq!((bodies[1].0, &bodies[1].1["messages"][1]["content"]), (0, &json!("two")));
    assert_eq!((bodies[2].0, &bodies[2].1["messages"][1]["content"]), (1, &json!("two")));
    // Not a retry of the call: the server never saw the lost request.
    assert_eq!(model.usage().unwrap().snapshot().retries, 0);
}

#[tokio::test]
async fn an_idle_connection_the_server_closed_is_not_used() {
    let reply = completion("first");
    let (base, seen) = scripted(vec![
        Step::AnswerAndClose(
            format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{reply}", reply.len()).into_bytes(),
        ),
        sized("second"),
    ])
    .await;
    let model = model(&base);
    assert_eq!(model.chat(&plain("one")).await.unwrap().content, "first");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(model.chat(&plain("two")).await.unwrap().content, "second");
    // Each request reached the server exactly once.
    let on: Vec<usize> = seen.lock().unwrap().iter().map(|(connection, ..)| *connection).collect();
    assert_eq!(on, [0, 1]);
}

/// The transport error of one call to a server that does `step`.
async fn transport_error(step: Step) -> String {
    let (base, _) = scripted(vec![step]).await;
    let error = model(&base).chat(&plain("Hi")).await.expect_err("the call fails");
    let LlmError::Transport { message, .. } = error else { panic!("{error:?}") };
    assert!(!message.contains("sk-plain-secret"), "{message}");
    message
}

#[tokio::test]
async fn broken_replies_are_transport_errors_that_say_what_broke() {
    let cut = transport_error(Step::AnswerAndClose(
        b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{\"choices\":".to_vec(),
    ))
    .await;
    assert!(
        cut.starts_with("failed: http://") && cut.contains("closed the connection before the reply"),
        "{cut}"
    );
    let not_http = transport_error(Step::AnswerAndClose(b"SSH-2.0-OpenSSH_9.6\r\n\r\n".to_vec())).await;
    assert!(not_http.contains("not HTTP/1.1"), "{not_http}");
    let silent = transport_error(Step::Close).await;
    assert!(silent.contains("closed the connection"), "{silent}");
    let bad_chunk = transport_error(Step::AnswerAndClose(
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nnope\r\n0\r\n\r\n".to_vec(),
    ))
    .await;
    assert!(bad_chunk.contains("chunk size"), "{bad_chunk}");
    let hung = transport_error(Step::Hang).await;
    assert!(hung.starts_with("timed out: ") && hung.contains("no complete reply within 2 s"), "{hung}");
}

#[tokio::test]
async fn a_refused_connection_says_so() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    drop(listener);
    let error = model(&base).chat(&plain("Hi")).await.expect_err("nobody listens");
    let LlmError::Transport { message, .. } = error else { panic!("{error:?}") };
    assert!(message.starts_with("could not connect: ") && message.contains("refused"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_in_flight_hold_a_connection_each_and_reuse_them() {
    #[derive(Default)]
    struct Peers(Mutex<BTreeSet<SocketAddr>>);
    async fn chat(State(peers): State<Arc<Peers>>, ConnectInfo(peer): ConnectInfo<SocketAddr>) -> String {
        peers.0.lock().unwrap().insert(peer);
        tokio::time::sleep(Duration::from_millis(200)).await;
        completion("ok")
    }
    let peers = Arc::new(Peers::default());
    let app = Router::new().fallback(chat).with_state(peers.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    // By name, as `http://localhost:8000/v1` is usually written.
    let base = format!("http://localhost:{}/v1", listener.local_addr().unwrap().port());
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap()
    });
    let model = model(&base);
    for _ in 0..3 {
        let calls: Vec<_> = (0..60)
            .map(|_| {
                let model = model.clone();
                tokio::spawn(async move { model.chat(&plain("Hi")).await })
            })
            .collect();
        for call in calls {
            assert_eq!(call.await.unwrap().unwrap().content, "ok");
        }
    }
    // 60 at once need 60 connections; the next two rounds reuse them.
    assert_eq!(peers.0.lock().unwrap().len(), 60);
}
