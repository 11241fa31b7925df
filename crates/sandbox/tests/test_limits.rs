//! A guest that misbehaves never takes the host down, and never gets a
//! capability the manifest did not grant.

mod common;

use std::time::{Duration, Instant};

use common::{assert_err, assert_ok, call, misbehave, misbehave_bare};
use serde_json::json;

#[tokio::test]
async fn an_infinite_loop_ends_as_timeout_and_the_sandbox_keeps_serving() {
    let sb = misbehave().await;
    let started = Instant::now();
    let outcome = call(&sb, "s", "spin", json!({})).await;
    let elapsed = started.elapsed();
    assert_err(&outcome, "Timeout", "Tool 'spin' timed out after 300 ms");
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
    assert_ok(&call(&sb, "s", "echo", json!({"still": "alive"})).await, r#"{"still":"alive"}"#);
}

#[tokio::test]
async fn a_memory_bomb_ends_as_resource_exhausted() {
    let sb = misbehave().await;
    assert_err(
        &call(&sb, "s", "hog", json!({})).await,
        "ResourceExhausted",
        "Tool 'hog' exceeded its memory limit of 16 MiB",
    );
    assert_ok(&call(&sb, "s", "echo", json!({})).await, "{}");
}

/// The same limits on the synchronous path (a guest importing no WASI runs
/// without a fiber or a wall-clock timer): only the epoch deadline and the
/// memory cap stand between it and the worker thread.
#[tokio::test]
async fn without_wasi_a_loop_a_bomb_and_a_trap_are_still_contained() {
    let sb = misbehave_bare().await;
    let started = Instant::now();
    let outcome = call(&sb, "s", "spin", json!({})).await;
    assert_err(&outcome, "Timeout", "Tool 'spin' timed out after 300 ms");
    assert!(started.elapsed() < Duration::from_secs(1), "took {:?}", started.elapsed());
    assert_err(
        &call(&sb, "s", "hog", json!({})).await,
        "ResourceExhausted",
        "Tool 'hog' exceeded its memory limit of 16 MiB",
    );
    let trapped = call(&sb, "s", "trap", json!({})).await;
    assert_eq!(trapped.error_type.as_ref().map(|e| e.as_str()), Some("ComponentError"));
    assert!(trapped.result.starts_with("Tool 'trap' crashed"), "{}", trapped.result);
    assert_ok(&call(&sb, "s", "echo", json!({"still": "alive"})).await, r#"{"still":"alive"}"#);
}

#[tokio::test]
async fn a_panic_is_a_component_error() {
    let sb = misbehave().await;
    let outcome = call(&sb, "s", "panic", json!({})).await;
    assert_eq!(outcome.error_type.as_ref().map(|e| e.as_str()), Some("ComponentError"));
    assert!(outcome.result.starts_with("Tool 'panic' crashed"), "{}", outcome.result);
}

#[tokio::test]
async fn the_host_filesystem_and_environment_are_invisible() {
    // SAFETY: set before the sandbox exists; the guest must not see it anyway.
    unsafe { std::env::set_var("WEFT_TEST_SECRET", "hunter2") };
    let sb = misbehave().await;
    let read = call(&sb, "s", "read_host_file", json!({})).await;
    assert!(read.result.starts_with("denied:"), "guest read a host file: {}", read.result);
    assert_ok(&call(&sb, "s", "env", json!({})).await, "0 variables");
}

#[tokio::test]
async fn a_component_sees_only_its_own_variables() {
    let sb = misbehave().await;
    assert_ok(&sb.execute("s", "variable", "greeting").await, "hello");
    assert_ok(&sb.execute("s", "variable", "HOME").await, "<none>");
}

#[tokio::test]
async fn the_store_a_guest_gets_is_its_sessions_own() {
    let sb = misbehave().await;
    assert_ok(&call(&sb, "one", "store_probe", json!({})).await, "<empty>");
    assert_ok(&call(&sb, "one", "store_probe", json!({})).await, "probe:one");
    // Same key, other session: nothing there.
    assert_ok(&call(&sb, "two", "store_probe", json!({})).await, "<empty>");
}

#[tokio::test]
async fn without_a_granted_store_there_is_no_storage() {
    let sb = common::from_toml(
        r#"
        [component.vfs]
        source = "builtin:vfs"
        "#,
    )
    .await;
    assert_err(
        &call(&sb, "s", "write_file", json!({"file_path": "a", "content": "b"})).await,
        "NotAllowed",
        "This component has no key-value store granted",
    );
}

#[tokio::test]
async fn many_concurrent_calls_share_a_small_pool() {
    let manifest = weft_sandbox::Manifest::builtin();
    let sb = weft_sandbox::Sandbox::with_pool_size(manifest, 4).await.expect("loads");
    let calls = (0..64).map(|i| {
        let sb = sb.clone();
        tokio::spawn(async move {
            let session = format!("s{i}");
            call(&sb, &session, "write_file", json!({"file_path": "f", "content": i.to_string()})).await;
            call(&sb, &session, "read_file", json!({"file_path": "f"})).await
        })
    });
    for (i, handle) in calls.enumerate() {
        let outcome = handle.await.expect("task");
        assert_ok(&outcome, &i.to_string());
    }
}
