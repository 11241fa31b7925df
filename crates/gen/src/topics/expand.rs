//! One subtopic request: the prompt, the reply schema, reading the reply,
//! and dropping near-duplicate siblings.

use serde_json::Value;
use weft_llm::{ChatModel, ChatRequest, Message, Purpose, ResponseSchema};

use super::build::TopicSettings;
use crate::config::PromptStyle;

/// One subtopic from a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Subtopic {
    pub topic: String,
    /// Existing node ids this subtopic also belongs under (graphs only).
    pub connections: Vec<u32>,
}

/// Asks `model` for the children of the node at `path`, retrying malformed
/// replies with the problem as feedback. `candidates` are nodes elsewhere in
/// the graph a subtopic may also hang under.
pub(crate) async fn subtopics(
    model: &dyn ChatModel,
    settings: &TopicSettings,
    path: &[String],
    candidates: &[(u32, String)],
) -> Result<Vec<Subtopic>, String> {
    let mut messages = Vec::new();
    if !settings.system_prompt.is_empty() {
        messages.push(Message::system(settings.system_prompt.clone()));
    }
    messages.push(Message::user(prompt(settings, path, candidates)));
    let mut last_error = String::from("no attempts made");
    for _ in 0..settings.attempts.max(1) {
        let request = ChatRequest {
            messages: messages.clone(),
            response_schema: Some(schema(!candidates.is_empty())),
            temperature: Some(settings.temperature),
            max_tokens: Some(settings.max_tokens),
            purpose: Purpose::Subtopics,
            ..ChatRequest::default()
        };
        let reply = match model.chat(&request).await {
            Ok(reply) => reply.content,
            Err(err) => {
                last_error = err.to_string();
                continue;
            }
        };
        let parent = path.last().map_or("", String::as_str);
        match parse_reply(&reply).map(|found| distinct(found, parent, settings.degree as usize)) {
            Ok(found) if !found.is_empty() => return Ok(found),
            Ok(_) => last_error = "the reply held no usable subtopics".to_owned(),
            Err(err) => last_error = err,
        }
        messages.push(Message::assistant(reply));
        messages.push(Message::user(format!(
            "That reply could not be used ({last_error}). Reply with only a JSON array of {} strings.",
            settings.degree
        )));
    }
    Err(last_error)
}

fn prompt(settings: &TopicSettings, path: &[String], candidates: &[(u32, String)]) -> String {
    let parent = path.last().map_or("", String::as_str);
    let root = path.first().map_or("", String::as_str);
    let n = settings.degree;
    let mut text = format!("Topic path: {}\n", path.join(" -> "));
    text.push_str(&format!("Generate {n} subtopics of \"{parent}\".\n"));
    text.push_str(
        "Each is a short, specific phrase, clearly different from its siblings and narrower than its parent.\n",
    );
    if settings.prompt_style == PromptStyle::Anchored {
        text.push_str(&format!("Every subtopic must stay within the domain of \"{root}\".\n"));
    }
    if !candidates.is_empty() {
        text.push_str("Other nodes in the graph (id = topic):\n");
        for (id, topic) in candidates {
            text.push_str(&format!("  {id} = {topic}\n"));
        }
        text.push_str(
            "When a new subtopic also belongs under some of those nodes, write it as \
             {\"topic\": \"...\", \"connections\": [ids]} instead of a plain string.\n",
        );
    }
    text.push_str(&format!("Reply with only a JSON array of {n} strings."));
    text
}

fn schema(connections: bool) -> ResponseSchema {
    let string = serde_json::json!({"type": "string"});
    let items = if connections {
        serde_json::json!({"anyOf": [string, {
            "type": "object",
            "properties": {
                "topic": {"type": "string"},
                "connections": {"type": "array", "items": {"type": "integer"}}
            },
            "required": ["topic"]
        }]})
    } else {
        string
    };
    ResponseSchema {
        name: "subtopics".to_owned(),
        schema: serde_json::json!({"type": "array", "items": items}),
    }
}

