//! Caps on what sessions may hold, in front of any backend.
//!
//! Without them one client can fill the server's memory: a few sessions of
//! large files, or many sessions of one file each, or session ids a
//! megabyte long. [`QuotaStore`] counts, per session, the keys and bytes
//! (key plus value) written through it and in total, and refuses a write
//! that would cross a cap with [`KvError::Quota`] and a message saying
//! which cap; the sandbox answers it as `ResourceExhausted`. Deleting files
//! or the session gives the room back.
//!
//! The counts are this process's: data a redb file or a Redis server held
//! before the process started is not counted until it is rewritten.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::{KvError, SessionStore, SharedStore};

/// The caps (the manifest's `[session_limits]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Bytes (keys plus values) one session may hold.
    pub session_bytes: u64,
    /// Keys (files) one session may hold.
    pub session_keys: u64,
    /// Bytes all sessions together may hold.
    pub total_bytes: u64,
    /// Longest session id, in bytes.
    pub session_id_len: usize,
}

impl Default for Quota {
    fn default() -> Self {
        Self { session_bytes: 64 << 20, session_keys: 10_000, total_bytes: 1 << 30, session_id_len: 256 }
    }
}

impl Quota {
    /// The caps of a store one application shares as a single namespace
    /// (a Spin component's labelled store): the total caps only.
    pub fn shared_namespace(self) -> Self {
        Self { session_bytes: self.total_bytes, session_keys: u64::MAX, ..self }
    }
}

#[derive(Debug, Default)]
struct Usage {
    bytes: u64,
    /// The size counted for each key.
    keys: HashMap<String, u64>,
}

#[derive(Debug, Default)]
struct Ledger {
    sessions: HashMap<String, Usage>,
    total: u64,
}

/// A backend with [`Quota`] caps in front of it.
pub struct QuotaStore {
    inner: SharedStore,
    quota: Quota,
    ledger: Mutex<Ledger>,
}

impl QuotaStore {
    /// `inner` under `quota`.
    pub fn new(inner: SharedStore, quota: Quota) -> Self {
        Self { inner, quota, ledger: Mutex::default() }
    }

    fn ledger(&self) -> Result<std::sync::MutexGuard<'_, Ledger>, KvError> {
        self.ledger.lock().map_err(|_| KvError::Backend("quota ledger lock poisoned".into()))
    }

    /// Counts `size` bytes for `key` of `session` if every cap allows it;
    /// returns what was counted before (to undo with).
    fn reserve(&self, session: &str, key: &str, size: u64) -> Result<Option<u64>, KvError> {
        let quota = &self.quota;
        let mut ledger = self.ledger()?;
        let total = ledger.total;
        let usage = ledger.sessions.entry(session.to_owned()).or_default();
        let old = usage.keys.get(key).copied();
        let session_bytes = usage.bytes - old.unwrap_or(0) + size;
        let keys = usage.keys.len() as u64 + u64::from(old.is_none());
        let refused = if keys > quota.session_keys {
            Some(format!(
                "Session storage quota exceeded: a session may hold at most {} files",
                quota.session_keys
            ))
        } else if session_bytes > quota.session_bytes {
            Some(format!(
                "Session storage quota exceeded: this write would bring the session to {session_bytes} bytes, over its limit of {} bytes",
                quota.session_bytes
            ))
        } else if size > old.unwrap_or(0) && total - old.unwrap_or(0) + size > quota.total_bytes {
            Some(format!(
                "Storage quota exceeded: all sessions together may hold at most {} bytes; delete sessions to make room",
                quota.total_bytes
            ))
        } else {
            None
        };
        if let Some(message) = refused {
            if usage.keys.is_empty() {
                ledger.sessions.remove(session);
            }
            return Err(KvError::Quota(message));
        }
        usage.bytes = session_bytes;
        usage.keys.insert(key.to_owned(), size);
        ledger.total = total - old.unwrap_or(0) + size;
        Ok(old)
    }

    /// Puts back what [`Self::reserve`] counted before.
    fn restore(&self, session: &str, key: &str, old: Option<u64>) {
        let Ok(mut ledger) = self.ledger() else { return };
        let Some(usage) = ledger.sessions.get_mut(session) else { return };
        let now = match old {
            Some(size) => usage.keys.insert(key.to_owned(), size),
            None => usage.keys.remove(key),
        }
        .unwrap_or(0);
        usage.bytes = usage.bytes - now + old.unwrap_or(0);
        let empty = usage.keys.is_empty();
        ledger.total = ledger.total - now + old.unwrap_or(0);
        if empty {
            ledger.sessions.remove(session);
        }
    }

    fn forget(&self, session: &str, key: &str) {
        self.restore(session, key, None);
    }
}

