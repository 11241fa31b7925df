//! `hermes`: NousResearch's Hermes function-calling format, as ChatML text
//! (`{"text": ...}`), the layout of the Hermes 2 Pro / Hermes 3 model cards:
//!
//! ```text
//! <|im_start|>system
//! {system message}\n\n        (when the sample has one)
//! You are a function calling AI model. ... <tools> {tool}\n{tool} </tools> ...<|im_end|>
//! <|im_start|>user
//! ...<|im_end|>
//! <|im_start|>assistant
//! {text beside the calls}\n   (when there is any)
//! <tool_call>
//! {"name": "read_file", "arguments": {"file_path": "notes.txt"}}
//! </tool_call><|im_end|>
//! <|im_start|>tool
//! <tool_response>
//! {"name": "read_file", "content": "File not found: notes.txt"}
//! </tool_response>
//! <|im_end|>
//! ```
//!
//! Parallel calls are consecutive `<tool_call>` blocks in one assistant
//! turn, and their results consecutive `<tool_response>` blocks in one tool
//! turn. `arguments` is the model's own text, verbatim (invalid JSON stays
//! as written: it is what the model produced and what its error answers).
//! A result is a JSON string in `content`, exactly the tool's text. Tool
//! definitions and the JSON around calls are written as Python's
//! `json.dumps` writes them. No BOS token is written.

use serde_json::Value;

use super::FormatError;
use super::conversation::{Call, Event, events};
use super::pyjson::{dumps, write_str};
use crate::sample::Sample;

const PREAMBLE: &str = "You are a function calling AI model. You are provided with function signatures \
within <tools></tools> XML tags. You may call one or more functions to assist with the user query. \
Don't make assumptions about what values to plug into functions. Here are the available tools: <tools> ";

const SCHEMA: &str = " </tools> Use the following pydantic model json schema for each tool call you will make: \
{\"properties\": {\"name\": {\"title\": \"Name\", \"type\": \"string\"}, \"arguments\": {\"title\": \"Arguments\", \
\"type\": \"object\"}}, \"required\": [\"name\", \"arguments\"], \"title\": \"FunctionCall\", \"type\": \"object\"} \
For each function call return a json object with function name and arguments within <tool_call></tool_call> \
XML tags as follows:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-dict>}\n</tool_call>";

/// The sample as Hermes ChatML text.
pub(crate) fn render(sample: &Sample) -> Result<Value, FormatError> {
    let events = events(sample)?;
    let mut text = String::new();
    system_turn(sample, &events, &mut text);
    for event in &events {
        match event {
            Event::System(_) => {}
            Event::User(content) => turn("user", content, &mut text),
            Event::Answer(content) => turn("assistant", content, &mut text),
            Event::Step { text: said, calls } => {
                text.push_str("<|im_start|>assistant\n");
                if !said.is_empty() {
                    text.push_str(said);
                    text.push('\n');
                }
                for (index, call) in calls.iter().enumerate() {
                    if index > 0 {
                        text.push('\n');
                    }
                    tool_call(call, &mut text);
                }
                text.push_str("<|im_end|>\n<|im_start|>tool\n");
                for call in calls {
                    tool_response(call, &mut text);
                }
                text.push_str("<|im_end|>\n");
            }
        }
    }
    Ok(serde_json::json!({ "text": text }))
}

/// The system turn: the sample's system message, then the tools.
fn system_turn(sample: &Sample, events: &[Event<'_>], out: &mut String) {
    let system = events.iter().find_map(|event| match event {
        Event::System(text) => Some(*text),
        _ => None,
    });
    if system.is_none() && sample.tools.is_empty() {
        return;
    }
    out.push_str("<|im_start|>system\n");
    if let Some(system) = system {
        out.push_str(system);
        if !sample.tools.is_empty() {
            out.push_str("\n\n");
        }
    }
    if !sample.tools.is_empty() {
        out.push_str(PREAMBLE);
        let tools: Vec<String> = sample.tools.iter().map(dumps).collect();
        out.push_str(&tools.join("\n"));
        out.push_str(SCHEMA);
    }
    out.push_str("<|im_end|>\n");
}

fn turn(role: &str, content: &str, out: &mut String) {
    out.push_str("<|im_start|>");
    out.push_str(role);
    out.push('\n');
    out.push_str(content);
    out.push_str("<|im_end|>\n");
}

fn tool_call(call: &Call<'_>, out: &mut String) {
    let arguments = call.arguments.trim();
    out.push_str("<tool_call>\n{\"name\": ");
    write_str(call.name, false, out);
    out.push_str(", \"arguments\": ");
    out.push_str(if arguments.is_empty() { "{}" } else { arguments });
    out.push_str("}\n</tool_call>");
}

fn tool_response(call: &Call<'_>, out: &mut String) {
    out.push_str("<tool_response>\n{\"name\": ");
    write_str(call.name, false, out);
    out.push_str(", \"content\": ");
    write_str(call.result, false, out);
    out.push_str("}\n</tool_response>\n");
}
