//! The JSON-step fallback for models without native tool calling.
//!
//! [`JsonSteps`] wraps any [`ChatModel`]. Agent-step requests that offer
//! tools are rewritten so that no `tools` field reaches the provider: the
//! tools are described in the system message, the model answers every step
//! with one JSON object (`thought`, `tool_calls`, `is_final`, `final_answer`)
//! through structured output, and the history is rendered the same way —
//! earlier steps as the JSON the model wrote, tool results as a user message
//! listing each call's real result in order. The reply is parsed back into an
//! ordinary [`ChatResponse`], so the agent loop, validation and the dataset
//! do not know which mode ran.
//!
//! Other requests (subtopics, user requests, plain answers) pass through.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};

use crate::{
    ChatModel, ChatRequest, ChatResponse, LlmError, Message, ModelToolCall, Purpose, ResponseSchema,
};
use crate::{Role, ToolChoice, UsageCounter};

/// Name of the structured-output schema of one step.
pub const STEP_SCHEMA_NAME: &str = "agent_step";

/// Opening of the user message that carries tool results.
pub const TOOL_RESULTS_HEADER: &str = "Tool results, in the order of your calls:";

/// A model driven through JSON steps instead of native tool calls.
pub struct JsonSteps {
    inner: Arc<dyn ChatModel>,
}

impl JsonSteps {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn ChatModel>) -> Self {
        Self { inner }
    }
}

#[async_trait]
impl ChatModel for JsonSteps {
    fn provider(&self) -> &str {
        self.inner.provider()
    }

    fn model(&self) -> &str {
        self.inner.model()
    }

    fn usage(&self) -> Option<UsageCounter> {
        self.inner.usage()
    }

    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        if request.purpose != Purpose::AgentStep || request.tools.is_empty() {
            return self.inner.chat(request).await;
        }
        let rendered = render(request);
        let response = self.inner.chat(&rendered).await?;
        parse(self.inner.provider(), response)
    }
}

/// The request a JSON-step model receives for `request`.
pub fn render(request: &ChatRequest) -> ChatRequest {
    let answer_now = request.tool_choice == ToolChoice::None;
    let mut messages = Vec::with_capacity(request.messages.len() + 1);
    let mut results: Vec<Value> = Vec::new();
    let flush = |messages: &mut Vec<Message>, results: &mut Vec<Value>| {
        if !results.is_empty() {
            let list = serde_json::to_string_pretty(&Value::Array(std::mem::take(results)))
                .unwrap_or_else(|_| "[]".to_owned());
            messages.push(Message::user(format!("{TOOL_RESULTS_HEADER}\n{list}")));
        }
    };
    let mut system_done = false;
    for message in &request.messages {
        if message.role != Role::Tool {
            flush(&mut messages, &mut results);
        }
        match message.role {
            Role::System if !system_done => {
                messages.push(Message::system(format!("{}\n\n{}", message.content, instructions(request))));
                system_done = true;
            }
            Role::Assistant if !message.tool_calls.is_empty() => {
                let calls: Vec<Value> = message
                    .tool_calls
                    .iter()
                    .map(|call| json!({"name": call.name, "arguments": call.arguments}))
                    .collect();
                let step = json!({
                    "thought": message.content,
                    "tool_calls": calls,
                    "is_final": false,
                    "final_answer": "",
                });
                messages.push(Message::assistant(step.to_string()));
            }
            Role::Tool => results.push(json!({
                "tool": message.name.clone().unwrap_or_default(),
                "result": message.content,
            })),
            _ => messages.push(message.clone()),
        }
    }
    flush(&mut messages, &mut results);
    if !system_done {
        messages.insert(0, Message::system(instructions(request)));
    }
    if answer_now {
        messages.push(Message::user(
            "You have used all your steps. Answer now from what the tools returned: \
             `is_final` true, `tool_calls` empty, the answer in `final_answer`.",
        ));
    }
    ChatRequest {
        messages,
        tools: Default::default(),
        tool_choice: ToolChoice::Auto,
        response_schema: Some(ResponseSchema { name: STEP_SCHEMA_NAME.to_owned(), schema: step_schema() }),
        ..request.clone()
    }
}

fn instructions(request: &ChatRequest) -> String {
    let tools: Vec<Value> = request
        .tools
        .iter()
        .map(|tool| json!({"name": tool.name, "description": tool.description, "parameters": tool.input_schema}))
        .collect();
    let catalogue = serde_json::to_string_pretty(&tools).unwrap_or_else(|_| "[]".to_owned());
    format!(
        "You can use these tools:\n{catalogue}\n\n\
         Reply to every message with exactly one JSON object:\n\
         {{\"thought\": \"what you are about to do and why\", \
         \"tool_calls\": [{{\"name\": \"TOOL\", \"arguments\": \"{{\\\"arg\\\": \\\"value\\\"}}\"}}], \
         \"is_final\": false, \"final_answer\": \"\"}}\n\
         `arguments` is the JSON object of the call's arguments, written as a string. The calls run in \
         order and their real results come back in the next message. When you have what you need, reply \
         with `is_final` true, no calls and your answer to the user in `final_answer`."
    )
}

/// The schema of one step (strict-mode friendly: closed, every key required).
pub fn step_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "thought": {"type": "string"},
            "tool_calls": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "arguments": {"type": "string"}
                    },
                    "required": ["name", "arguments"],
                    "additionalProperties": false
                }
            },
            "is_final": {"type": "boolean"},
            "final_answer": {"type": "string"}
        },
        "required": ["thought", "tool_calls", "is_final", "final_answer"],
        "additionalProperties": false
    })
}

