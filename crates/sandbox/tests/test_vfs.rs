//! The VFS component, driven through the real sandbox.

use crate::common;

use common::{assert_err, assert_ok, builtin, call};
use serde_json::json;

#[tokio::test]
async fn write_read_list_delete_round_trip() {
    let sb = builtin().await;
    assert_ok(
        &call(&sb, "s", "write_file", json!({"file_path": "hello.txt", "content": "Hello, World!"})).await,
        "Successfully wrote 13 bytes to hello.txt",
    );
    assert_ok(&call(&sb, "s", "read_file", json!({"file_path": "hello.txt"})).await, "Hello, World!");
    call(&sb, "s", "write_file", json!({"file_path": "src/main.py", "content": "print(1)\n"})).await;
    assert_ok(&call(&sb, "s", "list_files", json!({})).await, r#"["hello.txt","src/main.py"]"#);
    assert_ok(&call(&sb, "s", "list_files", json!({"directory": "/src"})).await, r#"["src/main.py"]"#);
    assert_ok(
        &call(&sb, "s", "delete_file", json!({"file_path": "hello.txt"})).await,
        "Successfully deleted hello.txt",
    );
    assert_err(
        &call(&sb, "s", "read_file", json!({"file_path": "hello.txt"})).await,
        "FileNotFound",
        "File not found: hello.txt",
    );
    assert_err(
        &call(&sb, "s", "delete_file", json!({"file_path": "hello.txt"})).await,
        "FileNotFound",
        "File not found: hello.txt",
    );
}

#[tokio::test]
async fn byte_counts_are_utf8_bytes() {
    let sb = builtin().await;
    assert_ok(
        &call(&sb, "s", "write_file", json!({"file_path": "é.txt", "content": "héllo"})).await,
        "Successfully wrote 6 bytes to é.txt",
    );
}

#[tokio::test]
async fn paths_are_normalised_against_the_session_root() {
    let sb = builtin().await;
    call(&sb, "s", "write_file", json!({"file_path": "/test.txt", "content": "one"})).await;
    assert_ok(&call(&sb, "s", "read_file", json!({"file_path": "test.txt"})).await, "one");
    assert_ok(&call(&sb, "s", "read_file", json!({"file_path": "./a/../test.txt"})).await, "one");
    assert_ok(&call(&sb, "s", "read_file", json!({"file_path": "//test.txt"})).await, "one");
    call(&sb, "s", "write_file", json!({"file_path": "./a/../b", "content": "bee"})).await;
    assert_ok(&call(&sb, "s", "list_files", json!({})).await, r#"["b","test.txt"]"#);
}

#[tokio::test]
async fn escapes_and_system_directories_are_denied() {
    let sb = builtin().await;
    for path in [
        "/etc/passwd",
        "etc/passwd",
        "../x",
        "a/../../x",
        "/proc/self/environ",
        "/var/log/syslog",
        "~/.ssh/id_rsa",
        "/root",
    ] {
        assert_err(
            &call(&sb, "s", "read_file", json!({"file_path": path})).await,
            "PermissionDenied",
            &format!("Access denied: {path}"),
        );
    }
    assert_err(
        &call(&sb, "s", "write_file", json!({"file_path": "/etc/hosts", "content": "x"})).await,
        "PermissionDenied",
        "Access denied: /etc/hosts",
    );
    // A name that merely starts like a protected directory is fine.
    assert_ok(
        &call(&sb, "s", "write_file", json!({"file_path": "etcetera.txt", "content": "x"})).await,
        "Successfully wrote 1 bytes to etcetera.txt",
    );
}

/// A real project keeps its `lib/`, `bin/`, `var/`: a protected directory
/// a scenario seeds is the session's own, read, written, listed and moved
/// like any other. The machine's directories stay denied: one the scenario
/// does not bring (`/etc/passwd`), one a model writes into, and the same
/// directories in another session.
#[tokio::test]
async fn a_scenario_keeps_its_own_protected_folders_and_the_machine_keeps_the_rest() {
    let sb = builtin().await;
    let seed = weft_protocol::ScenarioSeed {
        files: [
            ("lib/core.rs".to_owned(), "pub fn core() {}\n".to_owned()),
            ("/bin/run.sh".to_owned(), "#!/bin/sh\n".to_owned()),
            ("src/main.rs".to_owned(), "fn main() {}\n".to_owned()),
        ]
        .into(),
    };
    sb.seed("p", &seed).await.expect("the project is seeded");
    for path in ["lib/core.rs", "/lib/core.rs", "./lib/../lib/core.rs"] {
        assert_ok(&call(&sb, "p", "read_file", json!({"file_path": path})).await, "pub fn core() {}\n");
    }
    assert_ok(&call(&sb, "p", "read_file", json!({"file_path": "bin/run.sh"})).await, "#!/bin/sh\n");
    assert_ok(
        &call(&sb, "p", "write_file", json!({"file_path": "/lib/util.rs", "content": "x"})).await,
        "Successfully wrote 1 bytes to /lib/util.rs",
    );
    assert_ok(
        &call(&sb, "p", "list_files", json!({"directory": "lib"})).await,
        r#"["lib/core.rs","lib/util.rs"]"#,
    );
    assert_ok(
        &call(&sb, "p", "move_file", json!({"source": "lib/util.rs", "destination": "src/util.rs"})).await,
        "Successfully moved lib/util.rs to src/util.rs",
    );
    // What the scenario did not bring is still the machine's.
    for path in ["/etc/passwd", "var/log/syslog", "usr/bin/env"] {
        assert_err(
            &call(&sb, "p", "read_file", json!({"file_path": path})).await,
            "PermissionDenied",
            &format!("Access denied: {path}"),
        );
    }
    // A model cannot make a directory its own by writing into it.
    assert_err(
        &call(&sb, "p", "write_file", json!({"file_path": "etc/hosts", "content": "x"})).await,
        "PermissionDenied",
        "Access denied: etc/hosts",
    );
    assert_err(
        &call(&sb, "p", "read_file", json!({"file_path": "etc/hosts"})).await,
        "PermissionDenied",
        "Access denied: etc/hosts",
    );
    // Another session without the scenario: lib is the machine's there.
    assert_err(
        &call(&sb, "q", "read_file", json!({"file_path": "lib/core.rs"})).await,
        "PermissionDenied",
        "Access denied: lib/core.rs",
    );
    // Once closed, the session forgets the project's folders too.
    sb.delete_session("p").await;
    assert_err(
        &call(&sb, "p", "read_file", json!({"file_path": "lib/core.rs"})).await,
        "PermissionDenied",
        "Access denied: lib/core.rs",
    );
    // An escape stays an escape while seeding, and nothing is kept.
    let bad = weft_protocol::ScenarioSeed {
        files: [("a.txt".to_owned(), "a".to_owned()), ("../x".to_owned(), "x".to_owned())].into(),
    };
    match sb.seed("r", &bad).await {
        Err(weft_protocol::BackendError::Seed { path, reason }) => {
            assert_eq!((path.as_str(), reason.as_str()), ("../x", "Access denied: ../x"));
        }
        other => panic!("{other:?}"),
    }
    assert_ok(&call(&sb, "r", "list_files", json!({})).await, "[]");
}

/// A scenario of many files is written several files per instance: every
/// file arrives whole, a failure deep in a later batch names its file and
/// keeps nothing.
#[tokio::test]
async fn a_large_scenario_is_seeded_whole_and_a_late_failure_keeps_nothing() {
    let sb = builtin().await;
    let files: std::collections::BTreeMap<String, String> =
        (0..150).map(|i| (format!("src/f{i:03}.txt"), format!("file {i}\n").repeat(i + 1))).collect();
    let seed = weft_protocol::ScenarioSeed { files: files.clone() };
    sb.seed("big", &seed).await.expect("seeded");
    let listing = call(&sb, "big", "list_files", json!({})).await;
    let names: Vec<String> = serde_json::from_str(&listing.result).expect("a JSON list");
    assert_eq!(names, files.keys().cloned().collect::<Vec<_>>());
    for (path, content) in
        [("src/f000.txt", &files["src/f000.txt"]), ("src/f149.txt", &files["src/f149.txt"])]
    {
        assert_ok(&call(&sb, "big", "read_file", json!({"file_path": path})).await, content);
    }
    let mut bad = files;
    bad.insert("zz/../../escape".to_owned(), "x".to_owned());
    match sb.seed("bad", &weft_protocol::ScenarioSeed { files: bad }).await {
        Err(weft_protocol::BackendError::Seed { path, .. }) => assert_eq!(path, "zz/../../escape"),
        other => panic!("{other:?}"),
    }
    assert_ok(&call(&sb, "bad", "list_files", json!({})).await, "[]");
}

#[tokio::test]
async fn protected_directories_come_from_the_manifest() {
    let sb = common::from_toml(
        r#"
        [component.vfs]
        source = "builtin:vfs"
        key_value_stores = ["default"]
        variables = { protected_paths = "/secrets, private/keys" }
        "#,
    )
    .await;
    assert_err(
        &call(&sb, "s", "read_file", json!({"file_path": "/secrets/a"})).await,
        "PermissionDenied",
        "Access denied: /secrets/a",
    );
    assert_err(
        &call(&sb, "s", "read_file", json!({"file_path": "private/keys/k"})).await,
        "PermissionDenied",
        "Access denied: private/keys/k",
    );
    // /etc is no longer on the list, so it is an ordinary (missing) file.
    assert_err(
        &call(&sb, "s", "read_file", json!({"file_path": "/etc/passwd"})).await,
        "FileNotFound",
        "File not found: /etc/passwd",
    );
}

#[tokio::test]
async fn bad_arguments_name_the_argument() {
    let sb = builtin().await;
    assert_err(
        &call(&sb, "s", "read_file", json!({})).await,
        "InvalidArguments",
        "Missing required argument: file_path",
    );
    assert_err(
        &call(&sb, "s", "write_file", json!({"file_path": "a"})).await,
        "InvalidArguments",
        "Missing required argument: content",
    );
    assert_err(
        &call(&sb, "s", "read_file", json!({"file_path": 7})).await,
        "InvalidArguments",
        "Argument 'file_path' must be a string, got a number",
    );
    assert_err(
        &sb.execute("s", "read_file", "[1,2]").await,
        "InvalidArguments",
        "Arguments must be a JSON object",
    );
    let outcome = sb.execute("s", "read_file", "{oops").await;
    assert_eq!(outcome.error_type.as_ref().map(|e| e.as_str()), Some("InvalidArguments"));
    assert!(outcome.result.starts_with("Arguments are not valid JSON"), "{}", outcome.result);
    assert_err(
        &call(&sb, "s", "read_file", json!({"file_path": "/"})).await,
        "InvalidArguments",
        "Argument 'file_path' must name a file, got '/'",
    );
}

#[tokio::test]
async fn unknown_tools_are_reported() {
    let sb = builtin().await;
    assert_err(&call(&sb, "s", "rm_rf", json!({})).await, "UnknownTool", "Unknown tool: rm_rf");
    let routed = sb.execute_in("vfs", "s", "rm_rf", "{}").await.expect("vfs exists");
    assert_err(&routed, "UnknownTool", "Unknown tool: rm_rf");
    assert!(sb.execute_in("nope", "s", "read_file", "{}").await.is_none());
}

#[tokio::test]
async fn sessions_are_isolated() {
    let sb = builtin().await;
    call(&sb, "alice", "write_file", json!({"file_path": "secret.txt", "content": "a"})).await;
    assert_err(
        &call(&sb, "bob", "read_file", json!({"file_path": "secret.txt"})).await,
        "FileNotFound",
        "File not found: secret.txt",
    );
    assert_ok(&call(&sb, "bob", "list_files", json!({})).await, "[]");
    // A session id that looks like a path or a key prefix names nothing else.
    assert_ok(&call(&sb, "alice/../bob", "list_files", json!({})).await, "[]");
    assert_ok(&call(&sb, "alice:f:", "list_files", json!({})).await, "[]");
    assert_eq!(sb.delete_session("alice").await, 1);
    assert_ok(&call(&sb, "alice", "list_files", json!({})).await, "[]");
}

#[tokio::test]
async fn edit_file_replaces_exactly_one_occurrence() {
    let sb = builtin().await;
    call(&sb, "s", "write_file", json!({"file_path": "m.py", "content": "a = 1\nb = 1\n"})).await;
    assert_ok(
        &call(
            &sb,
            "s",
            "edit_file",
            json!({"file_path": "m.py", "old_string": "a = 1", "new_string": "a = 2"}),
        )
        .await,
        "Successfully edited m.py: replaced 1 occurrence",
    );
    assert_ok(&call(&sb, "s", "read_file", json!({"file_path": "m.py"})).await, "a = 2\nb = 1\n");
    assert_err(
        &call(&sb, "s", "edit_file", json!({"file_path": "m.py", "old_string": " = ", "new_string": "="}))
            .await,
        "InvalidArguments",
        "old_string appears 2 times in m.py; include more context to make it unique",
    );
    assert_err(
        &call(&sb, "s", "edit_file", json!({"file_path": "m.py", "old_string": "zzz", "new_string": "y"}))
            .await,
        "InvalidArguments",
        "old_string not found in m.py",
    );
    assert_err(
        &call(&sb, "s", "edit_file", json!({"file_path": "x.py", "old_string": "a", "new_string": "b"}))
            .await,
        "FileNotFound",
        "File not found: x.py",
    );
}

#[tokio::test]
async fn search_files_reports_path_line_and_text() {
    let sb = builtin().await;
    call(&sb, "s", "write_file", json!({"file_path": "src/a.py", "content": "def greet():\n    return 1\n"}))
        .await;
    call(&sb, "s", "write_file", json!({"file_path": "b.txt", "content": "nothing\ngreeting card\n"})).await;
    assert_ok(
        &call(&sb, "s", "search_files", json!({"pattern": "greet"})).await,
        "b.txt:2: greeting card\nsrc/a.py:1: def greet():",
    );
    assert_ok(
        &call(&sb, "s", "search_files", json!({"pattern": "^def", "directory": "src"})).await,
        "src/a.py:1: def greet():",
    );
    assert_ok(
        &call(&sb, "s", "search_files", json!({"pattern": "zebra"})).await,
        "No matches for pattern 'zebra'",
    );
    let bad = call(&sb, "s", "search_files", json!({"pattern": "("})).await;
    assert_eq!(bad.error_type.as_ref().map(|e| e.as_str()), Some("InvalidArguments"));
    assert!(bad.result.starts_with("Invalid regex pattern '('"), "{}", bad.result);
}

#[tokio::test]
async fn search_files_is_unicode_aware() {
    let sb = builtin().await;
    call(&sb, "s", "write_file", json!({"file_path": "menu.txt", "content": "Café au lait\nTHÉ vert\n"}))
        .await;
    // `.` is one character, `\w` and `(?i)` know accented letters.
    assert_ok(
        &call(&sb, "s", "search_files", json!({"pattern": "^.{4} au"})).await,
        "menu.txt:1: Café au lait",
    );
    assert_ok(&call(&sb, "s", "search_files", json!({"pattern": "(?i)thé"})).await, "menu.txt:2: THÉ vert");
    assert_ok(&call(&sb, "s", "search_files", json!({"pattern": "^\\w{3} "})).await, "menu.txt:2: THÉ vert");
    assert_ok(
        &call(&sb, "s", "search_files", json!({"pattern": "[éÉ]"})).await,
        "menu.txt:1: Café au lait\nmenu.txt:2: THÉ vert",
    );
    let bad = call(&sb, "s", "search_files", json!({"pattern": "a{2"})).await;
    assert!(bad.result.contains("unclosed counted repetition"), "the reason is named: {}", bad.result);
}

#[tokio::test]
async fn move_file_renames() {
    let sb = builtin().await;
    call(&sb, "s", "write_file", json!({"file_path": "old.txt", "content": "x"})).await;
    assert_ok(
        &call(&sb, "s", "move_file", json!({"source": "old.txt", "destination": "dir/new.txt"})).await,
        "Successfully moved old.txt to dir/new.txt",
    );
    assert_ok(&call(&sb, "s", "list_files", json!({})).await, r#"["dir/new.txt"]"#);
    assert_err(
        &call(&sb, "s", "move_file", json!({"source": "old.txt", "destination": "y"})).await,
        "FileNotFound",
        "File not found: old.txt",
    );
    assert_err(
        &call(&sb, "s", "move_file", json!({"source": "dir/new.txt", "destination": "/etc/cron.d/x"})).await,
        "PermissionDenied",
        "Access denied: /etc/cron.d/x",
    );
}

#[tokio::test]
async fn describe_lists_every_tool_with_a_schema() {
    let sb = builtin().await;
    let names: Vec<_> = sb.tool_definitions().into_iter().map(|t| t.name).collect();
    assert_eq!(
        names,
        ["read_file", "write_file", "list_files", "delete_file", "edit_file", "search_files", "move_file"]
    );
    let read = sb.tool_definitions().into_iter().next().expect("a tool");
    assert_eq!(read.input_schema["required"], json!(["file_path"]));
    assert_eq!(read.description, "Read content from a file");
}
