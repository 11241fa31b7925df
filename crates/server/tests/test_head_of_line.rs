//! Defect 7 of the reliability issue: a heavy call (a guest that computes
//! until its deadline) held every other connection of its worker behind it
//! — light calls of other sessions waited up to its whole deadline. Now a
//! call still running at the next epoch tick leaves the worker, and light
//! calls keep their latency.

use crate::common;

use std::time::{Duration, Instant};

use weft_sandbox::Manifest;
use weft_server::{AppState, DEFAULT_BODY_LIMIT};

async fn post(
    client: &reqwest::Client,
    addr: std::net::SocketAddr,
    path: &str,
    body: &str,
) -> serde_json::Value {
    let response = client
        .post(format!("http://{addr}{path}"))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("answered");
    response.json().await.expect("json")
}

#[tokio::test]
async fn a_heavy_call_does_not_hold_other_sessions_light_calls() {
    // The guest without WASI runs without a fiber: it cannot yield.
    let manifest = Manifest::parse(
        r#"
        [component.vfs]
        source = "builtin:vfs"
        key_value_stores = ["default"]
        [component.bare]
        source = "builtin:misbehave-bare"
        timeout_ms = 1500
        "#,
        "weft.toml".as_ref(),
        ".".into(),
    )
    .expect("manifest");
    let sandbox = weft_tools::InProcess::new(manifest).await.expect("loads");
    let (addr, _stop) = common::spawn(AppState::new(sandbox, DEFAULT_BODY_LIMIT)).await;
    let client = common::http_client();
    let write = r#"{"session_id":"light","tool":"write_file","args":{"file_path":"a.txt","content":"x"}}"#;
    post(&client, addr, "/vfs/execute", write).await;

    let heavy_client = client.clone();
    let started = Instant::now();
    let heavy = tokio::spawn(async move {
        let body = r#"{"session_id":"heavy","tool":"spin","args":{}}"#;
        let reply = post(&heavy_client, addr, "/bare/execute", body).await;
        (reply, started.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let read = r#"{"session_id":"light","tool":"read_file","args":{"file_path":"a.txt"}}"#;
    let mut slowest = Duration::ZERO;
    for _ in 0..20 {
        let at = Instant::now();
        let reply = post(&client, addr, "/vfs/execute", read).await;
        slowest = slowest.max(at.elapsed());
        assert_eq!(reply["result"], "x", "{reply}");
    }
    let (reply, heavy_took) = heavy.await.expect("heavy call");
    assert_eq!(reply["error_type"], "Timeout", "{reply}");
    assert!(heavy_took >= Duration::from_millis(1400), "the heavy call ran to its deadline: {heavy_took:?}");
    // Before: each light call waited for the heavy one (~1.4 s). A bound
    // far below the deadline, with room for a loaded machine.
    assert!(slowest < Duration::from_millis(500), "a light call waited {slowest:?} behind the heavy one");
}
