//! A fake Hugging Face Hub on loopback, speaking the Hub's wire format well
//! enough for weft's uploader to publish to it and for the official
//! `huggingface_hub` client to read everything back.
//!
//! Routes:
//! `POST /api/repos/create`, `POST /api/validate-yaml`, `GET /api/whoami-v2`,
//! `POST /api/datasets/{repo}/preupload/{rev}`, LFS
//! `POST /datasets/{repo}.git/info/lfs/objects/batch` with single-PUT or
//! multipart storage and verify, `POST …/commit/{rev}` (NDJSON),
//! `POST|DELETE …/tag/{rev}`, and the read side: `GET /api/datasets/{repo}`,
//! `…/revision/{rev}`, `…/tree/{rev}[/{path}]`, `…/refs`, `…/commits/{rev}`,
//! `…/paths-info/{rev}`,
//! `HEAD|GET /datasets/{repo}/resolve/{rev}/{file}`. Models (no prefix) and
//! spaces are routed alike. Never Xet: `xet-*-token` answers 501 and no
//! answer carries Xet headers.
//!
//! Everything lives in memory. LFS storage is a second listener (another
//! origin, as S3 is for the Hub): the client must send it no token.

mod lfs;
mod routes;
mod store;
mod wire;

use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use routes::Shared;

/// How the fake behaves.
#[derive(Debug, Clone)]
pub struct HubOptions {
    /// Files larger than this many bytes are LFS (the Hub: 10 MiB).
    pub lfs_threshold: u64,
    /// When set, LFS objects larger than this go up in parts of this size
    /// (multipart transfer); otherwise in one PUT.
    pub multipart_chunk: Option<u64>,
    /// LFS downloads as the Hub serves them: a 302 to the storage origin,
    /// the file's metadata on the redirect. Otherwise served inline.
    pub cdn: bool,
    /// Valid bearer tokens and the user each belongs to.
    pub tokens: Vec<(String, String)>,
    /// The first this many PUTs to LFS storage answer 503 (a storage hiccup).
    pub storage_failures: usize,
}

impl Default for HubOptions {
    fn default() -> Self {
        Self {
            lfs_threshold: 10 << 20,
            multipart_chunk: None,
            cdn: false,
            tokens: Vec::new(),
            storage_failures: 0,
        }
    }
}

impl HubOptions {
    /// Accepts `token` as `user`'s.
    pub fn token(mut self, token: &str, user: &str) -> Self {
        self.tokens.push((token.to_owned(), user.to_owned()));
        self
    }
}

/// One request the fake answered. The token itself is never kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubRequest {
    /// `GET`, `PUT`, …
    pub method: String,
    /// The raw path and query.
    pub path: String,
    /// Whether it carried an `Authorization` header.
    pub authorization: bool,
    /// The answer's status.
    pub status: u16,
    /// Length of the request body.
    pub body_bytes: usize,
    /// Its `Content-Length` header (`None`: chunked, or no body).
    pub content_length: Option<u64>,
}

/// A running fake Hub; stops when dropped.
pub struct FakeHub {
    shared: Arc<Shared>,
    tasks: Vec<JoinHandle<()>>,
}

impl FakeHub {
    /// Binds the Hub and its storage to two ports of 127.0.0.1 and serves
    /// them on the current Tokio runtime.
    pub async fn start(options: HubOptions) -> std::io::Result<Self> {
        let hub = TcpListener::bind("127.0.0.1:0").await?;
        let storage = TcpListener::bind("127.0.0.1:0").await?;
        let shared = Arc::new(Shared {
            base: format!("http://{}", hub.local_addr()?),
            storage_base: format!("http://{}", storage.local_addr()?),
            store: Mutex::default(),
            requests: Mutex::default(),
            storage_failures: AtomicUsize::new(options.storage_failures),
            options,
        });
        let app = app(shared.clone());
        let tasks = [hub, storage]
            .into_iter()
            .map(|listener| {
                let app = app.clone();
                tokio::spawn(async move {
                    let _ = axum::serve(listener, app).await;
                })
            })
            .collect();
        Ok(Self { shared, tasks })
    }

    /// The value for `HF_ENDPOINT`: `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> &str {
        &self.shared.base
    }

    /// The origin LFS transfers (and, with `cdn`, downloads) go to.
    pub fn storage_origin(&self) -> &str {
        &self.shared.storage_base
    }

    /// Every request answered so far, in order.
    pub fn requests(&self) -> Vec<HubRequest> {
        self.shared.requests.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The commit `rev` of dataset `repo` (`ns/name`) points at, if both exist.
    pub fn dataset_revision(&self, repo: &str, rev: &str) -> Option<String> {
        let store = self.shared.store();
        store.repos.get(&format!("datasets/{repo}"))?.resolve(rev).ok()
    }

    /// Whether dataset `repo` exists and is private.
    pub fn dataset_is_private(&self, repo: &str) -> Option<bool> {
        self.shared.store().repos.get(&format!("datasets/{repo}")).map(|r| r.private)
    }

    /// Makes dataset `repo` (`ns/name`), as if `user` had made it on the website.
    pub fn create_dataset(&self, repo: &str, private: bool, user: &str) -> bool {
        self.shared.store().create_repo(&format!("datasets/{repo}"), private, user)
    }
}

impl Drop for FakeHub {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

fn app(shared: Arc<Shared>) -> Router {
    // LFS objects arrive whole in one PUT: no body limit.
    Router::new().fallback(routes::handle).layer(DefaultBodyLimit::disable()).with_state(shared)
}
