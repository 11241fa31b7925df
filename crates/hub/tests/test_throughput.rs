//! How long a 100 MB dataset takes to go up to the fake Hub on loopback,
//! and to come back through the official client. A measurement, not a
//! check of behaviour, so ignored by default:
//!
//! ```sh
//! source .ci/hub-peers.sh
//! cargo test --release -p weft-hub --test test_throughput -- --ignored --nocapture
//! ```

use crate::common;

use std::time::Instant;

use common::*;
use weft_bench::hub::HubOptions;
use weft_hub::RepoId;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: run with --ignored --nocapture, in release"]
async fn upload_and_read_back_of_100_mb() {
    // The Hub's own threshold: only the 100 MB file goes through LFS.
    let hub = hub(HubOptions { lfs_threshold: 10 << 20, ..options() }).await;
    let dir = tempfile::tempdir().unwrap();
    let canonical = write_dataset(dir.path(), 31_300, 2_300);
    let size = std::fs::metadata(&canonical).unwrap().len();
    let repo = RepoId::parse("alice/big").unwrap();
    let files = dataset_files(&repo, &canonical);
    let mut upload = upload_to(&hub, "alice/big", files.clone());
    upload.tags = vec!["v1".into()];

    let started = Instant::now();
    let report = weft_hub::upload(&upload).await.expect("upload");
    let upload_secs = started.elapsed().as_secs_f64();
    let lfs: u64 = report.files.iter().filter(|f| f.lfs).map(|f| f.size).sum();
    assert_eq!(report.lfs_bytes_sent, lfs);
    let total: u64 = report.files.iter().map(|f| f.size).sum();

    let expected = expected_tree(&files);
    let started = Instant::now();
    let figures = read_back_ok(&hub, "alice/big", "v1", expected.path()).await;
    let read_secs = started.elapsed().as_secs_f64();
    let mb = size as f64 / 1e6;
    let total_mb = total as f64 / 1e6;
    println!(
        "dataset: {mb:.1} MB ({} samples); {} files, {total_mb:.1} MB in all, {:.1} MB through LFS",
        31_300,
        files.len(),
        lfs as f64 / 1e6
    );
    println!(
        "upload (hash + create + preupload + LFS PUT + verify + commit + tag): {upload_secs:.2} s = {:.0} MB/s",
        total_mb / upload_secs
    );
    if let Some(figures) = figures {
        println!(
            "read-back (python start-up included): {read_secs:.2} s; client-side: {} s",
            figures["seconds"]
        );
    }
}
