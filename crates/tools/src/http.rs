//! The Spin HTTP protocol, client side.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use async_trait::async_trait;
use reqwest::StatusCode;
use serde_json::Value;
use weft_protocol::{
    BackendError, ErrorType, ScenarioSeed, SessionId, ToolBackend, ToolCall, ToolDefinition, ToolOutcome,
};

/// How to talk to an endpoint.
#[derive(Debug, Clone)]
pub struct HttpBackendOptions {
    /// Base URL, e.g. `http://localhost:3000`.
    pub endpoint: String,
    /// Tool name → component (`/{component}/execute`); tools not listed go to
    /// `default_component`.
    pub routes: HashMap<String, String>,
    /// Component for tools without a route, and for seeding files.
    pub default_component: String,
    /// When set, calls are POSTed here as `{name, arguments}` (an MCP-style
    /// tool server) instead of the Spin envelope.
    pub tool_execute_path: Option<String>,
    /// Per-request timeout.
    pub timeout: Duration,
    /// A URL listing more tool definitions (`tools.tools_endpoint`, e.g.
    /// `/mock/list-tools`): an array or `{"tools": [...]}`.
    pub definitions_url: Option<String>,
}

impl HttpBackendOptions {
    /// Options for `endpoint` with everything routed to `vfs`.
    pub fn new(endpoint: impl Into<String>) -> Self {
        Self {
            endpoint: endpoint.into(),
            routes: HashMap::new(),
            default_component: "vfs".into(),
            tool_execute_path: None,
            timeout: Duration::from_secs(30),
            definitions_url: None,
        }
    }
}

/// A Spin-compatible tool service over HTTP. One connection pool for the
/// whole run (the reference builds a new client per sample).
#[derive(Debug, Clone)]
pub struct HttpBackend {
    client: reqwest::Client,
    endpoint: String,
    options: HttpBackendOptions,
}

impl HttpBackend {
    /// A backend for the given options.
    pub fn new(options: HttpBackendOptions) -> Result<Self, BackendError> {
        // reqwest is built without a bundled crypto provider; ring is ours.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(Duration::from_secs(5))
            .pool_max_idle_per_host(256)
            .build()
            .map_err(|err| BackendError::Other(format!("cannot build an HTTP client: {err}")))?;
        let endpoint = options.endpoint.trim_end_matches('/').to_owned();
        Ok(Self { client, endpoint, options })
    }

    fn component_for(&self, tool: &str) -> &str {
        self.options.routes.get(tool).map_or(self.options.default_component.as_str(), String::as_str)
    }

    fn unavailable(&self, reason: impl std::fmt::Display) -> BackendError {
        BackendError::Unavailable { endpoint: self.endpoint.clone(), reason: reason.to_string() }
    }

    async fn get_json(&self, path: &str) -> Result<(StatusCode, Value), BackendError> {
        self.get_url(&format!("{}{path}", self.endpoint)).await
    }

    async fn get_url(&self, url: &str) -> Result<(StatusCode, Value), BackendError> {
        let response = self.client.get(url).send().await.map_err(|err| self.unavailable(describe(&err)))?;
        let status = response.status();
        let body = response.json::<Value>().await.unwrap_or(Value::Null);
        Ok((status, body))
    }

    async fn execute_on(&self, component: &str, session: &str, tool: &str, args: &Value) -> ToolOutcome {
        let (url, body) = match &self.options.tool_execute_path {
            Some(path) => {
                (format!("{}{path}", self.endpoint), serde_json::json!({"name": tool, "arguments": args}))
            }
            None => (
                format!("{}/{component}/execute", self.endpoint),
                serde_json::json!({"session_id": session, "tool": tool, "args": args}),
            ),
        };
        let response = match self.client.post(url).json(&body).send().await {
            Ok(response) => response,
            Err(err) if err.is_timeout() => {
                return ToolOutcome::error(ErrorType::Timeout, "Tool execution timed out");
            }
            Err(err) => {
                return ToolOutcome::error(ErrorType::HTTPError, format!("HTTP error: {}", describe(&err)));
            }
        };
        let status = response.status();
        let payload = response.json::<Value>().await.unwrap_or(Value::Null);
        if status != StatusCode::OK {
            let message = payload
                .get("error")
                .and_then(Value::as_str)
                .map_or_else(|| format!("HTTP {}", status.as_u16()), str::to_owned);
            return ToolOutcome::error(ErrorType::HTTPError, message);
        }
        if self.options.tool_execute_path.is_some() && payload.get("success").is_none() {
            // MCP-style servers answer `{"result": ...}`.
            return match payload.get("result") {
                Some(Value::String(text)) => ToolOutcome::ok(text.clone()),
                Some(other) => ToolOutcome::ok(other.to_string()),
                None => {
                    ToolOutcome::error(ErrorType::HTTPError, format!("Malformed tool response: {payload}"))
                }
            };
        }
        serde_json::from_value::<ToolOutcome>(payload.clone()).unwrap_or_else(|_| {
            ToolOutcome::error(ErrorType::HTTPError, format!("Malformed tool response: {payload}"))
        })
    }
}

