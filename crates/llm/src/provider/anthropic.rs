//! Anthropic Messages: `tool_use` / `tool_result` blocks, `system` as a
//! top-level field, thinking blocks as reasoning. Structured output is a
//! forced tool whose input is the answer.

use serde_json::{Map, Value, json};

use super::{arguments_object, count, identifier, is_error_result, malformed};
use crate::http::{Sampling, WireFormat};
use crate::{ChatRequest, ChatResponse, FinishReason, Message, ModelToolCall, Role, ToolChoice, Usage};

/// The Messages API requires `max_tokens`; this is used when nothing sets it.
const DEFAULT_MAX_TOKENS: u32 = 4096;
/// The API version header value.
pub(crate) const API_VERSION: &str = "2023-06-01";

/// The Messages wire format.
#[derive(Debug, Clone)]
pub(crate) struct AnthropicWire {
    /// `/v1/messages`, or `/messages` when the base URL already ends in `/v1`.
    pub(crate) path: String,
}

/// How a structured-output request is carried.
enum Structured<'a> {
    /// No schema.
    None,
    /// A forced tool named `.0`; `.1` when the schema was wrapped in `{"result": ...}`
    /// because tool inputs must be objects.
    ForcedTool(String, bool),
    /// Tools are offered too, so the schema goes into the system prompt.
    Prompt(&'a Value),
}

fn structured(request: &ChatRequest) -> Structured<'_> {
    match &request.response_schema {
        None => Structured::None,
        Some(schema) if request.tools.is_empty() => {
            let wrapped = schema.schema.get("type").and_then(Value::as_str) != Some("object");
            Structured::ForcedTool(identifier(&schema.name), wrapped)
        }
        Some(schema) => Structured::Prompt(&schema.schema),
    }
}

impl WireFormat for AnthropicWire {
    fn path(&self, _model: &str) -> String {
        self.path.clone()
    }

