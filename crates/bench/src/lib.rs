//! A fake OpenAI-compatible chat server that acts as a small, fixed agent
//! over the VFS tools, with an optional latency and injected faults. Tests
//! run it in-process on 127.0.0.1:0; `bench/run.sh` runs the `fake-llm`
//! binary. No network beyond loopback.
//!
//! Per sample it answers 5 requests: the user's request, three steps with 5
//! tool calls in all (`list_files` + `read_file`, `write_file` +
//! `read_file`, a read of a missing file) and the final answer.
#![deny(missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

/// How the fake behaves.
#[derive(Debug, Clone, Default)]
pub struct FakeOptions {
    /// Delay before each answer.
    pub latency: Duration,
    /// 1-based request numbers answered with HTTP 500 (and `retry-after: 0`).
    pub fail_with_500: Vec<usize>,
    /// 1-based request numbers answered with a body that is not JSON.
    pub malformed: Vec<usize>,
}

#[derive(Default)]
struct Shared {
    options: FakeOptions,
    requests: AtomicUsize,
}

/// The fake's router: `POST /v1/chat/completions`.
pub fn app(options: FakeOptions) -> Router {
    let shared = Arc::new(Shared { options, requests: AtomicUsize::new(0) });
    Router::new().route("/v1/chat/completions", post(chat)).with_state(shared)
}

/// Serves the fake on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, options: FakeOptions) -> std::io::Result<()> {
    axum::serve(listener, app(options)).await
}

async fn chat(State(shared): State<Arc<Shared>>, body: String) -> Response {
    let number = shared.requests.fetch_add(1, Ordering::SeqCst) + 1;
    if !shared.options.latency.is_zero() {
        tokio::time::sleep(shared.options.latency).await;
    }
    if shared.options.fail_with_500.contains(&number) {
        let body = json!({"error": {"message": "injected failure", "type": "server_error"}});
        return (StatusCode::INTERNAL_SERVER_ERROR, [("retry-after", "0")], axum::Json(body)).into_response();
    }
    if shared.options.malformed.contains(&number) {
        return (StatusCode::OK, [("content-type", "application/json")], "{\"choices\": [oops")
            .into_response();
    }
    let request: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    axum::Json(reply(&request)).into_response()
}

/// The fake agent's answer to one request.
pub fn reply(request: &Value) -> Value {
    let messages = request["messages"].as_array().cloned().unwrap_or_default();
    let has_tools = request["tools"].as_array().is_some_and(|t| !t.is_empty());
    let tool_results = messages.iter().filter(|m| m["role"] == "tool").count();
    let forced = request["tool_choice"] == "none";
    let (content, calls): (String, Vec<(&str, Value)>) = if !has_tools {
        let topic =
            messages.last().and_then(|m| m["content"].as_str()).unwrap_or("").lines().next().unwrap_or("");
        (format!("Please check config.json and save a short summary to summary.txt. ({topic})"), vec![])
    } else if forced {
        ("I have finished: the summary is in summary.txt.".to_owned(), vec![])
    } else {
        match tool_results {
            0 => (
                "Let me look at the workspace and the config.".to_owned(),
                vec![("list_files", json!({})), ("read_file", json!({"file_path": "config.json"}))],
            ),
            2 => (
                "Writing the summary and reading it back.".to_owned(),
                vec![
                    (
                        "write_file",
                        json!({"file_path": "summary.txt", "content": "config.json sets version and debug.\n"}),
                    ),
                    ("read_file", json!({"file_path": "summary.txt"})),
                ],
            ),
            4 => (
                "Is there a changelog too?".to_owned(),
                vec![("read_file", json!({"file_path": "CHANGELOG.md"}))],
            ),
            _ => (
                "Done: summary.txt holds a summary of config.json; there is no CHANGELOG.md.".to_owned(),
                vec![],
            ),
        }
    };
    let tool_calls: Vec<Value> = calls
        .iter()
        .enumerate()
        .map(|(index, (name, arguments))| {
            json!({
                "id": format!("call_{tool_results}_{index}"),
                "type": "function",
                "function": {"name": name, "arguments": arguments.to_string()},
            })
        })
        .collect();
    let mut message = json!({"role": "assistant", "content": content});
    let finish = if tool_calls.is_empty() { "stop" } else { "tool_calls" };
    if !tool_calls.is_empty() {
        message["tool_calls"] = Value::Array(tool_calls);
    }
    json!({
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "model": request["model"],
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
    })
}
