//! OpenAI Chat Completions against a fake server speaking its wire format.

use crate::common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use weft_llm::{FinishReason, LlmError, ModelEnv, ProviderSpec, ToolChoice, UsageCounter, build_model_in};

fn completion(message: Value, finish: &str) -> Value {
    json!({
        "id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-test",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17}
    })
}

fn text_reply(text: &str) -> Reply {
    Reply::json(completion(json!({"role": "assistant", "content": text}), "stop"))
}

#[tokio::test]
async fn plain_reply_with_usage_and_reasoning() {
    let reply = completion(
        json!({"role": "assistant", "content": "Hello!", "reasoning_content": "Greet back."}),
        "stop",
    );
    let server = FakeServer::start(vec![Reply::json(reply)]).await;
    let env = env_with("OPENAI_API_KEY", "sk-test-key");
    let spec = ProviderSpec {
        temperature: Some(0.3),
        max_tokens: Some(64),
        ..spec("openai", "gpt-test", &server.base)
    };
    let model = build_model_in(&spec, &env).unwrap();
    assert_eq!((model.provider(), model.model()), ("openai", "gpt-test"));

    let response = model.chat(&plain("Hi")).await.unwrap();
    assert_eq!(response.content, "Hello!");
    assert_eq!(response.reasoning.as_deref(), Some("Greet back."));
    assert_eq!(response.finish_reason, FinishReason::Stop);
    assert_eq!((response.usage.prompt_tokens, response.usage.completion_tokens), (12, 5));

    let request = server.single();
    assert_eq!(request.path, "/chat/completions");
    assert_eq!(request.headers["authorization"], "Bearer sk-test-key");
    assert_eq!(request.body["model"], "gpt-test");
    assert_eq!(
        request.body["messages"],
        json!([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}])
    );
    assert_eq!(request.body["max_tokens"], 64);
    assert!((request.body["temperature"].as_f64().unwrap() - 0.3).abs() < 1e-6);
    assert!(request.body.get("tools").is_none());
    let totals = model.usage().unwrap().snapshot();
    assert_eq!((totals.calls, totals.prompt_tokens, totals.completion_tokens), (1, 12, 5));
}

