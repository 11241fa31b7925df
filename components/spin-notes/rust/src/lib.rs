//! `notes`: a tool component written with the Spin SDK, as a Spin user
//! writes one. It speaks DeepFabric's tools-sdk contract, relative to its
//! route (`spin-path-info`):
//!
//! - `POST /execute` `{session_id, tool, args}` → `{success, result, error_type?}`
//! - `GET /health`, `GET /components` (with the tools in MCP form)
//! - `DELETE /session/{id}`: drops the session's notes
//!
//! Tools: `note_put {key, text}` and `note_get {key}` keep per-session state
//! in Spin's key-value store (keys `session_id:key`, namespaced by the guest
//! as DeepFabric's VFS does), `whoami` answers the Spin variable `greeting`,
//! `fetch {url}` makes an outbound GET, and `spin_forever` never returns.

use serde::Serialize;
use serde_json::{Value, json};
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;
use spin_sdk::key_value::Store;

#[cfg(feature = "audit")]
mod audit {
    wit_bindgen::generate!({
        inline: "package acme:audit@1.0.0;
                 interface log { append: func(line: string); }
                 world audited { import log; }",
        world: "audited",
    });
    pub fn record(line: &str) {
        acme::audit::log::append(line);
    }
}

#[derive(Serialize)]
struct Outcome {
    success: bool,
    result: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_type: Option<&'static str>,
}

fn ok(result: impl Into<String>) -> Outcome {
    Outcome { success: true, result: result.into(), error_type: None }
}

fn fail(error_type: &'static str, result: impl Into<String>) -> Outcome {
    Outcome { success: false, result: result.into(), error_type: Some(error_type) }
}

#[http_component]
async fn handle(request: Request) -> anyhow::Result<Response> {
    let endpoint = endpoint(&request);
    Ok(match (request.method(), endpoint.as_str()) {
        (Method::Post, "/execute") => execute(request.body()).await,
        (Method::Get, "/health") => reply(200, &json!({"status": "healthy", "components": ["notes"]})),
        (Method::Get, "/components") => reply(200, &json!({"components": ["notes"], "tools": tools()})),
        (Method::Delete, path) if path.starts_with("/session/") => delete_session(&path["/session/".len()..]),
        _ => reply(404, &json!({"error": "Not found"})),
    })
}

/// The endpoint, relative to the component's route.
fn endpoint(request: &Request) -> String {
    match request.header("spin-path-info").and_then(|value| value.as_str()) {
        Some(info) if !info.is_empty() => info.to_owned(),
        _ => request.path().to_owned(),
    }
}

fn tools() -> Value {
    let string = |description: &str| json!({"type": "string", "description": description});
    json!([
        {"name": "note_put", "description": "Store a note in this session",
         "inputSchema": {"type": "object", "properties": {"key": string("Name of the note"), "text": string("The note")},
                         "required": ["key", "text"]}},
        {"name": "note_get", "description": "Read a note of this session",
         "inputSchema": {"type": "object", "properties": {"key": string("Name of the note")}, "required": ["key"]}},
        {"name": "whoami", "description": "Say who answers", "inputSchema": {"type": "object", "properties": {}}},
        {"name": "fetch", "description": "Fetch a URL with HTTP GET; answers its status and body",
         "inputSchema": {"type": "object", "properties": {"url": string("Absolute http(s) URL")}, "required": ["url"]}},
        {"name": "spin_forever", "description": "Never returns", "inputSchema": {"type": "object", "properties": {}}},
    ])
}

async fn execute(body: &[u8]) -> Response {
    let call: Value = match serde_json::from_slice(body) {
        Ok(call) => call,
        Err(err) => return reply(400, &fail("InvalidRequest", format!("Invalid request: {err}"))),
    };
    let (Some(session), Some(tool)) = (call["session_id"].as_str(), call["tool"].as_str()) else {
        return reply(400, &fail("InvalidRequest", "Invalid request: session_id and tool are required"));
    };
    let args = &call["args"];
    let outcome = match tool {
        "note_put" => note_put(session, args),
        "note_get" => note_get(session, args),
        "whoami" => whoami(),
        "fetch" => fetch(args).await,
        "spin_forever" => spin_forever(),
        other => Err(fail("UnknownTool", format!("Unknown tool: {other}"))),
    };
    reply(200, &outcome.unwrap_or_else(|failure| failure))
}

fn text<'a>(args: &'a Value, name: &str) -> Result<&'a str, Outcome> {
    args[name].as_str().ok_or_else(|| fail("InvalidArguments", format!("Missing required argument: {name}")))
}

fn store() -> Result<Store, Outcome> {
    Store::open_default().map_err(|err| fail("IOError", format!("Store error: {err}")))
}

fn note_put(session: &str, args: &Value) -> Result<Outcome, Outcome> {
    let (key, note) = (text(args, "key")?, text(args, "text")?);
    #[cfg(feature = "audit")]
    audit::record(key);
    store()?
        .set(&format!("{session}:{key}"), note.as_bytes())
        .map_err(|err| fail("IOError", format!("Store error: {err}")))?;
    Ok(ok(format!("Stored {} bytes under {key}", note.len())))
}

fn note_get(session: &str, args: &Value) -> Result<Outcome, Outcome> {
    let key = text(args, "key")?;
    match store()?.get(&format!("{session}:{key}")) {
        Ok(Some(note)) => Ok(ok(String::from_utf8_lossy(&note))),
        Ok(None) => Err(fail("NotFound", format!("No note named {key}"))),
        Err(err) => Err(fail("IOError", format!("Store error: {err}"))),
    }
}

fn whoami() -> Result<Outcome, Outcome> {
    spin_sdk::variables::get("greeting")
        .map(ok)
        .map_err(|err| fail("IOError", format!("Variable error: {err}")))
}

async fn fetch(args: &Value) -> Result<Outcome, Outcome> {
    let url = text(args, "url")?;
    let response: Response = spin_sdk::http::send(Request::get(url).build())
        .await
        .map_err(|err| fail("NotAllowed", format!("Request to {url} failed: {err}")))?;
    let answer = json!({"status": *response.status(), "body": String::from_utf8_lossy(response.body())});
    Ok(ok(answer.to_string()))
}

#[allow(clippy::empty_loop)]
fn spin_forever() -> Result<Outcome, Outcome> {
    loop {}
}

fn delete_session(session: &str) -> Response {
    if session.is_empty() {
        return reply(400, &json!({"error": "Missing session_id"}));
    }
    let deleted = store().and_then(|store| {
        let prefix = format!("{session}:");
        let keys = store.get_keys().map_err(|err| fail("IOError", format!("Store error: {err}")))?;
        let mine: Vec<&String> = keys.iter().filter(|key| key.starts_with(&prefix)).collect();
        for key in &mine {
            store.delete(key).map_err(|err| fail("IOError", format!("Store error: {err}")))?;
        }
        Ok(mine.len())
    });
    match deleted {
        Ok(count) => reply(200, &json!({"success": true, "deleted_files": count})),
        Err(failure) => reply(500, &failure),
    }
}

fn reply(status: u16, body: &impl Serialize) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(body).unwrap_or_default())
        .build()
}
