//! Spin HTTP components: components that export
//! `wasi:http/incoming-handler@0.2.x` (spin-sdk `#[http_component]`, Rust
//! or componentize-py), and `wasm32-wasip1` core modules from older Spin
//! SDKs made components at load ([`componentize`]).
//!
//! Such a component is a small HTTP application: weft hands it each request
//! on its route as Spin would (the full path, plus the `spin-*` headers) and
//! gives back its response. A tool call in process is the same thing: a
//! `POST {route}/execute` with the tools-sdk body, whose answer is the Spin
//! envelope. Every request is a fresh instance with weft's limits — an epoch
//! deadline, a memory cap, a wall-clock bound — and a guest that traps or
//! runs over is an error answer, never a crashed service.
//!
//! Spin's semantics are kept where they differ from weft's world: the
//! key-value store is the application's labelled store (the guest chooses
//! its keys; nothing is scoped to a session by the host), and the
//! component's own routes, `DELETE {route}/session/{id}` included, reach it.

mod componentize;
mod host;
mod imports;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use serde_json::Value;
use wasmtime::component::{Component, Linker};
use wasmtime::{Engine, Store, Trap};
use wasmtime_wasi_http::WasiHttpView;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use weft_protocol::{ErrorType, STORE_UNAVAILABLE, ToolDefinition, ToolOutcome};

pub(crate) use componentize::{componentize, is_core_module};
pub use host::SPIN_APP_NAMESPACE;
use host::SpinState;
pub(crate) use host::{GrantedStores, SpinGrants};
pub(crate) use imports::preview3_refusal;

use crate::engine;
use crate::manifest::{HttpRoute, Limits};

/// The largest response body weft takes from a component.
const MAX_RESPONSE_BYTES: usize = 32 << 20;

/// One HTTP request for a Spin component.
#[derive(Debug, Clone)]
pub struct SpinRequest {
    /// The method.
    pub method: http::Method,
    /// The path and query exactly as the client sent them.
    pub path_and_query: String,
    /// The client's headers.
    pub headers: http::HeaderMap,
    /// The whole body.
    pub body: Bytes,
    /// Who sent it (`spin-client-addr`).
    pub client_addr: Option<SocketAddr>,
    /// Which route it took.
    pub route: SpinRoute,
}

/// The route a request took, as Spin reports it to the component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpinRoute {
    /// `spin-matched-route` / `spin-raw-component-route`: the route as written (`/notes/...`).
    pub matched: String,
    /// `spin-component-route`: the route without its wildcard (`/notes`).
    pub component_route: String,
    /// `spin-path-info`: the path after a wildcard's prefix (`/execute`).
    pub path_info: String,
}

impl SpinRoute {
    fn of(route: &HttpRoute, path_info: String) -> Self {
        Self { matched: route.raw.clone(), component_route: route.component_route().to_owned(), path_info }
    }
}

/// A component's whole answer.
#[derive(Debug, Clone)]
pub struct SpinResponse {
    /// The status code.
    pub status: u16,
    /// Its headers.
    pub headers: http::HeaderMap,
    /// Its body.
    pub body: Bytes,
}

impl SpinResponse {
    fn json(status: u16, body: &Value) -> Self {
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
        Self { status, headers, body: Bytes::from(body.to_string()) }
    }
}

/// A Spin HTTP component ready to serve requests.
pub(crate) struct SpinComponent {
    pub(crate) name: String,
    pub(crate) tools: Vec<ToolDefinition>,
    /// Where its tool calls go in process (`{route}/execute`).
    route: HttpRoute,
    pre: ProxyPre<SpinState>,
    engine: Engine,
    grants: Arc<SpinGrants>,
    timeout: Duration,
    deadline_ticks: u64,
}

/// Why a request got no answer from the guest.
struct Failure {
    kind: ErrorType,
    message: String,
}

