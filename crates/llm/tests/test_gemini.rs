//! Gemini generateContent against a fake server speaking its wire format.

use crate::common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use weft_llm::{FinishReason, LlmError, ProviderSpec, ToolChoice, build_model_in};

fn candidate(parts: Value, finish: &str) -> Value {
    json!({
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": finish, "index": 0}],
        "usageMetadata": {"promptTokenCount": 30, "candidatesTokenCount": 8, "thoughtsTokenCount": 4, "totalTokenCount": 42}
    })
}

fn text_reply(text: &str) -> Reply {
    Reply::json(candidate(json!([{"text": text}]), "STOP"))
}

fn model_at(base: &str) -> std::sync::Arc<dyn weft_llm::ChatModel> {
    build_model_in(&spec("gemini", "gemini-test", base), &env_with("GEMINI_API_KEY", "AIza-test")).unwrap()
}

#[tokio::test]
async fn plain_reply_with_thoughts() {
    let parts = json!([{"text": "Think first.", "thought": true}, {"text": "Hello!"}]);
    let server = FakeServer::start(vec![Reply::json(candidate(parts, "STOP"))]).await;
    let response = model_at(&server.base).chat(&plain("Hi")).await.unwrap();
    assert_eq!(response.content, "Hello!");
    assert_eq!(response.reasoning.as_deref(), Some("Think first."));
    assert_eq!((response.usage.prompt_tokens, response.usage.completion_tokens), (30, 12));

    let request = server.single();
    assert_eq!(request.path, "/models/gemini-test:generateContent");
    assert_eq!(request.headers["x-goog-api-key"], "AIza-test");
    assert!(!request.path.contains("AIza"), "the key travels in a header, not the URL");
    assert_eq!(request.body["systemInstruction"], json!({"parts": [{"text": "Be brief."}]}));
    assert_eq!(request.body["contents"], json!([{"role": "user", "parts": [{"text": "Hi"}]}]));
}

#[tokio::test]
async fn function_call_round_trip_with_clean_schemas() {
    let call = json!([{"functionCall": {"name": "read_file", "args": {"file_path": "notes.txt"}}}]);
    let server =
        FakeServer::start(vec![Reply::json(candidate(call, "STOP")), text_reply("It says hi.")]).await;
    let model = model_at(&server.base);
    let mut request = plain("What is in notes.txt?");
    request.tools = vec![read_file_tool(), list_files_tool()].into();
    request.tool_choice = ToolChoice::Auto;
    let first = model.chat(&request).await.unwrap();
    assert_eq!(first.finish_reason, FinishReason::ToolCalls);
    assert_eq!(first.tool_calls[0].name, "read_file");
    assert_eq!(first.tool_calls[0].arguments, r#"{"file_path":"notes.txt"}"#);
    let id = &first.tool_calls[0].id;
    assert_eq!(id.len(), 9);
    assert!(id.chars().all(|c| c.is_ascii_alphanumeric()));

    let second = model.chat(&after_tool_call("abc123XYZ", "hi there")).await.unwrap();
    assert_eq!(second.content, "It says hi.");

    let requests = server.requests();
    let declarations = &requests[0].body["tools"][0]["functionDeclarations"];
    assert_eq!(declarations[0]["name"], "read_file");
    // `additionalProperties` is stripped; Gemini would refuse it.
    assert_eq!(
        declarations[0]["parameters"],
        json!({"type": "object", "properties": {"file_path": {"type": "string"}}, "required": ["file_path"]})
    );
    assert_eq!(requests[0].body["toolConfig"], json!({"functionCallingConfig": {"mode": "AUTO"}}));
    let contents = &requests[1].body["contents"];
    assert_eq!(
        contents[1],
        json!({"role": "model", "parts": [{"text": "Let me read it."},
               {"functionCall": {"name": "read_file", "args": {"file_path": "notes.txt"}}}]})
    );
    assert_eq!(
        contents[2],
        json!({"role": "user", "parts": [{"functionResponse": {"name": "read_file", "response": {"output": "hi there"}}}]})
    );
}

#[tokio::test]
async fn structured_output_uses_response_schema() {
    let server = FakeServer::start(vec![text_reply(r#"{"subtopics":["Ownership","Traits"]}"#)]).await;
    let response = model_at(&server.base).chat(&structured()).await.unwrap();
    assert_eq!(response.content, r#"{"subtopics":["Ownership","Traits"]}"#);
    let config = &server.single().body["generationConfig"];
    assert_eq!(config["responseMimeType"], "application/json");
    assert_eq!(
        config["responseSchema"],
        json!({"type": "object", "properties": {"subtopics": {"type": "array", "items": {"type": "string"}},
               "note": {"type": "string"}}, "required": ["subtopics"]})
    );
}

#[tokio::test]
async fn rate_limit_with_http_date_and_server_error_are_retried() {
    // Three seconds ahead, truncated to the second: at least two seconds
    // from now, whatever the fraction (two ahead could be 1.0x s).
    let when = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(3));
    let limited = Reply::status(
        429,
        r#"{"error":{"code":429,"message":"Resource exhausted","status":"RESOURCE_EXHAUSTED"}}"#,
    )
    .header("retry-after", &when);
    let server = FakeServer::start(vec![limited, Reply::status(500, "internal"), text_reply("ok")]).await;
    let model = model_at(&server.base);
    assert_eq!(model.chat(&plain("Hi")).await.unwrap().content, "ok");
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    // The wait followed the date (one-second resolution, scheduling aside).
    let waited = requests[1].at - requests[0].at;
    assert!(waited >= Duration::from_millis(1500), "{waited:?}");
}

#[tokio::test]
async fn a_malformed_reply_is_retried_then_an_error() {
    // Two retries: the third malformed reply fails the call.
    let server = FakeServer::start(vec![Reply::json(json!({"usageMetadata": {}})); 3]).await;
    assert!(matches!(model_at(&server.base).chat(&plain("Hi")).await, Err(LlmError::Malformed { .. })));
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn keys_come_from_gemini_or_google_vars_and_google_is_an_alias() {
    let error = build_model_in(&ProviderSpec::new("gemini", "gemini-2.5-flash"), &empty_env()).err().unwrap();
    assert!(error.to_string().contains("GEMINI_API_KEY or GOOGLE_API_KEY"), "{error}");
    let model =
        build_model_in(&ProviderSpec::new("google", "gemini-2.5-flash"), &env_with("GOOGLE_API_KEY", "k"))
            .unwrap();
    assert_eq!(model.provider(), "gemini");
}
