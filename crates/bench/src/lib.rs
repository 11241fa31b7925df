//! A fake OpenAI-compatible chat server that acts as a small, fixed agent
//! over the VFS tools, with an optional latency and injected faults. Tests
//! run it in-process on 127.0.0.1:0; `bench/run.sh` runs the `fake-llm`
//! binary. No network beyond loopback. [`hub`] is a fake Hugging Face Hub.
//!
//! Per sample it answers 5 requests: the user's request, three steps with 5
//! tool calls in all (`list_files` + `read_file`, `write_file` +
//! `read_file`, a read of a missing file) and the final answer. [`deepfabric`]
//! answers DeepFabric's structured-output requests with the same plan.
#![deny(missing_docs)]

pub mod deepfabric;
pub mod hub;
pub mod peers;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
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
    /// Samples of 4 model calls instead of 5 (the same 5 tool calls, in two
    /// steps of 2 and 3).
    pub short: bool,
    /// 1-based request numbers answered with a [`Fault`].
    pub faults: Vec<(usize, Fault)>,
    /// Every Nth agent conversation (counted as they start; 0: none) is a
    /// bad one: it reads `config.json` with a wrong argument name, reads it
    /// again correctly, and answers without writing the summary.
    pub flaky_every: usize,
}

/// A way a provider fails, for the reliability suite's fault matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 429 with `Retry-After: 1`.
    RateLimited,
    /// HTTP 500 with an error body.
    ServerError,
    /// No answer for [`HANG`]: past any sane client timeout.
    Hang,
    /// HTTP 200 with the JSON cut off half-way.
    Truncated,
    /// HTTP 200 with an empty body.
    Empty,
    /// The first tool call's arguments are not JSON.
    InvalidToolJson,
    /// The first tool call names a tool that does not exist.
    UnknownTool,
    /// An assistant message with no text and no tool calls.
    EmptyReply,
}

impl Fault {
    /// Every fault, in a fixed order.
    pub const ALL: [Fault; 8] = [
        Fault::RateLimited,
        Fault::ServerError,
        Fault::Hang,
        Fault::Truncated,
        Fault::Empty,
        Fault::InvalidToolJson,
        Fault::UnknownTool,
        Fault::EmptyReply,
    ];
}

/// How long a [`Fault::Hang`] holds its answer back.
pub const HANG: Duration = Duration::from_secs(4);

#[derive(Default)]
struct Shared {
    options: FakeOptions,
    requests: AtomicUsize,
    conversations: AtomicUsize,
    /// Answers of [`skim`]med requests, by turn.
    answers: Mutex<HashMap<Turn, axum::body::Bytes>>,
}

