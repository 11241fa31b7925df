//! Argument extraction with messages that name the argument.

use alloc::format;
use alloc::string::String;

use serde_json::{Map, Value};

use crate::Failure;
use crate::weft::tool::types::ErrorType;

pub(crate) type Args = Map<String, Value>;

pub(crate) fn parse(json: &str) -> Result<Args, Failure> {
    if json.trim().is_empty() {
        return Ok(Args::new());
    }
    match serde_json::from_str::<Value>(json) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Null) => Ok(Args::new()),
        Ok(_) => Err(invalid("Arguments must be a JSON object")),
        Err(err) => Err(invalid(format!("Arguments are not valid JSON: {err}"))),
    }
}

/// A required string argument.
pub(crate) fn required<'a>(args: &'a Args, name: &str) -> Result<&'a str, Failure> {
    match args.get(name) {
        None | Some(Value::Null) => Err(invalid(format!("Missing required argument: {name}"))),
        Some(Value::String(text)) => Ok(text),
        Some(other) => Err(invalid(format!("Argument '{name}' must be a string, got {}", kind_of(other)))),
    }
}

/// An optional string argument.
pub(crate) fn optional<'a>(args: &'a Args, name: &str) -> Result<Option<&'a str>, Failure> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(other) => Err(invalid(format!("Argument '{name}' must be a string, got {}", kind_of(other)))),
    }
}

pub(crate) fn invalid(message: impl Into<String>) -> Failure {
    Failure::new(ErrorType::InvalidArguments, message)
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
