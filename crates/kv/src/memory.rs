//! Sessions in process memory: fast, gone at exit.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use crate::{KvError, SessionStore, check_size};

/// The in-memory backend.
#[derive(Debug)]
pub struct MemoryStore {
    sessions: RwLock<HashMap<String, BTreeMap<String, Vec<u8>>>>,
    instance: Arc<str>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self { sessions: RwLock::default(), instance: crate::new_instance() }
    }

    fn poisoned() -> KvError {
        KvError::Backend("in-memory store lock poisoned".into())
    }
}

impl SessionStore for MemoryStore {
    fn summary(&self) -> String {
        "in-memory (sessions are lost at exit)".into()
    }

    fn instance(&self) -> Arc<str> {
        Arc::clone(&self.instance)
    }

    fn get(&self, session: &str, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        let sessions = self.sessions.read().map_err(|_| Self::poisoned())?;
        Ok(sessions.get(session).and_then(|keys| keys.get(key)).cloned())
    }

    fn set(&self, session: &str, key: &str, value: &[u8]) -> Result<(), KvError> {
        check_size(value)?;
        let mut sessions = self.sessions.write().map_err(|_| Self::poisoned())?;
        sessions.entry(session.to_owned()).or_default().insert(key.to_owned(), value.to_vec());
        Ok(())
    }

    fn delete(&self, session: &str, key: &str) -> Result<bool, KvError> {
        let mut sessions = self.sessions.write().map_err(|_| Self::poisoned())?;
        Ok(sessions.get_mut(session).is_some_and(|keys| keys.remove(key).is_some()))
    }

    fn exists(&self, session: &str, key: &str) -> Result<bool, KvError> {
        let sessions = self.sessions.read().map_err(|_| Self::poisoned())?;
        Ok(sessions.get(session).is_some_and(|keys| keys.contains_key(key)))
    }

    fn list_keys(&self, session: &str, prefix: &str) -> Result<Vec<String>, KvError> {
        let sessions = self.sessions.read().map_err(|_| Self::poisoned())?;
        Ok(sessions
            .get(session)
            .map(|keys| {
                keys.range(prefix.to_owned()..)
                    .take_while(|(key, _)| key.starts_with(prefix))
                    .map(|(key, _)| key.clone())
                    .collect()
            })
            .unwrap_or_default())
    }

    fn delete_session(&self, session: &str) -> Result<usize, KvError> {
        let mut sessions = self.sessions.write().map_err(|_| Self::poisoned())?;
        Ok(sessions.remove(session).map_or(0, |keys| keys.len()))
    }
}
