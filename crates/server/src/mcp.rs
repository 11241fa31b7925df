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
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::State;
use axum::http::StatusCode;

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
use weft_wire::HostPolicy;

/// The `_meta` key of a failed call's result that holds the weft error kind
/// (`NotAllowed`, `FileNotFound`, ...).
pub const ERROR_TYPE_META_KEY: &str = "weft/error_type";

/// Open MCP sessions `/mcp` keeps at most unless configured otherwise; an
/// `initialize` beyond it is refused (503, JSON-RPC error -32000) until a
/// session ends (`DELETE /mcp` or five idle minutes).
pub const DEFAULT_MAX_MCP_SESSIONS: usize = 512;

/// JSON-RPC's "Invalid params".
const INVALID_PARAMS: i64 = -32602;

/// Routes `POST`, `GET` and `DELETE /mcp`: the Streamable HTTP transport, with
/// one backend session per MCP session. Only loopback `Host` headers are
/// accepted (rmcp's DNS-rebinding guard); see [`mcp_router_allowing`].
pub fn mcp_router(backend: Arc<dyn ToolBackend>) -> axum::Router {
    mcp_router_allowing(backend, &[])
}

/// [`mcp_router`] that also accepts the `Host` names in `hosts` (`name` or
/// `name:port`), for a service reached by name rather than loopback.
/// `"*"` accepts any `Host`: only behind a proxy that checks it.
pub fn mcp_router_allowing(backend: Arc<dyn ToolBackend>, hosts: &[String]) -> axum::Router {
    McpLimits::default().router(backend, &HostPolicy::allowing(hosts))
}

/// The bounds of `/mcp`.
#[derive(Debug, Clone, Copy)]
pub struct McpLimits {
    /// Open sessions at most.
    pub max_sessions: usize,
    /// Largest message body, in bytes.
    pub body_limit: usize,
}

impl Default for McpLimits {
    fn default() -> Self {
        Self { max_sessions: DEFAULT_MAX_MCP_SESSIONS, body_limit: crate::DEFAULT_BODY_LIMIT }
    }
}

impl McpLimits {
    /// The `/mcp` routes for `backend`, accepting the hosts `policy` allows.
    pub fn router(self, backend: Arc<dyn ToolBackend>, policy: &HostPolicy) -> axum::Router {
        let mut config = StreamableHttpServerConfig::default();
        if policy.allows_any() {
            config = config.disable_allowed_hosts();
        } else {
            let mut allowed = config.allowed_hosts.clone();
            allowed.extend(policy.names().iter().cloned());
            config = config.with_allowed_hosts(allowed);
        }
        config.max_request_body_bytes = self.body_limit;
        let slots = Arc::new(Slots { open: AtomicUsize::new(0), max: self.max_sessions });
        let factory_slots = slots.clone();
        let service = StreamableHttpService::new(
            move || {
                let slot = Slots::take(&factory_slots)
                    .ok_or_else(|| std::io::Error::other("too many MCP sessions"))?;
                Ok(McpSession::new(backend.clone(), slot))
            },
            Arc::new(LocalSessionManager::default()),
            config,
        );
        let guard = Guard { slots, body_limit: self.body_limit };
        axum::Router::new()
            .route_service("/mcp", service)
            .layer(axum::middleware::from_fn_with_state(guard, check_message))
    }
}

/// Counts open MCP sessions against the cap.
struct Slots {
    open: AtomicUsize,
    max: usize,
}

impl Slots {
    fn take(this: &Arc<Self>) -> Option<Slot> {
        this.open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| (open < this.max).then_some(open + 1))
            .ok()
            .map(|_| Slot(this.clone()))
    }

    fn full(&self) -> bool {
        self.open.load(Ordering::Acquire) >= self.max
    }
}

/// One open session's place; given back when the session's handler drops.
struct Slot(Arc<Slots>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::AcqRel);
    }
}