impl SpinComponent {
    /// Links `component` with what weft gives Spin components, refusing it
    /// when it imports anything weft does not know, then learns its tools:
    /// from `tools` (the manifest's file) or by asking it (`GET {route}/components`).
    pub(crate) async fn load(
        engine: &Engine,
        name: &str,
        component: &Component,
        grants: SpinGrants,
        route: HttpRoute,
        limits: Limits,
        tools: Option<Vec<ToolDefinition>>,
    ) -> Result<Self, String> {
        if let Some(refusal) = imports::refusal(component, engine) {
            return Err(refusal);
        }
        let mut linker: Linker<SpinState> = Linker::new(engine);
        let linked = (|| -> wasmtime::Result<_> {
            wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
            wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
            host::add_spin_interfaces(&mut linker)?;
            let not_granted = imports::link_not_granted(&mut linker, engine, component)?;
            let pre = ProxyPre::new(linker.instantiate_pre(component)?)?;
            Ok((pre, not_granted))
        })();
        let (pre, not_granted) = linked.map_err(|err| format!("{err:#}"))?;
        if !not_granted.is_empty() {
            tracing::info!(
                component = name,
                "imports {} (not granted by weft: calls to them fail)",
                not_granted.join(", ")
            );
        }
        let timeout = Duration::from_millis(limits.timeout_ms);
        let mut loaded = Self {
            name: name.to_owned(),
            tools: Vec::new(),
            route,
            pre,
            engine: engine.clone(),
            grants: Arc::new(grants),
            timeout,
            deadline_ticks: engine::ticks_for(timeout) + 1,
        };
        loaded.tools = match tools {
            Some(tools) => tools,
            None => loaded.describe().await,
        };
        Ok(loaded)
    }

    /// The component's tools, as its `GET {route}/components` (or `/tools`)
    /// describes them in a `tools` list — MCP form (`inputSchema`) or
    /// OpenAI's (`parameters`). A component that describes none offers none
    /// in process (it is still served over HTTP).
    async fn describe(&self) -> Vec<ToolDefinition> {
        for endpoint in ["/components", "/tools"] {
            let response =
                self.handle(self.internal_request(http::Method::GET, endpoint, Bytes::new())).await;
            if response.status != 200 {
                continue;
            }
            let Ok(body) = serde_json::from_slice::<Value>(&response.body) else { continue };
            if let Some(Value::Array(tools)) = body.get("tools") {
                let parsed: Vec<ToolDefinition> = tools.iter().filter_map(definition).collect();
                if !parsed.is_empty() {
                    return parsed;
                }
            }
        }
        tracing::info!(component = %self.name, "describes no tools on GET .../components; set [component.{}] tools = FILE to use it in process", self.name);
        Vec::new()
    }

    /// A request weft itself makes (tool calls in process, `describe`).
    fn internal_request(&self, method: http::Method, rest: &str, body: Bytes) -> SpinRequest {
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
        SpinRequest {
            method,
            path_and_query: self.route.path_of(rest),
            headers,
            body,
            client_addr: None,
            route: SpinRoute::of(&self.route, rest.to_owned()),
        }
    }

    /// Whether calls can wait on the network through a store (they then
    /// run on a blocking thread).
    pub(crate) fn blocks(&self) -> bool {
        self.grants.stores.any_remote()
    }

    /// One tool call, in process: `POST {route}/execute` with the
    /// tools-sdk body; the answer is the Spin envelope.
    pub(crate) async fn execute(&self, session: &str, tool: &str, args_json: &str) -> ToolOutcome {
        let args: Value = serde_json::from_str(args_json).unwrap_or(Value::Object(Default::default()));
        let body = serde_json::json!({"session_id": session, "tool": tool, "args": args}).to_string();
        match self.answer(self.internal_request(http::Method::POST, "/execute", Bytes::from(body))).await {
            Ok(response) => outcome_of(&self.name, tool, &response),
            Err(failure) if failure.kind.as_str() == STORE_UNAVAILABLE => {
                ToolOutcome::store_unavailable(failure.message)
            }
            Err(failure) => ToolOutcome::error(failure.kind, failure.message),
        }
    }

    /// Ends a session the way a tools-sdk component expects:
    /// `DELETE {route}/session/{id}`, reaching the component (which keeps
    /// its sessions' keys itself).
    pub(crate) async fn close_session(&self, session: &str) {
        let rest = format!("/session/{session}");
        let response = self.handle(self.internal_request(http::Method::DELETE, &rest, Bytes::new())).await;
        if response.status >= 400 {
            tracing::debug!(component = %self.name, status = response.status, "session cleanup refused");
        }
    }

    /// Serves one request in a fresh instance. Whatever the guest does, the
    /// answer is a response: a trap, a timeout or the memory cap is an error
    /// answer (for `POST .../execute`, the Spin envelope with its
    /// `error_type`, as a tool's own failure would be).
    ///
    /// A request under which the key-value store failed is the service's
    /// failure, whatever the guest made of it: 503 `IOError`, as weft
    /// serve answers a weft-world call whose store failed — never an
    /// answer a sample could be built on.
    pub(crate) async fn handle(&self, request: SpinRequest) -> SpinResponse {
        let is_execute =
            request.method == http::Method::POST && request.route.path_info.ends_with("/execute");
        let failure = match self.answer(request).await {
            Ok(response) => return response,
            Err(failure) => failure,
        };
        if failure.kind.as_str() == STORE_UNAVAILABLE {
            let body = serde_json::json!({"error": failure.message, "error_type": "IOError"});
            return SpinResponse::json(503, &body);
        }
        let body = if is_execute {
            serde_json::json!({"success": false, "result": failure.message, "error_type": failure.kind.as_str()})
        } else {
            serde_json::json!({"error": failure.message, "error_type": failure.kind.as_str()})
        };
        let status = match (is_execute, &failure.kind) {
            (true, _) => 200,
            (false, ErrorType::Timeout) => 504,
            (false, _) => 500,
        };
        SpinResponse::json(status, &body)
    }

