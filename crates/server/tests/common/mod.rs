#![allow(dead_code)]

use std::net::SocketAddr;

use axum::body::Body;
use axum::http::{Method, Request};
use http_body_util::BodyExt;
use tower::ServiceExt;
use weft_sandbox::Manifest;
use weft_server::{AppState, DEFAULT_BODY_LIMIT};

pub async fn state() -> AppState {
    let sandbox = weft_tools::InProcess::new(Manifest::builtin()).await.expect("built-in manifest loads");
    AppState::new(sandbox, DEFAULT_BODY_LIMIT)
}

/// Sends one request through the router without a socket.
pub async fn send(
    state: &AppState,
    method: Method,
    uri: &str,
    body: impl Into<Body>,
) -> (u16, serde_json::Value) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(body.into())
        .expect("request");
    let response = weft_server::app(state.clone()).oneshot(request).await.expect("infallible");
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    let json = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, json)
}

/// Binds 127.0.0.1:0 and serves until the returned sender is dropped.
pub async fn spawn(state: AppState) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = weft_server::serve(listener, state, async move {
            let _ = stopped.await;
        })
        .await;
    });
    (addr, stop)
}

/// A plain HTTP client (reqwest is built without a bundled crypto provider).
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}
