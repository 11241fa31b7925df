//! `__NAME__`: a tool component of weft's own world (`wit/weft.wit`), the
//! fast path: the host calls `execute` directly, in a fresh instance per
//! call, with no HTTP in between.
//!
//! - `describe` lists the tools in MCP form (what the model is offered);
//! - `execute(session, tool, args-json)` runs one call and returns the
//!   outcome the model reads.
//!
//! The session store is already scoped to the call's session by the host:
//! keys need no prefix and no other session's keys can be named. The
//! variable `greeting` comes from weft.toml (or `WEFT_VAR_GREETING`).
//!
//! Tool results are what a model will read: say what happened, and on
//! failure say why with an error type, the way a real tool would.

wit_bindgen::generate!({
    world: "tool",
    path: "wit",
});

use serde_json::{Value, json};
use weft::tool::types::ErrorType;
use weft::tool::{config, session_store};

struct Component;

/// A tool's answer: the text for the model, or why it failed.
type Answer = Result<String, (ErrorType, String)>;

impl Guest for Component {
    fn describe() -> Vec<ToolDefinition> {
        let string = |description: &str| json!({"type": "string", "description": description});
        let tool = |name: &str, description: &str, schema: Value| ToolDefinition {
            name: name.to_owned(),
            title: None,
            description: description.to_owned(),
            input_schema: schema.to_string(),
            annotations: None,
        };
        vec![
            tool(
                "__PREFIX___remember",
                "Remember a value under a key for the rest of this conversation",
                json!({"type": "object", "properties": {"key": string("Name to remember it by"),
                       "value": string("What to remember")}, "required": ["key", "value"]}),
            ),
            tool(
                "__PREFIX___recall",
                "Recall the value remembered under a key",
                json!({"type": "object", "properties": {"key": string("The name it was remembered by")},
                       "required": ["key"]}),
            ),
            tool(
                "__PREFIX___greet",
                "Greet someone",
                json!({"type": "object", "properties": {"name": string("Who to greet")}, "required": ["name"]}),
            ),
        ]
    }

    fn execute(_session: String, tool: String, args_json: String) -> Outcome {
        let args: Value = serde_json::from_str(&args_json).unwrap_or(Value::Null);
        let answer = match tool.as_str() {
            "__PREFIX___remember" => remember(&args),
            "__PREFIX___recall" => recall(&args),
            "__PREFIX___greet" => greet(&args),
            other => Err((ErrorType::UnknownTool, format!("Unknown tool: {other}"))),
        };
        match answer {
            Ok(result) => Outcome { success: true, result, error_type: None },
            Err((kind, result)) => Outcome { success: false, result, error_type: Some(kind) },
        }
    }
}

fn remember(args: &Value) -> Answer {
    let (key, value) = (argument(args, "key")?, argument(args, "value")?);
    session_store::set(key, value.as_bytes()).map_err(store_error)?;
    Ok(format!("Remembered {key}"))
}

fn recall(args: &Value) -> Answer {
    let key = argument(args, "key")?;
    match session_store::get(key).map_err(store_error)? {
        Some(value) => Ok(String::from_utf8_lossy(&value).into_owned()),
        None => Err((ErrorType::FileNotFound, format!("Nothing remembered under {key}"))),
    }
}

fn greet(args: &Value) -> Answer {
    let name = argument(args, "name")?;
    let greeting = config::get("greeting").unwrap_or_else(|| "Hello".to_owned());
    Ok(format!("{greeting}, {name}!"))
}

fn argument<'a>(args: &'a Value, name: &str) -> Result<&'a str, (ErrorType, String)> {
    args[name].as_str().ok_or_else(|| (ErrorType::InvalidArguments, format!("Missing required argument: {name}")))
}

fn store_error(err: session_store::StoreError) -> (ErrorType, String) {
    match err {
        session_store::StoreError::TooLarge => (ErrorType::ResourceExhausted, "Too much stored in this session".into()),
        session_store::StoreError::AccessDenied => (ErrorType::PermissionDenied, "No session store granted".into()),
        session_store::StoreError::Other(message) => (ErrorType::IoError, format!("Store error: {message}")),
    }
}

export!(Component);
