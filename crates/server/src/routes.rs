//! The routes. Handlers stay thin: parse, call the sandbox, answer.

use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::Deserialize;
use serde_json::value::RawValue;
use weft_protocol::{ErrorType, ToolOutcome};

use crate::AppState;
use crate::error::ApiError;

/// The service's router. With Spin HTTP components loaded, requests on
/// their routes reach them first (see `spin_routes`), after weft's own.
pub fn app(state: AppState) -> Router {
    let weft = weft_routes(state.clone());
    if !state.sandbox.sandbox().has_spin_components() {
        return weft;
    }
    Router::new()
        .fallback_service(weft)
        .layer(axum::middleware::from_fn_with_state(state, crate::spin_routes::spin_first))
}

fn weft_routes(state: AppState) -> Router {
    let limit = state.body_limit;
    let mcp = state.mcp.clone();
    Router::new()
        .route("/health", get(health))
        .route("/components", get(components))
        .route("/tools", get(tools))
        .route("/metrics", get(metrics))
        .route("/execute", post(execute_routed))
        .route("/session/{id}", delete(delete_session))
        .route("/session/{id}/seed", post(seed_session))
        .merge(crate::mock_routes::routes())
        .route("/{component}/execute", post(execute_component))
        .route("/{component}/session/{id}", delete(delete_component_session))
        .route("/{component}/health", get(component_health))
        .route("/{component}/components", get(component_components))
        .route("/{component}/tools", get(component_tools))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
        .merge(mcp)
}

#[derive(Deserialize)]
struct ExecuteRequest<'a> {
    session_id: String,
    tool: String,
    #[serde(default, borrow)]
    args: Option<&'a RawValue>,
}

async fn execute_component(
    State(state): State<AppState>,
    Path(component): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    if !state.sandbox.has_component(&component) {
        state.metrics.record_rejected("NotFound");
        return Err(ApiError::NotFound(format!("Unknown component: {component}")));
    }
    execute(&state, Some(&component), body).await
}

async fn execute_routed(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    execute(&state, None, body).await
}

async fn execute(
    state: &AppState,
    component: Option<&str>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|rejection| reject_body(state, rejection))?;
    execute_body(state, component, &body).await
}

/// A tool call from its request body: `component` names the route, `None`
/// routes by tool name.
pub(crate) async fn execute_body(
    state: &AppState,
    component: Option<&str>,
    body: &[u8],
) -> Result<Response, ApiError> {
    call(state, component, body).await.map(|outcome| {
        let mut response = json_response(StatusCode::OK, &outcome);
        if let Ok(value) = header::HeaderValue::from_str(&state.instance()) {
            response.headers_mut().insert(crate::STORE_INSTANCE_HEADER, value);
        }
        response
    })
}

/// [`execute_body`]'s answer as the status and JSON bytes to send, for the
/// connections that write their own responses (`front::wire`).
pub(crate) async fn execute_json(
    state: &AppState,
    component: Option<&str>,
    body: &[u8],
) -> (StatusCode, Vec<u8>) {
    match call(state, component, body).await {
        Ok(outcome) => json_bytes(&outcome)
            .map_or((StatusCode::INTERNAL_SERVER_ERROR, Vec::new()), |bytes| (StatusCode::OK, bytes)),
        Err(err) => err.to_json(),
    }
}

async fn call(state: &AppState, component: Option<&str>, body: &[u8]) -> Result<ToolOutcome, ApiError> {
    let request: ExecuteRequest<'_> = serde_json::from_slice(body).map_err(|err| {
        state.metrics.record_rejected("InvalidRequest");
        ApiError::InvalidRequest(format!("Invalid request: {err}"))
    })?;
    if request.session_id.is_empty() {
        state.metrics.record_rejected("InvalidRequest");
        return Err(ApiError::InvalidRequest("Invalid request: session_id must not be empty".into()));
    }
    let args = request.args.map_or("{}", RawValue::get);
    let started = Instant::now();
    let (outcome, routed_to) = match component {
        Some(component) => {
            let outcome = state.sandbox.execute_in(component, &request.session_id, &request.tool, args).await;
            (outcome.unwrap_or_else(|| unknown_tool(&request.tool)), component)
        }
        None => {
            let routed = state.sandbox.component_of(&request.tool).unwrap_or("-");
            (state.sandbox.execute(&request.session_id, &request.tool, args).await, routed)
        }
    };
    // Unknown names come from clients: keep them out of metric labels.
    let tool_label = match outcome.error_type {
        Some(ErrorType::UnknownTool) => "<unknown>",
        _ => request.tool.as_str(),
    };
    state.metrics.record_call(routed_to, tool_label, outcome.label(), started.elapsed());
    if outcome.is_store_unavailable() {
        return Err(ApiError::StoreUnavailable(outcome.result));
    }
    Ok(outcome)
}

fn unknown_tool(tool: &str) -> ToolOutcome {
    ToolOutcome::error(ErrorType::UnknownTool, format!("Unknown tool: {tool}"))
}

pub(crate) fn reject_body(state: &AppState, rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        state.metrics.record_rejected("PayloadTooLarge");
        return ApiError::PayloadTooLarge(state.body_limit);
    }
    state.metrics.record_rejected("InvalidRequest");
    ApiError::InvalidRequest(format!("Invalid request: {}", rejection.body_text()))
}