    /// The guest's response, or why there is none.
    async fn answer(&self, request: SpinRequest) -> Result<SpinResponse, Failure> {
        match tokio::time::timeout(self.timeout + engine::EPOCH_TICK * 2, self.serve(request)).await {
            Ok(result) => result,
            Err(_elapsed) => Err(Failure { kind: ErrorType::Timeout, message: self.timed_out() }),
        }
    }

    fn timed_out(&self) -> String {
        format!("Component '{}' timed out after {} ms", self.name, self.timeout.as_millis())
    }

    async fn serve(&self, request: SpinRequest) -> Result<SpinResponse, Failure> {
        let internal = |err: wasmtime::Error| Failure {
            kind: ErrorType::ComponentError,
            message: format!("Component '{}' could not be called: {err:#}", self.name),
        };
        let state = SpinState::new(self.grants.clone()).map_err(internal)?;
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| state);
        // Every tick yields to the worker's other tasks (a heavy guest never
        // holds them behind it); the deadline still ends the call.
        let deadline_ticks = self.deadline_ticks;
        let mut ticks = 0u64;
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            ticks += 1;
            Ok(if ticks >= deadline_ticks {
                wasmtime::UpdateDeadline::Interrupt
            } else {
                wasmtime::UpdateDeadline::Yield(1)
            })
        });
        let incoming = store
            .data_mut()
            .http()
            .new_incoming_request(Scheme::Http, hyper_request(request))
            .map_err(internal)?;
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let outparam = store.data_mut().http().new_response_outparam(sender).map_err(internal)?;
        let pre = self.pre.clone();
        let guest = async move {
            let result = async {
                let proxy = pre.instantiate_async(&mut store).await?;
                proxy.wasi_http_incoming_handler().call_handle(&mut store, incoming, outparam).await
            }
            .await;
            (result, store)
        };
        // The guest writes the body while the response is read: both run
        // together on this task.
        let answer = async {
            let response = receiver.await.ok()?;
            Some(match response {
                Ok(response) => {
                    let (parts, body) = response.into_parts();
                    let body = Limited::new(body, MAX_RESPONSE_BYTES)
                        .collect()
                        .await
                        .map(|collected| collected.to_bytes());
                    Ok((parts, body))
                }
                Err(code) => Err(code),
            })
        };
        let ((result, store), answer) = tokio::join!(guest, answer);
        let output = store.data().output.contents();
        if !output.is_empty() {
            tracing::debug!(component = %self.name, "guest output: {}", String::from_utf8_lossy(&output).trim_end());
        }
        if let Err(err) = result {
            return Err(self.trap_failure(&err, store.data().memory_exceeded));
        }
        if let Some(message) = store.data().store_failed.clone() {
            return Err(Failure {
                kind: ErrorType::Other(STORE_UNAVAILABLE.to_owned()),
                message: format!(
                    "The key-value store of component '{}' is unavailable: {message}",
                    self.name
                ),
            });
        }
        match answer {
            Some(Ok((parts, Ok(body)))) => {
                Ok(SpinResponse { status: parts.status.as_u16(), headers: parts.headers, body })
            }
            Some(Ok((_, Err(err)))) => Err(Failure {
                kind: ErrorType::ComponentError,
                message: format!("Component '{}' sent a broken or oversized body: {err}", self.name),
            }),
            Some(Err(code)) => Err(Failure {
                kind: ErrorType::ComponentError,
                message: format!("Component '{}' answered with an error: {code:?}", self.name),
            }),
            None => Err(Failure {
                kind: ErrorType::ComponentError,
                message: format!("Component '{}' returned without sending a response", self.name),
            }),
        }
    }

    fn trap_failure(&self, err: &wasmtime::Error, memory_exceeded: bool) -> Failure {
        if memory_exceeded {
            return Failure {
                kind: ErrorType::ResourceExhausted,
                message: format!(
                    "Component '{}' exceeded its memory limit of {} MiB",
                    self.name,
                    self.grants.memory_cap >> 20
                ),
            };
        }
        if matches!(err.downcast_ref::<Trap>(), Some(Trap::Interrupt)) {
            return Failure { kind: ErrorType::Timeout, message: self.timed_out() };
        }
        tracing::warn!(component = %self.name, "guest trapped: {err:#}");
        let reason = err.downcast_ref::<Trap>().map_or_else(|| format!("{err}"), Trap::to_string);
        Failure {
            kind: ErrorType::ComponentError,
            message: format!("Component '{}' crashed: {reason}", self.name),
        }
    }
}

