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
mod workers;

use std::sync::Arc;

pub use mcp::{ERROR_TYPE_META_KEY, McpServeError, mcp_router, mcp_router_allowing, serve_mcp_stdio};
pub use metrics::Metrics;
pub use routes::app;
use weft_tools::InProcess;
pub use workers::Workers;

/// Largest request body accepted unless configured otherwise.
pub const DEFAULT_BODY_LIMIT: usize = 1 << 20;

/// Everything a handler needs.
#[derive(Clone)]
pub struct AppState {
    /// The wasm components and the mock tier.
    pub(crate) sandbox: InProcess,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) body_limit: usize,
    /// `/mcp`, built once so that every worker shares one MCP session table.
    pub(crate) mcp: axum::Router,
}

impl AppState {
    /// State for serving `sandbox` with the given body cap.
    pub fn new(sandbox: InProcess, body_limit: usize) -> Self {
        let mcp = mcp_router(Arc::new(sandbox.clone()));
        Self { sandbox, metrics: Arc::new(Metrics::new()), body_limit, mcp }
    }

    /// Lets `/mcp` also answer requests whose `Host` is one of `hosts`
    /// (see [`mcp_router_allowing`]); loopback names are always accepted.
    pub fn allow_mcp_hosts(mut self, hosts: &[String]) -> Self {
        self.mcp = mcp_router_allowing(Arc::new(self.sandbox.clone()), hosts);
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