/// Turns a JSON-step reply back into a plain response: calls with their
/// argument text, or the final answer as content.
pub fn parse(provider: &str, response: ChatResponse) -> Result<ChatResponse, LlmError> {
    let malformed = |message: String| LlmError::Malformed { provider: provider.to_owned(), message };
    let text = strip_fence(&response.content);
    let step: Value = serde_json::from_str(text)
        .map_err(|err| malformed(format!("the agent step is not JSON ({err}): {}", preview(text))))?;
    let Value::Object(step) = step else {
        return Err(malformed(format!("the agent step is not a JSON object: {}", preview(text))));
    };
    let string = |key: &str| step.get(key).and_then(Value::as_str).unwrap_or_default().trim().to_owned();
    let thought = string("thought");
    let is_final = step.get("is_final").and_then(Value::as_bool).unwrap_or(false);
    let mut calls = Vec::new();
    if !is_final {
        let listed = match step.get("tool_calls") {
            None | Some(Value::Null) => &[][..],
            Some(Value::Array(items)) => items.as_slice(),
            Some(_) => return Err(malformed("`tool_calls` of the agent step is not a list".to_owned())),
        };
        for (index, call) in listed.iter().enumerate() {
            let name = call.get("name").and_then(Value::as_str).unwrap_or_default();
            if name.is_empty() {
                return Err(malformed(format!("call {index} of the agent step has no `name`")));
            }
            // A string is the argument text as written (it may be malformed:
            // the agent loop turns that into InvalidArguments); an object is
            // accepted from models that ignore the string convention.
            let arguments = match call.get("arguments") {
                None | Some(Value::Null) => "{}".to_owned(),
                Some(Value::String(text)) => text.clone(),
                Some(other) => other.to_string(),
            };
            calls.push(ModelToolCall { id: format!("step_call_{index}"), name: name.to_owned(), arguments });
        }
    }
    let content = if calls.is_empty() {
        let answer = string("final_answer");
        if answer.is_empty() { thought } else { answer }
    } else {
        thought
    };
    let finish_reason =
        if calls.is_empty() { crate::FinishReason::Stop } else { crate::FinishReason::ToolCalls };
    Ok(ChatResponse { content, tool_calls: calls, finish_reason, ..response })
}

fn strip_fence(text: &str) -> &str {
    let text = text.trim();
    let Some(rest) = text.strip_prefix("```") else { return text };
    let rest = rest.strip_prefix("json").unwrap_or(rest);
    rest.strip_suffix("```").unwrap_or(rest).trim()
}

fn preview(text: &str) -> String {
    let mut out: String = text.chars().take(120).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FinishReason, Usage};
    use weft_protocol::ToolDefinition;

    fn reply(content: &str) -> ChatResponse {
        ChatResponse {
            content: content.to_owned(),
            tool_calls: Vec::new(),
            reasoning: None,
            usage: Usage::default(),
            finish_reason: FinishReason::Stop,
        }
    }

    fn request() -> ChatRequest {
        ChatRequest {
            messages: vec![
                Message::system("Be useful."),
                Message::user("Read a.txt"),
                Message {
                    tool_calls: vec![
                        ModelToolCall {
                            id: "A".into(),
                            name: "read_file".into(),
                            arguments: r#"{"file_path":"a.txt"}"#.into(),
                        },
                        ModelToolCall { id: "B".into(), name: "list_files".into(), arguments: "{}".into() },
                    ],
                    ..Message::assistant("Looking.")
                },
                Message::tool("A", "read_file", "File not found: a.txt"),
                Message::tool("B", "list_files", "[\"b.txt\"]"),
            ],
            tools: vec![ToolDefinition {
                name: "read_file".into(),
                title: None,
                description: "Reads a file".into(),
                input_schema: json!({"type": "object"}),
                output_schema: None,
                annotations: None,
            }]
            .into(),
            ..ChatRequest::default()
        }
    }

    #[test]
    fn rendering_drops_native_tools_and_keeps_results_in_order() {
        let rendered = render(&request());
        assert!(rendered.tools.is_empty());
        assert_eq!(rendered.response_schema.as_ref().map(|s| s.name.as_str()), Some(STEP_SCHEMA_NAME));
        assert!(rendered.messages[0].content.contains("\"read_file\""));
        assert!(rendered.messages.iter().all(|m| m.role != Role::Tool && m.tool_calls.is_empty()));
        let step: Value = serde_json::from_str(&rendered.messages[2].content).unwrap();
        assert_eq!(step["tool_calls"][0]["arguments"], r#"{"file_path":"a.txt"}"#);
        let results = &rendered.messages[3].content;
        assert!(results.starts_with(TOOL_RESULTS_HEADER));
        let missing = results.find("File not found").unwrap();
        let listing = results.find("b.txt").unwrap();
        assert!(missing < listing, "{results}");
    }

    #[test]
    fn parsing_yields_calls_or_the_answer() {
        let calls = parse(
            "p",
            reply(r#"{"thought":"t","tool_calls":[{"name":"read_file","arguments":"{\"file_path\":1"}],"is_final":false,"final_answer":""}"#),
        )
        .unwrap();
        assert_eq!(calls.content, "t");
        assert_eq!(calls.tool_calls[0].arguments, r#"{"file_path":1"#);
        let answer =
            parse("p", reply("```json\n{\"thought\":\"t\",\"tool_calls\":[],\"is_final\":true,\"final_answer\":\"done\"}\n```"))
                .unwrap();
        assert!(answer.tool_calls.is_empty());
        assert_eq!(answer.content, "done");
        assert!(matches!(parse("p", reply("no json here")), Err(LlmError::Malformed { .. })));
    }
}
