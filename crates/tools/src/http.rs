//! The Spin HTTP protocol, client side.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use reqwest::StatusCode;
use serde_json::Value;
use weft_protocol::{
    BackendError, ErrorType, STORE_INSTANCE_HEADER, ScenarioSeed, SessionId, ToolBackend, ToolCall,
    ToolDefinition, ToolOrigin, ToolOutcome,
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
    /// `endpoint` without the credentials it may carry, for messages.
    shown: String,
    options: HttpBackendOptions,
    /// Session → the store instance its first answer came from (`None` for
    /// a service that does not say, such as DeepFabric's own).
    instances: Arc<Mutex<HashMap<String, Option<String>>>>,
    /// Component → (version, live), as `GET /components` reported them
    /// when the tools were listed (empty for a service that does not say).
    versions: Arc<Mutex<HashMap<String, (String, bool)>>>,
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
        let shown = without_credentials(&endpoint);
        Ok(Self { client, endpoint, shown, options, instances: Arc::default(), versions: Arc::default() })
    }

    fn component_for(&self, tool: &str) -> &str {
        self.options.routes.get(tool).map_or(self.options.default_component.as_str(), String::as_str)
    }

    fn unavailable(&self, reason: impl std::fmt::Display) -> BackendError {
        // Neither the endpoint nor a message quoting it shows credentials
        // a URL may carry (`http://user:secret@host`).
        let reason = reason.to_string().replace(&self.endpoint, &self.shown);
        BackendError::Unavailable { endpoint: self.shown.clone(), reason }
    }

    /// Reads the components' versions from `GET /components` (`weft
    /// serve` reports them; a service that does not leaves them unknown).
    async fn learn_versions(&self) {
        let Ok((status, body)) = self.get_json("/components").await else { return };
        let Some(reported) = body.get("versions").and_then(Value::as_object).filter(|_| status.is_success())
        else {
            return;
        };
        let learned: HashMap<String, (String, bool)> = reported
            .iter()
            .filter_map(|(name, entry)| {
                let version = entry.get("version")?.as_str()?.to_owned();
                Some((name.clone(), (version, entry.get("live").and_then(Value::as_bool).unwrap_or(false))))
            })
            .collect();
        *self.versions.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = learned;
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

    /// One tool call. `Ok` is what the tool answered (a failed tool is a
    /// failed outcome); `Err` is everything that is not a tool's answer —
    /// the service unreachable or timing out, a body cut off or not an
    /// envelope, a 5xx, a refusal of the request itself, a session whose
    /// store was replaced — none of which a model may ever observe.
    async fn execute_on(
        &self,
        component: &str,
        session: &str,
        tool: &str,
        args: &Value,
    ) -> Result<ToolOutcome, BackendError> {
        let (url, body) = match &self.options.tool_execute_path {
            Some(path) => {
                (format!("{}{path}", self.endpoint), serde_json::json!({"name": tool, "arguments": args}))
            }
            None => (
                format!("{}/{component}/execute", self.endpoint),
                serde_json::json!({"session_id": session, "tool": tool, "args": args}),
            ),
        };
        let response =
            self.client.post(&url).json(&body).send().await.map_err(|err| {
                self.unavailable(format!("{tool} in session {session}: {}", describe(&err)))
            })?;
        let status = response.status();
        let instance = response
            .headers()
            .get(STORE_INSTANCE_HEADER)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let bytes = response
            .bytes()
            .await
            .map_err(|err| self.unavailable(format!("{tool}: the answer was cut off: {}", describe(&err))))?;
        // Only answers that name their store are compared: a refusal made
        // before the call reached a store (a 413 from the router) names none
        // and says nothing about the session.
        if instance.is_some() {
            self.check_instance(session, instance)?;
        }
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            // The call itself was too big: a refusal the model caused and can
            // learn from, like any tool's limit.
            return Ok(ToolOutcome::error(
                ErrorType::ResourceExhausted,
                "The arguments are too large for the tool service",
            ));
        }
        let payload: Value = serde_json::from_slice(&bytes).map_err(|_| {
            self.unavailable(format!(
                "{tool}: HTTP {} with a body that is not JSON: {}",
                status.as_u16(),
                excerpt(&bytes)
            ))
        })?;
        if status != StatusCode::OK {
            let message = payload
                .get("error")
                .or_else(|| payload.get("result"))
                .and_then(Value::as_str)
                .map_or_else(|| excerpt(&bytes), str::to_owned);
            return Err(self.unavailable(format!("{tool}: HTTP {}: {message}", status.as_u16())));
        }
        if self.options.tool_execute_path.is_some() && payload.get("success").is_none() {
            // MCP-style servers answer `{"result": ...}`.
            return match payload.get("result") {
                Some(Value::String(text)) => Ok(ToolOutcome::ok(text.clone())),
                Some(other) => Ok(ToolOutcome::ok(other.to_string())),
                None => Err(self.unavailable(format!("{tool}: not a tool result: {}", excerpt(&bytes)))),
            };
        }
        serde_json::from_value::<ToolOutcome>(payload)
            .map_err(|_| self.unavailable(format!("{tool}: not a tool result: {}", excerpt(&bytes))))
    }

    /// Remembers the store instance a session was first answered from and
    /// refuses an answer from another one: the service restarted (or its
    /// store was replaced) and the session's files are gone.
    fn check_instance(&self, session: &str, seen: Option<String>) -> Result<(), BackendError> {
        let mut known = self.instances.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match known.get(session) {
            None => {
                known.insert(session.to_owned(), seen);
                Ok(())
            }
            Some(first) if *first == seen => Ok(()),
            Some(first) => Err(BackendError::SessionLost {
                session: session.to_owned(),
                reason: format!(
                    "the tool service at {} answered from session store {} where the session was opened on {} \
                     (it restarted without keeping its sessions)",
                    self.shown,
                    seen.as_deref().unwrap_or("(none)"),
                    first.as_deref().unwrap_or("(none)"),
                ),
            }),
        }
    }
}

