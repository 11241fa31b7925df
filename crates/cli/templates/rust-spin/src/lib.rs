//! `__NAME__`: a tool component written with the Spin SDK. `spin up` runs it,
//! and so does `weft serve --manifest spin.toml`, with no Spin installed.
//!
//! It speaks the tools contract relative to its route (`spin-path-info`):
//!
//! - `POST /execute` `{session_id, tool, args}` → `{success, result, error_type?}`
//! - `GET /health`, and `GET /components` with the tools in MCP form
//! - `DELETE /session/{id}`: forgets what the session stored
//!
//! A Spin key-value store belongs to the application and is shared by every
//! session, so keys carry the session: `session_id:key`. The variable
//! `greeting` comes from spin.toml (or `SPIN_VARIABLE_GREETING`).
//!
//! Tool results are what a model will read: say what happened, and on
//! failure say why with an `error_type` (`InvalidArguments`, `NotFound`,
//! `IOError`, ...), the way a real tool would.

use serde_json::{Value, json};
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;
use spin_sdk::key_value::Store;

const COMPONENT: &str = "__NAME__";

/// A tool's answer: `Ok` text for the model, or `Err((error_type, text))`.
type Answer = Result<String, (&'static str, String)>;

#[http_component]
fn handle(request: Request) -> anyhow::Result<Response> {
    let endpoint = match request.header("spin-path-info").and_then(|value| value.as_str()) {
        Some(info) if !info.is_empty() => info.to_owned(),
        _ => request.path().to_owned(),
    };
    Ok(match (request.method(), endpoint.as_str()) {
        (Method::Post, "/execute") => execute(request.body()),
        (Method::Get, "/health") => reply(200, &json!({"status": "healthy", "components": [COMPONENT]})),
        (Method::Get, "/components") => reply(200, &json!({"components": [COMPONENT], "tools": tools()})),
        (Method::Delete, path) if path.starts_with("/session/") => forget(&path["/session/".len()..]),
        _ => reply(404, &json!({"error": "Not found"})),
    })
}

/// The tools, in MCP `tools/list` form: what the model is offered.
fn tools() -> Value {
    let string = |description: &str| json!({"type": "string", "description": description});
    json!([
        {"name": "__PREFIX___remember", "description": "Remember a value under a key for the rest of this conversation",
         "inputSchema": {"type": "object", "properties": {"key": string("Name to remember it by"), "value": string("What to remember")},
                         "required": ["key", "value"]}},
        {"name": "__PREFIX___recall", "description": "Recall the value remembered under a key",
         "inputSchema": {"type": "object", "properties": {"key": string("The name it was remembered by")}, "required": ["key"]}},
        {"name": "__PREFIX___greet", "description": "Greet someone",
         "inputSchema": {"type": "object", "properties": {"name": string("Who to greet")}, "required": ["name"]}},
    ])
}

fn execute(body: &[u8]) -> Response {
    let call: Value = match serde_json::from_slice(body) {
        Ok(call) => call,
        Err(err) => return reply(400, &failure("InvalidRequest", format!("Invalid request: {err}"))),
    };
    let (Some(session), Some(tool)) = (call["session_id"].as_str(), call["tool"].as_str()) else {
        return reply(400, &failure("InvalidRequest", "Invalid request: session_id and tool are required".into()));
    };
    let args = &call["args"];
    let answer = match tool {
        "__PREFIX___remember" => remember(session, args),
        "__PREFIX___recall" => recall(session, args),
        "__PREFIX___greet" => greet(args),
        other => Err(("UnknownTool", format!("Unknown tool: {other}"))),
    };
    reply(200, &match answer {
        Ok(result) => json!({"success": true, "result": result}),
        Err((error_type, result)) => failure(error_type, result),
    })
}

fn remember(session: &str, args: &Value) -> Answer {
    let (key, value) = (argument(args, "key")?, argument(args, "value")?);
    store()?.set(&format!("{session}:{key}"), value.as_bytes()).map_err(io_error)?;
    Ok(format!("Remembered {key}"))
}

fn recall(session: &str, args: &Value) -> Answer {
    let key = argument(args, "key")?;
    match store()?.get(&format!("{session}:{key}")).map_err(io_error)? {
        Some(value) => Ok(String::from_utf8_lossy(&value).into_owned()),
        None => Err(("NotFound", format!("Nothing remembered under {key}"))),
    }
}

fn greet(args: &Value) -> Answer {
    let name = argument(args, "name")?;
    let greeting = spin_sdk::variables::get("greeting").map_err(|err| ("IOError", format!("No greeting: {err}")))?;
    Ok(format!("{greeting}, {name}!"))
}

/// Drops every key of `session` (the generator calls this when a sample ends).
fn forget(session: &str) -> Response {
    if session.is_empty() {
        return reply(400, &json!({"error": "Missing session_id"}));
    }
    let prefix = format!("{session}:");
    let forgotten = store().and_then(|store| {
        let keys = store.get_keys().map_err(io_error)?;
        let mine: Vec<&String> = keys.iter().filter(|key| key.starts_with(&prefix)).collect();
        for key in &mine {
            store.delete(key).map_err(io_error)?;
        }
        Ok(mine.len())
    });
    match forgotten {
        Ok(count) => reply(200, &json!({"success": true, "deleted_files": count})),
        Err((error_type, result)) => reply(500, &failure(error_type, result)),
    }
}

fn argument<'a>(args: &'a Value, name: &str) -> Result<&'a str, (&'static str, String)> {
    args[name].as_str().ok_or_else(|| ("InvalidArguments", format!("Missing required argument: {name}")))
}

fn store() -> Result<Store, (&'static str, String)> {
    Store::open_default().map_err(io_error)
}

fn io_error(err: impl std::fmt::Display) -> (&'static str, String) {
    ("IOError", format!("Store error: {err}"))
}

fn failure(error_type: &str, result: String) -> Value {
    json!({"success": false, "result": result, "error_type": error_type})
}

fn reply(status: u16, body: &Value) -> Response {
    Response::builder().status(status).header("content-type", "application/json").body(body.to_string().into_bytes()).build()
}
