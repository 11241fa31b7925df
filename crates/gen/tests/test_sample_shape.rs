//! The shape of one sample, pinned.

use crate::common;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_quickstart_sample() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("data.jsonl");
    let config = common::config(2, 2);
    common::run(&config, common::scripted(7), common::sandbox().await, &out, true).await;
    let first = common::samples(&out).remove(0);
    insta::assert_snapshot!(serde_json::to_string_pretty(&first).expect("json"));
}