/// `POST /session/{id}/seed` `{"files": {PATH: TEXT}}`: a scenario's files
/// written into a fresh session before its first call, the way the
/// in-process sandbox seeds — a protected directory the scenario brings
/// (a project's own `lib/`) becomes the session's. 200 `{"success": true,
/// "seeded": N}`; a file the VFS refuses: 200 `{"success": false, "path",
/// "result"}` and nothing of the session kept.
async fn seed_session(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|rejection| reject_body(&state, rejection))?;
    let seed: weft_protocol::ScenarioSeed = serde_json::from_slice(&body).map_err(|err| {
        state.metrics.record_rejected("InvalidRequest");
        ApiError::InvalidRequest(format!("Invalid request: {err}"))
    })?;
    let mut response = match state.sandbox.seed(&id, &seed).await {
        Ok(()) => {
            json_response(StatusCode::OK, &serde_json::json!({"success": true, "seeded": seed.files.len()}))
        }
        Err(weft_protocol::BackendError::Seed { path, reason }) => json_response(
            StatusCode::OK,
            &serde_json::json!({"success": false, "path": path, "result": reason}),
        ),
        Err(err) => return Err(ApiError::StoreUnavailable(err.to_string())),
    };
    // The store the session was opened on: a client notices a restart that
    // lost it on the session's first call.
    if let Ok(value) = header::HeaderValue::from_str(&state.instance()) {
        response.headers_mut().insert(crate::STORE_INSTANCE_HEADER, value);
    }
    Ok(response)
}

async fn delete_session(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let deleted = state.sandbox.delete_session(&id).await;
    json_response(StatusCode::OK, &serde_json::json!({"success": true, "deleted_files": deleted}))
}

async fn delete_component_session(
    State(state): State<AppState>,
    Path((component, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    require_component(&state, &component)?;
    Ok(delete_session(State(state), Path(id)).await)
}

async fn health(State(state): State<AppState>) -> Response {
    let names: Vec<String> = state.sandbox.components().into_iter().map(|c| c.name).collect();
    let body =
        serde_json::json!({"status": "healthy", "components": names, "store_instance": &*state.instance()});
    json_response(StatusCode::OK, &body)
}

async fn component_health(
    State(state): State<AppState>,
    Path(component): Path<String>,
) -> Result<Response, ApiError> {
    require_component(&state, &component)?;
    Ok(json_response(StatusCode::OK, &serde_json::json!({"status": "healthy", "components": [component]})))
}

/// The components' names (Spin's shape) and, beside them, each one's
/// version and whether it reaches a live service: what a sample made
/// through this service records for replay (`weft verify`).
async fn components(State(state): State<AppState>) -> Response {
    let components = state.sandbox.components();
    let names: Vec<&str> = components.iter().map(|c| c.name.as_str()).collect();
    let versions: serde_json::Map<String, serde_json::Value> = components
        .iter()
        .map(|c| (c.name.clone(), serde_json::json!({"version": c.version, "live": c.live})))
        .collect();
    json_response(StatusCode::OK, &serde_json::json!({"components": names, "versions": versions}))
}

async fn component_components(
    State(state): State<AppState>,
    Path(component): Path<String>,
) -> Result<Response, ApiError> {
    require_component(&state, &component)?;
    Ok(json_response(StatusCode::OK, &serde_json::json!({"components": [component]})))
}

async fn tools(State(state): State<AppState>) -> Response {
    json_response(StatusCode::OK, &serde_json::json!({"tools": state.sandbox.tool_definitions()}))
}

async fn component_tools(
    State(state): State<AppState>,
    Path(component): Path<String>,
) -> Result<Response, ApiError> {
    require_component(&state, &component)?;
    let tools: Vec<_> = state
        .sandbox
        .components()
        .into_iter()
        .filter(|c| c.name == component)
        .flat_map(|c| c.tools)
        .collect();
    Ok(json_response(StatusCode::OK, &serde_json::json!({"tools": tools})))
}

async fn metrics(State(state): State<AppState>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render()).into_response()
}

async fn not_found(State(state): State<AppState>, uri: axum::http::Uri) -> ApiError {
    state.metrics.record_rejected("NotFound");
    ApiError::NotFound(format!("Not found: {}", uri.path()))
}

async fn method_not_allowed(
    State(state): State<AppState>,
    method: axum::http::Method,
    uri: axum::http::Uri,
) -> Response {
    state.metrics.record_rejected("MethodNotAllowed");
    let message = format!("Method {method} is not allowed on {}", uri.path());
    let body = serde_json::json!({"success": false, "result": message, "error": message, "error_type": "MethodNotAllowed"});
    json_response(StatusCode::METHOD_NOT_ALLOWED, &body)
}

pub(crate) fn require_component(state: &AppState, component: &str) -> Result<(), ApiError> {
    if state.sandbox.has_component(component) {
        return Ok(());
    }
    state.metrics.record_rejected("NotFound");
    Err(ApiError::NotFound(format!("Unknown component: {component}")))
}

pub(crate) fn json_response(status: StatusCode, body: &impl serde::Serialize) -> Response {
    match json_bytes(body) {
        Some(bytes) => (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// `body` as JSON; a failure (a bug, never the client's doing) is logged.
fn json_bytes(body: &impl serde::Serialize) -> Option<Vec<u8>> {
    serde_json::to_vec(body).map_err(|err| tracing::error!("cannot serialise a response: {err}")).ok()
}
