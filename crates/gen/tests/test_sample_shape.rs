//! The shape of one sample, pinned.

use crate::common;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_quickstart_sample() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("data.jsonl");
    let config = common::config(2, 2);
    common::run(&config, common::scripted(7), common::sandbox().await, &out, true).await;
    let mut first = common::samples(&out).remove(0);
    // The VFS's digest depends on where its wasm was built (paths in panic
    // messages): pinned as a shape, not a value.
    let replay = first.metadata.replay.as_mut().expect("metadata.replay");
    let vfs = replay.components.get_mut("vfs").expect("the VFS served the calls");
    assert!(vfs.starts_with("sha256:") && vfs.len() == 23 && vfs[7..].bytes().all(|b| b.is_ascii_hexdigit()));
    *vfs = "sha256:[16 hex digits of the VFS wasm]".to_owned();
    insta::assert_snapshot!(serde_json::to_string_pretty(&first).expect("json"));
}
