//! A sample's messages read as a conversation: each assistant step with
//! its calls, each call with the result that answered it.
//!
//! The text formats (hermes, harmony, sharegpt, xlam, adp) write a call and
//! its result together; this is where tool messages are matched to calls by
//! `tool_call_id`. Results come out in the order of the calls (the order weft
//! writes them in).

use std::collections::HashMap;

use super::FormatError;
use crate::sample::Sample;

/// One event of a conversation, in order.
#[derive(Debug)]
pub(crate) enum Event<'a> {
    /// A system message.
    System(&'a str),
    /// A user message.
    User(&'a str),
    /// An assistant message that calls tools: its text (often empty) and
    /// its calls, each with its result.
    Step {
        /// What the assistant wrote beside its calls.
        text: &'a str,
        /// The calls, in the order the assistant made them.
        calls: Vec<Call<'a>>,
    },
    /// An assistant message without calls.
    Answer(&'a str),
}

/// One call and the result it got.
#[derive(Debug)]
pub(crate) struct Call<'a> {
    /// The call's id.
    pub id: &'a str,
    /// The tool.
    pub name: &'a str,
    /// The arguments as the model wrote them.
    pub arguments: &'a str,
    /// The tool's result, exactly as returned.
    pub result: &'a str,
}

/// The events of `sample`. Fails when a tool message answers no open call
/// or a call is never answered.
pub(crate) fn events(sample: &Sample) -> Result<Vec<Event<'_>>, FormatError> {
    let mut events = Vec::with_capacity(sample.messages.len());
    // The calls of the latest step, until a message other than a tool
    // message closes it: (call, its result once answered).
    let mut open: Vec<(&crate::sample::ToolCallEntry, Option<&str>)> = Vec::new();
    let mut open_text = "";
    for (index, message) in sample.messages.iter().enumerate() {
        let text = message.content.as_deref().unwrap_or_default();
        if message.role == "tool" {
            let id = message.tool_call_id.as_deref().unwrap_or_default();
            match open.iter_mut().find(|(call, result)| call.id == id && result.is_none()) {
                Some((_, result)) => *result = Some(text),
                None => {
                    return Err(FormatError::Malformed(format!(
                        "tool message {index} answers no open call (`{id}`)"
                    )));
                }
            }
            continue;
        }
        close(&mut events, &mut open, open_text)?;
        let calls = message.tool_calls.as_deref().unwrap_or_default();
        match message.role.as_str() {
            "system" => events.push(Event::System(text)),
            "user" => events.push(Event::User(text)),
            "assistant" if calls.is_empty() => events.push(Event::Answer(text)),
            "assistant" => {
                open = calls.iter().map(|call| (call, None)).collect();
                open_text = text;
            }
            other => {
                return Err(FormatError::Malformed(format!("message {index} has unknown role `{other}`")));
            }
        }
    }
    close(&mut events, &mut open, open_text)?;
    Ok(events)
}

/// Turns the open step into an event once every call has its result.
fn close<'a>(
    events: &mut Vec<Event<'a>>,
    open: &mut Vec<(&'a crate::sample::ToolCallEntry, Option<&'a str>)>,
    text: &'a str,
) -> Result<(), FormatError> {
    if open.is_empty() {
        return Ok(());
    }
    let mut calls = Vec::with_capacity(open.len());
    for (call, result) in open.drain(..) {
        let Some(result) = result else {
            return Err(FormatError::Malformed(format!(
                "call {} ({}) is never answered",
                call.id, call.function.name
            )));
        };
        calls.push(Call {
            id: &call.id,
            name: &call.function.name,
            arguments: &call.function.arguments,
            result,
        });
    }
    events.push(Event::Step { text, calls });
    Ok(())
}

/// The name of the tool each tool message answers, by message index (None
/// for other messages), for the formats that copy messages one by one.
pub(crate) fn tool_names(sample: &Sample) -> Result<Vec<Option<&str>>, FormatError> {
    let mut called: HashMap<&str, &str> = HashMap::new();
    let mut names = Vec::with_capacity(sample.messages.len());
    for (index, message) in sample.messages.iter().enumerate() {
        for call in message.tool_calls.as_deref().unwrap_or_default() {
            called.insert(&call.id, &call.function.name);
        }
        if message.role != "tool" {
            names.push(None);
            continue;
        }
        let id = message.tool_call_id.as_deref().unwrap_or_default();
        match called.get(id) {
            Some(name) => names.push(Some(*name)),
            None => {
                return Err(FormatError::Malformed(format!(
                    "tool message {index} answers no earlier call (`{id}`)"
                )));
            }
        }
    }
    Ok(names)
}

/// Whether any assistant message makes more than one call.
pub(crate) fn has_parallel_calls(sample: &Sample) -> bool {
    sample.messages.iter().any(|message| message.tool_calls.as_ref().is_some_and(|calls| calls.len() > 1))
}

/// The system message's text, if the sample starts with one.
pub(crate) fn system_text(sample: &Sample) -> Option<&str> {
    sample.messages.first().filter(|m| m.role == "system").and_then(|m| m.content.as_deref())
}
