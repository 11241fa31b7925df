//! Key-value backends: the redb file survives a restart; the backends agree.

mod common;

use common::{assert_ok, call};
use serde_json::json;
use weft_sandbox::kv::SessionStore;
use weft_sandbox::kv::memory::MemoryStore;
use weft_sandbox::kv::redb::RedbStore;
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
