//! Anthropic Messages against a fake server speaking its wire format.

use crate::common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use weft_llm::{FinishReason, LlmError, ProviderSpec, ToolChoice, build_model_in};

fn message(content: Value, stop: &str) -> Value {
    json!({
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-test",
        "content": content, "stop_reason": stop,
        "usage": {"input_tokens": 20, "output_tokens": 7, "cache_read_input_tokens": 3}
    })
}

fn text_reply(text: &str) -> Reply {
    Reply::json(message(json!([{"type": "text", "text": text}]), "end_turn"))
}

fn model_at(base: &str) -> std::sync::Arc<dyn weft_llm::ChatModel> {
    build_model_in(&spec("anthropic", "claude-test", base), &env_with("ANTHROPIC_API_KEY", "sk-ant-test"))
        .unwrap()
}

#[tokio::test]
async fn plain_reply_with_thinking_and_headers() {
    let content = json!([{"type": "thinking", "thinking": "Say hello.", "signature": "sig"}, {"type": "text", "text": "Hello!"}]);
    let server = FakeServer::start(vec![Reply::json(message(content, "end_turn"))]).await;
    let response = model_at(&server.base).chat(&plain("Hi")).await.unwrap();
    assert_eq!(response.content, "Hello!");
    assert_eq!(response.reasoning.as_deref(), Some("Say hello."));
    assert_eq!(response.finish_reason, FinishReason::Stop);
    assert_eq!((response.usage.prompt_tokens, response.usage.completion_tokens), (23, 7));

    let request = server.single();
    assert_eq!(request.path, "/v1/messages");
    assert_eq!(request.headers["x-api-key"], "sk-ant-test");
    assert_eq!(request.headers["anthropic-version"], "2023-06-01");
    assert!(!request.headers.contains_key("authorization"));
    assert_eq!(request.body["system"], "Be brief.");
    assert_eq!(request.body["max_tokens"], 4096);
    assert_eq!(
        request.body["messages"],
        json!([{"role": "user", "content": [{"type": "text", "text": "Hi"}]}])
    );
}

#[tokio::test]
async fn tool_use_round_trip() {
    let call = json!([
        {"type": "text", "text": "Let me read it."},
        {"type": "tool_use", "id": "toolu_01", "name": "read_file", "input": {"file_path": "notes.txt"}}
    ]);
    let server =
        FakeServer::start(vec![Reply::json(message(call, "tool_use")), text_reply("It says hi.")]).await;
    let model = model_at(&server.base);
    let mut request = plain("What is in notes.txt?");
    request.tools = vec![read_file_tool()].into();
    request.tool_choice = ToolChoice::Required;
    let first = model.chat(&request).await.unwrap();
    assert_eq!(first.content, "Let me read it.");
    assert_eq!(first.finish_reason, FinishReason::ToolCalls);
    assert_eq!(first.tool_calls[0].id, "toolu_01");
    assert_eq!(first.tool_calls[0].arguments, r#"{"file_path":"notes.txt"}"#);

    let failed = r#"{"success":false,"result":"File not found: notes.txt","error_type":"FileNotFound"}"#;
    let second = model.chat(&after_tool_call("toolu_01", failed)).await.unwrap();
    assert_eq!(second.content, "It says hi.");

    let requests = server.requests();
    assert_eq!(
        requests[0].body["tools"],
        json!([{"name": "read_file", "description": "Read content from a file", "input_schema": read_file_tool().input_schema}])
    );
    assert_eq!(requests[0].body["tool_choice"], json!({"type": "any"}));
    let messages = &requests[1].body["messages"];
    assert_eq!(
        messages[1],
        json!({"role": "assistant", "content": [
            {"type": "text", "text": "Let me read it."},
            {"type": "tool_use", "id": "toolu_01", "name": "read_file", "input": {"file_path": "notes.txt"}}
        ]})
    );
    assert_eq!(
        messages[2],
        json!({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_01", "content": failed, "is_error": true}
        ]})
    );
}

#[tokio::test]
async fn structured_output_is_a_forced_tool() {
    let answer = json!([{"type": "tool_use", "id": "toolu_9", "name": "subtopics",
                         "input": {"subtopics": ["Ownership", "Traits"]}}]);
    let server = FakeServer::start(vec![Reply::json(message(answer, "tool_use"))]).await;
    let response = model_at(&server.base).chat(&structured()).await.unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&response.content).unwrap(),
        json!({"subtopics": ["Ownership", "Traits"]})
    );
    assert!(response.tool_calls.is_empty());
    assert_eq!(response.finish_reason, FinishReason::Stop);

    let body = server.single().body;
    assert_eq!(body["tool_choice"], json!({"type": "tool", "name": "subtopics"}));
    assert_eq!(body["tools"][0]["name"], "subtopics");
    assert_eq!(body["tools"][0]["input_schema"], structured().response_schema.unwrap().schema);
}

#[tokio::test]
async fn overloaded_and_rate_limited_replies_are_retried() {
    let limited =
        Reply::status(429, r#"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}"#)
            .header("retry-after", "1");
    let overloaded =
        Reply::status(529, r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#);
    let server = FakeServer::start(vec![limited, overloaded, text_reply("finally")]).await;
    let model = model_at(&server.base);
    assert_eq!(model.chat(&plain("Hi")).await.unwrap().content, "finally");
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert!(requests[1].at - requests[0].at >= Duration::from_secs(1));
    assert_eq!(model.usage().unwrap().snapshot().retries, 2);
}

#[tokio::test]
async fn a_malformed_reply_is_retried_then_an_error() {
    // Two retries: the third malformed reply fails the call.
    let server =
        FakeServer::start(vec![Reply::json(json!({"type": "message", "role": "assistant"})); 3]).await;
    assert!(matches!(model_at(&server.base).chat(&plain("Hi")).await, Err(LlmError::Malformed { .. })));
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn missing_key_is_a_config_error() {
    let error =
        build_model_in(&ProviderSpec::new("anthropic", "claude-sonnet-4"), &empty_env()).err().unwrap();
    assert!(matches!(error, LlmError::Config(_)));
    assert!(error.to_string().contains("ANTHROPIC_API_KEY"), "{error}");
}
