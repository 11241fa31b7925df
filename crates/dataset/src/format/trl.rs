//! `trl`: Hugging Face TRL's conversational records with tools.
//!
//! `{"messages": [...], "tools": [...]}`, the shape `SFTTrainer` hands to
//! `tokenizer.apply_chat_template(messages, tools=tools)`. It is what chat
//! templates are written against, so it is also what the `chat-template`
//! format renders:
//!
//! * `arguments` are JSON **objects** (templates iterate them or `tojson`
//!   them; as text they raise or are double-encoded). A call whose arguments
//!   are not an object makes the sample unrenderable here
//!   ([`FormatError::ArgumentsNotObject`]).
//! * An assistant message that calls tools has `content` `""` when it wrote
//!   nothing, never null (null and missing content make Qwen3, gpt-oss,
//!   Devstral and others raise or print `None`).
//! * A plain answer has no `tool_calls` key (`[]` makes Llama 3.x and gpt-oss
//!   raise and Hermes drop the answer).
//! * A tool message has `name` (the tool) and `tool_call_id`.
//!
//! Loading these records with `datasets.load_dataset("json")` gives every
//! call's `arguments` the union of all argument keys in the file (Arrow
//! structs), with nulls for the keys a call did not pass; load the JSONL
//! with `json.loads` per line (or `Dataset.from_list`) to keep each call's
//! arguments as written.

use serde_json::{Map, Value, json};

use super::FormatError;
use super::arguments;
use super::conversation::tool_names;
use crate::sample::Sample;

/// The sample as a TRL record.
pub(crate) fn render(sample: &Sample) -> Result<Value, FormatError> {
    record(sample, "trl")
}

/// The TRL record of `sample`; `format` names the format asking, for errors.
pub(crate) fn record(sample: &Sample, format: &'static str) -> Result<Value, FormatError> {
    let names = tool_names(sample)?;
    let mut messages = Vec::with_capacity(sample.messages.len());
    for (message, name) in sample.messages.iter().zip(names) {
        let content = message.content.as_deref().unwrap_or_default();
        let calls = message.tool_calls.as_deref().unwrap_or_default();
        let mut out = Map::new();
        out.insert("role".into(), json!(message.role));
        if let Some(name) = name {
            out.insert("name".into(), json!(name));
        }
        if let Some(id) = &message.tool_call_id {
            out.insert("tool_call_id".into(), json!(id));
        }
        out.insert("content".into(), json!(content));
        if !calls.is_empty() {
            let mut entries = Vec::with_capacity(calls.len());
            for entry in calls {
                let function = &entry.function;
                let arguments = arguments::of(format, &entry.id, &function.name, &function.arguments)?;
                entries.push(json!({
                    "id": entry.id,
                    "type": "function",
                    "function": {"name": entry.function.name, "arguments": Value::Object(arguments)},
                }));
            }
            out.insert("tool_calls".into(), Value::Array(entries));
        }
        messages.push(Value::Object(out));
    }
    let mut record = Map::new();
    record.insert("messages".into(), Value::Array(messages));
    if !sample.tools.is_empty() {
        record.insert("tools".into(), Value::Array(sample.tools.clone()));
    }
    Ok(Value::Object(record))
}
