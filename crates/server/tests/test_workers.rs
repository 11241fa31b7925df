//! Thread-per-core serving: several workers share one port, every one of them
//! answers, and shutdown lets them finish.

use crate::common;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_share_one_port_and_shut_down_cleanly() {
    let state = common::state().await;
    let workers = weft_server::Workers::spawn("127.0.0.1:0".parse().expect("addr"), 3, state).expect("spawn");
    let addr = workers.local_addr();
    assert_ne!(addr.port(), 0);
    let client = common::http_client();
    let mut answers = Vec::new();
    for i in 0..24 {
        let body = serde_json::json!({"session_id": "w", "tool": "write_file", "args": {"file_path": format!("f{i}"), "content": "x"}});
        answers.push(execute(&client, addr, body).await["success"].as_bool());
    }
    assert!(answers.iter().all(|ok| *ok == Some(true)), "{answers:?}");
    // All workers share one sandbox: the session holds every file.
    let listing =
        execute(&client, addr, serde_json::json!({"session_id": "w", "tool": "list_files", "args": {}}))
            .await;
    let files: Vec<String> = serde_json::from_str(listing["result"].as_str().expect("text")).expect("array");
    assert_eq!(files.len(), 24);
    tokio::task::spawn_blocking(move || workers.shutdown()).await.expect("join").expect("clean shutdown");
    assert!(
        client.get(format!("http://{addr}/health")).send().await.is_err(),
        "still accepting after shutdown"
    );
}

/// POSTs one execute request on a fresh connection, so the kernel spreads
/// requests over the workers.
async fn execute(
    client: &reqwest::Client,
    addr: std::net::SocketAddr,
    body: serde_json::Value,
) -> serde_json::Value {
    client
        .post(format!("http://{addr}/vfs/execute"))
        .header("connection", "close")
        .json(&body)
        .send()
        .await
        .expect("reply")
        .json()
        .await
        .expect("json")
}
