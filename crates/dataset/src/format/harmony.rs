//! `harmony`: gpt-oss's harmony format, as text (`{"text": ...}`), written
//! after openai/harmony's `docs/format.md`:
//!
//! ```text
//! <|start|>system<|message|>You are ChatGPT, ...\nKnowledge cutoff: 2024-06\n\nReasoning: medium\n\n# Valid channels: ...<|end|>
//! <|start|>developer<|message|># Instructions\n\n{system message}\n\n# Tools\n\n## functions\n\nnamespace functions {...}<|end|>
//! <|start|>user<|message|>...<|end|>
//! <|start|>assistant<|channel|>analysis<|message|>{text beside the calls}<|end|>
//! <|start|>assistant<|channel|>commentary to=functions.read_file <|constrain|>json<|message|>{arguments}<|call|>
//! <|start|>functions.read_file to=assistant<|channel|>commentary<|message|>{result}<|end|>
//! <|start|>assistant<|channel|>final<|message|>{answer}<|return|>
//! ```
//!
//! * Tools are declared in the developer message in harmony's TypeScript
//!   form (`harmony/typescript.rs`).
//! * A harmony message makes one call and sampling stops at `<|call|>`, so
//!   parallel calls are written one after the other, each followed by its
//!   result (weft executed them in that order).
//! * Arguments are the model's text, verbatim; results are the tool's text.
//! * What the assistant wrote beside its calls is its chain of thought, in
//!   the `analysis` channel. As the spec prescribes for prompts, the chain
//!   of thought of turns that ended in a final answer is dropped, so only
//!   the last turn's analysis appears: the text then matches what the model
//!   sees when it produces that turn.
//! * The last answer ends with `<|return|>` (the spec's training target),
//!   earlier ones with `<|end|>`.
//!
//! The system message carries no date (harmony writes `Current date:` only
//! when one is given); for gpt-oss's own template and its options use the
//! `chat-template` format with that template.

use serde_json::Value;

use super::FormatError;
use super::conversation::{Event, events};
use crate::sample::Sample;

mod typescript;

const SYSTEM: &str = "<|start|>system<|message|>You are ChatGPT, a large language model trained by OpenAI.\n\
Knowledge cutoff: 2024-06\n\nReasoning: medium\n\n\
# Valid channels: analysis, commentary, final. Channel must be included for every message.";

/// The sample as harmony text.
pub(crate) fn render(sample: &Sample) -> Result<Value, FormatError> {
    let events = events(sample)?;
    let last_user = events.iter().rposition(|event| matches!(event, Event::User(_))).unwrap_or(0);
    let last_answer = events.iter().rposition(|event| matches!(event, Event::Answer(_)));
    let mut text = String::from(SYSTEM);
    if !sample.tools.is_empty() {
        text.push_str("\nCalls to these tools must go to the commentary channel: 'functions'.");
    }
    text.push_str("<|end|>");
    developer(sample, &events, &mut text);
    for (index, event) in events.iter().enumerate() {
        match event {
            Event::System(_) => {}
            Event::User(content) => message("user", content, "<|end|>", &mut text),
            Event::Answer(content) => {
                let end = if Some(index) == last_answer { "<|return|>" } else { "<|end|>" };
                message("assistant<|channel|>final", content, end, &mut text);
            }
            Event::Step { text: thought, calls } => {
                if index > last_user && !thought.is_empty() {
                    message("assistant<|channel|>analysis", thought, "<|end|>", &mut text);
                }
                for call in calls {
                    let arguments = call.arguments.trim();
                    let arguments = if arguments.is_empty() { "{}" } else { arguments };
                    let header = format!(
                        "assistant<|channel|>commentary to=functions.{} <|constrain|>json",
                        call.name
                    );
                    message(&header, arguments, "<|call|>", &mut text);
                    let header = format!("functions.{} to=assistant<|channel|>commentary", call.name);
                    message(&header, call.result, "<|end|>", &mut text);
                }
            }
        }
    }
    Ok(serde_json::json!({ "text": text }))
}

/// The developer message: the sample's system message as instructions,
/// then the tools; absent when there is neither.
fn developer(sample: &Sample, events: &[Event<'_>], out: &mut String) {
    let instructions = events.iter().find_map(|event| match event {
        Event::System(text) => Some(*text),
        _ => None,
    });
    if instructions.is_none() && sample.tools.is_empty() {
        return;
    }
    out.push_str("<|start|>developer<|message|>");
    if let Some(instructions) = instructions {
        out.push_str("# Instructions\n\n");
        out.push_str(instructions);
        if !sample.tools.is_empty() {
            out.push_str("\n\n");
        }
    }
    if !sample.tools.is_empty() {
        out.push_str("# Tools\n\n## functions\n\nnamespace functions {\n\n");
        for tool in &sample.tools {
            typescript::function(tool, out);
        }
        out.push_str("} // namespace functions");
    }
    out.push_str("<|end|>");
}

fn message(header: &str, content: &str, end: &str, out: &mut String) {
    out.push_str("<|start|>");
    out.push_str(header);
    out.push_str("<|message|>");
    out.push_str(content);
    out.push_str(end);
}