#[tokio::test]
async fn tool_call_round_trip() {
    let call = json!({"role": "assistant", "content": null, "tool_calls": [
        {"id": "call_abc123", "type": "function", "function": {"name": "read_file", "arguments": "{\"file_path\":\"notes.txt\"}"}}
    ]});
    let server =
        FakeServer::start(vec![Reply::json(completion(call, "tool_calls")), text_reply("It says hi.")]).await;
    let model = build_model_in(&spec("openai", "gpt-test", &server.base), &empty_env()).unwrap();

    let mut request = plain("What is in notes.txt?");
    request.tools = vec![read_file_tool()].into();
    request.tool_choice = ToolChoice::Required;
    let first = model.chat(&request).await.unwrap();
    assert_eq!(first.finish_reason, FinishReason::ToolCalls);
    assert_eq!(first.tool_calls.len(), 1);
    assert_eq!(first.tool_calls[0].id, "call_abc123");
    assert_eq!(first.tool_calls[0].name, "read_file");
    assert_eq!(first.tool_calls[0].arguments, r#"{"file_path":"notes.txt"}"#);

    let second = model.chat(&after_tool_call("call_abc123", "hi there")).await.unwrap();
    assert_eq!(second.content, "It says hi.");

    let requests = server.requests();
    // No key was needed: the base URL is local.
    assert!(!requests[0].headers.contains_key("authorization"));
    assert_eq!(requests[0].body["tool_choice"], "required");
    assert_eq!(
        requests[0].body["tools"][0],
        json!({"type": "function", "function": {"name": "read_file", "description": "Read content from a file",
               "parameters": read_file_tool().input_schema}})
    );
    let messages = requests[1].body["messages"].as_array().unwrap().clone();
    assert_eq!(
        messages[2],
        json!({"role": "assistant", "content": "Let me read it.", "tool_calls": [
            {"id": "call_abc123", "type": "function", "function": {"name": "read_file", "arguments": "{\"file_path\":\"notes.txt\"}"}}
        ]})
    );
    assert_eq!(messages[3], json!({"role": "tool", "tool_call_id": "call_abc123", "content": "hi there"}));
}

#[tokio::test]
async fn structured_output_uses_a_strict_json_schema() {
    let server =
        FakeServer::start(vec![text_reply(r#"{"subtopics":["Ownership","Traits"],"note":null}"#)]).await;
    let model = build_model_in(&spec("openai", "gpt-test", &server.base), &empty_env()).unwrap();
    let response = model.chat(&structured()).await.unwrap();
    assert_eq!(response.content, r#"{"subtopics":["Ownership","Traits"],"note":null}"#);

    let format = &server.single().body["response_format"];
    assert_eq!(format["type"], "json_schema");
    assert_eq!(format["json_schema"]["name"], "subtopics");
    assert_eq!(format["json_schema"]["strict"], true);
    let schema = &format["json_schema"]["schema"];
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(schema["required"], json!(["subtopics", "note"]));
    assert_eq!(schema["properties"]["note"]["type"], json!(["string", "null"]));
}

#[tokio::test]
async fn rate_limited_reply_is_retried_after_retry_after() {
    let limited =
        Reply::status(429, r#"{"error":{"message":"Rate limit reached"}}"#).header("retry-after", "1");
    let server = FakeServer::start(vec![limited, text_reply("ok")]).await;
    let usage = UsageCounter::new();
    let env = empty_env().with_usage(usage.clone());
    let model = build_model_in(&spec("openai", "gpt-test", &server.base), &env).unwrap();

    let response = model.chat(&plain("Hi")).await.unwrap();
    assert_eq!(response.content, "ok");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let waited = requests[1].at - requests[0].at;
    assert!(waited >= Duration::from_secs(1), "retried after {waited:?}");
    let totals = usage.snapshot();
    assert_eq!((totals.calls, totals.retries, totals.failures), (1, 1, 0));
}

#[tokio::test]
async fn server_errors_are_retried_then_reported() {
    let server = FakeServer::start(vec![Reply::status(503, "overloaded"), text_reply("recovered")]).await;
    let model = build_model_in(&spec("openai", "gpt-test", &server.base), &empty_env()).unwrap();
    assert_eq!(model.chat(&plain("Hi")).await.unwrap().content, "recovered");
    assert_eq!(server.requests().len(), 2);

    // Three 500s exhaust two retries.
    let failing = FakeServer::start(vec![Reply::status(500, "boom"); 3]).await;
    let model = build_model_in(&spec("openai", "gpt-test", &failing.base), &empty_env()).unwrap();
    match model.chat(&plain("Hi")).await {
        Err(LlmError::Status { status: 500, message, .. }) => assert_eq!(message, "boom"),
        other => panic!("expected a 500, got {other:?}"),
    }
    assert_eq!(failing.requests().len(), 3);
    assert_eq!(model.usage().unwrap().snapshot().failures, 1);
}

#[tokio::test]
async fn client_errors_are_not_retried_and_never_show_the_key() {
    let echo = r#"{"error":{"message":"Incorrect API key provided: sk-live-SECRET-123"}}"#;
    let server = FakeServer::start(vec![Reply::status(401, echo)]).await;
    let env = env_with("OPENAI_API_KEY", "sk-live-SECRET-123");
    let model = build_model_in(&spec("openai", "gpt-test", &server.base), &env).unwrap();
    let error = model.chat(&plain("Hi")).await.unwrap_err();
    let shown = format!("{error} {error:?}");
    assert!(shown.contains("401"), "{shown}");
    assert!(!shown.contains("SECRET"), "{shown}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_200_that_is_not_a_reply_is_retried_as_a_call() {
    // Empty, cut-off JSON, not JSON, JSON without a reply: each is a failed
    // call (retried), not a failed sample.
    let server = FakeServer::start(vec![
        Reply::status(200, ""),
        Reply::status(200, r#"{"choices": [{"message": {"content": "hal"#),
        text_reply("first"),
        Reply::status(200, "<html>not json</html>"),
        Reply::json(json!({"choices": []})),
        text_reply("second"),
    ])
    .await;
    let usage = UsageCounter::new();
    let env = empty_env().with_usage(usage.clone());
    let model = build_model_in(&spec("openai", "gpt-test", &server.base), &env).unwrap();
    assert_eq!(model.chat(&plain("Hi")).await.unwrap().content, "first");
    assert_eq!(model.chat(&plain("Hi")).await.unwrap().content, "second");
    assert_eq!(server.requests().len(), 6);
    let totals = usage.snapshot();
    assert_eq!((totals.calls, totals.retries, totals.failures), (2, 4, 0));

    // Past the retries, the call fails with the reason.
    let failing = FakeServer::start(vec![Reply::status(200, ""); 3]).await;
    let model = build_model_in(&spec("openai", "gpt-test", &failing.base), &empty_env()).unwrap();
    match model.chat(&plain("Hi")).await {
        Err(LlmError::Malformed { message, .. }) => assert!(message.contains("(empty body)"), "{message}"),
        other => panic!("expected a malformed reply, got {other:?}"),
    }
    assert_eq!(failing.requests().len(), 3);
}

#[tokio::test]
async fn a_body_cut_off_by_the_connection_is_retried() {
    // A raw server: the first reply promises more bytes than it sends and
    // closes the connection; the second is whole.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let served = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = served.clone();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            let number = count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut request = Vec::new();
            let mut buffer = [0u8; 4096];
            // Read the head and the body the head announces.
            loop {
                let read = socket.read(&mut buffer).await.unwrap_or(0);
                if read == 0 {
                    break;
                }
                request.extend_from_slice(&buffer[..read]);
                let text = String::from_utf8_lossy(&request);
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text[..end]
                        .lines()
                        .find_map(|line| {
                            line.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().to_owned())
                        })
                        .and_then(|v| v.parse::<usize>().ok())
                        .unwrap_or(0);
                    if request.len() >= end + 4 + length {
                        break;
                    }
                }
            }
            let whole = json!({"choices": [{"message": {"role": "assistant", "content": "whole"}, "finish_reason": "stop"}]}).to_string();
            let reply = if number == 0 {
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
                    whole.len(),
                    &whole[..20]
                )
            } else {
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{whole}",
                    whole.len()
                )
            };
            let _ = socket.write_all(reply.as_bytes()).await;
            let _ = socket.shutdown().await;
        }
    });
    let model = build_model_in(&spec("openai", "gpt-test", &base), &empty_env()).unwrap();
    assert_eq!(model.chat(&plain("Hi")).await.unwrap().content, "whole");
    assert_eq!(served.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[tokio::test]
async fn slow_replies_time_out_and_are_retried() {
    let server =
        FakeServer::start(vec![text_reply("late").after(Duration::from_secs(3)), text_reply("on time")])
            .await;
    let spec = ProviderSpec { timeout_secs: Some(1), ..spec("openai", "gpt-test", &server.base) };
    let model = build_model_in(&spec, &empty_env()).unwrap();
    assert_eq!(model.chat(&plain("Hi")).await.unwrap().content, "on time");
    assert_eq!(model.usage().unwrap().snapshot().retries, 1);
}

#[tokio::test]
async fn connection_errors_are_transport_errors() {
    let spec = ProviderSpec { max_retries: 1, ..spec("openai", "gpt-test", "http://127.0.0.1:9") };
    let model = build_model_in(&spec, &empty_env()).unwrap();
    assert!(matches!(model.chat(&plain("Hi")).await, Err(LlmError::Transport { .. })));
    assert_eq!(model.usage().unwrap().snapshot().retries, 1);
}

#[test]
fn missing_key_is_a_config_error_at_construction() {
    let error = build_model_in(&ProviderSpec::new("openai", "gpt-4o"), &empty_env()).err().expect("no key");
    assert!(matches!(error, LlmError::Config(_)));
    assert!(error.to_string().contains("OPENAI_API_KEY"), "{error}");
    // A remote custom base URL still needs a key.
    let remote = ProviderSpec {
        base_url: Some("https://llm.example.com/v1".into()),
        ..ProviderSpec::new("openai", "m")
    };
    assert!(build_model_in(&remote, &empty_env()).is_err());
}

#[tokio::test]
async fn openai_base_url_comes_from_the_environment() {
    let server = FakeServer::start(vec![text_reply("via env")]).await;
    let env = ModelEnv::from_vars([("OPENAI_BASE_URL", server.base.as_str())]);
    let model = build_model_in(&ProviderSpec::new("openai", "local-model"), &env).unwrap();
    assert_eq!(model.chat(&plain("Hi")).await.unwrap().content, "via env");
}

#[test]
fn unknown_providers_and_bad_specs_are_rejected() {
    let error = build_model_in(&ProviderSpec::new("mistral", "x"), &empty_env()).err().unwrap();
    assert!(error.to_string().contains("openai, anthropic, gemini, ollama, openrouter, scripted"), "{error}");
    assert!(build_model_in(&ProviderSpec::new("openai", ""), &empty_env()).is_err());
    let bad_url =
        ProviderSpec { base_url: Some("not a url".into()), ..ProviderSpec::new("ollama", "llama3") };
    assert!(build_model_in(&bad_url, &empty_env()).is_err());
}
