//! Key-value storage behind one trait, with one backend per file:
//! [`memory`] (the default), [`redb`] (a file that survives restarts) and
//! [`redis`] (shared by several `weft serve` replicas). The sandbox gives
//! these to guests; the mock tier keeps its tools in them; neither needs the
//! other, and nothing here runs wasm.
//!
//! Keys are always addressed as `(session, key)`. For weft's own world the
//! host passes the call's session, so a guest can never name another
//! session's data; a Spin component's store is the application's labelled
//! store, one namespace the host picks for it.
//!
//! Which backend a label gets is a [`StoreSpec`], the manifest's
//! `[key_value_store.LABEL]` table: `type = "memory" | "redb" | "redis"`
//! (and Spin's `type = "spin"`, a file or memory), each with its own keys.
//!
//! ```
//! use weft_kv::{SessionStore, StoreSpec};
//! let store = weft_kv::open("default", &StoreSpec::Memory, std::path::Path::new("."), &|_| None)?;
//! store.set("session-1", "f:a.txt", b"hello")?;
//! assert_eq!(store.get("session-1", "f:a.txt")?, Some(b"hello".to_vec()));
//! assert_eq!(store.get("session-2", "f:a.txt")?, None);
//! # Ok::<(), weft_kv::KvError>(())
//! ```
#![deny(missing_docs)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

pub mod memory;
pub mod quota;
pub mod redb;
pub mod redis;
#[cfg(feature = "testing")]
pub mod testing;

/// Largest value a guest may store.
pub const MAX_VALUE_BYTES: usize = 8 << 20;

/// A storage failure (a missing key is not one).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KvError {
    /// The value exceeds [`MAX_VALUE_BYTES`].
    #[error("value of {0} bytes exceeds the limit")]
    TooLarge(usize),
    /// The backend failed.
    #[error("{0}")]
    Backend(String),
    /// A [`quota::Quota`] cap: the message says which.
    #[error("{0}")]
    Quota(String),
}

/// A key-value backend holding every session's keys.
///
/// The methods are plain calls: a guest's store call then runs without an
/// async context, which is what lets a component that imports nothing else
/// run without a fiber. Local backends (process memory, a file) answer at
/// once; a remote one says so with [`is_remote`](Self::is_remote), and the
/// sandbox then runs its calls on a blocking thread.
pub trait SessionStore: Send + Sync {
    /// One line saying what this is, for the start-up log (`redb file at x`).
    fn summary(&self) -> String;
    /// Whether calls wait on the network (they must then stay off async workers).
    fn is_remote(&self) -> bool {
        false
    }
    /// Names this store's contents: it changes exactly when the sessions
    /// it held are gone (a new process for memory, a new file for redb, a
    /// new database for Redis, a Redis that came back empty). A client that
    /// saw another value when its session was opened knows its session's
    /// state was lost. A store whose instance changes while it is open says
    /// so through [`instance_changes`].
    fn instance(&self) -> Arc<str>;
    /// The value of `key` in `session`.
    fn get(&self, session: &str, key: &str) -> Result<Option<Vec<u8>>, KvError>;
    /// Sets `key` in `session`.
    fn set(&self, session: &str, key: &str, value: &[u8]) -> Result<(), KvError>;
    /// Removes `key`; whether it existed.
    fn delete(&self, session: &str, key: &str) -> Result<bool, KvError>;
    /// Whether `key` exists.
    fn exists(&self, session: &str, key: &str) -> Result<bool, KvError>;
    /// Keys of `session` starting with `prefix`, sorted.
    fn list_keys(&self, session: &str, prefix: &str) -> Result<Vec<String>, KvError>;
    /// Removes every key of `session`; how many there were.
    fn delete_session(&self, session: &str) -> Result<usize, KvError>;
}

/// A shared handle to a backend.
pub type SharedStore = Arc<dyn SessionStore>;

/// `[key_value_store.LABEL]`: which backend holds a label's data.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum StoreSpec {
    /// In process memory; gone at exit.
    Memory,
    /// A redb file; survives restarts.
    Redb {
        /// The file, relative to the manifest (or runtime config).
        path: PathBuf,
    },
    /// A Redis server, shared by every replica pointed at it.
    Redis {
        /// `redis://[:password@]host:port[/db]`; `WEFT_KV_<LABEL>_URL`
        /// overrides it, so a password can stay out of the file.
        url: String,
        /// Seconds after its last write that a session expires; none by default.
        #[serde(default)]
        ttl_secs: Option<u64>,
    },
    /// Spin's own store type (`runtime-config.toml`): a local file when
    /// `path` is given (kept in redb, not SQLite: the data is the same
    /// key-value pairs), in memory otherwise.
    Spin {
        /// The file, relative to the runtime config.
        #[serde(default)]
        path: Option<PathBuf>,
    },
}

/// The variable that overrides the Redis URL of `label`: `WEFT_KV_<LABEL>_URL`.
pub fn url_override_var(label: &str) -> String {
    let label: String =
        label.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect();
    format!("WEFT_KV_{label}_URL")
}

/// Opens the backend `spec` describes for `label`; relative paths are
/// resolved against `base_dir`, `env` reads `WEFT_KV_<LABEL>_URL`.
pub fn open(
    label: &str,
    spec: &StoreSpec,
    base_dir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<SharedStore, KvError> {
    Ok(match spec {
        StoreSpec::Memory | StoreSpec::Spin { path: None } => Arc::new(memory::MemoryStore::new()),
        StoreSpec::Redb { path } | StoreSpec::Spin { path: Some(path) } => {
            Arc::new(redb::RedbStore::open(&base_dir.join(path))?)
        }
        StoreSpec::Redis { url, ttl_secs } => {
            let url = env(&url_override_var(label)).unwrap_or_else(|| url.clone());
            Arc::new(redis::RedisStore::open(&url, label, *ttl_secs)?)
        }
    })
}

/// A fresh random instance name.
pub(crate) fn new_instance() -> Arc<str> {
    Arc::from(format!("{:016x}", rand::random::<u64>()))
}

/// How many times an open store's instance has changed in this process (a
/// Redis found empty after a restart): callers that derive a name from
/// stores' instances recompute it when this moves, and otherwise read one
/// atomic per call.
pub fn instance_changes() -> u64 {
    INSTANCE_CHANGES.load(std::sync::atomic::Ordering::Acquire)
}

static INSTANCE_CHANGES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub(crate) fn note_instance_change() {
    INSTANCE_CHANGES.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
}

pub(crate) fn check_size(value: &[u8]) -> Result<(), KvError> {
    if value.len() > MAX_VALUE_BYTES {
        return Err(KvError::TooLarge(value.len()));
    }
    Ok(())
}
