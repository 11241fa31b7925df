//! Ollama's native `/api/chat`: tools in OpenAI's function shape, tool
//! results as `role: tool` with `tool_name`, `format` for structured output,
//! `thinking` as reasoning.

use serde_json::{Map, Value, json};

use super::{arguments_object, assigned_call_id, count, malformed, tool_name_for};
use crate::http::{Sampling, WireFormat};
use crate::{ChatRequest, ChatResponse, FinishReason, Message, ModelToolCall, Role, ToolChoice, Usage};

/// The `/api/chat` wire format (non-streaming).
#[derive(Debug, Clone)]
pub(crate) struct OllamaWire;

impl WireFormat for OllamaWire {
    fn path(&self, _model: &str) -> String {
        "/api/chat".to_owned()
    }

    fn body(&self, model: &str, request: &ChatRequest, sampling: Sampling) -> Result<Value, crate::LlmError> {
        let mut body = Map::new();
        body.insert("model".into(), model.into());
        body.insert("stream".into(), false.into());
        let messages: Vec<Value> =
            request.messages.iter().enumerate().map(|(i, m)| message(m, &request.messages[..i])).collect();
        body.insert("messages".into(), messages.into());
        // Ollama cannot force or forbid calls; "none" is honoured by not offering tools.
        if !request.tools.is_empty() && request.tool_choice != ToolChoice::None {
            let tools: Vec<Value> = request
                .tools
                .iter()
                .map(|tool| {
                    json!({"type": "function", "function": {
                        "name": tool.name, "description": tool.description, "parameters": tool.input_schema,
                    }})
                })
                .collect();
            body.insert("tools".into(), tools.into());
        }
        if let Some(schema) = &request.response_schema {
            body.insert("format".into(), schema.schema.clone());
        }
        let mut options = Map::new();
        if let Some(temperature) = sampling.temperature {
            options.insert("temperature".into(), json!(temperature));
        }
        if let Some(max_tokens) = sampling.max_tokens {
            options.insert("num_predict".into(), json!(max_tokens));
        }
        if !options.is_empty() {
            body.insert("options".into(), Value::Object(options));
        }
        Ok(Value::Object(body))
    }

    fn parse(&self, _request: &ChatRequest, reply: Value) -> Result<ChatResponse, crate::LlmError> {
        if let Some(error) = reply.get("error").and_then(Value::as_str) {
            return Err(malformed("ollama", format!("error in reply: {error}")));
        }
        let message = reply.get("message").ok_or_else(|| malformed("ollama", "reply has no message"))?;
        let content = message.get("content").and_then(Value::as_str).unwrap_or_default().to_owned();
        let reasoning = message
            .get("thinking")
            .and_then(Value::as_str)
            .filter(|text| !text.is_empty())
            .map(str::to_owned);
        let mut tool_calls = Vec::new();
        for (index, call) in
            message.get("tool_calls").and_then(Value::as_array).into_iter().flatten().enumerate()
        {
            let function =
                call.get("function").ok_or_else(|| malformed("ollama", "tool call without function"))?;
            let name = function
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| malformed("ollama", "tool call without a name"))?;
            let arguments = match function.get("arguments") {
                Some(Value::String(text)) => text.clone(),
                Some(Value::Null) | None => "{}".to_owned(),
                Some(other) => other.to_string(),
            };
            let id = match call.get("id").and_then(Value::as_str) {
                Some(id) if !id.is_empty() => id.to_owned(),
                _ => assigned_call_id(index, name, &arguments),
            };
            tool_calls.push(ModelToolCall { id, name: name.to_owned(), arguments });
        }
        let finish_reason = match reply.get("done_reason").and_then(Value::as_str) {
            _ if !tool_calls.is_empty() => FinishReason::ToolCalls,
            Some("stop") | None => FinishReason::Stop,
            Some("length") => FinishReason::Length,
            Some(other) => FinishReason::Other(other.to_owned()),
        };
        let usage = Usage {
            prompt_tokens: count(&reply, "prompt_eval_count"),
            completion_tokens: count(&reply, "eval_count"),
        };
        Ok(ChatResponse { content, tool_calls, reasoning, usage, finish_reason })
    }
}

fn message(message: &Message, earlier: &[Message]) -> Value {
    match message.role {
        Role::System => json!({"role": "system", "content": message.content}),
        Role::User => json!({"role": "user", "content": message.content}),
        Role::Assistant => {
            let mut out = json!({"role": "assistant", "content": message.content});
            if !message.tool_calls.is_empty() {
                out["tool_calls"] = message
                    .tool_calls
                    .iter()
                    .map(|call| json!({"function": {"name": call.name, "arguments": arguments_object(&call.arguments)}}))
                    .collect();
            }
            out
        }
        Role::Tool => json!({
            "role": "tool",
            "tool_name": tool_name_for(message, earlier),
            "content": message.content,
        }),
    }
}
