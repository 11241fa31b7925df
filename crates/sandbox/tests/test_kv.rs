//! Key-value backends under the sandbox: a redb file survives a restart;
//! replicas over one Redis serve one session.

use crate::common;

use common::{assert_ok, call};
use serde_json::json;
use weft_sandbox::testing::{own_redis, redis, unique};
use weft_sandbox::{Manifest, Sandbox};

fn redb_manifest(dir: &std::path::Path) -> Manifest {
    Manifest::parse(
        r#"
        [component.vfs]
        source = "builtin:vfs"
        key_value_stores = ["default"]
        [key_value_store.default]
        type = "redb"
        path = "state/sessions.redb"
        "#,
        "weft.toml".as_ref(),
        dir.to_owned(),
    )
    .expect("parses")
}

#[tokio::test]
async fn redb_sessions_survive_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let sb = Sandbox::new(redb_manifest(dir.path())).await.expect("loads");
        assert_eq!(
            sb.store_summaries(),
            [format!("default: redb file at {}", dir.path().join("state/sessions.redb").display())]
        );
        call(&sb, "kept", "write_file", json!({"file_path": "notes.md", "content": "persisted"})).await;
    }
    let sb = Sandbox::new(redb_manifest(dir.path())).await.expect("reloads");
    assert_ok(&call(&sb, "kept", "read_file", json!({"file_path": "notes.md"})).await, "persisted");
}

fn redis_manifest(url: &str, label: &str, ttl: &str) -> Manifest {
    Manifest::parse(
        &format!(
            r#"
            [component.vfs]
            source = "builtin:vfs"
            key_value_stores = ["{label}"]
            [key_value_store.{label}]
            type = "redis"
            url = "{url}"
            {ttl}
            "#
        ),
        "weft.toml".as_ref(),
        ".".into(),
    )
    .expect("parses")
}

