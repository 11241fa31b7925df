//! The exact requests DeepFabric's Python `SpinClient` sends, over a real
//! socket: execute with `{session_id, tool, args}` to `/vfs/execute`, seeding
//! by `write_file`, cleanup via the root `DELETE /session/{id}`, and
//! `GET /health` / `GET /components` parsed as `{status, components}`.

use crate::common;

use serde_json::{Value, json};

#[tokio::test]
async fn deepfabric_spin_client_works_unchanged() {
    let (addr, _stop) = common::spawn(common::state().await).await;
    let base = format!("http://{addr}");
    let client = common::http_client();
    let session = "3f1c9c1e-5d7b-4c1a-9b7e-2f5d2e8c9a10"; // uuid4, as SpinSession makes

    let health: Value =
        client.get(format!("{base}/health")).send().await.expect("health").json().await.expect("json");
    assert_eq!(health["status"], "healthy");
    assert!(health["components"].as_array().is_some_and(|c| c.contains(&json!("vfs"))));
    let components: Value = client
        .get(format!("{base}/components"))
        .send()
        .await
        .expect("components")
        .json()
        .await
        .expect("json");
    assert_eq!(components["components"], json!(["vfs", "mock"]));

    // seed_files: one write_file per file, component "vfs".
    for (path, content) in [("main.py", "print('hi')\n"), ("config.json", "{\"version\": \"1.0.0\"}\n")] {
        let reply: Value = client
            .post(format!("{base}/vfs/execute"))
            .json(&json!({"session_id": session, "tool": "write_file", "args": {"file_path": path, "content": content}}))
            .send()
            .await
            .expect("seed")
            .json()
            .await
            .expect("json");
        assert_eq!(reply["success"], true, "{reply}");
        assert_eq!(reply.get("error_type"), None, "success omits error_type: {reply}");
    }

    // execute_tool reads success/result/error_type from a 200.
    let response = client
        .post(format!("{base}/vfs/execute"))
        .json(&json!({"session_id": session, "tool": "read_file", "args": {"file_path": "missing.txt"}}))
        .send()
        .await
        .expect("execute");
    assert_eq!(response.status(), 200);
    let reply: Value = response.json().await.expect("json");
    assert_eq!(
        reply,
        json!({"success": false, "result": "File not found: missing.txt", "error_type": "FileNotFound"})
    );

    // cleanup_session: DELETE {endpoint}/session/{id}, success only on 200.
    let response = client.delete(format!("{base}/session/{session}")).send().await.expect("cleanup");
    assert_eq!(response.status(), 200);
    let reply: Value = response.json().await.expect("json");
    assert_eq!(reply, json!({"success": true, "deleted_files": 2}));
}
