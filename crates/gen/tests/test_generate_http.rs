//! The same seeded run against `weft serve` over HTTP and against the
//! in-process sandbox gives the same dataset, byte for byte.

use crate::common;

use std::sync::Arc;

use weft_tools::{HttpBackend, HttpBackendOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_and_in_process_give_the_same_dataset() {
    let sandbox = weft_tools::InProcess::new(weft_sandbox::Manifest::builtin()).await.expect("sandbox");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let state = weft_server::AppState::new(sandbox, weft_server::DEFAULT_BODY_LIMIT);
    tokio::spawn(weft_server::serve(listener, state, std::future::pending()));

    let dir = tempfile::tempdir().expect("tempdir");
    let (local, remote) = (dir.path().join("local.jsonl"), dir.path().join("remote.jsonl"));
    let config = common::config(5, 3);
    common::run(&config, common::scripted(7), common::sandbox().await, &local, true).await;
    let http = HttpBackend::new(HttpBackendOptions::new(format!("http://{addr}"))).expect("client");
    let summary = common::run(&config, common::scripted(7), Arc::new(http), &remote, true).await;
    assert!(summary.complete(), "{summary:?}");
    let (local, remote) = (std::fs::read(&local).expect("local"), std::fs::read(&remote).expect("remote"));
    assert!(!local.is_empty());
    assert!(local == remote, "the HTTP run differs from the in-process run");
}
