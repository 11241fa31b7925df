//! `adp`: Agent Data Protocol trajectories (neulab/agent-data-protocol,
//! standardized schema 1.5.0).
//!
//! ```text
//! {"schema_version": "1.5.0", "id": "weft_<sample_index>", "content": [...], "details": {...}}
//! ```
//!
//! `content` is the conversation as actions and observations:
//!
//! * the system message: a `text_observation` from `user` named `system`
//!   (ADP has no system source);
//! * a user message: a `text_observation` from `user`;
//! * a step: one `api_action` per call (`function`, `kwargs` as an object,
//!   `tool_call_id`), the assistant's text beside the calls as the first
//!   action's `description`; then one `text_observation` per result, from
//!   `environment`, named after the tool, with the same `tool_call_id`
//!   (ADP links actions to observations by it, so parallel calls read as
//!   two actions then two observations);
//! * an answer: a `message_action`.
//!
//! `details` holds what the schema has no field for: the tools offered (in
//! OpenAI form) and the sample's provenance. `kwargs` are objects, so a call
//! whose arguments are not one makes the sample unrenderable here.

use serde_json::{Map, Value, json};

use super::FormatError;
use super::arguments;
use super::conversation::{Event, events};
use crate::sample::Sample;

const FORMAT: &str = "adp";

/// The ADP schema version the records follow.
const SCHEMA_VERSION: &str = "1.5.0";

/// The sample as an ADP trajectory.
pub(crate) fn render(sample: &Sample) -> Result<Value, FormatError> {
    let mut content = Vec::new();
    for event in events(sample)? {
        match event {
            Event::System(text) => content.push(
                json!({"class_": "text_observation", "content": text, "source": "user", "name": "system"}),
            ),
            Event::User(text) => {
                content.push(json!({"class_": "text_observation", "content": text, "source": "user"}))
            }
            Event::Answer(text) => content.push(json!({"class_": "message_action", "content": text})),
            Event::Step { text, calls } => {
                for (index, call) in calls.iter().enumerate() {
                    let mut action = Map::new();
                    action.insert("class_".into(), json!("api_action"));
                    action.insert("function".into(), json!(call.name));
                    action.insert("kwargs".into(), Value::Object(arguments::object(FORMAT, call)?));
                    if index == 0 && !text.is_empty() {
                        action.insert("description".into(), json!(text));
                    }
                    action.insert("tool_call_id".into(), json!(call.id));
                    content.push(Value::Object(action));
                }
                for call in &calls {
                    content.push(json!({
                        "class_": "text_observation",
                        "content": call.result,
                        "source": "environment",
                        "name": call.name,
                        "tool_call_id": call.id,
                    }));
                }
            }
        }
    }
    let metadata = &sample.metadata;
    Ok(json!({
        "schema_version": SCHEMA_VERSION,
        "id": format!("weft_{}", metadata.sample_index),
        "content": content,
        "details": {
            "source": "weft",
            "tools": sample.tools,
            "topic_path": metadata.topic_path,
            "provider": metadata.provider,
            "model": metadata.model,
        },
    }))
}