/// The request as the guest receives it: the full URI, the client's
/// headers without `connection`, and the `spin-*` headers Spin adds.
fn hyper_request(
    request: SpinRequest,
) -> hyper::Request<http_body_util::combinators::UnsyncBoxBody<Bytes, wasmtime_wasi_http::Error>> {
    let host = request
        .headers
        .get(http::header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("localhost")
        .to_owned();
    let full_url = format!("http://{host}{}", request.path_and_query);
    let mut headers = request.headers;
    headers.remove(http::header::CONNECTION);
    let mut set = |name: &'static str, value: &str| {
        if let Ok(value) = http::HeaderValue::from_str(value) {
            headers.insert(http::HeaderName::from_static(name), value);
        }
    };
    set("spin-full-url", &full_url);
    set("spin-path-info", &request.route.path_info);
    set("spin-matched-route", &request.route.matched);
    set("spin-raw-component-route", &request.route.matched);
    set("spin-component-route", &request.route.component_route);
    set("spin-base-path", "/");
    if let Some(addr) = request.client_addr {
        set("spin-client-addr", &addr.to_string());
    }
    let body = Full::new(request.body).map_err(|never| match never {}).boxed_unsync();
    let mut built = hyper::Request::new(body);
    *built.method_mut() = request.method;
    *built.uri_mut() = full_url.parse().unwrap_or_else(|_| http::Uri::from_static("http://localhost/"));
    *built.headers_mut() = headers;
    built
}

/// The tool outcome a `POST .../execute` answer carries.
fn outcome_of(component: &str, tool: &str, response: &SpinResponse) -> ToolOutcome {
    let parsed = serde_json::from_slice::<Value>(&response.body).ok();
    let envelope = parsed.as_ref().and_then(|body| {
        let success = body.get("success")?.as_bool()?;
        let text = |value: &Value| match value {
            Value::String(text) => text.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        let result = body.get("result").or_else(|| body.get("error")).map(text).unwrap_or_default();
        let kind = body
            .get("error_type")
            .and_then(Value::as_str)
            .map(|name| name.parse().unwrap_or_else(|never| match never {}));
        Some(ToolOutcome {
            success,
            result,
            error_type: if success { None } else { kind.or(Some(ErrorType::ComponentError)) },
        })
    });
    match envelope {
        Some(outcome) => outcome,
        None => {
            let excerpt: String = String::from_utf8_lossy(&response.body).chars().take(200).collect();
            ToolOutcome::error(
                ErrorType::ComponentError,
                format!(
                    "Component '{component}' answered {tool} with HTTP {} and no tool result: {excerpt}",
                    response.status
                ),
            )
        }
    }
}

/// One tool definition from a component's listing: MCP form, or OpenAI's
/// (`parameters`, or `{type: function, function: {...}}`).
fn definition(tool: &Value) -> Option<ToolDefinition> {
    let tool = tool.get("function").unwrap_or(tool);
    let name = tool.get("name")?.as_str()?.to_owned();
    let description = tool.get("description").and_then(Value::as_str).unwrap_or_default().to_owned();
    let input_schema = tool
        .get("inputSchema")
        .or_else(|| tool.get("input_schema"))
        .or_else(|| tool.get("parameters"))
        .filter(|schema| schema.is_object())
        .cloned()
        .unwrap_or_else(|| serde_json::json!({"type": "object"}));
    Some(ToolDefinition {
        name,
        title: None,
        description,
        input_schema,
        output_schema: None,
        annotations: None,
    })
}

/// Whether `bytes` is a component of the WASI 0.3 HTTP world (refused), a
/// Spin HTTP component, or weft's tool world — told by its exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// weft's `tool` world (`describe`, `execute`).
    Weft,
    /// `wasi:http/incoming-handler@0.2.x`.
    SpinHttp,
}

