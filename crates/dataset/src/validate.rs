//! Checks a sample must pass before it is written. A failing sample is
//! retried with the reason as feedback, then recorded as a failure.

use std::collections::{HashMap, HashSet};

use crate::sample::Sample;
use crate::sample::is_call_id;

/// The rules a run enforces.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// Most calls in one assistant message.
    pub max_per_query: u32,
    /// Fewest executed calls (agent mode); 0 for samples without tools.
    pub min_tool_calls: u32,
}

/// Why a sample is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

/// The checks every sample in a dataset must pass whatever the run's rules
/// (see [`validate`]); resume drops lines that fail them.
pub fn sound(sample: &Sample) -> Result<(), Invalid> {
    validate(sample, &Rules { max_per_query: u32::MAX, min_tool_calls: 0 })
}

/// Checks `sample` against `rules` and against itself: every tool message
/// answers an earlier, not yet answered call; every call is answered once;
/// `tool_context.executions` equals what the messages hold; ids are 9
/// alphanumerics; no system, user or answering assistant message is empty
/// (an assistant message that calls tools may have no text, and a tool's
/// result is what the tool returned, empty or not); no call's result is a
/// failure of the tool service rather than of the tool (`HTTPError`).
pub fn validate(sample: &Sample, rules: &Rules) -> Result<(), Invalid> {
    let fail = |message: String| Err(Invalid(message));
    if sample.final_answer.trim().is_empty() {
        return fail("the final answer is empty".into());
    }
    // Open calls: id -> (name, arguments).
    let mut pending: HashMap<&str, (&str, &str)> = HashMap::new();
    let mut answered: Vec<(&str, &str, &str)> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for (index, message) in sample.messages.iter().enumerate() {
        match message.role.as_str() {
            "assistant" => {
                let calls = message.tool_calls.as_deref().unwrap_or_default();
                // Only a message that calls tools may go without text.
                if calls.is_empty() && is_blank(message.content.as_deref()) {
                    return fail(format!("assistant message {index} is empty"));
                }
                if calls.len() > rules.max_per_query as usize {
                    return fail(format!(
                        "message {index} makes {} tool calls, over max_per_query {}",
                        calls.len(),
                        rules.max_per_query
                    ));
                }
                for call in calls {
                    if !is_call_id(&call.id) {
                        return fail(format!("tool call id `{}` is not 9 alphanumerics", call.id));
                    }
                    if !seen.insert(call.id.as_str()) {
                        return fail(format!("tool call id `{}` is used twice", call.id));
                    }
                    pending.insert(&call.id, (&call.function.name, &call.function.arguments));
                }
            }
            "tool" => {
                let id = message.tool_call_id.as_deref().unwrap_or_default();
                let Some((name, arguments)) = pending.remove(id) else {
                    return fail(format!("tool message {index} answers no earlier open call (`{id}`)"));
                };
                answered.push((name, arguments, message.content.as_deref().unwrap_or_default()));
            }
            "system" | "user" => {
                if is_blank(message.content.as_deref()) {
                    return fail(format!("{} message {index} is empty", message.role));
                }
                if !pending.is_empty() {
                    return fail(format!("message {index} comes before every call was answered"));
                }
            }
            other => return fail(format!("message {index} has unknown role `{other}`")),
        }
    }
    if !pending.is_empty() {
        return fail(format!("{} tool calls were never answered", pending.len()));
    }
    if let Some(call) =
        sample.metadata.calls.iter().find(|call| call.error_type.as_deref() == Some("HTTPError"))
    {
        return fail(format!(
            "the call to {} got no answer from a tool (HTTPError): a transport failure is not an observation",
            call.name
        ));
    }
    if let Some(context) = &sample.tool_context {
        let executions: Vec<(&str, &str, &str)> = context
            .executions
            .iter()
            .map(|e| (e.function_name.as_str(), e.arguments.as_str(), e.result.as_str()))
            .collect();
        if executions != answered {
            return fail("tool_context.executions differ from the calls in messages".into());
        }
    }
    if sample.metadata.irrelevant {
        // The request is one the offered tools cannot serve: a call is the
        // wrong answer, and no minimum applies.
        if let Some((name, _, _)) = answered.first() {
            return fail(format!(
                "the request is one the offered tools cannot serve, yet the assistant called {name}: \
                 answer without tools, saying what cannot be done"
            ));
        }
        return Ok(());
    }
    if (answered.len() as u32) < rules.min_tool_calls {
        return fail(format!(
            "agent mode needs at least {} tool call(s), the sample has {}",
            rules.min_tool_calls,
            answered.len()
        ));
    }
    Ok(())
}

fn is_blank(text: Option<&str>) -> bool {
    text.is_none_or(|text| text.trim().is_empty())
}
