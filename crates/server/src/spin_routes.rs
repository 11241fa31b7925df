//! Requests for Spin HTTP components: a request on a Spin component's route
//! goes to the component as is — its method, full path, headers and body,
//! plus the `spin-*` headers Spin adds — and its response comes back as is.
//! weft's own routes (`/health`, `/components`, `/tools`, `/metrics`,
//! `/execute`, `/session/{id}`, `/mcp`, and `/mock/...` when the mock tier
//! is on) come first, so a catch-all route (`/...`) cannot hide them.
//!
//! A `POST .../execute` is counted in `/metrics` like any tool call, by the
//! tool its body names and the `error_type` its answer carries.

use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use weft_sandbox::SpinRequest;

use crate::AppState;
use crate::error::ApiError;

/// The paths weft answers itself, before any Spin route.
pub(crate) fn is_weft_route(state: &AppState, path: &str) -> bool {
    matches!(path, "/health" | "/components" | "/tools" | "/metrics" | "/execute" | "/mcp")
        || path.starts_with("/session/")
        || (state.sandbox.mock().is_some() && (path == "/mock" || path.starts_with("/mock/")))
}

/// Whether `path` goes to a Spin component (not to one of weft's routes).
pub(crate) fn is_component_route(state: &AppState, path: &str) -> bool {
    state.sandbox.sandbox().has_spin_components()
        && !is_weft_route(state, path)
        && state.sandbox.sandbox().spin_route(path).is_some()
}

/// Middleware in front of the router: Spin routes first.
pub(crate) async fn spin_first(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if is_weft_route(&state, path) {
        return next.run(request).await;
    }
    let Some((component, route)) = state.sandbox.sandbox().spin_route(path) else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, state.body_limit).await {
        Ok(body) => body,
        Err(_) => {
            state.metrics.record_rejected("PayloadTooLarge");
            return ApiError::PayloadTooLarge(state.body_limit).into_response();
        }
    };
    let tool_call = parts.method == axum::http::Method::POST && route.path_info.ends_with("/execute");
    let tool = tool_call.then(|| tool_name(&body)).flatten();
    let request = SpinRequest {
        method: parts.method,
        path_and_query: parts
            .uri
            .path_and_query()
            .map_or_else(|| path_of(&parts.uri), |pq| pq.as_str().to_owned()),
        headers: parts.headers,
        body,
        client_addr: None,
        route,
    };
    let started = Instant::now();
    let Some(answer) = state.sandbox.sandbox().handle_http(&component, request).await else {
        state.metrics.record_rejected("NotFound");
        return ApiError::NotFound(format!("Unknown component: {component}")).into_response();
    };
    if tool_call {
        let outcome = outcome_label(answer.status, &answer.body);
        state.metrics.record_call(
            &component,
            tool.as_deref().unwrap_or("<unknown>"),
            &outcome,
            started.elapsed(),
        );
    }
    let mut response = Response::new(Body::from(answer.body));
    *response.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    *response.headers_mut() = answer.headers;
    response
}

fn path_of(uri: &axum::http::Uri) -> String {
    uri.path().to_owned()
}

/// The tool a tools-sdk request body names (kept short for metric labels).
fn tool_name(body: &Bytes) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let tool = value.get("tool")?.as_str()?;
    (tool.len() <= 64 && tool.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .then(|| tool.to_owned())
}

/// `success`, the answer's `error_type`, or `HTTP <status>`.
fn outcome_label(status: u16, body: &Bytes) -> String {
    let value: Option<Value> = serde_json::from_slice(body).ok();
    match value.as_ref().and_then(|v| v.get("success")).and_then(Value::as_bool) {
        Some(true) => "success".to_owned(),
        Some(false) => value
            .as_ref()
            .and_then(|v| v.get("error_type"))
            .and_then(Value::as_str)
            .filter(|kind| kind.len() <= 40 && kind.chars().all(|c| c.is_ascii_alphanumeric()))
            .unwrap_or("Error")
            .to_owned(),
        None => format!("HTTP{status}"),
    }
}
