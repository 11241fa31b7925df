//! Sessions in a redb file: every write is committed durably, so sessions
//! survive a restart of `weft serve`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

use crate::{KvError, SessionStore, check_size};

/// `(session, key) -> value`. Tuple keys sort by session first, so one
/// session's keys are one contiguous range.
const TABLE: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("weft_sessions");

/// Facts about the file itself: `instance`, made when the file is created.
const META: TableDefinition<&str, &str> = TableDefinition::new("weft_meta");

/// The redb backend.
pub struct RedbStore {
    db: Database,
    path: PathBuf,
    instance: Arc<str>,
}

impl std::fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbStore").field("path", &self.path).finish()
    }
}

fn backend(err: impl std::fmt::Display) -> KvError {
    KvError::Backend(err.to_string())
}

impl RedbStore {
    /// Opens (or creates) the file.
    pub fn open(path: &Path) -> Result<Self, KvError> {
        if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(backend)?;
        }
        let db = Database::create(path).map_err(backend)?;
        let txn = db.begin_write().map_err(backend)?;
        txn.open_table(TABLE).map_err(backend)?;
        let instance = {
            let mut meta = txn.open_table(META).map_err(backend)?;
            let known = meta.get("instance").map_err(backend)?.map(|value| value.value().to_owned());
            match known {
                Some(instance) => Arc::from(instance),
                None => {
                    let instance = crate::new_instance();
                    meta.insert("instance", &*instance).map_err(backend)?;
                    instance
                }
            }
        };
        txn.commit().map_err(backend)?;
        Ok(Self { db, path: path.to_owned(), instance })
    }

    fn write<R>(
        &self,
        op: impl FnOnce(&mut redb::Table<(&str, &str), &[u8]>) -> Result<R, KvError>,
    ) -> Result<R, KvError> {
        let txn = self.db.begin_write().map_err(backend)?;
        let result = {
            let mut table = txn.open_table(TABLE).map_err(backend)?;
            op(&mut table)?
        };
        txn.commit().map_err(backend)?;
        Ok(result)
    }

    fn read<R>(
        &self,
        op: impl FnOnce(&redb::ReadOnlyTable<(&str, &str), &[u8]>) -> Result<R, KvError>,
    ) -> Result<R, KvError> {
        let txn = self.db.begin_read().map_err(backend)?;
        let table = txn.open_table(TABLE).map_err(backend)?;
        op(&table)
    }

    fn session_keys(
        table: &impl ReadableTable<(&'static str, &'static str), &'static [u8]>,
        session: &str,
        prefix: &str,
    ) -> Result<Vec<String>, KvError> {
        let mut keys = Vec::new();
        for entry in table.range((session, prefix)..).map_err(backend)? {
            let (key, _) = entry.map_err(backend)?;
            let (owner, name) = key.value();
            if owner != session || !name.starts_with(prefix) {
                break;
            }
            keys.push(name.to_owned());
        }
        Ok(keys)
    }
}

impl SessionStore for RedbStore {
    fn summary(&self) -> String {
        format!("redb file at {}", self.path.display())
    }

    fn instance(&self) -> Arc<str> {
        Arc::clone(&self.instance)
    }

    fn get(&self, session: &str, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.read(|table| Ok(table.get((session, key)).map_err(backend)?.map(|value| value.value().to_vec())))
    }

    fn set(&self, session: &str, key: &str, value: &[u8]) -> Result<(), KvError> {
        check_size(value)?;
        self.write(|table| {
            table.insert((session, key), value).map_err(backend)?;
            Ok(())
        })
    }

    fn delete(&self, session: &str, key: &str) -> Result<bool, KvError> {
        self.write(|table| Ok(table.remove((session, key)).map_err(backend)?.is_some()))
    }

    fn exists(&self, session: &str, key: &str) -> Result<bool, KvError> {
        self.read(|table| Ok(table.get((session, key)).map_err(backend)?.is_some()))
    }

    fn list_keys(&self, session: &str, prefix: &str) -> Result<Vec<String>, KvError> {
        self.read(|table| Self::session_keys(table, session, prefix))
    }

    fn delete_session(&self, session: &str) -> Result<usize, KvError> {
        self.write(|table| {
            let keys = Self::session_keys(&*table, session, "")?;
            for key in &keys {
                table.remove((session, key.as_str())).map_err(backend)?;
            }
            Ok(keys.len())
        })
    }
}