/// The kind of the component `bytes`, by its top-level exports.
pub(crate) fn kind_of(bytes: &[u8]) -> Result<Kind, String> {
    let exports = top_level_exports(bytes)?;
    if exports.iter().any(|name| name == "execute") && exports.iter().any(|name| name == "describe") {
        return Ok(Kind::Weft);
    }
    if exports.iter().any(|name| name.starts_with("wasi:http/incoming-handler@0.2")) {
        return Ok(Kind::SpinHttp);
    }
    let p3: Vec<&str> = exports.iter().map(String::as_str).filter(|name| name.contains("@0.3")).collect();
    if !p3.is_empty() {
        return Err(preview3_refusal(&p3));
    }
    Err(format!(
        "it exports neither weft's tool world (`describe`, `execute`) nor `wasi:http/incoming-handler@0.2` \
         (it exports: {})",
        if exports.is_empty() { "nothing".to_owned() } else { exports.join(", ") }
    ))
}

fn top_level_exports(bytes: &[u8]) -> Result<Vec<String>, String> {
    use wasmparser::{Parser, Payload};
    let mut depth = 0usize;
    let mut names = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.map_err(|err| format!("it is not a valid component: {err}"))? {
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentExportSection(reader) if depth == 0 => {
                for export in reader {
                    let export = export.map_err(|err| format!("it is not a valid component: {err}"))?;
                    names.push(export.name.name.to_owned());
                }
            }
            _ => {}
        }
    }
    Ok(names)
}

/// The HTTP route of the Spin component `name`: its `[[trigger.http]]`
/// route, else `/{name}/...` (a component without routes in a spin.toml
/// is still called in process there).
pub(crate) fn route_for(manifest: &crate::Manifest, name: &str) -> HttpRoute {
    manifest
        .routes
        .iter()
        .find(|route| route.component == name)
        .cloned()
        .unwrap_or_else(|| HttpRoute::default_for(name))
}

/// The Spin component the request for `path` reaches, and its route:
/// `routes` (a spin.toml's `[[trigger.http]]`) when there are any, else
/// `/{name}/...` for every component `is_spin` accepts (a weft.toml).
pub(crate) fn routed(
    routes: &[HttpRoute],
    path: &str,
    is_spin: impl Fn(&str) -> bool,
) -> Option<(String, SpinRoute)> {
    if routes.is_empty() {
        let name = path.strip_prefix('/')?.split('/').next()?;
        if !is_spin(name) {
            return None;
        }
        let route = HttpRoute::default_for(name);
        let path_info = path[route.component_route().len()..].to_owned();
        return Some((name.to_owned(), SpinRoute::of(&route, path_info)));
    }
    let matched = crate::manifest::route(routes, path)?;
    is_spin(&matched.route.component)
        .then(|| (matched.route.component.clone(), SpinRoute::of(matched.route, matched.path_info)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_become_outcomes_and_anything_else_is_a_component_error() {
        let answer = |status: u16, body: &str| SpinResponse {
            status,
            headers: http::HeaderMap::new(),
            body: Bytes::from(body.to_owned()),
        };
        let ok = outcome_of("notes", "note_get", &answer(200, r#"{"success":true,"result":"one"}"#));
        assert_eq!(ok, ToolOutcome::ok("one"));
        let missing = outcome_of(
            "notes",
            "note_get",
            &answer(200, r#"{"success":false,"result":"Note not found: a","error_type":"FileNotFound"}"#),
        );
        assert_eq!(missing, ToolOutcome::error(ErrorType::FileNotFound, "Note not found: a"));
        let refused = outcome_of(
            "notes",
            "x",
            &answer(400, r#"{"success":false,"error":"Missing session_id","error_type":"InvalidRequest"}"#),
        );
        assert_eq!(refused, ToolOutcome::error(ErrorType::InvalidRequest, "Missing session_id"));
        let html = outcome_of("notes", "x", &answer(404, "<h1>nope</h1>"));
        assert_eq!(html.error_type, Some(ErrorType::ComponentError));
        assert!(html.result.contains("HTTP 404"), "{}", html.result);
    }

    #[test]
    fn definitions_in_either_form_are_read() {
        let mcp = serde_json::json!({"name": "note_get", "description": "Read a note", "inputSchema": {"type": "object", "properties": {"key": {"type": "string"}}}});
        let openai = serde_json::json!({"type": "function", "function": {"name": "note_put", "description": "Write", "parameters": {"type": "object"}}});
        assert_eq!(
            definition(&mcp).map(|d| d.input_schema["properties"]["key"]["type"].clone()),
            Some(serde_json::json!("string"))
        );
        assert_eq!(definition(&openai).map(|d| d.name), Some("note_put".to_owned()));
        assert!(definition(&serde_json::json!({"description": "no name"})).is_none());
    }
}