    fn body(&self, model: &str, request: &ChatRequest, sampling: Sampling) -> Result<Value, crate::LlmError> {
        let mut body = Map::new();
        body.insert("model".into(), model.into());
        body.insert("max_tokens".into(), json!(sampling.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS)));
        let mut system: Vec<String> =
            request.messages.iter().filter(|m| m.role == Role::System).map(|m| m.content.clone()).collect();
        let structured = structured(request);
        if let Structured::Prompt(schema) = structured {
            system.push(format!(
                "When you give your final answer, answer with JSON only, matching this schema:\n{schema}"
            ));
        }
        if !system.is_empty() {
            body.insert("system".into(), system.join("\n\n").into());
        }
        body.insert("messages".into(), messages(&request.messages));
        let mut tools: Vec<Value> = request
            .tools
            .iter()
            .map(|tool| json!({"name": tool.name, "description": tool.description, "input_schema": tool.input_schema}))
            .collect();
        let mut tool_choice = (!tools.is_empty()).then(|| match request.tool_choice {
            ToolChoice::Auto => json!({"type": "auto"}),
            ToolChoice::None => json!({"type": "none"}),
            ToolChoice::Required => json!({"type": "any"}),
        });
        if let (Structured::ForcedTool(name, wrapped), Some(schema)) = (&structured, &request.response_schema)
        {
            let input_schema = if *wrapped {
                json!({"type": "object", "properties": {"result": schema.schema}, "required": ["result"]})
            } else {
                schema.schema.clone()
            };
            tools.push(json!({"name": name, "description": "Give your answer in this structured form.",
                              "input_schema": input_schema}));
            tool_choice = Some(json!({"type": "tool", "name": name}));
        }
        if !tools.is_empty() {
            body.insert("tools".into(), Value::Array(tools));
        }
        if let Some(choice) = tool_choice {
            body.insert("tool_choice".into(), choice);
        }
        if let Some(temperature) = sampling.temperature {
            body.insert("temperature".into(), json!(temperature));
        }
        Ok(Value::Object(body))
    }

    fn parse(&self, request: &ChatRequest, reply: Value) -> Result<ChatResponse, crate::LlmError> {
        let blocks = reply
            .get("content")
            .and_then(Value::as_array)
            .ok_or_else(|| malformed("anthropic", "reply has no content array"))?;
        let forced = match structured(request) {
            Structured::ForcedTool(name, wrapped) => Some((name, wrapped)),
            _ => None,
        };
        let (mut content, mut reasoning, mut tool_calls) = (String::new(), String::new(), Vec::new());
        let mut answered_structured = false;
        for block in blocks {
            match block.get("type").and_then(Value::as_str) {
                Some("text") => {
                    content.push_str(block.get("text").and_then(Value::as_str).unwrap_or_default())
                }
                Some("thinking") => {
                    reasoning.push_str(block.get("thinking").and_then(Value::as_str).unwrap_or_default());
                }
                Some("tool_use") => {
                    let name = block
                        .get("name")
                        .and_then(Value::as_str)
                        .ok_or_else(|| malformed("anthropic", "tool_use block without a name"))?;
                    let input = block.get("input").cloned().unwrap_or_else(|| json!({}));
                    if let Some((forced_name, wrapped)) = &forced
                        && name == forced_name
                    {
                        let answer = if *wrapped {
                            input.get("result").cloned().unwrap_or(Value::Null)
                        } else {
                            input
                        };
                        content = answer.to_string();
                        answered_structured = true;
                        continue;
                    }
                    let id = block
                        .get("id")
                        .and_then(Value::as_str)
                        .ok_or_else(|| malformed("anthropic", "tool_use block without an id"))?;
                    tool_calls.push(ModelToolCall {
                        id: id.to_owned(),
                        name: name.to_owned(),
                        arguments: input.to_string(),
                    });
                }
                _ => {}
            }
        }
        let finish_reason = match reply.get("stop_reason").and_then(Value::as_str) {
            _ if answered_structured && tool_calls.is_empty() => FinishReason::Stop,
            _ if !tool_calls.is_empty() => FinishReason::ToolCalls,
            Some("end_turn" | "stop_sequence" | "pause_turn") | None => FinishReason::Stop,
            Some("tool_use") => FinishReason::ToolCalls,
            Some("max_tokens") => FinishReason::Length,
            Some("refusal") => FinishReason::ContentFilter,
            Some(other) => FinishReason::Other(other.to_owned()),
        };
        let usage = reply.get("usage").map_or_else(Usage::default, |usage| Usage {
            prompt_tokens: count(usage, "input_tokens")
                + count(usage, "cache_creation_input_tokens")
                + count(usage, "cache_read_input_tokens"),
            completion_tokens: count(usage, "output_tokens"),
        });
        let reasoning = (!reasoning.is_empty()).then_some(reasoning);
        Ok(ChatResponse { content, tool_calls, reasoning, usage, finish_reason })
    }
}

/// Messages in Anthropic's shape: tool results are `tool_result` blocks of a
/// user turn, and consecutive turns of one role are merged into one.
fn messages(messages: &[Message]) -> Value {
    let mut turns: Vec<(&'static str, Vec<Value>)> = Vec::new();
    for message in messages {
        let (role, blocks) = match message.role {
            Role::System => continue,
            Role::User => ("user", vec![text_block(&message.content)]),
            Role::Assistant => {
                let mut blocks = Vec::new();
                if !message.content.is_empty() {
                    blocks.push(text_block(&message.content));
                }
                for call in &message.tool_calls {
                    blocks.push(json!({"type": "tool_use", "id": call.id, "name": call.name,
                                       "input": arguments_object(&call.arguments)}));
                }
                if blocks.is_empty() {
                    continue;
                }
                ("assistant", blocks)
            }
            Role::Tool => {
                let mut block = json!({
                    "type": "tool_result",
                    "tool_use_id": message.tool_call_id.clone().unwrap_or_default(),
                    "content": message.content,
                });
                if is_error_result(&message.content) {
                    block["is_error"] = Value::Bool(true);
                }
                ("user", vec![block])
            }
        };
        match turns.last_mut() {
            Some((last, existing)) if *last == role => existing.extend(blocks),
            _ => turns.push((role, blocks)),
        }
    }
    turns.into_iter().map(|(role, content)| json!({"role": role, "content": content})).collect()
}

/// A text block; the API refuses empty text, so empty becomes one space.
fn text_block(text: &str) -> Value {
    let text = if text.is_empty() { " " } else { text };
    json!({"type": "text", "text": text})
}
