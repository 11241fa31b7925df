//! `/mcp` over a real socket, driven by rmcp's client: the tools round-trip
//! through `tools/list`, state carries across calls of one MCP session and
//! not into another, and tool errors are `isError` results with the kind in
//! `_meta`.

use crate::common;

use std::sync::{Arc, Mutex};

use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};
use weft_protocol::{
    BackendError, ScenarioSeed, SessionId, ToolBackend, ToolCall, ToolDefinition, ToolOutcome,
};
use weft_sandbox::{Manifest, Sandbox};
use weft_tools::{McpSource, list_mcp_tools};

async fn connect(url: &str) -> RunningService<RoleClient, ()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let transport = StreamableHttpClientTransport::with_client(
        reqwest::Client::new(),
        StreamableHttpClientTransportConfig::with_uri(url),
    );
    ().serve(transport).await.expect("MCP handshake")
}

async fn call(client: &RunningService<RoleClient, ()>, tool: &str, args: Value) -> CallToolResult {
    let args = args.as_object().cloned().unwrap_or_default();
    client
        .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(args))
        .await
        .expect("tools/call answers")
}

fn text(result: &CallToolResult) -> String {
    let wire = serde_json::to_value(result).expect("serialises");
    wire["content"].as_array().into_iter().flatten().filter_map(|c| c["text"].as_str()).collect()
}

#[tokio::test]
async fn tools_list_round_trips_every_sandbox_tool() {
    let state = common::state().await;
    let (status, expected) = common::send(&state, axum::http::Method::GET, "/tools", "").await;
    assert_eq!(status, 200);
    let (addr, _stop) = common::spawn(state).await;
    let imported = list_mcp_tools(&McpSource::url(format!("http://{addr}/mcp"))).await.expect("import");
    assert_eq!(serde_json::to_value(&imported).expect("json"), expected["tools"]);
}

#[tokio::test]
async fn an_mcp_session_is_a_sandbox_session() {
    let (addr, _stop) = common::spawn(common::state().await).await;
    let url = format!("http://{addr}/mcp");

    let first = connect(&url).await;
    let wrote = call(&first, "write_file", json!({"file_path": "a.txt", "content": "kept"})).await;
    assert_eq!(wrote.is_error, Some(false), "{wrote:?}");
    let read = call(&first, "read_file", json!({"file_path": "a.txt"})).await;
    assert_eq!((read.is_error, text(&read).as_str()), (Some(false), "kept"));

    let second = connect(&url).await;
    let missing = call(&second, "read_file", json!({"file_path": "a.txt"})).await;
    assert_eq!(missing.is_error, Some(true));
    assert_eq!(text(&missing), "File not found: a.txt");
    let meta = serde_json::to_value(&missing.meta).expect("meta");
    assert_eq!(meta[weft_server::ERROR_TYPE_META_KEY], "FileNotFound");

    let denied = call(&first, "read_file", json!({"file_path": "/etc/passwd"})).await;
    assert_eq!(denied.is_error, Some(true));
    assert_eq!(text(&denied), "Access denied: /etc/passwd");
    assert_eq!(
        serde_json::to_value(&denied.meta).expect("meta")[weft_server::ERROR_TYPE_META_KEY],
        "PermissionDenied"
    );

    let unknown = call(&first, "no_such_tool", json!({})).await;
    assert_eq!(unknown.is_error, Some(true), "{unknown:?}");
}

/// The sandbox, recording which sessions were opened and closed.
struct Recording {
    sandbox: Sandbox,
    opened: Mutex<Vec<SessionId>>,
    closed: Mutex<Vec<SessionId>>,
}

#[async_trait::async_trait]
impl ToolBackend for Recording {
    async fn health(&self) -> Result<(), BackendError> {
        ToolBackend::health(&self.sandbox).await
    }
    async fn tools(&self) -> Result<Vec<ToolDefinition>, BackendError> {
        ToolBackend::tools(&self.sandbox).await
    }
    async fn open_session(&self, seed: &ScenarioSeed) -> Result<SessionId, BackendError> {
        let id = ToolBackend::open_session(&self.sandbox, seed).await?;
        self.opened.lock().expect("lock").push(id.clone());
        Ok(id)
    }
    async fn execute(&self, session: &SessionId, call: &ToolCall) -> Result<ToolOutcome, BackendError> {
        ToolBackend::execute(&self.sandbox, session, call).await
    }
    async fn close_session(&self, session: &SessionId) {
        ToolBackend::close_session(&self.sandbox, session).await;
        self.closed.lock().expect("lock").push(session.clone());
    }
}

#[tokio::test]
async fn delete_ends_the_mcp_session_and_closes_its_sandbox_session() {
    let backend = Arc::new(Recording {
        sandbox: Sandbox::new(Manifest::builtin()).await.expect("sandbox"),
        opened: Mutex::default(),
        closed: Mutex::default(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = weft_server::mcp_router(backend.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let url = format!("http://{addr}/mcp");

    let mut client = connect(&url).await;
    let wrote = call(&client, "write_file", json!({"file_path": "gone.txt", "content": "x"})).await;
    assert_eq!(wrote.is_error, Some(false));
    let opened = backend.opened.lock().expect("lock").clone();
    assert_eq!(opened.len(), 1, "one sandbox session per MCP session: {opened:?}");
    assert!(backend.closed.lock().expect("lock").is_empty());

    // Closing the client sends DELETE /mcp; the server drops the session.
    client.close().await.expect("closes");
    for _ in 0..400 {
        if !backend.closed.lock().expect("lock").is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(*backend.closed.lock().expect("lock"), opened);
    let read = ToolCall::new("read_file", json!({"file_path": "gone.txt"}));
    let outcome = ToolBackend::execute(&backend.sandbox, &opened[0], &read).await.expect("in process");
    assert_eq!(outcome.error_type, Some(weft_protocol::ErrorType::FileNotFound), "{outcome:?}");
}

/// The status of an MCP `initialize` sent with `host` as its `Host` header.
async fn initialize_status(router: axum::Router, host: &str) -> u16 {
    use tower::ServiceExt;
    let body = json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
    });
    let request = axum::http::Request::post("/mcp")
        .header("host", host)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(axum::body::Body::from(body.to_string()))
        .expect("request");
    router.oneshot(request).await.expect("infallible").status().as_u16()
}

#[tokio::test]
async fn mcp_answers_loopback_hosts_and_the_ones_allowed() {
    let sandbox: Arc<dyn ToolBackend> = Arc::new(Sandbox::new(Manifest::builtin()).await.expect("sandbox"));
    let default = weft_server::mcp_router(sandbox.clone());
    assert_eq!(initialize_status(default.clone(), "127.0.0.1:3000").await, 200);
    let refused = initialize_status(default, "weft.internal:3000").await;
    assert!((400..500).contains(&refused), "a non-loopback Host is refused by default: {refused}");

    let allowing = weft_server::mcp_router_allowing(sandbox.clone(), &["weft.internal".to_owned()]);
    assert_eq!(initialize_status(allowing.clone(), "weft.internal:3000").await, 200);
    assert_eq!(initialize_status(allowing.clone(), "localhost:3000").await, 200);
    let other = initialize_status(allowing, "evil.example:3000").await;
    assert!((400..500).contains(&other), "{other}");

    let any = weft_server::mcp_router_allowing(sandbox, &["*".to_owned()]);
    assert_eq!(initialize_status(any, "evil.example:3000").await, 200);
}
