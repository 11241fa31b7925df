//! `openai`: OpenAI's fine-tuning JSONL for tool use.
//!
//! One line per conversation: `messages` in Chat Completions form (assistant
//! `tool_calls` with `arguments` as JSON text, `tool` messages with
//! `tool_call_id`), `tools` as function definitions, and
//! `parallel_tool_calls`: `true` when some assistant message makes more than
//! one call, `false` otherwise, so the job trains the behaviour the data
//! shows. An assistant message that calls tools keeps its text as `content`
//! when it wrote any and has no `content` otherwise, as in OpenAI's examples.
//! Arguments are the model's text, verbatim, invalid JSON included.

use serde_json::{Map, Value, json};

use super::FormatError;
use super::conversation::has_parallel_calls;
use crate::sample::{ChatMessage, Sample};

/// The sample as an OpenAI fine-tuning record.
pub(crate) fn render(sample: &Sample) -> Result<Value, FormatError> {
    let messages: Vec<Value> = sample.messages.iter().map(message).collect();
    let mut record = Map::new();
    record.insert("messages".into(), Value::Array(messages));
    if !sample.tools.is_empty() {
        record.insert("tools".into(), Value::Array(sample.tools.clone()));
    }
    record.insert("parallel_tool_calls".into(), Value::Bool(has_parallel_calls(sample)));
    Ok(Value::Object(record))
}

fn message(message: &ChatMessage) -> Value {
    let content = message.content.as_deref().unwrap_or_default();
    let mut out = Map::new();
    out.insert("role".into(), json!(message.role));
    match message.tool_calls.as_deref() {
        Some(calls) if !calls.is_empty() => {
            if !content.is_empty() {
                out.insert("content".into(), json!(content));
            }
            let calls = calls
                .iter()
                .map(|call| {
                    json!({
                        "id": call.id,
                        "type": "function",
                        "function": {"name": call.function.name, "arguments": call.function.arguments},
                    })
                })
                .collect();
            out.insert("tool_calls".into(), Value::Array(calls));
        }
        _ => {
            out.insert("content".into(), json!(content));
        }
    }
    if let Some(id) = &message.tool_call_id {
        out.insert("tool_call_id".into(), json!(id));
    }
    Value::Object(out)
}
