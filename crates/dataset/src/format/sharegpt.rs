//! `sharegpt`: LLaMA-Factory's ShareGPT records with tools.
//!
//! `{"conversations": [{"from", "value"}...], "system": "...", "tools": "[...]"}`
//! with `from` one of `human`, `gpt`, `function_call`, `observation`, which
//! LLaMA-Factory expects to alternate (human or observation, then gpt or
//! function_call):
//!
//! * a step is one `function_call` turn whose value is the JSON text of
//!   `{"name", "arguments"}`, or of a list of them for parallel calls
//!   (LLaMA-Factory's `FunctionFormatter` reads both); `arguments` is an
//!   object, so a call whose arguments are not one makes the sample
//!   unrenderable here;
//! * its results are one `observation` turn; parallel results are joined
//!   with `\n</tool_response>\n<tool_response>\n`, as LLaMA-Factory's own
//!   OpenAI-format converter joins them;
//! * the system message goes to `system`, the tools (bare function
//!   definitions, as in LLaMA-Factory's glaive data) to `tools` as JSON text;
//!   both are left out when the sample has none.
//!
//! Not carried: the text an assistant writes beside its calls (a
//! `function_call` turn holds calls only, and a `gpt` turn before it would
//! break the alternation). JSON is written as Python's `json.dumps` does.

use serde_json::{Map, Value, json};

use super::FormatError;
use super::arguments;
use super::conversation::{Event, events, system_text};
use super::pyjson::dumps;
use crate::sample::Sample;

const FORMAT: &str = "sharegpt";

/// The sample as a LLaMA-Factory ShareGPT record.
pub(crate) fn render(sample: &Sample) -> Result<Value, FormatError> {
    let mut conversations = Vec::new();
    for event in events(sample)? {
        match event {
            Event::System(_) => {}
            Event::User(text) => conversations.push(turn("human", text.to_owned())),
            Event::Answer(text) => conversations.push(turn("gpt", text.to_owned())),
            Event::Step { calls, .. } => {
                let mut invocations = Vec::with_capacity(calls.len());
                for call in &calls {
                    let arguments = arguments::object(FORMAT, call)?;
                    invocations.push(json!({"name": call.name, "arguments": Value::Object(arguments)}));
                }
                let value = match invocations.len() {
                    1 => invocations.swap_remove(0),
                    _ => Value::Array(invocations),
                };
                conversations.push(turn("function_call", dumps(&value)));
                let results: Vec<&str> = calls.iter().map(|call| call.result).collect();
                conversations
                    .push(turn("observation", results.join("\n</tool_response>\n<tool_response>\n")));
            }
        }
    }
    let mut record = Map::new();
    record.insert("conversations".into(), Value::Array(conversations));
    if let Some(system) = system_text(sample) {
        record.insert("system".into(), json!(system));
    }
    if !sample.tools.is_empty() {
        let functions: Vec<Value> = sample.tools.iter().map(function_definition).collect();
        record.insert("tools".into(), json!(dumps(&Value::Array(functions))));
    }
    Ok(Value::Object(record))
}

fn turn(from: &str, value: String) -> Value {
    json!({"from": from, "value": value})
}

/// `{"type": "function", "function": F}` as `F`; other shapes as they are.
pub(crate) fn function_definition(tool: &Value) -> Value {
    match tool.get("function") {
        Some(function) if tool.get("type").and_then(Value::as_str) == Some("function") => function.clone(),
        _ => tool.clone(),
    }
}
