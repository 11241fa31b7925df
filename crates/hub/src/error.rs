//! Why an upload failed.
//!
//! No message ever holds the token: the Hub's own messages are quoted with
//! any copy of it masked ([`crate::client`]), and the endpoint is shown
//! without credentials it may carry.

use std::path::PathBuf;

/// An upload that did not happen (or stopped part way: the repo may exist
/// and LFS objects may be stored, but nothing is committed before the one
/// commit succeeds).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HubError {
    /// No token, or the Hub refused it (HTTP 401).
    #[error("HF_TOKEN is missing or invalid: {detail}")]
    Unauthorized {
        /// What happened, and what to do.
        detail: String,
    },
    /// The token may not do this (HTTP 403), e.g. a read-only token, or
    /// another user's namespace.
    #[error("{action}: forbidden (HTTP 403): {message}")]
    Forbidden {
        /// What weft was doing.
        action: String,
        /// The Hub's message.
        message: String,
    },
    /// The Hub knows no such repo, revision or file (HTTP 404).
    #[error("{action}: not found (HTTP 404): {message}")]
    NotFound {
        /// What weft was doing.
        action: String,
        /// The Hub's message.
        message: String,
    },
    /// Any other refusal.
    #[error("{action}: HTTP {status}: {message}")]
    Status {
        /// What weft was doing.
        action: String,
        /// The HTTP status.
        status: u16,
        /// The Hub's message.
        message: String,
    },
    /// The Hub (or its storage) could not be reached, or the connection broke.
    #[error("{action}: cannot reach {endpoint}: {reason}")]
    Network {
        /// What weft was doing.
        action: String,
        /// The origin, without credentials.
        endpoint: String,
        /// The transport's error chain.
        reason: String,
    },
    /// The Hub answered something that is not what its API answers.
    #[error("{action}: unexpected answer from the Hub: {reason}")]
    Protocol {
        /// What weft was doing.
        action: String,
        /// What was wrong with it.
        reason: String,
    },
    /// LFS storage refused one object.
    #[error("LFS upload of {path}: the Hub refused the object (code {code}): {message}")]
    LfsObject {
        /// The file in the repo.
        path: String,
        /// The code the batch API gave.
        code: i64,
        /// Its message.
        message: String,
    },
    /// `--private` for a repo that exists and is public: uploading would
    /// publish what was meant to stay private.
    #[error(
        "{repo} already exists and is public; --private does not change an existing repo. \
         Make it private in its settings on the Hub first, or upload without --private"
    )]
    ExistsPublic {
        /// The repo id.
        repo: String,
    },
    /// A local file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The upload as asked for cannot be made (bad repo id, tag, path, endpoint).
    #[error("{0}")]
    Invalid(String),
}

impl HubError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { path: path.into(), source }
    }

    pub(crate) fn protocol(action: &str, reason: impl std::fmt::Display) -> Self {
        Self::Protocol { action: action.to_owned(), reason: reason.to_string() }
    }
}
