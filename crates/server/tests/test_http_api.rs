//! The HTTP contract of design.md §4, request by request.

use crate::common;

use axum::http::Method;
use common::{send, state};
use serde_json::json;

#[tokio::test]
async fn execute_answers_the_spin_envelope() {
    let st = state().await;
    let body = json!({"session_id": "s1", "tool": "write_file", "args": {"file_path": "hello.txt", "content": "Hello, World!"}});
    let (status, reply) = send(&st, Method::POST, "/vfs/execute", body.to_string()).await;
    assert_eq!(status, 200);
    assert_eq!(reply, json!({"success": true, "result": "Successfully wrote 13 bytes to hello.txt"}));

    let body = json!({"session_id": "s1", "tool": "read_file", "args": {"file_path": "/etc/passwd"}});
    let (status, reply) = send(&st, Method::POST, "/vfs/execute", body.to_string()).await;
    assert_eq!(status, 200);
    assert_eq!(
        reply,
        json!({"success": false, "result": "Access denied: /etc/passwd", "error_type": "PermissionDenied"})
    );
}

#[tokio::test]
async fn root_execute_routes_by_tool_name() {
    let st = state().await;
    let body = json!({"session_id": "s", "tool": "list_files", "args": {}});
    let (status, reply) = send(&st, Method::POST, "/execute", body.to_string()).await;
    assert_eq!((status, reply), (200, json!({"success": true, "result": "[]"})));
    let body = json!({"session_id": "s", "tool": "launch_rocket", "args": {}});
    let (_, reply) = send(&st, Method::POST, "/execute", body.to_string()).await;
    assert_eq!(
        reply,
        json!({"success": false, "result": "Unknown tool: launch_rocket", "error_type": "UnknownTool"})
    );
}

