//! Which HTTP the client speaks, and how many connections it opens: HTTP/2
//! multiplexes up to 100 requests per connection (lanes), HTTP/1.1 holds a
//! connection per request in flight.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::http::{Request, Version};
use axum::response::IntoResponse;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use weft_llm::{HttpVersion, LlmError, ProviderSpec, build_model_in};

use crate::common::*;

#[derive(Default)]
struct Seen {
    versions: Mutex<Vec<Version>>,
    peers: Mutex<BTreeSet<SocketAddr>>,
}

/// An OpenAI-compatible server speaking HTTP/1.1 and h2c alike that holds
/// each reply 300 ms (so requests overlap) and notes every request's HTTP
/// version and connection.
async fn start() -> (String, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    async fn chat(
        State(seen): State<Arc<Seen>>,
        ConnectInfo(peer): ConnectInfo<SocketAddr>,
        request: Request<axum::body::Body>,
    ) -> impl IntoResponse {
        seen.versions.lock().unwrap().push(request.version());
        seen.peers.lock().unwrap().insert(peer);
        tokio::time::sleep(Duration::from_millis(300)).await;
        axum::Json(json!({
            "id": "c", "object": "chat.completion", "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
        }))
    }
    let app = Router::new().fallback(chat).with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap()
    });
    (base, seen)
}

/// `count` chats at once through one model speaking `http`.
async fn burst(base: &str, http: HttpVersion, count: usize) {
    let spec = ProviderSpec { http, ..spec("openai", "m", base) };
    let model = build_model_in(&spec, &empty_env()).unwrap();
    let calls: Vec<_> = (0..count)
        .map(|i| {
            let model = model.clone();
            tokio::spawn(async move { model.chat(&plain(&format!("call {i}"))).await })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap().content, "ok");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_carries_a_hundred_requests_per_connection() {
    let (base, seen) = start().await;
    burst(&base, HttpVersion::Http2, 250).await;
    let versions = seen.versions.lock().unwrap().clone();
    assert_eq!(versions.len(), 250);
    assert!(versions.iter().all(|&version| version == Version::HTTP_2), "{versions:?}");
    // 250 at once: two full lanes of 100 and a third with 50.
    assert_eq!(seen.peers.lock().unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http1_holds_a_connection_per_request_in_flight_and_is_what_auto_speaks_without_tls() {
    for http in [HttpVersion::Http1, HttpVersion::Auto] {
        let (base, seen) = start().await;
        burst(&base, http, 150).await;
        let versions = seen.versions.lock().unwrap().clone();
        assert_eq!(versions.len(), 150);
        assert!(versions.iter().all(|&version| version == Version::HTTP_11), "{http:?}: {versions:?}");
        assert!(
            seen.peers.lock().unwrap().len() > 100,
            "{http:?}: {} connections",
            seen.peers.lock().unwrap().len()
        );
    }
}

#[tokio::test]
async fn http2_against_a_server_that_only_speaks_http1_fails_saying_so() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buffer = [0u8; 1024];
            let _ = stream.read(&mut buffer).await;
            let _ = stream
                .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .await;
        }
    });
    let spec = ProviderSpec { http: HttpVersion::Http2, max_retries: 0, ..spec("openai", "m", &base) };
    let model = build_model_in(&spec, &empty_env()).unwrap();
    let error = model.chat(&plain("hi")).await.unwrap_err();
    let LlmError::Transport { message, .. } = &error else { panic!("{error:?}") };
    assert!(message.contains("`llm.http: 2`"), "{message}");
}
