//! Importing tool definitions from a running MCP server.
//!
//! [`list_mcp_tools`] connects to a server — over Streamable HTTP or by
//! spawning it and talking over its stdin/stdout — performs the
//! `initialize` / `notifications/initialized` handshake, lists every page of
//! `tools/list` (following `nextCursor`), converts the tools into
//! [`ToolDefinition`]s and shuts the connection down: an HTTP session is
//! ended with `DELETE`, a spawned server has its stdin closed and is
//! signalled, then killed, if it does not exit. What a spawned server writes
//! to stderr is logged at debug level (values of its environment masked), and
//! its last lines are quoted in the error when an import fails.
//!
//! The rmcp client also speaks the 2026-07-28 revision (`server/discover`,
//! no handshake); this importer deliberately uses the handshake lifecycle so
//! that servers on 2025-06-18 and 2025-11-25 work unchanged.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};
use rmcp::ServiceExt;
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::ChildStderr;
use weft_protocol::ToolDefinition;

/// How long an import may take, handshake to last page, unless told otherwise.
pub const DEFAULT_IMPORT_TIMEOUT: Duration = Duration::from_secs(30);

/// Where an MCP server is. `Debug` shows header and environment names only.
#[derive(Clone, PartialEq, Eq)]
pub enum McpSource {
    /// A Streamable HTTP endpoint, e.g. `http://127.0.0.1:3001/mcp`.
    Url {
        /// The endpoint.
        url: String,
        /// Extra headers sent with every request, e.g. `Authorization`.
        /// Their values never appear in errors or logs.
        headers: BTreeMap<String, String>,
    },
    /// A server spawned as a child process and spoken to over stdio.
    Command {
        /// The executable (looked up on `PATH`).
        program: String,
        /// Its arguments.
        args: Vec<String>,
        /// Variables added to the inherited environment.
        env: BTreeMap<String, String>,
    },
}

impl McpSource {
    /// A Streamable HTTP endpoint without extra headers.
    pub fn url(url: impl Into<String>) -> Self {
        Self::Url { url: url.into(), headers: BTreeMap::new() }
    }

    /// A command with arguments and no extra environment.
    pub fn command(program: impl Into<String>, args: impl IntoIterator<Item = String>) -> Self {
        Self::Command { program: program.into(), args: args.into_iter().collect(), env: BTreeMap::new() }
    }

    /// Names the server for messages: the URL, or the program. Never a header
    /// value or an environment value, which may be secrets.
    pub fn describe(&self) -> String {
        match self {
            Self::Url { url, .. } => url.clone(),
            Self::Command { program, .. } => program.clone(),
        }
    }
}

impl std::fmt::Debug for McpSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Url { url, headers } => f
                .debug_struct("Url")
                .field("url", url)
                .field("headers", &headers.keys().collect::<Vec<_>>())
                .finish(),
            Self::Command { program, args, env } => f
                .debug_struct("Command")
                .field("program", program)
                .field("args", args)
                .field("env", &env.keys().collect::<Vec<_>>())
                .finish(),
        }
    }
}

/// Why an import failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum McpImportError {
    /// A header name or value cannot be sent over HTTP.
    #[error("header '{name}' is not a valid HTTP header")]
    InvalidHeader {
        /// The header's name (its value is never reported).
        name: String,
    },
    /// The HTTP client could not be built.
    #[error("could not build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    /// The server process could not be started.
    #[error("could not start MCP server '{program}'")]
    Spawn {
        /// The program.
        program: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The handshake failed.
    #[error("could not initialize an MCP session with {server}: {reason}")]
    Initialize {
        /// The server, as [`McpSource::describe`] names it.
        server: String,
        /// What went wrong.
        reason: String,
    },
    /// `tools/list` failed.
    #[error("tools/list failed on {server}: {reason}")]
    List {
        /// The server.
        server: String,
        /// What went wrong.
        reason: String,
    },
    /// A listed tool does not fit [`ToolDefinition`].
    #[error("tool '{name}' from {server} is malformed: {reason}")]
    InvalidTool {
        /// The server.
        server: String,
        /// The tool.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The whole import took longer than allowed.
    #[error("importing from {server} timed out after {}s", timeout.as_secs_f64())]
    Timeout {
        /// The server.
        server: String,
        /// The limit.
        timeout: Duration,
    },
}

/// Lists every tool `source` offers, with [`DEFAULT_IMPORT_TIMEOUT`].
pub async fn list_mcp_tools(source: &McpSource) -> Result<Vec<ToolDefinition>, McpImportError> {
    list_mcp_tools_with_timeout(source, DEFAULT_IMPORT_TIMEOUT).await
}

/// Lists every tool `source` offers; the connection, the handshake and all
/// pages together must finish within `timeout`. A spawned server is shut down
/// whatever the outcome (on timeout its process is killed).
pub async fn list_mcp_tools_with_timeout(
    source: &McpSource,
    timeout: Duration,
) -> Result<Vec<ToolDefinition>, McpImportError> {
    let server = source.describe();
    match tokio::time::timeout(timeout, import(source, &server)).await {
        Ok(result) => result,
        Err(_) => Err(McpImportError::Timeout { server, timeout }),
    }
}

async fn import(source: &McpSource, server: &str) -> Result<Vec<ToolDefinition>, McpImportError> {
    let stderr = StderrTail::default();
    let mut client = connect(source, server, &stderr).await?;
    let listed = client.list_all_tools().await;
    // End the session (HTTP DELETE / child shutdown) before reporting.
    if let Err(err) = client.close().await {
        tracing::warn!(server, error = %err, "MCP client task ended abnormally");
    }
    let tools = listed.map_err(|err| McpImportError::List {
        server: server.to_owned(),
        reason: stderr.explain(err.to_string()),
    })?;
    tools.into_iter().map(|tool| convert(server, tool)).collect()
}

async fn connect(
    source: &McpSource,
    server: &str,
    stderr: &StderrTail,
) -> Result<RunningService<RoleClient, ()>, McpImportError> {
    let initialize_error = |err: rmcp::service::ClientInitializeError| McpImportError::Initialize {
        server: server.to_owned(),
        reason: stderr.explain(err.to_string()),
    };
    match source {
        McpSource::Url { url, headers } => {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let http = reqwest::Client::builder().build().map_err(McpImportError::Client)?;
            let config = StreamableHttpClientTransportConfig::with_uri(url.as_str())
                .custom_headers(header_map(headers)?);
            let transport = StreamableHttpClientTransport::with_client(http, config);
            ().serve(transport).await.map_err(initialize_error)
        }
        McpSource::Command { program, args, env } => {
            let mut command = tokio::process::Command::new(program);
            command.args(args).envs(env).kill_on_drop(true);
            let (transport, child_stderr) = TokioChildProcess::builder(command)
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|source| McpImportError::Spawn { program: program.clone(), source })?;
            if let Some(child_stderr) = child_stderr {
                stderr.follow(child_stderr, server, env.values());
            }
            let served = ().serve(transport).await;
            // A server that dies during the handshake has usually said why on
            // stderr; give the reader the moment it takes to arrive.
            if served.is_err() {
                stderr.settle().await;
            }
            served.map_err(initialize_error)
        }
    }
}