/// The fake's router: `POST /v1/chat/completions`.
pub fn app(options: FakeOptions) -> Router {
    let shared = Arc::new(Shared { options, ..Shared::default() });
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
    let plain = shared.options.faults.is_empty() && shared.options.flaky_every == 0;
    if plain && let Some(turn) = skim(&body) {
        // The answer depends on the turn alone: serialised once per turn.
        let bytes = shared
            .answers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(turn)
            .or_insert_with_key(|(model, tool_results, forced)| {
                let answer =
                    tool_turn(&Value::from(model.as_str()), *tool_results, *forced, shared.options.short);
                axum::body::Bytes::from(answer.to_string())
            })
            .clone();
        return ([("content-type", "application/json")], bytes).into_response();
    }
    let request: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    if let Some(&(_, fault)) = shared.options.faults.iter().find(|(at, _)| *at == number) {
        return faulty(fault, &request).await;
    }
    if let Some(answer) = deepfabric::reply(&request) {
        return axum::Json(answer).into_response();
    }
    if request["response_format"]["json_schema"]["name"] == "agent_step" {
        // A model without tool calling: native tools are refused, as such
        // servers do.
        if request["tools"].as_array().is_some_and(|t| !t.is_empty()) {
            let body = json!({"error": {"message": "this model does not support tools", "type": "invalid_request_error"}});
            return (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
        }
        return axum::Json(json_step_reply(&request)).into_response();
    }
    if shared.options.flaky_every > 0
        && let Some(reply) = flaky_reply(&shared, &request)
    {
        return axum::Json(reply).into_response();
    }
    let reply = if shared.options.short { short_reply(&request) } else { reply(&request) };
    axum::Json(reply).into_response()
}

/// The answer of a request that meets `fault`.
async fn faulty(fault: Fault, request: &Value) -> Response {
    let json_body =
        |text: String| (StatusCode::OK, [("content-type", "application/json")], text).into_response();
    match fault {
        Fault::RateLimited => {
            let body = json!({"error": {"message": "injected rate limit", "type": "rate_limit_exceeded"}});
            (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")], axum::Json(body)).into_response()
        }
        Fault::ServerError => {
            let body = json!({"error": {"message": "injected server error", "type": "server_error"}});
            (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response()
        }
        Fault::Hang => {
            tokio::time::sleep(HANG).await;
            axum::Json(reply(request)).into_response()
        }
        Fault::Truncated => {
            let text = reply(request).to_string();
            let cut = (0..=text.len() / 2).rev().find(|&at| text.is_char_boundary(at)).unwrap_or(0);
            json_body(text[..cut].to_owned())
        }
        Fault::Empty => json_body(String::new()),
        Fault::InvalidToolJson | Fault::UnknownTool | Fault::EmptyReply => {
            let mut answer = reply(request);
            let message = &mut answer["choices"][0]["message"];
            match fault {
                Fault::EmptyReply => {
                    message["content"] = json!("");
                    if let Some(object) = message.as_object_mut() {
                        object.remove("tool_calls");
                    }
                    answer["choices"][0]["finish_reason"] = json!("stop");
                }
                Fault::InvalidToolJson => {
                    if let Some(call) = message["tool_calls"].get_mut(0) {
                        call["function"]["arguments"] = json!("{\"file_path\": ");
                    }
                }
                _ => {
                    if let Some(call) = message["tool_calls"].get_mut(0) {
                        call["function"]["name"] = json!("teleport");
                    }
                }
            }
            axum::Json(answer).into_response()
        }
    }
}

/// The bad conversation of [`FakeOptions::flaky_every`], or `None` for a
/// request [`reply`] answers.
fn flaky_reply(shared: &Shared, request: &Value) -> Option<Value> {
    let messages = messages_of(request);
    if request["tools"].as_array().is_none_or(|t| t.is_empty()) {
        return None;
    }
    let tool_results = messages.iter().filter(|m| m["role"] == "tool").count();
    let bad = if tool_results == 0 {
        let number = shared.conversations.fetch_add(1, Ordering::SeqCst) + 1;
        number.is_multiple_of(shared.options.flaky_every)
    } else {
        messages
            .iter()
            .filter_map(|m| m["tool_calls"].as_array())
            .flatten()
            .any(|call| call["function"]["arguments"].as_str().is_some_and(|a| a.contains("\"path\"")))
    };
    if !bad {
        return None;
    }
    let (content, call) = match tool_results {
        0 => ("Reading the config.", Some(json!({"path": "config.json"}))),
        1 => ("Again, with the right argument.", Some(json!({"file_path": "config.json"}))),
        _ => ("config.json sets version and debug.", None),
    };
    let finish = if call.is_some() { "tool_calls" } else { "stop" };
    let mut message = json!({"role": "assistant", "content": content});
    if let Some(arguments) = call {
        message["tool_calls"] = json!([{"id": format!("call_{tool_results}_0"), "type": "function",
            "function": {"name": "read_file", "arguments": arguments.to_string()}}]);
    }
    Some(json!({
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "model": request["model"],
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
    }))
}

/// [`reply`] with the agent's work in two steps: list + read, then write +
/// read back + a missing file.
pub fn short_reply(request: &Value) -> Value {
    answer_to(request, true)
}

/// Tool results a JSON-step conversation has carried so far: the entries of
/// every user message that lists results.
fn json_step_results(messages: &[Value]) -> usize {
    messages
        .iter()
        .filter(|m| m["role"] == "user")
        .filter_map(|m| m["content"].as_str())
        .filter_map(|text| text.strip_prefix("Tool results, in the order of your calls:"))
        .filter_map(|list| serde_json::from_str::<Vec<Value>>(list.trim()).ok())
        .map(|list| list.len())
        .sum()
}

/// The fake agent's answer to one JSON-step request: the same plan as
/// [`reply`], written as a step object.
pub fn json_step_reply(request: &Value) -> Value {
    let messages = messages_of(request);
    let forced = messages
        .last()
        .and_then(|m| m["content"].as_str())
        .is_some_and(|text| text.starts_with("You have used all your steps"));
    let results = json_step_results(messages);
    let step = |thought: &str, calls: Vec<(&str, Value)>| {
        let calls: Vec<Value> = calls
            .into_iter()
            .map(|(name, arguments)| json!({"name": name, "arguments": arguments.to_string()}))
            .collect();
        json!({"thought": thought, "tool_calls": calls, "is_final": false, "final_answer": ""})
    };
    let answer =
        |text: &str| json!({"thought": "", "tool_calls": [], "is_final": true, "final_answer": text});
    let content = match (forced, results) {
        (true, _) => answer("I have finished: the summary is in summary.txt."),
        (false, 0) => step(
            "Let me look at the workspace and the config.",
            vec![("list_files", json!({})), ("read_file", json!({"file_path": "config.json"}))],
        ),
        (false, 2) => step(
            "Writing the summary and reading it back.",
            vec![
                ("write_file", json!({"file_path": "summary.txt", "content": SUMMARY})),
                ("read_file", json!({"file_path": "summary.txt"})),
            ],
        ),
        // A call the schema rejects: `file_path` must be a string.
        (false, 4) => step("Is there a changelog too?", vec![("read_file", json!({"file_path": 7}))]),
        (false, 5) => {
            step("Is there a changelog too?", vec![("read_file", json!({"file_path": "CHANGELOG.md"}))])
        }
        _ => answer("Done: summary.txt holds a summary of config.json; there is no CHANGELOG.md."),
    };
    json!({
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "model": request["model"],
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content.to_string()}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
    })
}

/// The fake agent's answer to one request.
pub fn reply(request: &Value) -> Value {
    answer_to(request, false)
}

/// [`reply`] (or [`short_reply`]) read from the request's tree.
fn answer_to(request: &Value, short: bool) -> Value {
    let messages = messages_of(request);
    let model = &request["model"];
    if request["tools"].as_array().is_none_or(|t| t.is_empty()) {
        let topic =
            messages.last().and_then(|m| m["content"].as_str()).unwrap_or("").lines().next().unwrap_or("");
        let content = format!("Please check config.json and save a short summary to summary.txt. ({topic})");
        return completion(model, 0, &content, &[]);
    }
    let tool_results = messages.iter().filter(|m| m["role"] == "tool").count();
    tool_turn(model, tool_results, request["tool_choice"] == "none", short)
}

/// The parts of a request with tools that [`reply`] acts on, read straight
/// from the body: the history is walked, not built, so the fake's cost per
/// request stays small next to the client's it stands in front of.
#[derive(serde::Deserialize)]
struct Skim<'a> {
    #[serde(borrow)]
    model: Cow<'a, str>,
    messages: Vec<SkimMessage<'a>>,
    #[serde(default)]
    tools: Option<Vec<serde::de::IgnoredAny>>,
    #[serde(default)]
    tool_choice: Option<Value>,
    #[serde(default)]
    response_format: Option<serde::de::IgnoredAny>,
}

#[derive(serde::Deserialize)]
struct SkimMessage<'a> {
    #[serde(borrow)]
    role: Cow<'a, str>,
}

