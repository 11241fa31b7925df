//! weft's tools as an MCP server, over Streamable HTTP (`/mcp`) and stdio.
//!
//! Every tool of the backend is listed with its schemas (`tools/list`), and
//! `tools/call` runs [`ToolBackend::execute`]. One MCP session is one backend
//! session: it is opened when the client initializes (or on its first call,
//! for clients that skip the handshake) and closed when the MCP session ends
//! — `DELETE /mcp`, the idle timeout, server shutdown, or EOF on stdin — so
//! files written by one call are seen by the next call of the same MCP
//! session and by no other.
//!
//! A failed call is a tool result with `isError: true`, the message as text,
//! and the weft error kind in `_meta` under [`ERROR_TYPE_META_KEY`].

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, InitializeRequestParams,
    InitializeResult, ListToolsResult, MetaObject, PaginatedRequestParams, ServerCapabilities, ServerConfig,
    Tool,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
use serde_json::Value;
use weft_protocol::{ScenarioSeed, SessionId, ToolBackend, ToolCall, ToolDefinition, ToolOutcome};

/// The `_meta` key of a failed call's result that holds the weft error kind
/// (`NotAllowed`, `FileNotFound`, ...).
pub const ERROR_TYPE_META_KEY: &str = "weft/error_type";

/// Routes `POST`, `GET` and `DELETE /mcp`: the Streamable HTTP transport, with
/// one backend session per MCP session. Only loopback `Host` headers are
/// accepted (rmcp's DNS-rebinding guard); see [`mcp_router_allowing`].
pub fn mcp_router(backend: Arc<dyn ToolBackend>) -> axum::Router {
    mcp_router_allowing(backend, &[])
}

/// [`mcp_router`] that also accepts the `Host` names in `hosts` (`name` or
/// `name:port`), for a service reached by a name rather than loopback.
/// `"*"` accepts any `Host`: only behind a proxy that checks it.
pub fn mcp_router_allowing(backend: Arc<dyn ToolBackend>, hosts: &[String]) -> axum::Router {
    let mut config = StreamableHttpServerConfig::default();
    if hosts.iter().any(|host| host == "*") {
        config = config.disable_allowed_hosts();
    } else {
        let mut allowed = config.allowed_hosts.clone();
        allowed.extend(hosts.iter().cloned());
        config = config.with_allowed_hosts(allowed);
    }
    let service = StreamableHttpService::new(
        move || Ok(McpSession::new(backend.clone())),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    axum::Router::new().route_service("/mcp", service)
}

/// Serves one MCP session over stdin/stdout until the client closes stdin,
/// then closes the backend session. Nothing else may write to stdout.
pub async fn serve_mcp_stdio(backend: Arc<dyn ToolBackend>) -> Result<(), McpServeError> {
    let session = McpSession::new(backend);
    let state = session.state.clone();
    let running = session
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|err| McpServeError::Initialize(err.to_string()))?;
    let quit = running.waiting().await;
    state.close().await;
    quit.map(drop).map_err(|err| McpServeError::Task(err.to_string()))
}

/// Why serving MCP over stdio stopped abnormally.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum McpServeError {
    /// The client never completed the handshake.
    #[error("MCP handshake failed: {0}")]
    Initialize(String),
    /// The session's task failed.
    #[error("MCP session task failed: {0}")]
    Task(String),
}

/// One MCP session's handler. rmcp builds one per session and drops it when
/// the session ends; dropping closes the backend session.
struct McpSession {
    state: Arc<SessionState>,
}

impl McpSession {
    fn new(backend: Arc<dyn ToolBackend>) -> Self {
        Self { state: Arc::new(SessionState { backend, id: tokio::sync::Mutex::new(None) }) }
    }
}

/// The backend and the backend session, opened at most once.
struct SessionState {
    backend: Arc<dyn ToolBackend>,
    id: tokio::sync::Mutex<Option<SessionId>>,
}

impl SessionState {
    async fn session(&self) -> Result<SessionId, ErrorData> {
        let mut slot = self.id.lock().await;
        if let Some(id) = slot.as_ref() {
            return Ok(id.clone());
        }
        let id = self
            .backend
            .open_session(&ScenarioSeed::default())
            .await
            .map_err(|err| ErrorData::internal_error(err.to_string(), None))?;
        tracing::debug!(session = %id, "MCP session opened a backend session");
        *slot = Some(id.clone());
        Ok(id)
    }

    async fn close(&self) {
        let id = self.id.lock().await.take();
        if let Some(id) = id {
            self.backend.close_session(&id).await;
            tracing::debug!(session = %id, "backend session closed");
        }
    }
}

impl Drop for SessionState {
    fn drop(&mut self) {
        let Some(id) = self.id.get_mut().take() else { return };
        let backend = self.backend.clone();
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move { backend.close_session(&id).await });
            }
            Err(_) => tracing::warn!(session = %id, "no runtime left to close the backend session"),
        }
    }
}

impl ServerHandler for McpSession {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(rmcp::model::Implementation::new("weft", env!("CARGO_PKG_VERSION")))
    }

    async fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, ErrorData> {
        self.state.session().await?;
        context.peer.set_peer_info(request.clone());
        self.negotiate_initialize(&request)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let tools = self.tools().await?;
        let tools = tools.iter().map(to_mcp_tool).collect::<Result<Vec<_>, _>>()?;
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let session = self.state.session().await?;
        let arguments = Value::Object(request.arguments.unwrap_or_default());
        let call = ToolCall::new(request.name.to_string(), arguments);
        let outcome = self.state.backend.execute(&session, &call).await;
        let declares_output =
            self.tools().await?.iter().any(|tool| tool.name == call.name && tool.output_schema.is_some());
        Ok(to_call_result(outcome, declares_output).into())
    }
}

impl McpSession {
    async fn tools(&self) -> Result<Vec<ToolDefinition>, ErrorData> {
        self.state.backend.tools().await.map_err(|err| ErrorData::internal_error(err.to_string(), None))
    }
}

/// Our definitions are MCP's wire form already; rmcp's `Tool` reads it back.
fn to_mcp_tool(tool: &ToolDefinition) -> Result<Tool, ErrorData> {
    serde_json::to_value(tool)
        .and_then(serde_json::from_value)
        .map_err(|err| ErrorData::internal_error(format!("tool '{}': {err}", tool.name), None))
}

/// A successful outcome is its text; a tool that declares an output schema
/// also gets the text parsed as structured content (clients check it against
/// the schema). A failure is `isError` with the kind in `_meta`.
fn to_call_result(outcome: ToolOutcome, declares_output: bool) -> CallToolResult {
    if outcome.success {
        let structured =
            declares_output.then(|| serde_json::from_str::<Value>(&outcome.result).ok()).flatten();
        let mut result = CallToolResult::success(vec![ContentBlock::text(outcome.result)]);
        result.structured_content = structured;
        return result;
    }
    let kind = outcome.label().to_owned();
    let mut meta = serde_json::Map::new();
    meta.insert(ERROR_TYPE_META_KEY.to_owned(), Value::String(kind));
    let mut result = CallToolResult::error(vec![ContentBlock::text(outcome.result)]);
    result.meta = Some(MetaObject(meta));
    result
}