#[tokio::test]
async fn replicas_sharing_a_redis_see_one_session() {
    let Some(redis) = redis("replicas_sharing_a_redis_see_one_session") else { return };
    let label = unique("replicas");
    // Two sandboxes, as two `weft serve` replicas behind a load balancer would be.
    let a = Sandbox::new(redis_manifest(&redis.url, &label, "ttl_secs = 600")).await.expect("replica a");
    let b = Sandbox::new(redis_manifest(&redis.url, &label, "ttl_secs = 600")).await.expect("replica b");
    let address = redis.url.trim_start_matches("redis://");
    assert_eq!(
        a.store_summaries(),
        [format!("{label}: Redis at {address}/0 (sessions expire 600 s after their last write)")]
    );
    assert_ok(
        &call(&a, "shared", "write_file", json!({"file_path": "plan.md", "content": "step 1"})).await,
        "Successfully wrote 6 bytes to plan.md",
    );
    assert_ok(&call(&b, "shared", "read_file", json!({"file_path": "/plan.md"})).await, "step 1");
    call(&b, "shared", "write_file", json!({"file_path": "b.txt", "content": "from b"})).await;
    assert_ok(&call(&a, "shared", "list_files", json!({})).await, r#"["b.txt","plan.md"]"#);
    // Another session stays apart; closing the session on one replica closes it for both.
    let other = call(&b, "other", "read_file", json!({"file_path": "plan.md"})).await;
    assert_eq!(other.error_type, Some(weft_protocol::ErrorType::FileNotFound), "{other:?}");
    assert_eq!(b.delete_session("shared").await, 2);
    let gone = call(&a, "shared", "read_file", json!({"file_path": "plan.md"})).await;
    assert_eq!(gone.error_type, Some(weft_protocol::ErrorType::FileNotFound), "{gone:?}");

    // Sessions carry their expiry.
    call(&a, "expiring", "write_file", json!({"file_path": "t", "content": "x"})).await;
    let mut conn = redis::Client::open(redis.url.as_str()).expect("url").get_connection().expect("connects");
    let ttl: i64 = redis::cmd("TTL").arg(format!("weft:{label}:expiring")).query(&mut conn).expect("ttl");
    assert!((1..=600).contains(&ttl), "ttl {ttl}");
    a.delete_session("expiring").await;
}

#[tokio::test]
async fn an_unreachable_redis_is_a_start_up_error_without_the_password() {
    // Nothing listens on the port just released.
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let url = format!("redis://:hunter2secret@127.0.0.1:{port}/2");
    let err = Sandbox::new(redis_manifest(&url, "default", "")).await.err().expect("refuses to start");
    let text = format!("{err} {err:?}");
    assert!(text.contains(&format!("cannot reach Redis at 127.0.0.1:{port}/2")), "{text}");
    assert!(!text.contains("hunter2secret"), "{text}");
}

#[tokio::test]
async fn a_redis_that_goes_away_fails_calls_with_an_error_not_a_hang() {
    let Some(mut redis) = own_redis("a_redis_that_goes_away_fails_calls_with_an_error_not_a_hang") else {
        return;
    };
    let sb = Sandbox::new(redis_manifest(&redis.url, "default", "")).await.expect("loads");
    call(&sb, "s", "write_file", json!({"file_path": "a", "content": "1"})).await;
    redis.stop();
    let outcome = call(&sb, "s", "read_file", json!({"file_path": "a"})).await;
    assert!(!outcome.success, "{outcome:?}");
    // The service's failure, not the tool's answer: no sample is built on it.
    assert!(outcome.is_store_unavailable(), "{outcome:?}");
    assert!(outcome.result.contains("Redis"), "{outcome:?}");
    let read = weft_protocol::ToolCall::new("read_file", json!({"file_path": "a"}));
    let session = weft_protocol::SessionId::new("s");
    let err = weft_protocol::ToolBackend::execute(&sb, &session, &read).await.expect_err("a backend failure");
    assert!(matches!(err, weft_protocol::BackendError::Unavailable { .. }), "{err}");
}

/// Defect 6 of the reliability issue: a session could store without bound
/// (120 writes of 900 KB all accepted). Now `[session_limits]` caps bytes
/// and files per session, all sessions together and the session id; a
/// write past a cap is `ResourceExhausted` naming the cap, nothing of it is
/// stored, and deleting the session gives its room back.
#[tokio::test]
async fn session_limits_cap_bytes_files_the_total_and_the_id() {
    let sb = common::from_toml(
        r#"
        [component.vfs]
        source = "builtin:vfs"
        key_value_stores = ["default"]
        [session_limits]
        max_session_mib = 1
        max_session_files = 3
        max_total_mib = 2
        max_session_id_bytes = 32
        "#,
    )
    .await;
    let big = "x".repeat(450 << 10);
    let write = |name: &str, content: &str| json!({"file_path": name, "content": content});
    for name in ["a.bin", "b.bin"] {
        assert!(call(&sb, "s1", "write_file", write(name, &big)).await.success);
    }
    let over = call(&sb, "s1", "write_file", write("c.bin", &big)).await;
    assert_eq!(
        over.error_type.map(|e| e.as_str().to_owned()).as_deref(),
        Some("ResourceExhausted"),
        "{}",
        over.result
    );
    assert!(over.result.starts_with("Session storage quota exceeded"), "{}", over.result);
    let missing = call(&sb, "s1", "read_file", json!({"file_path": "c.bin"})).await;
    assert_eq!(missing.error_type.map(|e| e.as_str().to_owned()).as_deref(), Some("FileNotFound"));

    for name in ["c.txt", "d.txt"] {
        let _ = call(&sb, "s2", "write_file", write(name, "small")).await;
    }
    assert!(call(&sb, "s2", "write_file", write("e.txt", "small")).await.success);
    let fourth = call(&sb, "s2", "write_file", write("f.txt", "small")).await;
    assert!(fourth.result.contains("at most 3 files"), "{fourth:?}");

    // s1 holds 900 KiB, s3 900 more: s4 would pass the 2 MiB of the store.
    assert!(call(&sb, "s3", "write_file", write("a.bin", &big)).await.success);
    assert!(call(&sb, "s3", "write_file", write("b.bin", &big)).await.success);
    let total = call(&sb, "s4", "write_file", write("a.bin", &big)).await;
    assert!(total.result.starts_with("Storage quota exceeded"), "{total:?}");
    assert!(sb.delete_session("s3").await >= 2);
    assert!(call(&sb, "s4", "write_file", write("a.bin", &big)).await.success, "s3's room is free");

    let long = "s".repeat(33);
    let refused = call(&sb, &long, "write_file", write("a.txt", "x")).await;
    assert!(refused.result.contains("longer than the limit of 32 bytes"), "{refused:?}");
}

/// A Redis restart while serving: calls fail as the store's failure while
/// it is down (never a hang, never a crash; `weft serve` answers them 503
/// `IOError`), and succeed again by themselves once it is back — no restart
/// of the sandbox.
#[tokio::test]
async fn a_redis_restart_fails_calls_then_recovers_by_itself() {
    let Some(mut redis) = own_redis("a_redis_restart_fails_calls_then_recovers_by_itself") else {
        return;
    };
    let sb = Sandbox::new(redis_manifest(&redis.url, "default", "")).await.expect("loads");
    let write = json!({"file_path": "a.txt", "content": "before"});
    assert!(call(&sb, "s", "write_file", write).await.success);
    let before = sb.instance();
    redis.stop();
    for _ in 0..3 {
        let outcome = call(&sb, "s", "read_file", json!({"file_path": "a.txt"})).await;
        assert!(outcome.is_store_unavailable(), "{outcome:?}");
    }
    redis.restart();
    let mut recovered = false;
    for _ in 0..50 {
        let outcome = call(&sb, "s", "write_file", json!({"file_path": "a.txt", "content": "after"})).await;
        if outcome.success {
            recovered = true;
            break;
        }
        assert!(outcome.is_store_unavailable(), "{outcome:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(recovered, "calls never succeeded again after Redis came back");
    // It came back empty: the sandbox names another instance (`weft serve`
    // sends it with every answer), so a client knows "before" is lost.
    assert_ne!(sb.instance(), before, "a Redis back empty went unnoticed");
    assert_ok(&call(&sb, "s", "read_file", json!({"file_path": "a.txt"})).await, "after");
}
