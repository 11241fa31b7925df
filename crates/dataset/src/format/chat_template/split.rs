//! Parallel calls as sequential turns, for templates that refuse parallel
//! calls (Llama 3.x raises) or keep only the first (gpt-oss, GigaChat).
//!
//! An assistant message with calls `a, b` and the tool messages answering
//! them become `assistant(a)`, `tool(a)`, `assistant(b)`, `tool(b)`: each call
//! is followed by its own result, in the order the calls were made (the
//! order weft executed them in). The assistant's text stays on the first.

use std::borrow::Cow;

use crate::sample::{ChatMessage, Sample};

/// `sample` with every parallel step split; borrowed when it has none.
pub(super) fn split_parallel(sample: &Sample) -> Cow<'_, Sample> {
    if !super::super::conversation::has_parallel_calls(sample) {
        return Cow::Borrowed(sample);
    }
    let mut messages = Vec::with_capacity(sample.messages.len() * 2);
    let mut index = 0;
    while index < sample.messages.len() {
        let message = &sample.messages[index];
        index += 1;
        let calls = message.tool_calls.as_deref().unwrap_or_default();
        if calls.len() < 2 {
            messages.push(message.clone());
            continue;
        }
        let answers_end = sample.messages[index..]
            .iter()
            .position(|m| m.role != "tool")
            .map_or(sample.messages.len(), |n| index + n);
        let mut answers: Vec<Option<&ChatMessage>> =
            sample.messages[index..answers_end].iter().map(Some).collect();
        for (position, call) in calls.iter().enumerate() {
            messages.push(ChatMessage {
                role: message.role.clone(),
                content: if position == 0 { message.content.clone() } else { Some(String::new()) },
                tool_calls: Some(vec![call.clone()]),
                tool_call_id: None,
            });
            let answer =
                answers.iter_mut().find(|a| a.is_some_and(|a| a.tool_call_id.as_deref() == Some(&call.id)));
            if let Some(answer) = answer.and_then(Option::take) {
                messages.push(answer.clone());
            }
        }
        // Tool messages answering none of these calls stay, after them.
        messages.extend(answers.into_iter().flatten().cloned());
        index = answers_end;
    }
    Cow::Owned(Sample { messages, ..sample.clone() })
}
