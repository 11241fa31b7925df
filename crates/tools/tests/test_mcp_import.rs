//! `list_mcp_tools` against real MCP servers: the reference server
//! (`@modelcontextprotocol/server-everything`) over stdio and Streamable HTTP,
//! and a paging rmcp server on loopback.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::model::{ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use weft_protocol::ToolDefinition;
use weft_tools::{McpImportError, McpSource, list_mcp_tools, list_mcp_tools_with_timeout};

fn assert_everything_tools(tools: &[ToolDefinition]) {
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
    for expected in ["echo", "get-sum", "get-tiny-image", "trigger-long-running-operation"] {
        assert!(names.contains(&expected), "{expected} missing from {names:?}");
    }
    let echo = tools.iter().find(|t| t.name == "echo").expect("echo");
    assert_eq!(echo.input_schema["type"], "object");
    assert_eq!(echo.input_schema["properties"]["message"]["type"], "string");
    assert_eq!(echo.input_schema["required"], serde_json::json!(["message"]));
    assert!(!echo.description.is_empty());
    let sum = tools.iter().find(|t| t.name == "get-sum").expect("get-sum");
    assert_eq!(sum.input_schema["properties"]["a"]["type"], "number");
    assert_eq!(sum.input_schema["properties"]["b"]["type"], "number");
}

#[tokio::test]
async fn imports_server_everything_over_stdio() {
    let Some(script) = common::everything() else { return };
    let source = McpSource::command("node", [script, "stdio".to_owned()]);
    let tools = list_mcp_tools(&source).await.expect("import over stdio");
    assert_everything_tools(&tools);
}

#[tokio::test]
async fn imports_server_everything_over_streamable_http() {
    let Some(script) = common::everything() else { return };
    let (_server, url) = common::everything_http(&script);
    let tools = list_mcp_tools(&McpSource::url(url)).await.expect("import over HTTP");
    assert_everything_tools(&tools);
}

/// Serves six tools, two per page, and records the cursor of every request.
#[derive(Clone)]
struct PagingServer {
    cursors: Arc<Mutex<Vec<Option<String>>>>,
}

impl ServerHandler for PagingServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }

    async fn list_tools(
        &self,
        request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let cursor = request.and_then(|r| r.cursor);
        self.cursors.lock().expect("lock").push(cursor.clone());
        let page: usize = match cursor.as_deref() {
            None => 0,
            Some(c) => c
                .strip_prefix("page-")
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| ErrorData::invalid_params(format!("bad cursor {c}"), None))?,
        };
        let schema = serde_json::json!({"type": "object", "properties": {"n": {"type": "integer"}}});
        let schema = schema.as_object().cloned().unwrap_or_default();
        let tools = (page * 2..page * 2 + 2)
            .map(|i| Tool::new(format!("tool_{i}"), format!("tool number {i}"), schema.clone()))
            .collect();
        let mut result = ListToolsResult::with_all_items(tools);
        result.next_cursor = (page < 2).then(|| format!("page-{}", page + 1));
        Ok(result)
    }
}

#[tokio::test]
async fn follows_next_cursor_through_every_page() {
    let server = PagingServer { cursors: Arc::default() };
    let factory = server.clone();
    let service = StreamableHttpService::new(
        move || Ok(factory.clone()),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default(),
    );
    let app = axum::Router::new().route_service("/mcp", service);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });

    let tools = list_mcp_tools(&McpSource::url(format!("http://{addr}/mcp"))).await.expect("import");
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["tool_0", "tool_1", "tool_2", "tool_3", "tool_4", "tool_5"]);
    assert_eq!(tools[5].description, "tool number 5");
    assert_eq!(tools[5].input_schema["properties"]["n"]["type"], "integer");
    let cursors = server.cursors.lock().expect("lock").clone();
    assert_eq!(cursors, [None, Some("page-1".to_owned()), Some("page-2".to_owned())]);
}

#[tokio::test]
async fn a_missing_program_is_a_spawn_error() {
    let source = McpSource::command("weft-no-such-mcp-server", Vec::new());
    let err = list_mcp_tools(&source).await.expect_err("cannot spawn");
    assert!(matches!(err, McpImportError::Spawn { .. }), "{err:?}");
}

#[tokio::test]
async fn a_silent_server_times_out_and_is_killed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pid_file = dir.path().join("pid");
    // Keeps its pipes open and never answers the handshake.
    let script = format!("echo $$ > {}; exec sleep 600", pid_file.display());
    let source = McpSource::command("sh", ["-c".to_owned(), script]);
    let err = list_mcp_tools_with_timeout(&source, Duration::from_millis(500)).await.expect_err("times out");
    assert!(matches!(err, McpImportError::Timeout { .. }), "{err:?}");
    let pid = std::fs::read_to_string(&pid_file).expect("pid written");
    let proc_dir = std::path::PathBuf::from(format!("/proc/{}", pid.trim()));
    // The child is killed and reaped (no zombie): its /proc entry goes away.
    for _ in 0..400 {
        if !proc_dir.exists() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let stat = std::fs::read_to_string(proc_dir.join("stat")).unwrap_or_default();
    panic!("the server process is still there: {stat}");
}

#[tokio::test]
async fn header_values_stay_out_of_errors() {
    let mut headers = std::collections::BTreeMap::new();
    headers.insert("Authorization".to_owned(), "Bearer sekrit\n".to_owned());
    let source = McpSource::Url { url: "http://127.0.0.1:9/mcp".to_owned(), headers };
    let err = list_mcp_tools(&source).await.expect_err("bad header");
    assert!(matches!(err, McpImportError::InvalidHeader { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("sekrit"));
}

#[tokio::test]
async fn a_server_that_dies_is_explained_by_its_stderr_with_secrets_masked() {
    // Fails the way real servers do: a message on stderr, then exit.
    let script =
        r#"echo "starting up" >&2; echo "fatal: token $API_TOKEN was rejected by upstream" >&2; exit 3"#;
    let mut env = std::collections::BTreeMap::new();
    env.insert("API_TOKEN".to_owned(), "tok-4f9a81c2".to_owned());
    let source =
        McpSource::Command { program: "sh".to_owned(), args: vec!["-c".to_owned(), script.to_owned()], env };
    let err =
        list_mcp_tools_with_timeout(&source, Duration::from_secs(10)).await.expect_err("the server exits");
    assert!(matches!(err, McpImportError::Initialize { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("starting up\n  fatal: token *** was rejected by upstream"), "{message}");
    assert!(!format!("{message} {err:?}").contains("tok-4f9a81c2"), "{message}");
}
