//! Gemini `generateContent`: `functionDeclarations`, `functionCall` /
//! `functionResponse` parts, `responseSchema`; schemas are cleaned of the
//! keywords Gemini refuses.

use serde_json::{Map, Value, json};

use super::{arguments_object, assigned_call_id, count, is_error_result, malformed, tool_name_for};
use crate::http::{Sampling, WireFormat};
use crate::schema;
use crate::{ChatRequest, ChatResponse, FinishReason, Message, ModelToolCall, Role, ToolChoice, Usage};

/// The generateContent wire format.
#[derive(Debug, Clone)]
pub(crate) struct GeminiWire;

impl WireFormat for GeminiWire {
    fn path(&self, model: &str) -> String {
        format!("/models/{}:generateContent", model.trim_start_matches("models/"))
    }

    fn body(
        &self,
        _model: &str,
        request: &ChatRequest,
        sampling: Sampling,
    ) -> Result<Value, crate::LlmError> {
        let mut body = Map::new();
        let system: Vec<Value> = request
            .messages
            .iter()
            .filter(|m| m.role == Role::System)
            .map(|m| json!({"text": m.content}))
            .collect();
        if !system.is_empty() {
            body.insert("systemInstruction".into(), json!({"parts": system}));
        }
        body.insert("contents".into(), contents(&request.messages));
        if !request.tools.is_empty() {
            let declarations: Vec<Value> = request
                .tools
                .iter()
                .map(|tool| {
                    let mut declaration = json!({"name": tool.name, "description": tool.description});
                    // Gemini refuses an OBJECT without properties: leave parameters out.
                    let has_properties = tool
                        .input_schema
                        .get("properties")
                        .and_then(Value::as_object)
                        .is_some_and(|props| !props.is_empty());
                    if has_properties {
                        declaration["parameters"] = schema::gemini(&tool.input_schema);
                    }
                    declaration
                })
                .collect();
            body.insert("tools".into(), json!([{"functionDeclarations": declarations}]));
            let mode = match request.tool_choice {
                ToolChoice::Auto => "AUTO",
                ToolChoice::None => "NONE",
                ToolChoice::Required => "ANY",
            };
            body.insert("toolConfig".into(), json!({"functionCallingConfig": {"mode": mode}}));
        }
        let mut config = Map::new();
        if let Some(temperature) = sampling.temperature {
            config.insert("temperature".into(), json!(temperature));
        }
        if let Some(max_tokens) = sampling.max_tokens {
            config.insert("maxOutputTokens".into(), json!(max_tokens));
        }
        if let Some(response) = &request.response_schema {
            config.insert("responseMimeType".into(), "application/json".into());
            config.insert("responseSchema".into(), schema::gemini(&response.schema));
        }
        if !config.is_empty() {
            body.insert("generationConfig".into(), Value::Object(config));
        }
        Ok(Value::Object(body))
    }

    fn parse(&self, _request: &ChatRequest, reply: Value) -> Result<ChatResponse, crate::LlmError> {
        let usage = reply.get("usageMetadata").map_or_else(Usage::default, |usage| Usage {
            prompt_tokens: count(usage, "promptTokenCount"),
            completion_tokens: count(usage, "candidatesTokenCount") + count(usage, "thoughtsTokenCount"),
        });
        let Some(candidate) = reply.get("candidates").and_then(|c| c.get(0)) else {
            if let Some(reason) = reply.pointer("/promptFeedback/blockReason").and_then(Value::as_str) {
                return Ok(ChatResponse {
                    content: String::new(),
                    tool_calls: Vec::new(),
                    reasoning: None,
                    usage,
                    finish_reason: FinishReason::Other(format!("blocked: {reason}")),
                });
            }
            return Err(malformed("gemini", "no candidates in the reply"));
        };
        let parts = candidate.pointer("/content/parts").and_then(Value::as_array);
        let (mut content, mut reasoning, mut tool_calls) = (String::new(), String::new(), Vec::new());
        for part in parts.into_iter().flatten() {
            if let Some(call) = part.get("functionCall") {
                let name = call
                    .get("name")
                    .and_then(Value::as_str)
                    .ok_or_else(|| malformed("gemini", "functionCall without a name"))?;
                let arguments = call.get("args").cloned().unwrap_or_else(|| json!({})).to_string();
                let id = match call.get("id").and_then(Value::as_str) {
                    Some(id) if !id.is_empty() => id.to_owned(),
                    _ => assigned_call_id(tool_calls.len(), name, &arguments),
                };
                tool_calls.push(ModelToolCall { id, name: name.to_owned(), arguments });
            } else if let Some(text) = part.get("text").and_then(Value::as_str) {
                if part.get("thought").and_then(Value::as_bool) == Some(true) {
                    reasoning.push_str(text);
                } else {
                    content.push_str(text);
                }
            }
        }
        let finish_reason = match candidate.get("finishReason").and_then(Value::as_str) {
            _ if !tool_calls.is_empty() => FinishReason::ToolCalls,
            Some("STOP") | None => FinishReason::Stop,
            Some("MAX_TOKENS") => FinishReason::Length,
            Some("SAFETY" | "RECITATION" | "BLOCKLIST" | "PROHIBITED_CONTENT" | "SPII") => {
                FinishReason::ContentFilter
            }
            Some(other) => FinishReason::Other(other.to_owned()),
        };
        let reasoning = (!reasoning.is_empty()).then_some(reasoning);
        Ok(ChatResponse { content, tool_calls, reasoning, usage, finish_reason })
    }
}

/// `contents`: roles `user` / `model`; a tool result is a `functionResponse`
/// part of a user turn; consecutive turns of one role merge.
fn contents(messages: &[Message]) -> Value {
    let mut turns: Vec<(&'static str, Vec<Value>)> = Vec::new();
    for (index, message) in messages.iter().enumerate() {
        let (role, parts) = match message.role {
            Role::System => continue,
            Role::User => ("user", vec![json!({"text": message.content})]),
            Role::Assistant => {
                let mut parts = Vec::new();
                if !message.content.is_empty() {
                    parts.push(json!({"text": message.content}));
                }
                for call in &message.tool_calls {
                    parts.push(json!({"functionCall": {"name": call.name, "args": arguments_object(&call.arguments)}}));
                }
                if parts.is_empty() {
                    continue;
                }
                ("model", parts)
            }
            Role::Tool => {
                let name = tool_name_for(message, &messages[..index]);
                let value = serde_json::from_str::<Value>(&message.content)
                    .unwrap_or_else(|_| message.content.clone().into());
                let key = if is_error_result(&message.content) { "error" } else { "output" };
                ("user", vec![json!({"functionResponse": {"name": name, "response": {key: value}}})])
            }
        };
        match turns.last_mut() {
            Some((last, existing)) if *last == role => existing.extend(parts),
            _ => turns.push((role, parts)),
        }
    }
    turns.into_iter().map(|(role, parts)| json!({"role": role, "parts": parts})).collect()
}
