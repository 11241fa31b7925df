//! A component that breaks every rule, for the sandbox's tests: each tool is
//! one way a guest can misbehave, and the host must survive all of them.

wit_bindgen::generate!({
    world: "tool",
    path: "../../../wit",
});

struct Misbehave;

impl Guest for Misbehave {
    fn describe() -> Vec<ToolDefinition> {
        ["spin", "hog", "panic", "read_host_file", "env", "variable", "store_probe", "http_get", "echo"]
            .into_iter()
            .map(|name| ToolDefinition {
                name: name.to_owned(),
                title: None,
                description: format!("misbehaviour: {name}"),
                input_schema: r#"{"type":"object"}"#.to_owned(),
                annotations: None,
            })
            .collect()
    }

    fn execute(session: String, tool: String, args_json: String) -> Outcome {
        let ok = |result: String| Outcome { success: true, result, error_type: None };
        match tool.as_str() {
            "spin" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "hog" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "panic" => panic!("the guest panicked on purpose"),
            "read_host_file" => ok(match std::fs::read_to_string("/etc/passwd") {
                Ok(text) => format!("READ {} bytes", text.len()),
                Err(err) => format!("denied: {err}"),
            }),
            "env" => ok(format!("{} variables", std::env::vars().count())),
            "variable" => ok(weft::tool::config::get(&args_json).unwrap_or_else(|| "<none>".to_owned())),
            "store_probe" => {
                let key = format!("probe:{session}");
                let before = weft::tool::session_store::get("shared").ok().flatten();
                let _ = weft::tool::session_store::set("shared", key.as_bytes());
                ok(match before {
                    Some(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                    None => "<empty>".to_owned(),
                })
            }
            "http_get" => ok(http_get(&args_json)),
            _ => ok(args_json),
        }
    }
}

/// Fetches `{"url": ...}` and reports what happened: `200: <body>` or the
/// host's error case and message.
fn http_get(args_json: &str) -> String {
    use weft::tool::outbound_http::{HttpError, Request, send};
    let args: serde_json::Value = serde_json::from_str(args_json).unwrap_or_default();
    let url = args["url"].as_str().unwrap_or_default().to_owned();
    let request = Request { method: "GET".to_owned(), url, headers: Vec::new(), body: None };
    match send(&request) {
        Ok(response) => format!("{}: {}", response.status, String::from_utf8_lossy(&response.body)),
        Err(HttpError::NotAllowed(message)) => format!("NotAllowed: {message}"),
        Err(HttpError::InvalidRequest(message)) => format!("InvalidRequest: {message}"),
        Err(HttpError::Timeout(message)) => format!("Timeout: {message}"),
        Err(HttpError::TooLarge(message)) => format!("TooLarge: {message}"),
        Err(HttpError::Transport(message)) => format!("Transport: {message}"),
    }
}

export!(Misbehave);
