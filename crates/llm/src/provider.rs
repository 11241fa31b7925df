//! The remote providers' wire formats. Each maps a [`crate::ChatRequest`] to
//! its native JSON (native tool calling, native structured output) and its
//! reply back; [`crate::http`] does the sending.

pub(crate) mod anthropic;
pub(crate) mod gemini;
pub(crate) mod ollama;
pub(crate) mod openai;

use serde_json::{Map, Value};

use crate::ids::{call_id, stable_hash};
use crate::{LlmError, Message, Role};

/// A tool call's argument text as a JSON object, for providers that want an
/// object rather than text. Text that is not an object becomes `{}`
/// (an empty argument list is the only honest reading of garbage).
pub(crate) fn arguments_object(text: &str) -> Value {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(object)) => Value::Object(object),
        _ => Value::Object(Map::new()),
    }
}

/// Whether a tool message carries a failure: the Spin envelope with
/// `"success": false`.
pub(crate) fn is_error_result(content: &str) -> bool {
    serde_json::from_str::<Value>(content)
        .ok()
        .and_then(|value| value.get("success").and_then(Value::as_bool))
        == Some(false)
}

/// The tool name a tool message answers: its own `name`, else the name of
/// the assistant call with its id.
pub(crate) fn tool_name_for(message: &Message, history: &[Message]) -> String {
    if let Some(name) = &message.name {
        return name.clone();
    }
    let id = message.tool_call_id.as_deref().unwrap_or_default();
    history
        .iter()
        .filter(|m| m.role == Role::Assistant)
        .flat_map(|m| &m.tool_calls)
        .find(|call| call.id == id)
        .map(|call| call.name.clone())
        .unwrap_or_default()
}

/// An id for a call the provider gave none: stable for the same call.
pub(crate) fn assigned_call_id(index: usize, name: &str, arguments: &str) -> String {
    call_id(stable_hash([index.to_string().as_bytes(), name.as_bytes(), arguments.as_bytes()]))
}

/// A `Malformed` error.
pub(crate) fn malformed(provider: &str, message: impl Into<String>) -> LlmError {
    LlmError::Malformed { provider: provider.to_owned(), message: message.into() }
}

/// A name providers accept for a schema or tool: `[A-Za-z0-9_-]{1,64}`.
pub(crate) fn identifier(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' })
        .take(64)
        .collect();
    if cleaned.is_empty() { "response".to_owned() } else { cleaned }
}

/// Number-or-zero from a JSON field.
pub(crate) fn count(value: &Value, field: &str) -> u64 {
    value.get(field).and_then(Value::as_u64).unwrap_or(0)
}
