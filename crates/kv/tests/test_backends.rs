//! Every backend keeps the same contract; each names its instance, which
//! changes exactly when its data is gone.

use weft_kv::memory::MemoryStore;
use weft_kv::redb::RedbStore;
use weft_kv::redis::RedisStore;
use weft_kv::testing::{redis, unique};
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
