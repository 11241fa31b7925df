#![allow(dead_code)]

pub mod fake_github;

use std::path::PathBuf;

use weft_protocol::ToolOutcome;
use weft_sandbox::{Manifest, Sandbox};

pub async fn builtin() -> Sandbox {
    Sandbox::new(Manifest::builtin()).await.expect("the built-in manifest loads")
}

pub async fn from_toml(text: &str) -> Sandbox {
    let manifest =
        Manifest::parse(text, "test.toml".as_ref(), PathBuf::from(".")).expect("test manifest parses");
    Sandbox::new(manifest).await.expect("test manifest loads")
}

/// The misbehaving guest, granted a store, one variable, and a short deadline.
pub async fn misbehave() -> Sandbox {
    from_toml(
        r#"
        [variables]
        greeting = { default = "hello" }
        [component.misbehave]
        source = "builtin:misbehave"
        key_value_stores = ["default"]
        timeout_ms = 300
        memory_limit_mib = 16
        [component.misbehave.variables]
        greeting = "{{ greeting }}"
        "#,
    )
    .await
}

/// The misbehaving guest without std, which the host calls synchronously.
pub async fn misbehave_bare() -> Sandbox {
    from_toml(
        r#"
        [component.bare]
        source = "builtin:misbehave-bare"
        timeout_ms = 300
        memory_limit_mib = 16
        "#,
    )
    .await
}

pub async fn call(sandbox: &Sandbox, session: &str, tool: &str, args: serde_json::Value) -> ToolOutcome {
    sandbox.execute(session, tool, &args.to_string()).await
}

#[track_caller]
pub fn assert_ok(outcome: &ToolOutcome, result: &str) {
    assert!(outcome.success, "expected success, got {outcome:?}");
    assert_eq!(outcome.result, result);
    assert_eq!(outcome.error_type, None);
}

#[track_caller]
pub fn assert_err(outcome: &ToolOutcome, kind: &str, result: &str) {
    assert!(!outcome.success, "expected failure, got {outcome:?}");
    assert_eq!(outcome.error_type.as_ref().map(|e| e.as_str()), Some(kind), "{outcome:?}");
    assert_eq!(outcome.result, result);
}