#[derive(Clone)]
struct Guard {
    slots: Arc<Slots>,
    body_limit: usize,
}

/// Answers the messages rmcp would answer badly, as JSON-RPC errors: a batch
/// (which MCP since 2025-06-18 does not allow) is -32600, not an HTTP 415;
/// `tools/call` with `arguments` that are not an object is -32602 ("Invalid
/// params"), not -32601; an `initialize` beyond the session cap is -32000
/// with a 503. Everything else goes to rmcp as it came.
async fn check_message(
    State(guard): State<Guard>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if request.method() != axum::http::Method::POST {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, guard.body_limit).await else {
        let message = format!("Invalid Request: the message exceeds {} bytes", guard.body_limit);
        return rpc_error(StatusCode::PAYLOAD_TOO_LARGE, Value::Null, -32600, message);
    };
    match serde_json::from_slice::<Value>(&bytes) {
        Err(err) => {
            return rpc_error(StatusCode::BAD_REQUEST, Value::Null, -32700, format!("Parse error: {err}"));
        }
        Ok(Value::Array(_)) => {
            let message = "Invalid Request: JSON-RPC batches are not supported; send one message per request";
            return rpc_error(StatusCode::BAD_REQUEST, Value::Null, -32600, message.to_owned());
        }
        Ok(Value::Object(message)) => {
            let id = message.get("id").cloned().unwrap_or(Value::Null);
            match message.get("method").and_then(Value::as_str) {
                Some("tools/call") => {
                    let params = message.get("params");
                    let bad = match params {
                        Some(Value::Object(params)) => params
                            .get("arguments")
                            .filter(|a| !a.is_object() && !a.is_null())
                            .map(|a| ("`arguments`", a)),
                        Some(other) => Some(("`params`", other)),
                        None => None,
                    };
                    if let Some((what, value)) = bad {
                        let message = format!(
                            "Invalid params: {what} of tools/call must be an object, not {}",
                            kind(value)
                        );
                        return rpc_error(StatusCode::OK, id, INVALID_PARAMS, message);
                    }
                }
                Some("initialize") if guard.slots.full() => {
                    let message = format!(
                        "too many open MCP sessions (at most {}): end one with DELETE /mcp or retry later",
                        guard.slots.max
                    );
                    return rpc_error(StatusCode::SERVICE_UNAVAILABLE, id, -32000, message);
                }
                _ => {}
            }
        }
        Ok(other) => {
            let message = format!("Invalid Request: a JSON-RPC message is an object, not {}", kind(&other));
            return rpc_error(StatusCode::BAD_REQUEST, Value::Null, -32600, message);
        }
    }
    next.run(axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes))).await
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn rpc_error(status: StatusCode, id: Value, code: i64, message: String) -> axum::response::Response {
    let body = serde_json::json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}});
    let mut response = axum::response::Response::new(axum::body::Body::from(body.to_string()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(axum::http::header::CONTENT_TYPE, axum::http::HeaderValue::from_static("application/json"));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static("5"));
    }
    response
}

/// Serves one MCP session over stdin/stdout until the client closes stdin,
/// then closes the backend session. Nothing else may write to stdout.
pub async fn serve_mcp_stdio(backend: Arc<dyn ToolBackend>) -> Result<(), McpServeError> {
    // One session, for as long as stdin is open: nothing to cap.
    let only = Slot(Arc::new(Slots { open: AtomicUsize::new(1), max: 1 }));
    let session = McpSession::new(backend, only);
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
    /// Held while the session lives.
    _slot: Slot,
}

impl McpSession {
    fn new(backend: Arc<dyn ToolBackend>, slot: Slot) -> Self {
        Self { state: Arc::new(SessionState { backend, id: tokio::sync::Mutex::new(None) }), _slot: slot }
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
        let outcome = self
            .state
            .backend
            .execute(&session, &call)
            .await
            .map_err(|err| ErrorData::internal_error(err.to_string(), None))?;
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
