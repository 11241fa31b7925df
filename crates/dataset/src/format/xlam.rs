//! `xlam`: APIGen / xLAM function-calling records
//! (`Salesforce/xlam-function-calling-60k`'s shape):
//! `{"id", "query", "tools", "answers"}`, `tools` and `answers` being JSON
//! text as Python's `json.dumps` writes it.
//!
//! xLAM's records are one query and the calls that answer it, made before
//! any result is seen. A weft sample maps to one record holding exactly
//! that part of it: the first user message as `query`, and the calls of
//! the assistant's first step as `answers` (parallel calls included, in
//! order; `[]` when the assistant answered without calling). What follows
//! depended on results the format cannot hold, so later steps and turns
//! are not carried: teaching a model to make them from the query alone
//! would teach it to act on results it never saw. The system message is
//! not carried either.
//!
//! `tools` is each function in the form xLAM's model cards convert OpenAI
//! tools to: `{"name", "description", "parameters": {property: schema}}`
//! (the schema's `properties`; `required` has no place there). `arguments`
//! are objects, so a first-step call whose arguments are not one makes the
//! sample unrenderable here. `id` is the sample's `sample_index`.

use serde_json::{Map, Value, json};

use super::FormatError;
use super::arguments;
use super::conversation::{Event, events};
use super::pyjson::dumps;
use super::sharegpt::function_definition;
use crate::sample::Sample;

const FORMAT: &str = "xlam";

/// The sample as an xLAM record.
pub(crate) fn render(sample: &Sample) -> Result<Value, FormatError> {
    let events = events(sample)?;
    let mut rest = events.iter().skip_while(|event| !matches!(event, Event::User(_)));
    let Some(Event::User(query)) = rest.next() else {
        return Err(FormatError::Malformed("no user message".into()));
    };
    let mut answers = Vec::new();
    if let Some(Event::Step { calls, .. }) = rest.next() {
        for call in calls {
            let arguments = arguments::object(FORMAT, call)?;
            answers.push(json!({"name": call.name, "arguments": Value::Object(arguments)}));
        }
    }
    let tools: Vec<Value> = sample.tools.iter().map(xlam_tool).collect();
    Ok(json!({
        "id": sample.metadata.sample_index,
        "query": query,
        "tools": dumps(&Value::Array(tools)),
        "answers": dumps(&Value::Array(answers)),
    }))
}

fn xlam_tool(tool: &Value) -> Value {
    let function = function_definition(tool);
    let properties = function
        .get("parameters")
        .and_then(|parameters| parameters.get("properties"))
        .cloned()
        .unwrap_or_else(|| Value::Object(Map::new()));
    json!({
        "name": function.get("name").cloned().unwrap_or(Value::Null),
        "description": function.get("description").cloned().unwrap_or_else(|| json!("")),
        "parameters": properties,
    })
}
