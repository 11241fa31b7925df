//! OpenRouter: the OpenAI wire format with its own key and base URL.

use crate::common;

use std::time::Duration;

use common::*;
use serde_json::json;
use weft_llm::{FinishReason, LlmError, ProviderSpec, build_model_in};

fn text_reply(text: &str) -> Reply {
    Reply::json(json!({
        "id": "gen-1", "model": "meta/llama-test",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text, "reasoning": "Short."},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 9, "completion_tokens": 2}
    }))
}

fn model_at(base: &str) -> std::sync::Arc<dyn weft_llm::ChatModel> {
    build_model_in(
        &spec("openrouter", "meta/llama-test", base),
        &env_with("OPENROUTER_API_KEY", "sk-or-test"),
    )
    .unwrap()
}

#[tokio::test]
async fn plain_reply_with_key_and_title() {
    let server = FakeServer::start(vec![text_reply("Hello!")]).await;
    let model = model_at(&server.base);
    assert_eq!(model.provider(), "openrouter");
    let response = model.chat(&plain("Hi")).await.unwrap();
    assert_eq!(response.content, "Hello!");
    assert_eq!(response.reasoning.as_deref(), Some("Short."));
    let request = server.single();
    assert_eq!(request.path, "/chat/completions");
    assert_eq!(request.headers["authorization"], "Bearer sk-or-test");
    assert_eq!(request.headers["x-title"], "weft");
    assert_eq!(request.body["model"], "meta/llama-test");
}

#[tokio::test]
async fn tool_call_round_trip() {
    let call = json!({
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": "",
            "tool_calls": [{"id": "call_1", "type": "function",
                            "function": {"name": "read_file", "arguments": "{\"file_path\":\"notes.txt\"}"}}]}}]
    });
    let server = FakeServer::start(vec![Reply::json(call), text_reply("It says hi.")]).await;
    let model = model_at(&server.base);
    let mut request = plain("What is in notes.txt?");
    request.tools = vec![read_file_tool()].into();
    let first = model.chat(&request).await.unwrap();
    assert_eq!(first.finish_reason, FinishReason::ToolCalls);
    assert_eq!(first.tool_calls[0].id, "call_1");
    model.chat(&after_tool_call("call_1", "hi there")).await.unwrap();
    let requests = server.requests();
    assert_eq!(requests[0].body["tools"][0]["function"]["name"], "read_file");
    assert_eq!(
        requests[1].body["messages"][3],
        json!({"role": "tool", "tool_call_id": "call_1", "content": "hi there"})
    );
}

#[tokio::test]
async fn structured_output_uses_json_schema() {
    let server = FakeServer::start(vec![text_reply(r#"{"subtopics":[],"note":null}"#)]).await;
    model_at(&server.base).chat(&structured()).await.unwrap();
    assert_eq!(server.single().body["response_format"]["type"], "json_schema");
}

#[tokio::test]
async fn retries_429_and_5xx() {
    let limited = Reply::status(429, "{}").header("retry-after", "1");
    let server = FakeServer::start(vec![limited, Reply::status(500, "{}"), text_reply("ok")]).await;
    assert_eq!(model_at(&server.base).chat(&plain("Hi")).await.unwrap().content, "ok");
    let requests = server.requests();
    assert!(requests[1].at - requests[0].at >= Duration::from_secs(1));
    assert_eq!(requests.len(), 3);
}

#[tokio::test]
async fn a_malformed_reply_is_retried_then_an_error() {
    // Two retries: the third malformed reply fails the call.
    let server = FakeServer::start(vec![Reply::json(json!({"error_free": true})); 3]).await;
    assert!(matches!(model_at(&server.base).chat(&plain("Hi")).await, Err(LlmError::Malformed { .. })));
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn missing_key_is_a_config_error() {
    let error = build_model_in(&ProviderSpec::new("openrouter", "x/y"), &empty_env()).err().unwrap();
    assert!(error.to_string().contains("OPENROUTER_API_KEY"), "{error}");
}
