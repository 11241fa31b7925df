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
        let response = self
            .client
            .get(format!("{}{path}", self.endpoint))
            .send()
            .await
            .map_err(|err| self.unavailable(describe(&err)))?;
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
        if !status.is_success() {
            return Err(self.unavailable(format!("GET /tools answered HTTP {}", status.as_u16())));
        }
        let tools = body.get("tools").cloned().unwrap_or(body);
        serde_json::from_value(tools).map_err(|err| self.unavailable(format!("GET /tools: {err}")))
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