/// reqwest's error text plus its cause chain.
/// Tool definitions from a listing: an array, or an object with `tools`.
/// Unknown keys of a definition (e.g. the mock tier's `mockResponse`) are
/// ignored.
fn parse_definitions(body: Value) -> Result<Vec<ToolDefinition>, serde_json::Error> {
    let tools = match body {
        Value::Object(mut object) if object.contains_key("tools") => {
            object.remove("tools").unwrap_or_default()
        }
        other => other,
    };
    serde_json::from_value(tools)
}

/// The definitions of the built-in VFS component, as our sandbox describes
/// them (computed once per process).
async fn builtin_vfs_definitions() -> Result<Vec<ToolDefinition>, BackendError> {
    static DEFINITIONS: tokio::sync::OnceCell<Vec<ToolDefinition>> = tokio::sync::OnceCell::const_new();
    DEFINITIONS
        .get_or_try_init(|| async {
            let sandbox =
                weft_sandbox::Sandbox::with_pool_size(weft_sandbox::Manifest::builtin(), 4).await.map_err(
                    |err| BackendError::Other(format!("cannot describe the built-in tools: {err}")),
                )?;
            Ok(sandbox
                .tool_definitions()
                .into_iter()
                .filter(|tool| sandbox.component_of(&tool.name) == Some("vfs"))
                .collect())
        })
        .await
        .cloned()
}

fn describe(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[async_trait]
impl ToolBackend for HttpBackend {
    async fn health(&self) -> Result<(), BackendError> {
        let (status, _) = self.get_json("/health").await?;
        if status.is_success() {
            return Ok(());
        }
        // Real Spin routes only `/{component}/...`; ask the default component.
        let (status, _) = self.get_json(&format!("/{}/health", self.options.default_component)).await?;
        if status.is_success() {
            return Ok(());
        }
        Err(self.unavailable(format!("health check answered HTTP {}", status.as_u16())))
    }

    async fn tools(&self) -> Result<Vec<ToolDefinition>, BackendError> {
        let (status, body) = self.get_json("/tools").await?;
        let mut tools: Vec<ToolDefinition> = if status == StatusCode::NOT_FOUND
            || status == StatusCode::METHOD_NOT_ALLOWED
        {
            // DeepFabric's own Spin service has no tool listing; its VFS
            // speaks the same tools as ours, so our definitions describe it.
            tracing::info!("{} has no GET /tools; using weft's built-in VFS tool definitions", self.endpoint);
            builtin_vfs_definitions().await?
        } else if status.is_success() {
            parse_definitions(body).map_err(|err| self.unavailable(format!("GET /tools: {err}")))?
        } else {
            return Err(self.unavailable(format!("GET /tools answered HTTP {}", status.as_u16())));
        };
        if let Some(url) = &self.options.definitions_url {
            let (status, body) = self.get_url(url).await?;
            if !status.is_success() {
                return Err(self.unavailable(format!("GET {url} answered HTTP {}", status.as_u16())));
            }
            let listed =
                parse_definitions(body).map_err(|err| self.unavailable(format!("GET {url}: {err}")))?;
            for tool in listed {
                if !tools.iter().any(|known| known.name == tool.name) {
                    tools.push(tool);
                }
            }
        }
        Ok(tools)
    }

    async fn open_session(&self, seed: &ScenarioSeed) -> Result<SessionId, BackendError> {
        let session = SessionId::new(format!("{:032x}", rand::random::<u128>()));
        for (path, content) in &seed.files {
            let args = serde_json::json!({"file_path": path, "content": content});
            let outcome =
                self.execute_on(&self.options.default_component, session.as_str(), "write_file", &args).await;
            if !outcome.success {
                self.close_session(&session).await;
                return Err(match outcome.error_type {
                    Some(ErrorType::HTTPError) | Some(ErrorType::Timeout) => self.unavailable(outcome.result),
                    _ => BackendError::Seed { path: path.clone(), reason: outcome.result },
                });
            }
        }
        Ok(session)
    }

    async fn execute(&self, session: &SessionId, call: &ToolCall) -> ToolOutcome {
        self.execute_on(self.component_for(&call.name), session.as_str(), &call.name, &call.arguments).await
    }

    async fn close_session(&self, session: &SessionId) {
        let components: BTreeSet<&str> = self
            .options
            .routes
            .values()
            .map(String::as_str)
            .chain([self.options.default_component.as_str()])
            .collect();
        for component in components {
            let url = format!("{}/{component}/session/{session}", self.endpoint);
            if let Err(err) = self.client.delete(url).send().await {
                tracing::debug!(%component, "session cleanup failed: {}", describe(&err));
            }
        }
    }
}
