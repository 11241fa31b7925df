//! The token is in no log line, no error and no `Debug` output. Alone in
//! its test binary: the capture is a thread's default subscriber, and tests
//! running beside it on other threads would race its callsite registration.

use crate::common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use common::*;
use weft_hub::RepoId;

/// Answers everything with 400, quoting the request's `Authorization`
/// header back in `X-Error-Message` and the body, as a careless proxy might.
async fn echoing_hub() -> String {
    async fn echo(headers: HeaderMap) -> (StatusCode, HeaderMap, String) {
        let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let mut out = HeaderMap::new();
        out.insert("x-error-message", format!("bad header {auth}").parse().unwrap());
        (StatusCode::BAD_REQUEST, out, format!("{{\"error\": \"you sent {auth}\"}}"))
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, axum::Router::new().fallback(echo)).await });
    endpoint
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn the_token_is_in_no_log_error_or_debug_output() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let hub = hub(options()).await;
    let dir = tempfile::tempdir().unwrap();
    let canonical = write_dataset(dir.path(), 600, 2000);
    let files = dataset_files(&RepoId::parse("alice/logged").unwrap(), &canonical);
    let mut upload = upload_to(&hub, "alice/logged", files);
    upload.tags = vec!["v1".into()];
    weft_hub::upload(&upload).await.expect("upload");
    let shown_upload = format!("{upload:?}");

    upload.endpoint = echoing_hub().await;
    let err = weft_hub::upload(&upload).await.unwrap_err();
    let shown_error = format!("{err} / {err:?}");

    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("hub request") && logs.contains("/_lfs/upload/"), "the logs are captured: {logs}");
    for (what, text) in [("logs", &logs), ("Debug of the upload", &shown_upload), ("error", &shown_error)] {
        assert!(!text.contains(TOKEN), "the token is in the {what}: {text}");
    }
    assert!(shown_error.contains("bad header Bearer [REDACTED]"), "{shown_error}");
}