impl SessionStore for QuotaStore {
    fn summary(&self) -> String {
        self.inner.summary()
    }

    fn is_remote(&self) -> bool {
        self.inner.is_remote()
    }

    fn instance(&self) -> std::sync::Arc<str> {
        self.inner.instance()
    }

    fn get(&self, session: &str, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.inner.get(session, key)
    }

    fn set(&self, session: &str, key: &str, value: &[u8]) -> Result<(), KvError> {
        if session.len() > self.quota.session_id_len {
            return Err(KvError::Quota(format!(
                "Session id of {} bytes is longer than the limit of {} bytes",
                session.len(),
                self.quota.session_id_len
            )));
        }
        crate::check_size(value)?;
        let size = (key.len() + value.len()) as u64;
        let old = self.reserve(session, key, size)?;
        self.inner.set(session, key, value).inspect_err(|_| self.restore(session, key, old))
    }

    fn delete(&self, session: &str, key: &str) -> Result<bool, KvError> {
        let existed = self.inner.delete(session, key)?;
        self.forget(session, key);
        Ok(existed)
    }

    fn exists(&self, session: &str, key: &str) -> Result<bool, KvError> {
        self.inner.exists(session, key)
    }

    fn list_keys(&self, session: &str, prefix: &str) -> Result<Vec<String>, KvError> {
        self.inner.list_keys(session, prefix)
    }

    fn delete_session(&self, session: &str) -> Result<usize, KvError> {
        let deleted = self.inner.delete_session(session)?;
        let mut ledger = self.ledger()?;
        if let Some(usage) = ledger.sessions.remove(session) {
            ledger.total -= usage.bytes;
        }
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::memory::MemoryStore;

    fn store(quota: Quota) -> QuotaStore {
        QuotaStore::new(Arc::new(MemoryStore::new()), quota)
    }

    fn quota_message(err: KvError) -> String {
        match err {
            KvError::Quota(message) => message,
            other => panic!("not a quota error: {other}"),
        }
    }

    #[test]
    fn a_session_is_capped_in_bytes_and_files_and_deleting_frees_room() {
        let s = store(Quota { session_bytes: 100, session_keys: 3, total_bytes: 1000, session_id_len: 8 });
        s.set("a", "k1", &[0; 40]).expect("fits");
        s.set("a", "k1", &[0; 90]).expect("an overwrite counts once");
        let err = quota_message(s.set("a", "k2", &[0; 20]).expect_err("over 100 bytes"));
        assert!(err.contains("limit of 100 bytes"), "{err}");
        assert_eq!(s.get("a", "k2").expect("get"), None, "a refused write stores nothing");
        s.delete("a", "k1").expect("delete");
        for key in ["k1", "k2", "k3"] {
            s.set("a", key, b"x").expect("small files");
        }
        assert!(
            quota_message(s.set("a", "k4", b"x").expect_err("a fourth file")).contains("at most 3 files")
        );
        s.set("a", "k3", b"yy").expect("rewriting an existing file is not a new one");
        s.set("b", "k4", b"x").expect("another session has its own count");
        let long = quota_message(s.set("123456789", "k", b"x").expect_err("id too long"));
        assert!(long.contains("longer than the limit of 8 bytes"), "{long}");
    }

    #[test]
    fn all_sessions_together_are_capped_and_a_deleted_session_gives_its_room_back() {
        let s = store(Quota { session_bytes: 100, session_keys: 10, total_bytes: 250, session_id_len: 64 });
        s.set("a", "f", &[0; 99]).expect("a");
        s.set("b", "f", &[0; 99]).expect("b");
        let err = quota_message(s.set("c", "f", &[0; 99]).expect_err("over the total"));
        assert!(err.contains("at most 250 bytes"), "{err}");
        s.set("b", "f", &[0; 10]).expect("shrinking is always allowed");
        s.set("c", "f", &[0; 99]).expect("room again");
        assert_eq!(s.delete_session("a").expect("delete"), 1);
        s.set("d", "f", &[0; 99]).expect("a's room is free");
    }
}
