//! Session-scoped key-value storage behind one trait, with one backend per
//! file: [`memory`] (the default), [`redb`] (a file that survives restarts)
//! and [`redis`] (shared by several `weft serve` replicas).
//!
//! Keys are always addressed as `(session, key)`: the host passes the call's
//! session, so a guest can never name another session's data.

use std::sync::Arc;

pub mod memory;
pub mod redb;
pub mod redis;

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

pub(crate) fn check_size(value: &[u8]) -> Result<(), KvError> {
    if value.len() > MAX_VALUE_BYTES {
        return Err(KvError::TooLarge(value.len()));
    }
    Ok(())
}