/// `url` with any `user:password@` removed.
fn without_credentials(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme && !url[scheme + 3..at].contains('/') => {
            format!("{}{}", &url[..scheme + 3], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

/// At most 200 characters of a body, for error messages.
fn excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    if text.is_empty() {
        return "(empty body)".to_owned();
    }
    match text.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

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
        let mut tools: Vec<ToolDefinition> = if status == StatusCode::NOT_FOUND
            || status == StatusCode::METHOD_NOT_ALLOWED
        {
            // DeepFabric's own Spin service has no tool listing; its VFS
            // speaks the same tools as ours, so our definitions describe it.
            tracing::info!("{} has no GET /tools; using weft's built-in VFS tool definitions", self.shown);
            crate::builtin::vfs_definitions()
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
        self.learn_versions().await;
        Ok(tools)
    }

    /// One `POST /session/{id}/seed` (weft serve seeds as the in-process
    /// sandbox does); a service without that route (real Spin) gets one
    /// `write_file` call per file instead.
    async fn open_session(&self, seed: &ScenarioSeed) -> Result<SessionId, BackendError> {
        let session = SessionId::new(format!("{:032x}", rand::random::<u128>()));
        if seed.files.is_empty() {
            return Ok(session);
        }
        let url = format!("{}/session/{session}/seed", self.endpoint);
        let sent =
            self.client.post(&url).json(seed).send().await.map_err(|err| self.unavailable(describe(&err)))?;
        let status = sent.status();
        if status.is_success() {
            let instance =
                sent.headers().get(STORE_INSTANCE_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
            let body = sent.json::<Value>().await.map_err(|err| self.unavailable(describe(&err)))?;
            if body.get("success").and_then(Value::as_bool) == Some(true) {
                // The session lives in this store: a later answer from another is a lost session.
                if instance.is_some() {
                    self.check_instance(session.as_str(), instance)?;
                }
                return Ok(session);
            }
            self.close_session(&session).await;
            let text = |key: &str| body.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
            return Err(BackendError::Seed { path: text("path"), reason: text("result") });
        }
        if status.is_server_error() {
            return Err(
                self.unavailable(format!("POST /session/{{id}}/seed answered HTTP {}", status.as_u16()))
            );
        }
        for (path, content) in &seed.files {
            let args = serde_json::json!({"file_path": path, "content": content});
            let outcome =
                self.execute_on(&self.options.default_component, session.as_str(), "write_file", &args).await;
            let failure = match outcome {
                Ok(outcome) if outcome.success => continue,
                Ok(outcome) => BackendError::Seed { path: path.clone(), reason: outcome.result },
                Err(err) => err,
            };
            self.close_session(&session).await;
            return Err(failure);
        }
        Ok(session)
    }

    async fn execute(&self, session: &SessionId, call: &ToolCall) -> Result<ToolOutcome, BackendError> {
        self.execute_on(self.component_for(&call.name), session.as_str(), &call.name, &call.arguments).await
    }

    fn origin(&self, tool: &str) -> Option<ToolOrigin> {
        let component = self.component_for(tool);
        let versions = self.versions.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (version, live) = versions.get(component)?.clone();
        Some(ToolOrigin { component: component.to_owned(), version, live })
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
        self.instances.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(session.as_str());
    }
}