/// The last lines a spawned server wrote to stderr, kept to explain a failed
/// import. Each line is also logged at debug level. Values of the server's
/// environment (often tokens) are masked before a line is kept or logged.
#[derive(Default)]
struct StderrTail {
    /// Shared with the task that reads the pipe.
    lines: Arc<Mutex<VecDeque<String>>>,
    reader: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl StderrTail {
    /// Lines kept for an error message.
    const KEEP: usize = 12;
    /// Characters kept of one line.
    const WIDTH: usize = 300;

    fn follow<'a>(&self, stderr: ChildStderr, server: &str, secrets: impl Iterator<Item = &'a String>) {
        // Short values would mask ordinary words; anything worth hiding is longer.
        let secrets: Vec<String> = secrets.filter(|value| value.len() >= 6).cloned().collect();
        let lines = Arc::clone(&self.lines);
        let server = server.to_owned();
        let task = tokio::spawn(async move {
            let mut reader = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                let line = mask(&line, &secrets);
                tracing::debug!(server, "stderr: {line}");
                let mut kept = lines.lock().unwrap_or_else(PoisonError::into_inner);
                if kept.len() == Self::KEEP {
                    kept.pop_front();
                }
                kept.push_back(line.chars().take(Self::WIDTH).collect());
            }
        });
        *self.reader.lock().unwrap_or_else(PoisonError::into_inner) = Some(task);
    }

    /// Waits briefly for the reader to drain what a dying server wrote.
    async fn settle(&self) {
        let task = self.reader.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(task) = task {
            let _ = tokio::time::timeout(Duration::from_millis(500), task).await;
        }
    }

    /// `reason`, followed by what the server last wrote to stderr, if anything.
    fn explain(&self, reason: String) -> String {
        let kept = self.lines.lock().unwrap_or_else(PoisonError::into_inner);
        let said: Vec<&str> =
            kept.iter().map(String::as_str).filter(|line| !line.trim().is_empty()).collect();
        if said.is_empty() {
            reason
        } else {
            format!("{reason}; its stderr ended with:\n  {}", said.join("\n  "))
        }
    }
}

/// `line` with every secret replaced by `***`.
fn mask(line: &str, secrets: &[String]) -> String {
    secrets.iter().fold(line.to_owned(), |line, secret| line.replace(secret.as_str(), "***"))
}

fn header_map(
    headers: &BTreeMap<String, String>,
) -> Result<HashMap<HeaderName, HeaderValue>, McpImportError> {
    headers
        .iter()
        .map(|(name, value)| {
            let invalid = || McpImportError::InvalidHeader { name: name.clone() };
            let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid())?;
            let mut header_value = HeaderValue::from_str(value).map_err(|_| invalid())?;
            header_value.set_sensitive(true);
            Ok((header_name, header_value))
        })
        .collect()
}

/// rmcp's `Tool` and our [`ToolDefinition`] share the MCP wire form, so the
/// conversion goes through it: every field we keep carries over unchanged.
fn convert(server: &str, tool: rmcp::model::Tool) -> Result<ToolDefinition, McpImportError> {
    let invalid = |reason: String| McpImportError::InvalidTool {
        server: server.to_owned(),
        name: tool.name.to_string(),
        reason,
    };
    let wire = serde_json::to_value(&tool).map_err(|err| invalid(err.to_string()))?;
    serde_json::from_value(wire).map_err(|err| invalid(err.to_string()))
}
