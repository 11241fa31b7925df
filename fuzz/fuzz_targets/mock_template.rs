//! The mock tier on what `POST /mock/load-schema` and a tool call can
//! carry: any body is loaded or refused, and a loaded tool answers every
//! call with JSON; a response template with no placeholder is answered as
//! written, and no template (`null`) gives the default response.
//!
//! Input: `BODY \0 ARGS`. When BODY is not a `load-schema` body the tier
//! takes, it is used as one tool's `mockResponse` (JSON, or else a string).
#![no_main]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};
use weft_protocol::ErrorType;
use weft_tools::mock::MockTier;

/// The in-memory tier never waits: one poll finishes its futures.
fn now<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the in-memory mock tier waited"),
    }
}

fn check_answer(tier: &MockTier, name: &str, args: &Value) -> Value {
    let outcome = tier.execute(name, args);
    if !outcome.success {
        assert_eq!(outcome.error_type, Some(ErrorType::InvalidArguments), "{outcome:?}");
        return Value::Null;
    }
    serde_json::from_str(&outcome.result).expect("a mock tool answers JSON")
}

fuzz_target!(|data: &[u8]| {
    let (body, args) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &b"{}"[..]),
    };
    let args = match serde_json::from_slice::<Value>(args) {
        Ok(value @ Value::Object(_)) => value,
        _ => json!({"q": String::from_utf8_lossy(args)}),
    };

    let tier = MockTier::in_memory();
    if let Ok(loaded) = now(tier.load_schema(body)) {
        assert_eq!(loaded.loaded, loaded.tools.len());
        for name in &loaded.tools {
            assert!(tier.has_tool(name));
            check_answer(&tier, name, &args);
        }
        return;
    }

    let template = serde_json::from_slice::<Value>(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()));
    let schema = json!([{
        "name": "fuzzed",
        "description": "a tool whose response is the fuzzer's",
        "inputSchema": {"type": "object"},
        "mockResponse": template,
    }]);
    now(tier.load_schema(schema.to_string().as_bytes())).expect("any JSON value is a response template");
    let answer = check_answer(&tier, "fuzzed", &args);
    if template.is_null() {
        // `mockResponse: null` is no template: the default response.
        assert_eq!(answer["tool"], "fuzzed", "{answer}");
        assert_eq!(answer["input_received"], args);
    } else if !template.to_string().contains("{{") {
        assert_eq!(answer, template, "a template without placeholders is answered as written");
    }
});
