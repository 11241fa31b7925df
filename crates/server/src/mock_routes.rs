//! The mock tier's routes under `/mock/`. The generic component routes
//! (`/mock/health`, `/mock/components`, `/mock/tools`, `/mock/session/{id}`)
//! serve it like any other component; these add its management API.
//!
//! `POST /mock/execute` takes two shapes:
//!
//! - `{"name", "arguments"}` (the reference mock component's) → 200
//!   `{"result": RESPONSE}` with the response as JSON. A failed call
//!   (unknown tool, invalid arguments) is still a 200, with the Spin
//!   envelope `{"success": false, "result": MESSAGE, "error_type"}`, as
//!   `/execute` answers failed calls;
//! - `{"session_id", "tool", "args"}` (the Spin envelope, as every
//!   component) → 200 `{success, result, error_type?}`, so a client routes
//!   mock tools like any other.

use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use weft_protocol::ErrorType;
use weft_tools::mock::{Fixture, MockError, MockTier};
use weft_tools::{McpSource, list_mcp_tools};

use crate::AppState;
use crate::error::ApiError;
use crate::routes::{json_response, reject_body};

/// The mock tier's own call route; its body is `{name, arguments}`.
pub(crate) const MOCK_EXECUTE: &str = "/mock/execute";

/// The routes, merged into the service's router.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/mock/load-schema", post(load_schema))
        .route("/mock/update-response", post(update_response))
        .route("/mock/add-fixture", post(add_fixture))
        .route("/mock/list-tools", get(list_tools))
        .route("/mock/clear", post(clear))
        .route(MOCK_EXECUTE, post(execute))
        .route("/mock/pull", post(pull))
}

#[derive(Deserialize)]
struct Pull {
    url: String,
    #[serde(default)]
    headers: std::collections::BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct UpdateResponse {
    name: String,
    #[serde(rename = "mockResponse", alias = "mock_response", alias = "response")]
    mock_response: Value,
}

#[derive(Deserialize)]
struct AddFixture {
    name: String,
    #[serde(rename = "match")]
    matches: Map<String, Value>,
    response: Value,
}

#[derive(Deserialize)]
struct ReferenceCall {
    name: String,
    #[serde(default)]
    arguments: Value,
}

fn tier(state: &AppState) -> Result<(&MockTier, &str), ApiError> {
    match (state.sandbox.mock(), state.sandbox.mock_component()) {
        (Some(tier), Some(name)) => Ok((tier, name)),
        _ => {
            state.metrics.record_rejected("NotFound");
            Err(ApiError::NotFound("Unknown component: mock (the manifest does not enable it)".into()))
        }
    }
}

fn body_json<T: serde::de::DeserializeOwned>(
    state: &AppState,
    body: Result<Bytes, BytesRejection>,
) -> Result<T, ApiError> {
    let body = body.map_err(|rejection| reject_body(state, rejection))?;
    serde_json::from_slice(&body).map_err(|err| {
        state.metrics.record_rejected("InvalidRequest");
        ApiError::InvalidRequest(format!("Invalid request: {err}"))
    })
}

fn refused(state: &AppState, err: MockError) -> ApiError {
    let (label, api) = match err {
        MockError::InvalidSchema(_) => ("InvalidRequest", ApiError::InvalidRequest(err.to_string())),
        MockError::UnknownTool(_) => ("UnknownTool", ApiError::UnknownTool(err.to_string())),
        _ => ("IOError", ApiError::Storage(err.to_string())),
    };
    state.metrics.record_rejected(label);
    api
}

async fn load_schema(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (tier, _) = tier(&state)?;
    let body = body.map_err(|rejection| reject_body(&state, rejection))?;
    let loaded = tier.load_schema(&body).await.map_err(|err| refused(&state, err))?;
    Ok(json_response(
        StatusCode::OK,
        &json!({"success": true, "loaded": loaded.loaded, "tools": loaded.tools}),
    ))
}

/// `POST /mock/pull {url, headers?}`: every tool of the MCP server at `url`
/// (Streamable HTTP, all `tools/list` pages), loaded like `load-schema`.
async fn pull(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (tier, _) = tier(&state)?;
    let request: Pull = body_json(&state, body)?;
    if !(request.url.starts_with("http://") || request.url.starts_with("https://")) {
        state.metrics.record_rejected("InvalidRequest");
        return Err(ApiError::InvalidRequest(format!("`url` must be an http(s) URL, got `{}`", request.url)));
    }
    let source = McpSource::Url { url: request.url, headers: request.headers };
    let tools = list_mcp_tools(&source).await.map_err(|err| {
        state.metrics.record_rejected("UpstreamError");
        ApiError::Upstream(format!("cannot list the tools of {}: {err}", source.describe()))
    })?;
    let body = serde_json::to_vec(&json!({"tools": tools}))
        .map_err(|err| ApiError::Storage(format!("cannot encode the pulled tools: {err}")))?;
    let loaded = tier.load_schema(&body).await.map_err(|err| refused(&state, err))?;
    Ok(json_response(
        StatusCode::OK,
        &json!({"success": true, "loaded": loaded.loaded, "tools": loaded.tools}),
    ))
}

async fn update_response(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (tier, _) = tier(&state)?;
    let request: UpdateResponse = body_json(&state, body)?;
    tier.update_response(&request.name, request.mock_response).await.map_err(|err| refused(&state, err))?;
    Ok(json_response(StatusCode::OK, &json!({"success": true, "tool": request.name})))
}

async fn add_fixture(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (tier, _) = tier(&state)?;
    let request: AddFixture = body_json(&state, body)?;
    let fixture = Fixture { matches: request.matches, response: request.response };
    tier.add_fixture(&request.name, fixture).await.map_err(|err| refused(&state, err))?;
    Ok(json_response(StatusCode::OK, &json!({"success": true, "tool": request.name})))
}

async fn list_tools(State(state): State<AppState>) -> Result<Response, ApiError> {
    let (tier, _) = tier(&state)?;
    Ok(json_response(StatusCode::OK, &json!({"tools": tier.list_tools()})))
}

async fn clear(State(state): State<AppState>) -> Result<Response, ApiError> {
    let (tier, _) = tier(&state)?;
    let cleared = tier.clear().await.map_err(|err| refused(&state, err))?;
    Ok(json_response(StatusCode::OK, &json!({"success": true, "cleared": cleared})))
}

async fn execute(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (tier, component) = tier(&state)?;
    let body = body.map_err(|rejection| reject_body(&state, rejection))?;
    // The Spin envelope names `tool`; the reference shape names `name`.
    let spin_shape = serde_json::from_slice::<Map<String, Value>>(&body)
        .is_ok_and(|object| object.contains_key("tool") || object.contains_key("session_id"));
    if spin_shape {
        let component = component.to_owned();
        return crate::routes::execute_body(&state, Some(&component), &body).await;
    }
    let call: ReferenceCall = body_json(&state, Ok(body))?;
    let started = Instant::now();
    let answer = tier.respond(&call.name, &call.arguments);
    let outcome_label = match &answer {
        Ok(_) => "success",
        Err(failed) => failed.label(),
    };
    // Unknown names come from clients: keep them out of metric labels.
    let tool_label = match &answer {
        Err(failed) if failed.error_type == Some(ErrorType::UnknownTool) => "<unknown>",
        _ => call.name.as_str(),
    };
    state.metrics.record_call(component, tool_label, outcome_label, started.elapsed());
    Ok(match answer {
        Ok(result) => json_response(StatusCode::OK, &json!({"result": result})),
        Err(failed) => json_response(StatusCode::OK, &failed),
    })
}
