//! `weft serve`: the sandbox over HTTP.
//!
//! The routes are those of DeepFabric's Spin tools-sdk, so its Python client
//! works unchanged:
//!
//! | route | answer |
//! |---|---|
//! | `POST /{component}/execute` `{session_id, tool, args}` | 200 `{success, result, error_type?}` |
//! | `POST /execute` | the same, routed by tool name |
//! | `DELETE /session/{id}`, `DELETE /{component}/session/{id}` | 200 `{success, deleted_files}` |
//! | `GET /health`, `GET /{component}/health` | `{status, components}` |
//! | `GET /components`, `GET /{component}/components` | `{components}` |
//! | `GET /tools`, `GET /{component}/tools` | `{tools}` in MCP form (weft) |
//! | `GET /metrics` | Prometheus text (weft) |
//! | `POST /mock/load-schema`, `/mock/update-response`, `/mock/add-fixture`, `/mock/clear`, `GET /mock/list-tools` | the mock tier (weft, see `mock_routes`) |
//! | `POST /mock/execute` `{name, arguments}` | 200 `{result}` (or the envelope on a tool error) |
//! | `POST`/`GET`/`DELETE /mcp` | MCP Streamable HTTP: the tools, one sandbox session per MCP session (weft) |
//!
//! Client mistakes are 4xx with an `error_type` (`InvalidRequest`,
//! `NotFound`, `UnknownTool`, `PayloadTooLarge`, `MethodNotAllowed`); a 500
//! (`IOError`) only when the mock tier's store fails.
#![deny(missing_docs)]

mod error;
mod front;
mod mcp;
mod metrics;
mod mock_routes;
mod routes;
mod spin_routes;
mod workers;

use std::sync::Arc;

pub use mcp::{
    DEFAULT_MAX_MCP_SESSIONS, ERROR_TYPE_META_KEY, McpLimits, McpServeError, mcp_router, mcp_router_allowing,
    serve_mcp_stdio,
};
pub use metrics::Metrics;
pub use routes::app;
use weft_tools::InProcess;
pub use weft_wire::HostPolicy;
pub use workers::Workers;

pub use weft_protocol::STORE_INSTANCE_HEADER;

/// Largest request body accepted unless configured otherwise.
pub const DEFAULT_BODY_LIMIT: usize = 1 << 20;

/// Bounds on the connections `weft serve` keeps open, so idle or slow
/// clients cannot use up its file descriptors and starve valid ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Open connections at most; one more is closed as soon as accepted.
    pub max_connections: usize,
    /// Time a client has to send a request's head (and then its body);
    /// past it the connection is closed.
    pub header_timeout: std::time::Duration,
    /// Time a kept-alive connection may sit idle between requests. With
    /// three quarters of `max_connections` open, idle connections are
    /// closed after a second instead.
    pub idle_timeout: std::time::Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            max_connections: 1_000,
            header_timeout: std::time::Duration::from_secs(10),
            idle_timeout: std::time::Duration::from_secs(60),
        }
    }
}

/// The connections open now, against [`ConnectionLimits`].
#[derive(Debug)]
pub(crate) struct Connections {
    limits: ConnectionLimits,
    open: std::sync::atomic::AtomicUsize,
}

/// One open connection's place; given back on drop.
pub(crate) struct ConnectionSlot(Arc<Connections>);

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

impl Connections {
    fn new(limits: ConnectionLimits) -> Self {
        Self { limits, open: std::sync::atomic::AtomicUsize::new(0) }
    }

    /// A place for one more connection, unless all are taken.
    pub(crate) fn admit(this: &Arc<Self>) -> Option<ConnectionSlot> {
        use std::sync::atomic::Ordering;
        this.open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
                (open < this.limits.max_connections).then_some(open + 1)
            })
            .ok()
            .map(|_| ConnectionSlot(this.clone()))
    }

    pub(crate) fn limits(&self) -> ConnectionLimits {
        self.limits
    }

    /// How long an idle connection may stay now: a second once three
    /// quarters of the places are taken.
    pub(crate) fn idle_timeout(&self) -> std::time::Duration {
        let open = self.open.load(std::sync::atomic::Ordering::Relaxed);
        if open.saturating_mul(4) >= self.limits.max_connections.saturating_mul(3) {
            self.limits.idle_timeout.min(std::time::Duration::from_secs(1))
        } else {
            self.limits.idle_timeout
        }
    }
}

/// Everything a handler needs.
#[derive(Clone)]
pub struct AppState {
    /// The wasm components and the mock tier.
    pub(crate) sandbox: InProcess,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) body_limit: usize,
    /// `/mcp`, built once so that every worker shares one MCP session table.
    pub(crate) mcp: axum::Router,
    /// Which `Host` and `Origin` every request may name (see `policy`).
    pub(crate) policy: Arc<HostPolicy>,
    mcp_limits: McpLimits,
    /// Shared by every worker: the cap is the service's, not a worker's.
    pub(crate) connections: Arc<Connections>,
}

impl AppState {
    /// State for serving `sandbox` with the given body cap.
    pub fn new(sandbox: InProcess, body_limit: usize) -> Self {
        let policy = HostPolicy::loopback_only();
        let mcp_limits = McpLimits { body_limit, ..McpLimits::default() };
        let mcp = mcp_limits.router(Arc::new(sandbox.clone()), &policy);
        let metrics = Arc::new(Metrics::new());
        let connections = Arc::new(Connections::new(ConnectionLimits::default()));
        Self { sandbox, metrics, body_limit, mcp, policy: Arc::new(policy), mcp_limits, connections }
    }

    /// The session stores' instance, sent with every tool call's answer:
    /// read after the call, so the answer names the state it ran against.
    pub(crate) fn instance(&self) -> Arc<str> {
        self.sandbox.sandbox().instance()
    }

    /// Serves under `limits` (see [`ConnectionLimits`]).
    pub fn connection_limits(mut self, limits: ConnectionLimits) -> Self {
        self.connections = Arc::new(Connections::new(limits));
        self
    }

    /// Also answers requests whose `Host` (and `Origin`) is one of `hosts`
    /// (`name` or `name:port`; `*` for any), on every route including
    /// `/mcp`. Loopback names are always accepted.
    pub fn allow_hosts(mut self, hosts: &[String]) -> Self {
        self.policy = Arc::new(HostPolicy::allowing(hosts));
        self.rebuild_mcp()
    }

    /// At most `max` open MCP sessions on `/mcp`.
    pub fn max_mcp_sessions(mut self, max: usize) -> Self {
        self.mcp_limits.max_sessions = max;
        self.rebuild_mcp()
    }

    fn rebuild_mcp(mut self) -> Self {
        self.mcp = self.mcp_limits.router(Arc::new(self.sandbox.clone()), &self.policy);
        self
    }
}

/// Serves `state` on `listener` until `shutdown` resolves, then finishes the
/// requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    front::serve(listener, state, shutdown).await
}
