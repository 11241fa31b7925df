//! OpenAI Chat Completions, and every server that speaks it (OpenRouter,
//! vLLM, LM Studio, llama.cpp, Ollama's `/v1`).

use serde_json::{Map, Value, json};

use super::{assigned_call_id, count, identifier, malformed};
use crate::http::{Sampling, WireFormat};
use crate::schema::openai_strict;
use crate::{ChatRequest, ChatResponse, FinishReason, Message, ModelToolCall, Role, ToolChoice, Usage};

/// The Chat Completions wire format.
#[derive(Debug, Clone)]
pub(crate) struct OpenAiWire {
    /// Provider name for errors.
    pub(crate) provider: String,
    /// `max_completion_tokens` for api.openai.com (its reasoning models
    /// refuse `max_tokens`), `max_tokens` for compatible servers.
    pub(crate) max_tokens_field: &'static str,
}

impl WireFormat for OpenAiWire {
    fn path(&self, _model: &str) -> String {
        "/chat/completions".to_owned()
    }

    fn body(&self, model: &str, request: &ChatRequest, sampling: Sampling) -> Result<Value, crate::LlmError> {
        let mut body = Map::new();
        body.insert("model".into(), model.into());
        body.insert("messages".into(), request.messages.iter().map(message).collect());
        if !request.tools.is_empty() {
            let tools = request
                .tools
                .iter()
                .map(|tool| {
                    json!({"type": "function", "function": {
                        "name": tool.name,
                        "description": tool.description,
                        "parameters": tool.input_schema,
                    }})
                })
                .collect();
            body.insert("tools".into(), tools);
            let choice = match request.tool_choice {
                ToolChoice::Auto => "auto",
                ToolChoice::None => "none",
                ToolChoice::Required => "required",
            };
            body.insert("tool_choice".into(), choice.into());
        }
        if let Some(schema) = &request.response_schema {
            body.insert(
                "response_format".into(),
                json!({"type": "json_schema", "json_schema": {
                    "name": identifier(&schema.name),
                    "strict": true,
                    "schema": openai_strict(&schema.schema),
                }}),
            );
        }
        if let Some(temperature) = sampling.temperature {
            body.insert("temperature".into(), json!(temperature));
        }
        if let Some(max_tokens) = sampling.max_tokens {
            body.insert(self.max_tokens_field.into(), json!(max_tokens));
        }
        Ok(Value::Object(body))
    }

    fn parse(&self, _request: &ChatRequest, reply: Value) -> Result<ChatResponse, crate::LlmError> {
        let choice = reply
            .get("choices")
            .and_then(|choices| choices.get(0))
            .ok_or_else(|| malformed(&self.provider, "no choices in the reply"))?;
        let message =
            choice.get("message").ok_or_else(|| malformed(&self.provider, "choice has no message"))?;
        let content = text_of(message.get("content"));
        let reasoning = ["reasoning_content", "reasoning"]
            .iter()
            .find_map(|field| message.get(*field).and_then(Value::as_str))
            .filter(|text| !text.is_empty())
            .map(str::to_owned);
        let mut tool_calls = Vec::new();
        for (index, call) in
            message.get("tool_calls").and_then(Value::as_array).into_iter().flatten().enumerate()
        {
            let function = call
                .get("function")
                .ok_or_else(|| malformed(&self.provider, "tool call without function"))?;
            let name = function
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| malformed(&self.provider, "tool call without a name"))?
                .to_owned();
            let arguments = match function.get("arguments") {
                Some(Value::String(text)) => text.clone(),
                Some(Value::Null) | None => "{}".to_owned(),
                Some(other) => other.to_string(),
            };
            let id = match call.get("id").and_then(Value::as_str) {
                Some(id) if !id.is_empty() => id.to_owned(),
                _ => assigned_call_id(index, &name, &arguments),
            };
            tool_calls.push(ModelToolCall { id, name, arguments });
        }
        let finish_reason = match choice.get("finish_reason").and_then(Value::as_str) {
            _ if !tool_calls.is_empty() => FinishReason::ToolCalls,
            Some("stop") | None => FinishReason::Stop,
            Some("tool_calls" | "function_call") => FinishReason::ToolCalls,
            Some("length") => FinishReason::Length,
            Some("content_filter") => FinishReason::ContentFilter,
            Some(other) => FinishReason::Other(other.to_owned()),
        };
        let usage = reply.get("usage").map_or_else(Usage::default, |usage| Usage {
            prompt_tokens: count(usage, "prompt_tokens"),
            completion_tokens: count(usage, "completion_tokens"),
        });
        Ok(ChatResponse { content, tool_calls, reasoning, usage, finish_reason })
    }
}

fn message(message: &Message) -> Value {
    match message.role {
        Role::System => json!({"role": "system", "content": message.content}),
        Role::User => json!({"role": "user", "content": message.content}),
        Role::Assistant if message.tool_calls.is_empty() => {
            json!({"role": "assistant", "content": message.content})
        }
        Role::Assistant => {
            let calls: Vec<Value> = message
                .tool_calls
                .iter()
                .map(|call| {
                    json!({"id": call.id, "type": "function",
                           "function": {"name": call.name, "arguments": call.arguments}})
                })
                .collect();
            let content =
                if message.content.is_empty() { Value::Null } else { message.content.clone().into() };
            json!({"role": "assistant", "content": content, "tool_calls": calls})
        }
        Role::Tool => json!({
            "role": "tool",
            "tool_call_id": message.tool_call_id.clone().unwrap_or_default(),
            "content": message.content,
        }),
    }
}

/// `content` as a string, an array of text parts, or null.
fn text_of(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|part| part.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(""),
        _ => String::new(),
    }
}