/// A turn of a conversation with tools: the model, the tool results so far,
/// and whether the client asked for an answer without calls.
type Turn = (String, usize, bool);

/// The [`Turn`] of the common request (tools offered, no response format),
/// read without the request's tree; `None` for any other request.
fn skim(body: &str) -> Option<Turn> {
    let skim: Skim = serde_json::from_str(body).ok()?;
    if skim.response_format.is_some() || skim.tools.is_none_or(|t| t.is_empty()) {
        return None;
    }
    let tool_results = skim.messages.iter().filter(|m| m.role == "tool").count();
    let forced = skim.tool_choice.is_some_and(|choice| choice == "none");
    Some((skim.model.into_owned(), tool_results, forced))
}

/// [`answer_to`] through [`skim`].
#[cfg(test)]
fn skimmed_reply(body: &str, short: bool) -> Option<Value> {
    let (model, tool_results, forced) = skim(body)?;
    Some(tool_turn(&Value::from(model), tool_results, forced, short))
}

/// The agent's turn in a conversation with tools, after `tool_results`
/// results; `forced` when the client asked for an answer without calls.
fn tool_turn(model: &Value, tool_results: usize, forced: bool, short: bool) -> Value {
    let (content, calls): (&str, Vec<(&str, Value)>) = match tool_results {
        _ if forced => ("I have finished: the summary is in summary.txt.", vec![]),
        0 => (
            "Let me look at the workspace and the config.",
            vec![("list_files", json!({})), ("read_file", json!({"file_path": "config.json"}))],
        ),
        2 if short => (
            "Writing the summary, reading it back, and checking for a changelog.",
            vec![
                ("write_file", json!({"file_path": "summary.txt", "content": SUMMARY})),
                ("read_file", json!({"file_path": "summary.txt"})),
                ("read_file", json!({"file_path": "CHANGELOG.md"})),
            ],
        ),
        2 => (
            "Writing the summary and reading it back.",
            vec![
                ("write_file", json!({"file_path": "summary.txt", "content": SUMMARY})),
                ("read_file", json!({"file_path": "summary.txt"})),
            ],
        ),
        4 => ("Is there a changelog too?", vec![("read_file", json!({"file_path": "CHANGELOG.md"}))]),
        _ => ("Done: summary.txt holds a summary of config.json; there is no CHANGELOG.md.", vec![]),
    };
    completion(model, tool_results, content, &calls)
}

