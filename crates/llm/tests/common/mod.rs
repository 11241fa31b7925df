//! A fake HTTP provider on 127.0.0.1:0 that answers canned replies in order
//! and records every request, plus request builders shared by the tests.
#![allow(dead_code)]

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use weft_llm::{ChatRequest, Message, ModelEnv, ModelToolCall, ProviderSpec, Purpose, ResponseSchema, Role};
use weft_protocol::ToolDefinition;

/// One canned reply.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub delay: Duration,
}

impl Reply {
    /// 200 with a JSON body.
    pub fn json(body: Value) -> Self {
        Self {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string(),
            delay: Duration::ZERO,
        }
    }
    /// Any status with a raw body.
    pub fn status(status: u16, body: &str) -> Self {
        Self { status, headers: Vec::new(), body: body.to_owned(), delay: Duration::ZERO }
    }
    /// The same reply with one more header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
    /// The same reply, sent after `delay`.
    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// What the fake received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub headers: BTreeMap<String, String>,
    pub body: Value,
    pub at: Instant,
}

#[derive(Default)]
struct Shared {
    replies: Mutex<VecDeque<Reply>>,
    requests: Mutex<Vec<Recorded>>,
}

/// The fake provider.
pub struct FakeServer {
    pub base: String,
    shared: Arc<Shared>,
}

impl FakeServer {
    /// Serves `replies` in order on a fresh port; once they run out it answers 418.
    pub async fn start(replies: Vec<Reply>) -> Self {
        let shared = Arc::new(Shared { replies: Mutex::new(replies.into()), requests: Mutex::default() });
        let app = Router::new().fallback(answer).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { base, shared }
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// The only request, asserting there was exactly one.
    pub fn single(&self) -> Recorded {
        let requests = self.requests();
        assert_eq!(requests.len(), 1, "expected one request, got {requests:#?}");
        requests[0].clone()
    }
}

async fn answer(State(shared): State<Arc<Shared>>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let headers = headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let path = uri.path_and_query().map(ToString::to_string).unwrap_or_default();
    shared.requests.lock().unwrap().push(Recorded { path, headers, body, at: Instant::now() });
    let next = shared.replies.lock().unwrap().pop_front();
    let Some(reply) = next else {
        return (StatusCode::IM_A_TEAPOT, "no more canned replies").into_response();
    };
    tokio::time::sleep(reply.delay).await;
    let mut response = (StatusCode::from_u16(reply.status).unwrap(), reply.body).into_response();
    for (name, value) in reply.headers {
        response.headers_mut().insert(
            axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            axum::http::HeaderValue::from_str(&value).unwrap(),
        );
    }
    response
}

/// A spec pointing `provider` at `base`, with short timeouts.
pub fn spec(provider: &str, model: &str, base: &str) -> ProviderSpec {
    ProviderSpec {
        base_url: Some(base.to_owned()),
        max_retries: 2,
        timeout_secs: Some(5),
        ..ProviderSpec::new(provider, model)
    }
}

/// An environment holding only `var = value`.
pub fn env_with(var: &str, value: &str) -> ModelEnv {
    ModelEnv::from_vars([(var, value)])
}

/// An environment with no variables at all.
pub fn empty_env() -> ModelEnv {
    ModelEnv::from_vars(Vec::<(String, String)>::new())
}

/// The sandbox's `read_file` tool.
pub fn read_file_tool() -> ToolDefinition {
    serde_json::from_value(json!({
        "name": "read_file",
        "description": "Read content from a file",
        "inputSchema": {"type": "object", "properties": {"file_path": {"type": "string"}}, "required": ["file_path"],
                        "additionalProperties": false}
    }))
    .unwrap()
}

/// The sandbox's `list_files` tool.
pub fn list_files_tool() -> ToolDefinition {
    serde_json::from_value(json!({
        "name": "list_files",
        "description": "List all files in the current session",
        "inputSchema": {"type": "object", "properties": {"directory": {"type": "string"}}}
    }))
    .unwrap()
}

/// The sandbox's `write_file` tool.
pub fn write_file_tool() -> ToolDefinition {
    serde_json::from_value(json!({
        "name": "write_file",
        "description": "Write content to a file",
        "inputSchema": {"type": "object", "properties": {"file_path": {"type": "string"}, "content": {"type": "string"}},
                        "required": ["file_path", "content"]}
    }))
    .unwrap()
}

/// A one-message request.
pub fn plain(text: &str) -> ChatRequest {
    ChatRequest {
        messages: vec![Message::system("Be brief."), Message::user(text)],
        ..ChatRequest::default()
    }
}

/// A request whose history holds one call of `read_file` and its result.
pub fn after_tool_call(id: &str, result: &str) -> ChatRequest {
    let call = ModelToolCall {
        id: id.to_owned(),
        name: "read_file".into(),
        arguments: r#"{"file_path":"notes.txt"}"#.into(),
    };
    ChatRequest {
        messages: vec![
            Message::system("You are a careful agent."),
            Message::user("What is in notes.txt?"),
            Message {
                role: Role::Assistant,
                content: "Let me read it.".into(),
                tool_calls: vec![call],
                tool_call_id: None,
                name: None,
            },
            Message::tool(id, "read_file", result),
        ],
        tools: vec![read_file_tool()].into(),
        purpose: Purpose::AgentStep,
        ..ChatRequest::default()
    }
}

/// A structured-output request for a list of subtopics.
pub fn structured() -> ChatRequest {
    ChatRequest {
        messages: vec![Message::user("Generate 2 subtopics of Rust")],
        response_schema: Some(ResponseSchema {
            name: "subtopics".into(),
            schema: json!({"type": "object", "properties": {"subtopics": {"type": "array", "items": {"type": "string"}},
                                                           "note": {"type": "string"}},
                           "required": ["subtopics"], "additionalProperties": false}),
        }),
        purpose: Purpose::Subtopics,
        ..ChatRequest::default()
    }
}