/// Reads a reply: a JSON array (possibly inside a code fence or prose) of
/// strings or `{topic, connections}` objects, or an object holding such an
/// array under `subtopics`, `topics` or `items`.
pub(crate) fn parse_reply(reply: &str) -> Result<Vec<Subtopic>, String> {
    let value = json_in(reply).ok_or_else(|| "the reply is not JSON".to_owned())?;
    let items =
        match &value {
            Value::Array(items) => items,
            Value::Object(map) => ["subtopics", "topics", "items"]
                .iter()
                .find_map(|k| map.get(*k)?.as_array())
                .ok_or_else(|| "the reply is an object without a `subtopics` array".to_owned())?,
            _ => return Err("the reply is not a JSON array".to_owned()),
        };
    Ok(items.iter().filter_map(subtopic).collect())
}

fn json_in(reply: &str) -> Option<Value> {
    let trimmed = reply.trim();
    if let Ok(value) = serde_json::from_str(trimmed) {
        return Some(value);
    }
    for (open, close) in [('[', ']'), ('{', '}')] {
        if let (Some(start), Some(end)) = (trimmed.find(open), trimmed.rfind(close))
            && start < end
            && let Ok(value) = serde_json::from_str(&trimmed[start..=end])
        {
            return Some(value);
        }
    }
    None
}

fn subtopic(item: &Value) -> Option<Subtopic> {
    let (topic, connections) = match item {
        Value::String(s) => (s.as_str(), Vec::new()),
        Value::Object(map) => {
            let topic = ["topic", "name", "title"].iter().find_map(|k| map.get(*k)?.as_str())?;
            let connections = map
                .get("connections")
                .and_then(Value::as_array)
                .map(|ids| ids.iter().filter_map(|id| u32::try_from(id.as_u64()?).ok()).collect())
                .unwrap_or_default();
            (topic, connections)
        }
        _ => return None,
    };
    let topic = topic.trim().trim_matches(['"', '\'']).trim();
    (!topic.is_empty()).then(|| Subtopic { topic: topic.to_owned(), connections })
}

/// At most `limit` subtopics, without ones that restate the parent or
/// nearly repeat an earlier sibling ("Reading files" / "reading files.").
pub(crate) fn distinct(found: Vec<Subtopic>, parent: &str, limit: usize) -> Vec<Subtopic> {
    let parent_key = normalize(parent);
    let mut kept: Vec<(String, Subtopic)> = Vec::new();
    for sub in found {
        let key = normalize(&sub.topic);
        let similar = |other: &str| other == key || strsim::normalized_levenshtein(other, &key) >= 0.9;
        if key.is_empty() || similar(&parent_key) || kept.iter().any(|(k, _)| similar(k)) {
            continue;
        }
        kept.push((key, sub));
        if kept.len() == limit {
            break;
        }
    }
    kept.into_iter().map(|(_, s)| s).collect()
}

fn normalize(topic: &str) -> String {
    let lowered: String =
        topic.chars().map(|c| if c.is_alphanumeric() { c.to_ascii_lowercase() } else { ' ' }).collect();
    lowered.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topics(subs: &[Subtopic]) -> Vec<&str> {
        subs.iter().map(|s| s.topic.as_str()).collect()
    }

    #[test]
    fn reads_arrays_objects_and_fenced_replies() {
        let plain = parse_reply(r#"["a", "b"]"#).expect("array");
        assert_eq!(topics(&plain), ["a", "b"]);
        let fenced =
            parse_reply("Sure!\n```json\n[\"x\", {\"topic\": \"y\", \"connections\": [3, -1]}]\n```")
                .expect("fenced");
        assert_eq!(topics(&fenced), ["x", "y"]);
        assert_eq!(fenced[1].connections, [3]);
        let wrapped = parse_reply(r#"{"subtopics": [{"topic": "z"}]}"#).expect("object");
        assert_eq!(topics(&wrapped), ["z"]);
        assert!(parse_reply("no json here").is_err());
        assert!(parse_reply(r#"{"answer": 1}"#).is_err());
    }

    #[test]
    fn drops_near_duplicates_and_the_parent() {
        let found =
            ["Reading files", "reading files.", "Writing files", "Files", "Writing  Files!", "Deleting"]
                .map(|t| Subtopic { topic: t.into(), connections: vec![] })
                .to_vec();
        assert_eq!(
            topics(&distinct(found.clone(), "files", 10)),
            ["Reading files", "Writing files", "Deleting"]
        );
        assert_eq!(topics(&distinct(found, "files", 2)), ["Reading files", "Writing files"]);
    }
}
