//! One behaviour suite, run against both backends: the in-process sandbox
//! and the HTTP client talking to a real `weft serve` on loopback.

use crate::common;

use weft_protocol::{BackendError, ScenarioSeed, ToolBackend, ToolCall};
use weft_tools::{HttpBackend, HttpBackendOptions, InProcess};

fn seed() -> ScenarioSeed {
    let mut seed = ScenarioSeed::default();
    seed.files.insert("main.py".into(), "def greet(name):\n    return f\"Hello, {name}!\"\n".into());
    seed.files.insert("config.json".into(), "{\"debug\": true}\n".into());
    seed
}

fn call(name: &str, args: serde_json::Value) -> ToolCall {
    ToolCall::new(name, args)
}

async fn contract(backend: &dyn ToolBackend) {
    backend.health().await.expect("healthy");
    let names: Vec<String> = backend.tools().await.expect("tools").into_iter().map(|t| t.name).collect();
    assert!(names.iter().any(|n| n == "read_file"), "{names:?}");

    let a = backend.open_session(&seed()).await.expect("session a");
    let b = backend.open_session(&ScenarioSeed::default()).await.expect("session b");
    assert_ne!(a, b);

    let listing = backend.execute(&a, &call("list_files", serde_json::json!({}))).await.expect("answered");
    assert_eq!(listing.result, r#"["config.json","main.py"]"#);
    let read = backend
        .execute(&a, &call("read_file", serde_json::json!({"file_path": "config.json"})))
        .await
        .expect("answered");
    assert_eq!((read.success, read.result.as_str()), (true, "{\"debug\": true}\n"));
    let denied = backend
        .execute(&a, &call("read_file", serde_json::json!({"file_path": "/etc/passwd"})))
        .await
        .expect("answered");
    assert_eq!((denied.label(), denied.result.as_str()), ("PermissionDenied", "Access denied: /etc/passwd"));
    let unknown = backend.execute(&a, &call("teleport", serde_json::json!({}))).await.expect("answered");
    assert_eq!(unknown.label(), "UnknownTool");

    // Isolation: b sees none of a's files.
    let empty = backend.execute(&b, &call("list_files", serde_json::json!({}))).await.expect("answered");
    assert_eq!(empty.result, "[]");

    // Closing drops the files; closing twice is harmless.
    backend.close_session(&a).await;
    backend.close_session(&a).await;
    let gone = backend
        .execute(&a, &call("read_file", serde_json::json!({"file_path": "main.py"})))
        .await
        .expect("answered");
    assert_eq!(gone.label(), "FileNotFound");

    // A seed that cannot be written is an error naming the file.
    let mut bad = ScenarioSeed::default();
    bad.files.insert("../outside.txt".into(), "x".into());
    match backend.open_session(&bad).await {
        Err(BackendError::Seed { path, reason }) => {
            assert_eq!(path, "../outside.txt");
            assert_eq!(reason, "Access denied: ../outside.txt");
        }
        other => panic!("expected a seed error, got {other:?}"),
    }
}

#[tokio::test]
async fn in_process_backend_keeps_the_contract() {
    let sandbox = InProcess::new(weft_sandbox::Manifest::builtin()).await.expect("loads");
    contract(&sandbox).await;
}

#[tokio::test]
async fn http_backend_keeps_the_contract() {
    let (addr, _stop) = common::spawn(common::state().await).await;
    let backend = HttpBackend::new(HttpBackendOptions::new(format!("http://{addr}"))).expect("client");
    contract(&backend).await;
}

#[tokio::test]
async fn an_unreachable_endpoint_is_unavailable_not_a_tool_error() {
    // Bind and drop to find a port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let backend =
        HttpBackend::new(HttpBackendOptions::new(format!("http://127.0.0.1:{port}"))).expect("client");
    assert!(matches!(backend.health().await, Err(BackendError::Unavailable { .. })));
    let mut seeded = ScenarioSeed::default();
    seeded.files.insert("a".into(), "b".into());
    assert!(matches!(backend.open_session(&seeded).await, Err(BackendError::Unavailable { .. })));
    // A call that never reached a tool is not an outcome a model may see.
    let failed = backend
        .execute(&weft_protocol::SessionId::new("s"), &call("list_files", serde_json::json!({})))
        .await;
    assert!(matches!(failed, Err(BackendError::Unavailable { .. })), "{failed:?}");
}

/// An oversize call is refused by the router (413) before it reaches a
/// store, so its answer names no store instance: the client used to read
/// that as "the session's store was replaced" (`SessionLost`) and throw the
/// sample away. It is the model's own mistake, answered as a tool limit.
#[tokio::test]
async fn an_oversize_call_is_a_resource_limit_not_a_lost_session() {
    let sandbox = InProcess::new(weft_sandbox::Manifest::builtin()).await.expect("sandbox");
    let (addr, _stop) = common::spawn(weft_server::AppState::new(sandbox, 4096)).await;
    let backend = HttpBackend::new(HttpBackendOptions::new(format!("http://{addr}"))).expect("backend");
    let session = backend.open_session(&seed()).await.expect("session");
    let read = call("read_file", serde_json::json!({"file_path": "config.json"}));
    assert!(backend.execute(&session, &read).await.expect("answered").success);
    let huge = call("write_file", serde_json::json!({"file_path": "big.txt", "content": "x".repeat(10_000)}));
    let outcome = backend.execute(&session, &huge).await.expect("a tool answer, not a backend error");
    assert_eq!(outcome.label(), "ResourceExhausted", "{outcome:?}");
    assert!(backend.execute(&session, &read).await.expect("the session goes on").success);
}

/// The store behind `weft serve` failing under a call (Redis gone) is the
/// service's failure: 503 with `error_type: IOError`, which the HTTP client
/// reports as the backend unavailable — never an observation a sample is
/// built on, as the VFS's "IO error: Redis at ..." text was before.
#[tokio::test]
async fn a_store_that_fails_under_a_call_is_a_503_not_a_tool_answer() {
    let Some(mut redis) =
        weft_sandbox::testing::own_redis("a_store_that_fails_under_a_call_is_a_503_not_a_tool_answer")
    else {
        return;
    };
    let manifest = weft_sandbox::Manifest::parse(
        &format!(
            "[component.vfs]\nsource = \"builtin:vfs\"\nkey_value_stores = [\"default\"]\n\
             [key_value_store.default]\ntype = \"redis\"\nurl = \"{}\"\n",
            redis.url
        ),
        "weft.toml".as_ref(),
        ".".into(),
    )
    .expect("manifest");
    let sandbox = InProcess::new(manifest).await.expect("loads");
    let (addr, _stop) =
        common::spawn(weft_server::AppState::new(sandbox, weft_server::DEFAULT_BODY_LIMIT)).await;
    let backend = HttpBackend::new(HttpBackendOptions::new(format!("http://{addr}"))).expect("backend");
    let session = backend.open_session(&seed()).await.expect("session");
    let read = call("read_file", serde_json::json!({"file_path": "config.json"}));
    assert!(backend.execute(&session, &read).await.expect("answered").success);
    redis.stop();
    let err = backend.execute(&session, &read).await.expect_err("the service failed, not the tool");
    assert!(matches!(err, BackendError::Unavailable { .. }), "{err}");
    let response = common::http_client()
        .post(format!("http://{addr}/vfs/execute"))
        .header("content-type", "application/json")
        .body(r#"{"session_id":"x","tool":"read_file","args":{"file_path":"a"}}"#)
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status().as_u16(), 503);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(
        (body["success"].as_bool(), body["error_type"].as_str()),
        (Some(false), Some("IOError")),
        "{body}"
    );
}
