//! Sessions in Redis, shared by every `weft serve` replica that points at it:
//! the tool service holds no session state of its own, so replicas can sit
//! behind any load balancer.
//!
//! One session is one hash, `weft:{label}:{session}`, whose fields are the
//! guest's keys; deleting a session deletes the hash. With `ttl_secs`, every
//! write pushes the session's expiry out, so sessions nobody closes
//! disappear by themselves.
//!
//! The calls block on the network, which is why [`SessionStore::is_remote`]
//! says so: the sandbox then runs calls that can reach this store on a
//! blocking thread, never on an async worker.

use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use redis::{Client, Connection, ConnectionLike};

use crate::{KvError, SessionStore, check_size};

/// How long connecting, and any one command, may take before the call fails.
const IO_TIMEOUT: Duration = Duration::from_secs(2);

/// Idle connections kept for reuse.
const POOL_SIZE: usize = 32;

/// The Redis backend.
pub struct RedisStore {
    client: Client,
    idle: Mutex<Vec<Connection>>,
    prefix: String,
    ttl_secs: Option<u64>,
    /// Where it is, without credentials, for logs and errors.
    shown: String,
    /// `weft-meta:{label}:instance` (outside `weft:{label}:`, where any name
    /// may be a session's).
    instance_key: String,
    /// Its value: set once per database by the first replica to connect,
    /// and again by the first to connect after the database came back empty.
    instance: RwLock<Arc<str>>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore").field("at", &self.shown).field("prefix", &self.prefix).finish()
    }
}

impl RedisStore {
    /// Connects to `url` (`redis://[:password@]host:port[/db]`) and checks
    /// that the server answers; sessions are kept under `weft:{label}:`.
    pub fn open(url: &str, label: &str, ttl_secs: Option<u64>) -> Result<Self, KvError> {
        // The URL may carry a password: errors name the address only.
        let client = Client::open(url)
            .map_err(|err| KvError::Backend(format!("not a Redis URL ({}): {err}", redacted(url))))?;
        let info = client.get_connection_info();
        let shown = format!("{}/{}", info.addr(), info.redis_settings().db());
        let store = Self {
            client,
            idle: Mutex::new(Vec::new()),
            prefix: format!("weft:{label}:"),
            ttl_secs: ttl_secs.filter(|ttl| *ttl > 0),
            shown,
            instance_key: format!("weft-meta:{label}:instance"),
            instance: RwLock::new(Arc::from("")),
        };
        // Connecting reads (or sets) the instance.
        store.with(|conn| redis::cmd("PING").query::<String>(conn))?;
        Ok(store)
    }

    /// Every replica over one database agrees on one instance name: the
    /// first to connect sets it, the others read it. Read on every new
    /// connection, because a Redis that restarts drops them all: a
    /// database that came back empty (no persistence) has lost its key, the
    /// first replica to reconnect sets a new one, and every tool call's
    /// answer names the new instance from then on — a client whose session
    /// was opened under the old one redoes it instead of reading an empty
    /// session as the truth.
    fn read_instance(&self, conn: &mut Connection) -> redis::RedisResult<()> {
        let fresh = crate::new_instance();
        let (current,): (String,) = redis::pipe()
            .cmd("SET")
            .arg(&self.instance_key)
            .arg(&*fresh)
            .arg("NX")
            .ignore()
            .cmd("GET")
            .arg(&self.instance_key)
            .query(conn)?;
        let mut known = self.instance.write().unwrap_or_else(PoisonError::into_inner);
        if **known != *current {
            if !known.is_empty() {
                tracing::warn!(
                    "Redis at {} holds another instance than before ({} → {current}): it restarted without \
                     its data; sessions opened before are gone",
                    self.shown,
                    known
                );
                crate::note_instance_change();
            }
            *known = Arc::from(current);
        }
        Ok(())
    }

    fn hash(&self, session: &str) -> String {
        format!("{}{session}", self.prefix)
    }

