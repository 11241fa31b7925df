//! The HTTP/1.1 front door. A connection starts in [`wire`], which answers
//! plain tool calls itself; at its first other request it becomes a hyper
//! connection, where each request is either taken by the hot path (a tool
//! call) or handed to the axum router.
//!
//! A tool call is the one request a client sends thousands of times a
//! second; it goes straight from the connection to the sandbox. Everything
//! else (health, sessions, mock tier, MCP, errors) goes through the router,
//! which also answers any call the fast paths decline, so all give the same
//! answers: they only skip routing work, never a check.

mod wire;

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, header};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::server::graceful::GracefulShutdown;
use tower::ServiceExt;

use crate::AppState;
use crate::error::ApiError;
use crate::mock_routes::MOCK_EXECUTE;
use crate::routes;

/// Accepts on `listener` until `shutdown` resolves, then lets every open
/// connection finish the request it is serving.
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    // One per worker thread: cloning it for a request touches no memory
    // another worker writes.
    let front = Front { router: routes::app(state.clone()), state: Arc::new(state) };
    let graceful = GracefulShutdown::new();
    // Tells connections still in `wire` to close once idle; `closed()` then
    // says when the last of them has.
    let (stopping, stop) = tokio::sync::watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut refused = 0u64;
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(err) => {
                    // Out of descriptors and the like: back off, keep serving.
                    tracing::warn!("cannot accept a connection: {err}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // At the cap, closed at once: idle connections are closed within a
        // second near it (see `Connections::idle_timeout`), so room comes
        // back and a client that retries gets in.
        let Some(slot) = crate::Connections::admit(&front.state.connections) else {
            drop(stream);
            front.state.metrics.record_rejected("TooManyConnections");
            refused += 1;
            if refused.is_power_of_two() {
                tracing::warn!(
                    "{refused} connections refused: {} open is the limit (--max-connections)",
                    front.state.connections.limits().max_connections
                );
            }
            continue;
        };
        // One reply per request: never hold it back waiting for more.
        let _ = stream.set_nodelay(true);
        tokio::spawn(wire::connection(stream, front.clone(), graceful.watcher(), stop.clone(), slot));
    }
    drop(listener);
    drop(stop);
    let _ = stopping.send(true);
    tokio::join!(stopping.closed(), graceful.shutdown());
    Ok(())
}

#[derive(Clone)]
struct Front {
    state: Arc<AppState>,
    router: Router,
}

type Answer = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

impl hyper::service::Service<Request<Incoming>> for Front {
    type Response = Response;
    type Error = Infallible;
    type Future = Answer;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        if let Err(refusal) = admit(&self.state, &request) {
            let error = ApiError::from(refusal);
            self.state.metrics.record_rejected(error.error_type());
            return Box::pin(async move { Ok(error.into_response()) });
        }
        if is_tool_call(&self.state, &request) {
            let state = Arc::clone(&self.state);
            return Box::pin(async move { Ok(tool_call(&state, request).await) });
        }
        let router = self.router.clone();
        Box::pin(async move { router.oneshot(request.map(Body::new)).await })
    }
}

/// The request passes the host, origin and content-type policy.
fn admit(state: &AppState, request: &Request<Incoming>) -> Result<(), weft_wire::Refusal> {
    let headers = request.headers();
    if headers.get_all(header::HOST).iter().nth(1).is_some() {
        // Which of two `Host` headers a proxy in front read is anyone's guess.
        return Err(weft_wire::Refusal::Host("a request may carry one Host header".to_owned()));
    }
    let has_body = headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok()?.trim().parse::<u64>().ok())
            .is_some_and(|length| length > 0);
    let path = request.uri().path();
    state.policy.check(
        request.method().as_str(),
        path,
        |name| headers.get(name).map(|value| value.as_bytes()),
        has_body,
        has_body && crate::spin_routes::is_component_route(state, path),
    )
}

/// `POST /execute` or `POST /{component}/execute` for a loaded component,
/// with a declared length within the body limit. Anything else — chunked
/// bodies, oversize bodies, unknown components, `/mock/execute` with its own
/// request shape — is the router's.
fn is_tool_call(state: &AppState, request: &Request<Incoming>) -> bool {
    if request.method() != Method::POST {
        return false;
    }
    let within_limit = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<usize>().ok())
        .is_some_and(|length| length <= state.body_limit);
    within_limit && tool_target(state, request.uri().path()).is_some()
}

/// The tool call `path` names, when the sandbox answers it: `/execute`, or
/// `/{component}/execute` for a loaded component (not `/mock/execute`,
/// whose body has its own shape).
fn tool_target<'a>(state: &AppState, path: &'a str) -> Option<Target<'a>> {
    match target(path)? {
        Target::Component(name) if path == MOCK_EXECUTE || !state.sandbox.has_component(name) => None,
        served => Some(served),
    }
}

enum Target<'a> {
    /// `/execute`: routed by tool name.
    Routed,
    /// `/{component}/execute`.
    Component(&'a str),
}

fn target(path: &str) -> Option<Target<'_>> {
    if path == "/execute" {
        return Some(Target::Routed);
    }
    let component = path.strip_prefix('/')?.strip_suffix("/execute")?;
    (!component.is_empty() && !component.contains('/')).then_some(Target::Component(component))
}

async fn tool_call(state: &AppState, request: Request<Incoming>) -> Response {
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) => {
            state.metrics.record_rejected("InvalidRequest");
            return ApiError::InvalidRequest(format!("Invalid request: cannot read the body: {err}"))
                .into_response();
        }
    };
    let component = match target(parts.uri.path()) {
        Some(Target::Component(name)) => Some(name),
        _ => None,
    };
    routes::execute_body(state, component, &body).await.unwrap_or_else(IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_execute_paths_are_tool_calls() {
        assert!(matches!(target("/execute"), Some(Target::Routed)));
        assert!(matches!(target("/vfs/execute"), Some(Target::Component("vfs"))));
        for path in ["/", "/vfs", "/vfs/execute/x", "/a/b/execute", "//execute", "/execute/", "/health"] {
            assert!(target(path).is_none(), "{path}");
        }
    }
}