/// What the fake agent writes to `summary.txt`.
const SUMMARY: &str = "config.json sets version and debug.\n";

/// A chat completion holding `content` and `calls` (ids `call_{tool_results}_{index}`).
fn completion(model: &Value, tool_results: usize, content: &str, calls: &[(&str, Value)]) -> Value {
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
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
    })
}

/// A request's messages, borrowed.
fn messages_of(request: &Value) -> &[Value] {
    request["messages"].as_array().map_or(&[], Vec::as_slice)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request with tools after `results` tool results.
    fn request(results: usize, choice: &str) -> Value {
        let mut messages = vec![
            json!({"role": "system", "content": "You are \"careful\"."}),
            json!({"role": "user", "content": "Summarise config.json."}),
        ];
        for at in 0..results {
            messages.push(json!({"role": "assistant", "content": null, "tool_calls": [{"id": format!("c{at}"),
                "type": "function", "function": {"name": "read_file", "arguments": "{\"file_path\": \"a\"}"}}]}));
            messages.push(json!({"role": "tool", "tool_call_id": format!("c{at}"), "content": "{\"content\": \"x\\n\"}"}));
        }
        json!({"model": "fake", "messages": messages, "tools": [{"type": "function", "function": {"name": "read_file"}}],
               "tool_choice": choice, "temperature": 0.2})
    }

    #[test]
    fn the_skimmed_answer_is_the_tree_answer() {
        for results in 0..=6 {
            for choice in ["auto", "none"] {
                for short in [false, true] {
                    let request = request(results, choice);
                    let skimmed = skimmed_reply(&request.to_string(), short);
                    assert_eq!(
                        skimmed,
                        Some(answer_to(&request, short)),
                        "{results} results, {choice}, short {short}"
                    );
                }
            }
        }
    }

    #[test]
    fn requests_the_skim_does_not_cover_are_left_to_the_tree() {
        let mut without_tools = request(0, "auto");
        without_tools["tools"] = json!([]);
        let mut with_format = request(2, "auto");
        with_format["response_format"] =
            json!({"type": "json_schema", "json_schema": {"name": "agent_step"}});
        for declined in [without_tools, with_format, json!({"messages": "no"}), json!([1, 2])] {
            assert_eq!(skimmed_reply(&declined.to_string(), false), None, "{declined}");
        }
        assert_eq!(skimmed_reply("{\"model\": ", false), None);
    }
}