    /// Runs `op` on an idle connection (or a new one); a connection that saw
    /// an error is dropped rather than reused.
    fn with<R>(&self, op: impl FnOnce(&mut Connection) -> redis::RedisResult<R>) -> Result<R, KvError> {
        let idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let mut conn = match idle {
            Some(conn) if conn.is_open() => conn,
            _ => self.connect()?,
        };
        match op(&mut conn) {
            Ok(value) => {
                let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
                if idle.len() < POOL_SIZE {
                    idle.push(conn);
                }
                Ok(value)
            }
            Err(err) => Err(KvError::Backend(format!("Redis at {}: {err}", self.shown))),
        }
    }

    fn connect(&self) -> Result<Connection, KvError> {
        let unreachable =
            |err: redis::RedisError| KvError::Backend(format!("cannot reach Redis at {}: {err}", self.shown));
        let mut conn = self.client.get_connection_with_timeout(IO_TIMEOUT).map_err(unreachable)?;
        conn.set_read_timeout(Some(IO_TIMEOUT)).map_err(unreachable)?;
        conn.set_write_timeout(Some(IO_TIMEOUT)).map_err(unreachable)?;
        self.read_instance(&mut conn)
            .map_err(|err| KvError::Backend(format!("Redis at {}: {err}", self.shown)))?;
        Ok(conn)
    }
}

/// `url` with any password replaced.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}***{}", &url[..scheme + 3], &url[at..]),
        _ => url.to_owned(),
    }
}

impl SessionStore for RedisStore {
    fn summary(&self) -> String {
        match self.ttl_secs {
            Some(ttl) => format!("Redis at {} (sessions expire {ttl} s after their last write)", self.shown),
            None => format!("Redis at {}", self.shown),
        }
    }

    fn is_remote(&self) -> bool {
        true
    }

    fn instance(&self) -> Arc<str> {
        Arc::clone(&self.instance.read().unwrap_or_else(PoisonError::into_inner))
    }

    fn get(&self, session: &str, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        let hash = self.hash(session);
        self.with(|conn| redis::cmd("HGET").arg(&hash).arg(key).query(conn))
    }

    fn set(&self, session: &str, key: &str, value: &[u8]) -> Result<(), KvError> {
        check_size(value)?;
        let hash = self.hash(session);
        self.with(|conn| {
            let mut pipe = redis::pipe();
            pipe.atomic().cmd("HSET").arg(&hash).arg(key).arg(value).ignore();
            if let Some(ttl) = self.ttl_secs {
                pipe.cmd("EXPIRE").arg(&hash).arg(ttl).ignore();
            }
            pipe.query::<()>(conn)
        })
    }

    fn delete(&self, session: &str, key: &str) -> Result<bool, KvError> {
        let hash = self.hash(session);
        self.with(|conn| redis::cmd("HDEL").arg(&hash).arg(key).query::<u64>(conn)).map(|n| n > 0)
    }

    fn exists(&self, session: &str, key: &str) -> Result<bool, KvError> {
        let hash = self.hash(session);
        self.with(|conn| redis::cmd("HEXISTS").arg(&hash).arg(key).query(conn))
    }

    fn list_keys(&self, session: &str, prefix: &str) -> Result<Vec<String>, KvError> {
        let hash = self.hash(session);
        let mut keys: Vec<String> = self.with(|conn| redis::cmd("HKEYS").arg(&hash).query(conn))?;
        keys.retain(|key| key.starts_with(prefix));
        keys.sort();
        Ok(keys)
    }

    fn delete_session(&self, session: &str) -> Result<usize, KvError> {
        let hash = self.hash(session);
        let (count, _): (usize, u64) = self
            .with(|conn| redis::pipe().atomic().cmd("HLEN").arg(&hash).cmd("DEL").arg(&hash).query(conn))?;
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::redacted;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redacted("redis://:hunter2@db:6379/1"), "redis://***@db:6379/1");
        assert_eq!(redacted("redis://user:pw@db"), "redis://***@db");
        assert_eq!(redacted("redis://db:6379"), "redis://db:6379");
    }
}