#[tokio::test]
async fn missing_args_mean_no_arguments() {
    let st = state().await;
    let (_, reply) =
        send(&st, Method::POST, "/vfs/execute", r#"{"session_id":"s","tool":"list_files"}"#).await;
    assert_eq!(reply, json!({"success": true, "result": "[]"}));
}

#[tokio::test]
async fn malformed_requests_are_400_invalid_request() {
    let st = state().await;
    for body in [
        "{not json",
        r#"{"tool":"read_file","args":{}}"#,
        r#"{"session_id":5,"tool":"x"}"#,
        "",
        r#"{"session_id":"","tool":"list_files"}"#,
    ] {
        let (status, reply) = send(&st, Method::POST, "/vfs/execute", body).await;
        assert_eq!(status, 400, "{body:?} -> {reply}");
        assert_eq!(reply["error_type"], "InvalidRequest", "{body:?}");
        assert_eq!(reply["success"], false);
        assert!(reply["result"].as_str().is_some_and(|r| r.starts_with("Invalid request")), "{reply}");
    }
}

#[tokio::test]
async fn unknown_components_and_routes_are_404() {
    let st = state().await;
    let (status, reply) =
        send(&st, Method::POST, "/nope/execute", r#"{"session_id":"s","tool":"x","args":{}}"#).await;
    assert_eq!(status, 404);
    insta::assert_json_snapshot!(reply, @r#"
    {
      "success": false,
      "result": "Unknown component: nope",
      "error": "Unknown component: nope",
      "error_type": "NotFound"
    }
    "#);
    let (status, reply) = send(&st, Method::GET, "/nope/health", "").await;
    assert_eq!((status, reply["error_type"].as_str()), (404, Some("NotFound")));
    let (status, reply) = send(&st, Method::GET, "/a/b/c/d", "").await;
    assert_eq!((status, reply["error_type"].as_str()), (404, Some("NotFound")));
}

#[tokio::test]
async fn wrong_methods_are_405() {
    let st = state().await;
    let (status, reply) = send(&st, Method::GET, "/vfs/execute", "").await;
    assert_eq!((status, reply["error_type"].as_str()), (405, Some("MethodNotAllowed")));
}

#[tokio::test]
async fn oversize_bodies_are_413() {
    let st = weft_server::AppState::new(
        weft_tools::InProcess::new(weft_sandbox::Manifest::builtin()).await.expect("loads"),
        1024,
    );
    let content = "x".repeat(2048);
    let body =
        json!({"session_id": "s", "tool": "write_file", "args": {"file_path": "big", "content": content}});
    let (status, reply) = send(&st, Method::POST, "/vfs/execute", body.to_string()).await;
    assert_eq!(status, 413);
    assert_eq!(reply["error_type"], "PayloadTooLarge");
    assert_eq!(reply["result"], "Request body exceeds the limit of 1024 bytes");
}

#[tokio::test]
async fn sessions_are_deleted_by_either_route() {
    let st = state().await;
    for (i, route) in ["/session/s9", "/vfs/session/s9"].into_iter().enumerate() {
        for file in ["a", "b"] {
            let body = json!({"session_id": "s9", "tool": "write_file", "args": {"file_path": file, "content": "x"}});
            send(&st, Method::POST, "/vfs/execute", body.to_string()).await;
        }
        let (status, reply) = send(&st, Method::DELETE, route, "").await;
        assert_eq!((status, reply), (200, json!({"success": true, "deleted_files": 2})), "route {i}");
        let (_, listing) =
            send(&st, Method::POST, "/vfs/execute", r#"{"session_id":"s9","tool":"list_files","args":{}}"#)
                .await;
        assert_eq!(listing["result"], "[]");
    }
    let (status, _) = send(&st, Method::DELETE, "/nope/session/s9", "").await;
    assert_eq!(status, 404);
}

/// `POST /session/{id}/seed` seeds as the in-process sandbox does: a
/// project's own `lib/` is kept, `/etc` stays denied, a refused file is
/// named and nothing of the session is kept, a bad body is a 400.
#[tokio::test]
async fn a_session_is_seeded_with_a_projects_own_folders() {
    let st = state().await;
    let seed = json!({"files": {"lib/core.rs": "pub fn core() {}\n", "README.md": "# p\n"}});
    let (status, reply) = send(&st, Method::POST, "/session/p1/seed", seed.to_string()).await;
    assert_eq!((status, reply), (200, json!({"success": true, "seeded": 2})));
    let read = |path: &str| {
        json!({"session_id": "p1", "tool": "read_file", "args": {"file_path": path}}).to_string()
    };
    let (_, reply) = send(&st, Method::POST, "/vfs/execute", read("/lib/core.rs")).await;
    assert_eq!(reply, json!({"success": true, "result": "pub fn core() {}\n"}));
    let (_, reply) = send(&st, Method::POST, "/vfs/execute", read("/etc/passwd")).await;
    assert_eq!(reply["error_type"], "PermissionDenied", "{reply}");
    let bad = json!({"files": {"a.txt": "a", "~/.ssh/id_rsa": "k"}});
    let (status, reply) = send(&st, Method::POST, "/session/p2/seed", bad.to_string()).await;
    assert_eq!(
        (status, reply),
        (200, json!({"success": false, "path": "~/.ssh/id_rsa", "result": "Access denied: ~/.ssh/id_rsa"}))
    );
    let (_, listing) =
        send(&st, Method::POST, "/vfs/execute", r#"{"session_id":"p2","tool":"list_files","args":{}}"#).await;
    assert_eq!(listing["result"], "[]");
    let (status, reply) = send(&st, Method::POST, "/session/p3/seed", r#"{"files": ["a"]}"#.to_owned()).await;
    assert_eq!((status, &reply["error_type"]), (400, &json!("InvalidRequest")), "{reply}");
}

#[tokio::test]
async fn health_components_and_tools() {
    let st = state().await;
    let (status, health) = send(&st, Method::GET, "/health", "").await;
    assert_eq!(
        (status, &health["status"], &health["components"]),
        (200, &json!("healthy"), &json!(["vfs", "mock"]))
    );
    // The session store's instance, also sent with every tool call's answer.
    assert!(health["store_instance"].as_str().is_some_and(|id| id.len() == 16), "{health}");
    assert_eq!(
        send(&st, Method::GET, "/vfs/health", "").await,
        (200, json!({"status": "healthy", "components": ["vfs"]}))
    );
    let (status, components) = send(&st, Method::GET, "/components", "").await;
    assert_eq!((status, &components["components"]), (200, &json!(["vfs", "mock"])));
    assert_eq!(components["versions"]["vfs"]["live"], false, "{components}");
    assert_eq!(send(&st, Method::GET, "/vfs/components", "").await, (200, json!({"components": ["vfs"]})));
    let (status, tools) = send(&st, Method::GET, "/vfs/tools", "").await;
    assert_eq!(status, 200);
    insta::assert_json_snapshot!(tools["tools"][0], @r#"
    {
      "name": "read_file",
      "description": "Read content from a file",
      "inputSchema": {
        "properties": {
          "file_path": {
            "description": "Path to the file to read",
            "type": "string"
          }
        },
        "required": [
          "file_path"
        ],
        "type": "object"
      },
      "annotations": {
        "readOnlyHint": true
      }
    }
    "#);
}

#[tokio::test]
async fn metrics_count_calls_by_tool_and_error_type() {
    let st = state().await;
    send(
        &st,
        Method::POST,
        "/vfs/execute",
        r#"{"session_id":"s","tool":"read_file","args":{"file_path":"missing"}}"#,
    )
    .await;
    send(&st, Method::POST, "/vfs/execute", r#"{"session_id":"s","tool":"list_files","args":{}}"#).await;
    send(&st, Method::POST, "/vfs/execute", r#"{"session_id":"s","tool":"no_such_tool_1234","args":{}}"#)
        .await;
    send(&st, Method::POST, "/vfs/execute", "{bad").await;
    let (status, text) = send(&st, Method::GET, "/metrics", "").await;
    assert_eq!(status, 200);
    let text = text.as_str().expect("text");
    assert!(
        text.contains(
            r#"weft_tool_calls_total{component="vfs",tool="read_file",error_type="FileNotFound"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"weft_tool_calls_total{component="vfs",tool="list_files",error_type="success"} 1"#),
        "{text}"
    );
    assert!(text.contains(r#"tool="<unknown>",error_type="UnknownTool"} 1"#), "{text}");
    assert!(!text.contains("no_such_tool_1234"), "client-chosen names must not become labels");
    assert!(text.contains(r#"weft_requests_rejected_total{error_type="InvalidRequest"} 1"#), "{text}");
    assert!(text.contains("weft_tool_call_duration_seconds_count 3"), "{text}");
}
