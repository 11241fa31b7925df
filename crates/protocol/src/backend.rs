use std::collections::BTreeMap;
use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::{ToolCall, ToolDefinition, ToolOutcome};

/// The response header in which a tool service names the instance of its
/// session store with every tool call's answer (`weft serve` does; see
/// `weft_sandbox::Sandbox::instance`). When it changes between two answers
/// in one session, that session's state is gone.
pub const STORE_INSTANCE_HEADER: &str = "weft-store-instance";

/// Names one sandbox session: the unit of state a sample's tool calls share.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SessionId(String);

impl SessionId {
    /// Wraps an id.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a session starts with: `generation.tools.scenario_seed` of a config.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScenarioSeed {
    /// Files written into the session's filesystem before any call, by path.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
}

/// Where a tool runs, as far as replaying its calls is concerned
/// (`weft verify`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolOrigin {
    /// The component that serves it.
    pub component: String,
    /// The component's version: `sha256:` and the first 16 hex digits of
    /// its wasm, or `builtin` for a tier the host implements.
    pub version: String,
    /// Whether its calls reach a service outside the sandbox (a component
    /// granted outbound hosts): re-running such a call need not reproduce
    /// its result, so a replay cannot prove it.
    pub live: bool,
}

/// A backend could not do what was asked at all (as opposed to a tool call
/// that failed, which is a [`ToolOutcome`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    /// The tool service could not be reached or answered garbage.
    #[error("tool service at {endpoint} is unavailable: {reason}")]
    Unavailable {
        /// Where it was expected.
        endpoint: String,
        /// What went wrong.
        reason: String,
    },
    /// Seeding a scenario file failed.
    #[error("could not seed '{path}': {reason}")]
    Seed {
        /// The file that was being written.
        path: String,
        /// The outcome's message.
        reason: String,
    },
    /// The session's state is gone: the tool service restarted (or its
    /// store was replaced) since the session was opened. Calls made now
    /// would observe a fresh, empty session, not the sample's.
    #[error("session {session} was lost: {reason}")]
    SessionLost {
        /// The session.
        session: String,
        /// How the loss was noticed.
        reason: String,
    },
    /// Anything else the backend reports.
    #[error("{0}")]
    Other(String),
}

impl BackendError {
    /// Whether the failure is the tool service's, not the call's: the
    /// service could not be reached, answered something that is not a tool
    /// outcome, or lost the session. Such a failure is never an observation;
    /// the work that met it is redone, later.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable { .. } | Self::SessionLost { .. })
    }
}

/// Where tools run. The agent loop holds one of these and never knows whether
/// the sandbox is in-process or behind HTTP.
#[async_trait]
pub trait ToolBackend: Send + Sync {
    /// Checks the backend can serve calls at all (one round trip for HTTP).
    async fn health(&self) -> Result<(), BackendError>;

    /// The tools this backend offers.
    async fn tools(&self) -> Result<Vec<ToolDefinition>, BackendError>;

    /// Opens a fresh session and writes the seed's files into it.
    async fn open_session(&self, seed: &ScenarioSeed) -> Result<SessionId, BackendError>;

    /// Executes one call in a session. A tool that failed is an `Ok`
    /// outcome (`success: false`): a real observation. `Err` means the call
    /// did not reach a tool or its answer did not come back — a transport
    /// failure, a malformed reply, a lost session — which must never be
    /// shown to a model or written into a sample.
    async fn execute(&self, session: &SessionId, call: &ToolCall) -> Result<ToolOutcome, BackendError>;

    /// Drops everything the session stored. Idempotent.
    async fn close_session(&self, session: &SessionId);

    /// Where `tool` runs, when the backend knows (an in-process sandbox
    /// does; a remote tool service answers only calls).
    fn origin(&self, _tool: &str) -> Option<ToolOrigin> {
        None
    }
}
