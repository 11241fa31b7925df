//! A call's arguments as a JSON object, for the formats that carry them so.
//!
//! The text is read the way weft's agent read it before executing the call:
//! empty (or blank) text is `{}`, anything else must parse as a JSON object.
//! Text that does not is a call the model got wrong (weft executed it and
//! recorded `InvalidArguments`); it cannot become an object without inventing
//! one, so the sample is not rendered in an object format (see
//! [`crate::format`]).

use serde_json::{Map, Value};

use super::FormatError;
use super::conversation::Call;

/// The arguments of `call` as an object, or why they are not one.
pub(crate) fn object(format: &'static str, call: &Call<'_>) -> Result<Map<String, Value>, FormatError> {
    of(format, call.id, call.name, call.arguments)
}

/// The arguments `text` of call `id` to `tool` as an object, or why they
/// are not one (`format` names the format asking).
pub(crate) fn of(
    format: &'static str,
    id: &str,
    tool: &str,
    text: &str,
) -> Result<Map<String, Value>, FormatError> {
    parse(text).map_err(|reason| FormatError::ArgumentsNotObject {
        format,
        call_id: id.to_owned(),
        tool: tool.to_owned(),
        reason,
    })
}

/// The object `text` holds, or why it holds none.
pub(crate) fn parse(text: &str) -> Result<Map<String, Value>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(format!("a JSON {}, not an object", kind(&other))),
        Err(err) => Err(format!("invalid JSON: {err}")),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_text_is_no_arguments() {
        assert_eq!(parse("  ").unwrap(), Map::new());
    }

    #[test]
    fn keeps_the_order_the_model_wrote() {
        let map = parse(r#"{"z": 1, "a": {"y": 2, "b": 3}}"#).unwrap();
        assert_eq!(serde_json::to_string(&map).unwrap(), r#"{"z":1,"a":{"y":2,"b":3}}"#);
    }

    #[test]
    fn says_why_text_is_not_an_object() {
        assert_eq!(parse("[1]").unwrap_err(), "a JSON array, not an object");
        assert!(parse(r#"{"a": 1"#).unwrap_err().starts_with("invalid JSON: EOF while parsing"));
    }
}
