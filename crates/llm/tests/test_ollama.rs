//! Ollama's native /api/chat against a fake server speaking its wire format.

use crate::common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use weft_llm::{FinishReason, LlmError, ModelEnv, ProviderSpec, build_model_in};

fn chat(message: Value, done_reason: &str) -> Value {
    json!({
        "model": "llama-test", "created_at": "2025-01-01T00:00:00Z", "message": message,
        "done": true, "done_reason": done_reason, "prompt_eval_count": 15, "eval_count": 6
    })
}

fn text_reply(text: &str) -> Reply {
    Reply::json(chat(json!({"role": "assistant", "content": text}), "stop"))
}

fn model_at(base: &str) -> std::sync::Arc<dyn weft_llm::ChatModel> {
    build_model_in(&spec("ollama", "llama-test", base), &empty_env()).unwrap()
}

#[tokio::test]
async fn plain_reply_without_a_key() {
    let reply = chat(json!({"role": "assistant", "content": "Hello!", "thinking": "Be nice."}), "stop");
    let server = FakeServer::start(vec![Reply::json(reply)]).await;
    let spec = ProviderSpec {
        temperature: Some(0.5),
        max_tokens: Some(32),
        ..spec("ollama", "llama-test", &server.base)
    };
    let response = build_model_in(&spec, &empty_env()).unwrap().chat(&plain("Hi")).await.unwrap();
    assert_eq!(response.content, "Hello!");
    assert_eq!(response.reasoning.as_deref(), Some("Be nice."));
    assert_eq!((response.usage.prompt_tokens, response.usage.completion_tokens), (15, 6));

    let request = server.single();
    assert_eq!(request.path, "/api/chat");
    assert_eq!(request.body["stream"], false);
    assert_eq!(request.body["options"], json!({"temperature": 0.5, "num_predict": 32}));
    assert!(!request.headers.contains_key("authorization"));
}

#[tokio::test]
async fn tool_call_round_trip() {
    let call = json!({"role": "assistant", "content": "",
                      "tool_calls": [{"function": {"name": "read_file", "arguments": {"file_path": "notes.txt"}}}]});
    let server = FakeServer::start(vec![Reply::json(chat(call, "stop")), text_reply("It says hi.")]).await;
    let model = model_at(&server.base);
    let mut request = plain("What is in notes.txt?");
    request.tools = vec![read_file_tool()].into();
    let first = model.chat(&request).await.unwrap();
    assert_eq!(first.finish_reason, FinishReason::ToolCalls);
    assert_eq!(first.tool_calls[0].arguments, r#"{"file_path":"notes.txt"}"#);
    assert_eq!(first.tool_calls[0].id.len(), 9);

    model.chat(&after_tool_call("abc123XYZ", "hi there")).await.unwrap();
    let requests = server.requests();
    assert_eq!(
        requests[0].body["tools"][0],
        json!({"type": "function", "function": {"name": "read_file", "description": "Read content from a file",
               "parameters": read_file_tool().input_schema}})
    );
    let messages = &requests[1].body["messages"];
    assert_eq!(
        messages[2],
        json!({"role": "assistant", "content": "Let me read it.",
               "tool_calls": [{"function": {"name": "read_file", "arguments": {"file_path": "notes.txt"}}}]})
    );
    assert_eq!(messages[3], json!({"role": "tool", "tool_name": "read_file", "content": "hi there"}));
}

#[tokio::test]
async fn structured_output_uses_format() {
    let server = FakeServer::start(vec![text_reply(r#"{"subtopics":["a","b"]}"#)]).await;
    let response = model_at(&server.base).chat(&structured()).await.unwrap();
    assert_eq!(response.content, r#"{"subtopics":["a","b"]}"#);
    assert_eq!(server.single().body["format"], structured().response_schema.unwrap().schema);
}

#[tokio::test]
async fn busy_server_is_retried() {
    let busy = Reply::status(429, r#"{"error":"server busy"}"#).header("retry-after", "1");
    let server = FakeServer::start(vec![busy, Reply::status(502, "bad gateway"), text_reply("ok")]).await;
    let model = model_at(&server.base);
    assert_eq!(model.chat(&plain("Hi")).await.unwrap().content, "ok");
    let requests = server.requests();
    assert!(requests[1].at - requests[0].at >= Duration::from_secs(1));
    assert_eq!(requests.len(), 3);
}

#[tokio::test]
async fn a_malformed_reply_is_retried_then_an_error() {
    // Two retries: the third malformed reply fails the call.
    let server = FakeServer::start(vec![Reply::json(json!({"done": true})); 3]).await;
    assert!(matches!(model_at(&server.base).chat(&plain("Hi")).await, Err(LlmError::Malformed { .. })));
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn ollama_host_and_openai_style_urls_are_accepted() {
    let server = FakeServer::start(vec![text_reply("one"), text_reply("two")]).await;
    let host = server.base.trim_start_matches("http://").to_owned();
    let env = ModelEnv::from_vars([("OLLAMA_HOST", host.as_str())]);
    let model = build_model_in(&ProviderSpec::new("ollama", "llama-test"), &env).unwrap();
    assert_eq!(model.chat(&plain("Hi")).await.unwrap().content, "one");
    let v1 = spec("ollama", "llama-test", &format!("{}/v1", server.base));
    let model = build_model_in(&v1, &empty_env()).unwrap();
    assert_eq!(model.chat(&plain("Hi")).await.unwrap().content, "two");
    assert!(server.requests().iter().all(|r| r.path == "/api/chat"));
}
