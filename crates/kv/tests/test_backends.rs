//! Every backend keeps the same contract; each names its instance, which
//! changes exactly when its data is gone.

use weft_kv::memory::MemoryStore;
use weft_kv::redb::RedbStore;
use weft_kv::redis::RedisStore;
use weft_kv::testing::{own_redis, redis, unique};
use weft_kv::{SessionStore, StoreSpec};

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
    let too_big = vec![0u8; weft_kv::MAX_VALUE_BYTES + 1];
    assert!(store.set("s2", "big", &too_big).is_err());
    assert_eq!(store.instance().len(), 16, "{}", store.instance());
}

#[test]
fn memory_backend_contract() {
    exercise(&MemoryStore::new());
    assert_ne!(MemoryStore::new().instance(), MemoryStore::new().instance(), "a new process is a new store");
}

#[test]
fn redb_backend_contract_and_its_instance_survives_a_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("kv.redb");
    let first = {
        let store = RedbStore::open(&path).expect("opens");
        exercise(&store);
        store.instance().to_owned()
    };
    let reopened = RedbStore::open(&path).expect("reopens");
    assert_eq!(reopened.instance(), first, "the same file holds the same sessions");
    assert_eq!(reopened.get("s2", "f:a").expect("get"), Some(b"other".to_vec()));
    let other = RedbStore::open(&dir.path().join("other.redb")).expect("opens");
    assert_ne!(other.instance(), first);
}

#[test]
fn redis_backend_contract_and_replicas_share_an_instance() {
    let Some(redis) = redis("redis_backend_contract") else { return };
    let label = unique("contract");
    let store = RedisStore::open(&redis.url, &label, None).expect("connects");
    exercise(&store);
    let replica = RedisStore::open(&redis.url, &label, None).expect("connects");
    assert_eq!(replica.instance(), store.instance(), "replicas over one database agree");
    store.delete_session("s2").expect("cleans up");
}

/// A Redis that restarts without its data (no persistence) is a new
/// instance: the first connection after it notices, so every answer from
/// then on names the new instance and a client whose session was opened
/// under the old one knows it is gone.
#[test]
fn a_redis_back_empty_is_a_new_instance() {
    let Some(mut redis) = own_redis("a_redis_back_empty_is_a_new_instance") else { return };
    let store = RedisStore::open(&redis.url, "default", None).expect("connects");
    store.set("s", "f:a", b"1").expect("set");
    let before = store.instance();
    let changes = weft_kv::instance_changes();
    redis.restart();
    // Pooled connections died with the server: the first command on one
    // fails, as the store's failure; the next connects again.
    let mut answered = None;
    for _ in 0..50 {
        if let Ok(value) = store.get("s", "f:a") {
            answered = Some(value);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(answered, Some(None), "the session is gone with the data");
    assert_ne!(store.instance(), before, "a database back empty is another instance");
    assert!(weft_kv::instance_changes() > changes);
    let replica = RedisStore::open(&redis.url, "default", None).expect("connects");
    assert_eq!(replica.instance(), store.instance(), "a replica connecting now agrees");
    // Reconnecting to a database that kept its key changes nothing.
    let now = store.instance();
    let other = RedisStore::open(&redis.url, "default", None).expect("connects");
    assert_eq!(other.instance(), now);
}

#[test]
fn a_spec_picks_its_backend() {
    let dir = tempfile::tempdir().expect("tempdir");
    let none = |_: &str| None;
    let memory = weft_kv::open("default", &StoreSpec::Memory, dir.path(), &none).expect("memory");
    assert!(memory.summary().starts_with("in-memory"), "{}", memory.summary());
    let spin = StoreSpec::Spin { path: Some("state/kv.db".into()) };
    let file = weft_kv::open("default", &spin, dir.path(), &none).expect("file");
    assert_eq!(file.summary(), format!("redb file at {}", dir.path().join("state/kv.db").display()));
    let in_memory =
        weft_kv::open("default", &StoreSpec::Spin { path: None }, dir.path(), &none).expect("memory");
    assert!(in_memory.summary().starts_with("in-memory"));
    assert_eq!(weft_kv::url_override_var("my-store"), "WEFT_KV_MY_STORE_URL");
}
