//! Key-value backends: the redb file survives a restart; the backends agree.

mod common;

use common::{assert_ok, call};
use serde_json::json;
use weft_sandbox::kv::SessionStore;
use weft_sandbox::kv::memory::MemoryStore;
use weft_sandbox::kv::redb::RedbStore;
use weft_sandbox::kv::redis::RedisStore;
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

fn exercise(store: &dyn SessionStore) {
    store.set("s1", "f:a", b"1").expect("set");
    store.set("s1", "f:b", b"2").expect("set");
    store.set("s1", "x:c", b"3").expect("set");
    store.set("s2", "f:a", b"other").expect("set");
    assert_eq!(store.get("s1", "f:a").expect("get"), Some(b"1".to_vec()));
    assert_eq!(store.list_keys("s1", "f:").expect("list"), ["f:a", "f:b"]);
    assert!(store.exists("s2", "f:a").expect("exists"));
    assert!(store.delete("s1", "f:a").expect("delete"));
    assert!(!store.delete("s1", "f:a").expect("delete again"));
    assert_eq!(store.delete_session("s1").expect("drop"), 2);
    assert_eq!(store.list_keys("s1", "").expect("list"), Vec::<String>::new());
    assert_eq!(store.get("s2", "f:a").expect("get"), Some(b"other".to_vec()));
    let too_big = vec![0u8; weft_sandbox::kv::MAX_VALUE_BYTES + 1];
    assert!(store.set("s2", "big", &too_big).is_err());
}

#[test]
fn memory_backend_contract() {
    exercise(&MemoryStore::new());
}

#[test]
fn redb_backend_contract() {
    let dir = tempfile::tempdir().expect("tempdir");
    exercise(&RedbStore::open(&dir.path().join("kv.redb")).expect("opens"));
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

#[test]
fn redis_backend_contract() {
    let Some(redis) = redis("redis_backend_contract") else { return };
    let label = unique("contract");
    let store = RedisStore::open(&redis.url, &label, None).expect("connects");
    exercise(&store);
    store.delete_session("s2").expect("cleans up");
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
    assert_eq!(outcome.error_type, Some(weft_protocol::ErrorType::IOError), "{outcome:?}");
    assert!(outcome.result.contains("Redis"), "{outcome:?}");
}
