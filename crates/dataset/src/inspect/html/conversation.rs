//! One example sample as a conversation: messages as bubbles, each tool
//! call with its arguments, its outcome and what `inspect` found (wrong
//! arguments, recovered or not), each result under the call it answers.

use std::collections::HashMap;
use std::fmt::Write;

use super::escape;
use crate::inspect::arguments::SchemaCache;
use crate::inspect::examples::Example;
use crate::inspect::observe::{CallObservation, measure_calls};
use crate::inspect::recovery::Rule;
use crate::inspect::view::sample_calls;
use crate::sample::ChatMessage;

/// Characters of a message shown before the rest is folded away.
const SHOWN: usize = 1200;

/// The example as an `<article>`.
pub(crate) fn render(example: &Example) -> String {
    let sample = &example.sample;
    let tools = serde_json::to_string(&sample.tools).unwrap_or_else(|_| "[]".to_owned());
    let calls = sample_calls(sample);
    let measured = measure_calls(&calls.records, Some(&tools), &mut SchemaCache::default());
    // Call id -> its position in execution order.
    let positions: HashMap<&str, usize> = sample
        .messages
        .iter()
        .flat_map(|m| m.tool_calls.iter().flatten())
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    let failed = measured.iter().filter(|c| !c.success).count();
    let mut out = String::from(r#"<article class="sample">"#);
    let _ = write!(
        out,
        r#"<header><h3>{}</h3><span class="where">line {} · sample_index {} · {} · {} calls, {} failed</span></header>"#,
        escape(example.kind.title()),
        example.line,
        sample.metadata.sample_index,
        escape(&sample.metadata.topic_path.join(" › ")),
        measured.len(),
        failed
    );
    let names: HashMap<&str, &str> = sample
        .messages
        .iter()
        .flat_map(|m| m.tool_calls.iter().flatten())
        .map(|c| (c.id.as_str(), c.function.name.as_str()))
        .collect();
    for message in &sample.messages {
        match message.role.as_str() {
            "tool" => {
                let id = message.tool_call_id.as_deref().unwrap_or_default();
                let call = positions.get(id).and_then(|&i| measured.get(i));
                out.push_str(&tool_result(message, names.get(id).copied().unwrap_or("?"), call));
            }
            role => {
                out.push_str(&bubble(role, message, &positions, &measured));
            }
        }
    }
    out.push_str("</article>");
    out
}

fn bubble(
    role: &str,
    message: &ChatMessage,
    positions: &HashMap<&str, usize>,
    measured: &[CallObservation],
) -> String {
    let mut out = format!(r#"<div class="msg {}"><div class="role">{}</div>"#, escape(role), escape(role));
    if let Some(text) = message.content.as_deref().filter(|t| !t.trim().is_empty()) {
        let _ = write!(out, r#"<div class="text">{}</div>"#, folded(text));
    }
    for call in message.tool_calls.iter().flatten() {
        let observed = positions.get(call.id.as_str()).and_then(|&i| measured.get(i));
        out.push_str(&call_box(&call.function.name, &call.function.arguments, observed));
    }
    out.push_str("</div>");
    out
}

fn call_box(name: &str, arguments: &str, observed: Option<&CallObservation>) -> String {
    let failed = observed.is_some_and(|c| !c.success);
    let wrong = observed.is_some_and(|c| c.arguments.is_wrong());
    let class = if failed {
        "call failed"
    } else if wrong {
        "call wrong"
    } else {
        "call"
    };
    let mut badges = String::new();
    if let Some(call) = observed {
        if wrong {
            let _ = write!(
                badges,
                r#"<span class="badge warn">invalid arguments: {}</span>"#,
                escape(&call.arguments.message())
            );
        }
        if failed {
            let error = call.error_type.as_deref().unwrap_or("failed");
            let _ = write!(badges, r#"<span class="badge err">{}</span>"#, escape(error));
            let recovery = match call.recovery {
                Some(Rule::SameTool) => r#"<span class="badge ok">recovered: same tool later</span>"#,
                Some(Rule::SharedArgument) => {
                    r#"<span class="badge ok">recovered: same argument later</span>"#
                }
                Some(Rule::Discovery) => r#"<span class="badge ok">recovered: discovery call next</span>"#,
                None => r#"<span class="badge err">not recovered</span>"#,
            };
            badges.push_str(recovery);
        }
    }
    let pretty = shown_arguments(arguments);
    format!(
        r#"<div class="{class}"><code class="name">{}</code>{badges}<pre>{}</pre></div>"#,
        escape(name),
        folded(&pretty)
    )
}

/// Arguments on one line when they are short, else indented; text that is
/// not JSON as it is.
fn shown_arguments(arguments: &str) -> String {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(arguments) else { return arguments.to_owned() };
    let compact = value.to_string();
    if compact.chars().count() <= 90 {
        return compact;
    }
    serde_json::to_string_pretty(&value).unwrap_or(compact)
}

fn tool_result(message: &ChatMessage, name: &str, call: Option<&CallObservation>) -> String {
    let failed = call.is_some_and(|c| !c.success);
    let class = if failed { "msg tool failed" } else { "msg tool" };
    let outcome = match call {
        Some(c) if !c.success => {
            format!(" · <code>{}</code>", escape(c.error_type.as_deref().unwrap_or("failed")))
        }
        _ => String::new(),
    };
    format!(
        r#"<div class="{class}"><div class="role">result of <code>{}</code>{outcome}</div><pre>{}</pre></div>"#,
        escape(name),
        folded(message.content.as_deref().unwrap_or_default())
    )
}

/// `text` escaped; past [`SHOWN`] characters the rest is in a `<details>`
/// (opens without script).
fn folded(text: &str) -> String {
    let total = text.chars().count();
    if total <= SHOWN + 200 {
        return escape(text);
    }
    let cut = text.char_indices().nth(SHOWN).map_or(text.len(), |(i, _)| i);
    format!(
        "{}<details><summary>{} more characters</summary>{}</details>",
        escape(&text[..cut]),
        crate::inspect::numbers::count((total - SHOWN) as u64),
        escape(&text[cut..])
    )
}
