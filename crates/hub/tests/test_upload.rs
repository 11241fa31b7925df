//! weft uploads a dataset to the fake Hub; the official client reads every
//! file back, byte for byte, at `main`, at the tag and at the commit.

use crate::common;

use common::*;
use weft_bench::hub::{FakeHub, HubOptions, HubRequest};
use weft_hub::{FileState, TagState};

fn requests_to(hub: &FakeHub, method: &str, path_part: &str) -> Vec<HubRequest> {
    hub.requests().into_iter().filter(|r| r.method == method && r.path.contains(path_part)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dataset_goes_up_in_one_commit_and_reads_back_byte_for_byte() {
    // LFS downloads redirect to the storage origin, as on the Hub.
    let hub = hub(HubOptions { cdn: true, ..options() }).await;
    let dir = tempfile::tempdir().unwrap();
    // ~1.3 MiB: above the fake's LFS threshold.
    let canonical = write_dataset(dir.path(), 600, 2000);
    let files = dataset_files(&weft_hub::RepoId::parse("alice/weft-demo").unwrap(), &canonical);
    let mut upload = upload_to(&hub, "alice/weft-demo", files.clone());
    upload.tags = vec!["v1.0".into()];

    let report = weft_hub::upload(&upload).await.expect("upload");

    assert!(report.created_repo);
    let commit = report.commit.clone().expect("a commit");
    assert_eq!(report.revision, commit.oid);
    assert_eq!(commit.url, format!("{}/datasets/alice/weft-demo/commit/{}", hub.endpoint(), commit.oid));
    assert_eq!(report.repo_url, format!("{}/datasets/alice/weft-demo", hub.endpoint()));
    assert_eq!(hub.dataset_revision("alice/weft-demo", "main").as_deref(), Some(commit.oid.as_str()));
    assert_eq!(hub.dataset_revision("alice/weft-demo", "v1.0").as_deref(), Some(commit.oid.as_str()));
    let shown: Vec<(&str, bool, FileState)> =
        report.files.iter().map(|f| (f.path.as_str(), f.lfs, f.state)).collect();
    assert_eq!(
        shown,
        [
            ("README.md", false, FileState::Committed),
            ("data/train.jsonl", true, FileState::Committed),
            ("data/train.trl.jsonl", false, FileState::Committed),
        ]
    );
    let big = std::fs::metadata(&canonical).unwrap().len();
    assert!(big > LFS_THRESHOLD, "{big}");
    assert_eq!(report.lfs_bytes_sent, big);
    assert_eq!(report.tags, [weft_hub::TagReport { name: "v1.0".into(), state: TagState::Created }]);

    // The object went to storage in one PUT, with its length and without
    // the token; verify and everything else on the Hub carried it.
    let puts = requests_to(&hub, "PUT", "/_lfs/upload/");
    assert_eq!(puts.len(), 1, "{puts:?}");
    assert_eq!((puts[0].authorization, puts[0].content_length, puts[0].status), (false, Some(big), 200));
    let verifies = requests_to(&hub, "POST", "/_lfs/verify/");
    assert!(verifies.len() == 1 && verifies[0].authorization && verifies[0].status == 200, "{verifies:?}");
    assert_eq!(requests_to(&hub, "POST", "/commit/main").len(), 1);
    assert!(hub.requests().iter().all(|r| !r.path.contains("xet")), "{:?}", hub.requests());
    assert!(hub.requests().iter().filter(|r| r.path.starts_with("/api/")).all(|r| r.authorization));

    let expected = expected_tree(&files);
    let Some(figures) = read_back_ok(&hub, "alice/weft-demo", "v1.0", expected.path()).await else { return };
    assert_eq!(figures["files"], 3);
    assert_eq!(figures["lfs"], serde_json::json!(["data/train.jsonl"]));
    assert_eq!(figures["configs"], serde_json::json!(["default", "trl"]));
    assert_eq!(figures["sha"], commit.oid);
    // The official client fetched the LFS file from the storage origin.
    assert!(!requests_to(&hub, "GET", "/_cdn/").is_empty());

    // And the check can fail: one byte off is a mismatch.
    let tampered = expected.path().join("data/train.trl.jsonl");
    let mut bytes = std::fs::read(&tampered).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&tampered, bytes).unwrap();
    let output =
        read_back(&hub, &["alice/weft-demo", "v1.0", expected.path().to_str().unwrap()], Some(TOKEN))
            .await
            .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.contains("data/train.trl.jsonl at main"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_object_goes_up_in_parts_when_the_hub_asks() {
    let hub = hub(HubOptions { multipart_chunk: Some(512 << 10), ..options() }).await;
    let dir = tempfile::tempdir().unwrap();
    let canonical = write_dataset(dir.path(), 600, 2000);
    let size = std::fs::metadata(&canonical).unwrap().len();
    let files = dataset_files(&weft_hub::RepoId::parse("alice/parts").unwrap(), &canonical);
    let mut upload = upload_to(&hub, "alice/parts", files.clone());
    upload.tags = vec!["v1".into()];

    let report = weft_hub::upload(&upload).await.expect("upload");

    assert_eq!(report.lfs_bytes_sent, size);
    let parts = requests_to(&hub, "PUT", "/_lfs/part/");
    assert_eq!(parts.len() as u64, size.div_ceil(512 << 10), "{parts:?}");
    assert!(parts.iter().all(|p| !p.authorization && p.status == 200));
    let lengths: u64 = parts.iter().map(|p| p.content_length.unwrap()).sum();
    assert_eq!(lengths, size);
    let completions = requests_to(&hub, "POST", "/_lfs/complete/");
    assert!(completions.len() == 1 && completions[0].status == 200 && !completions[0].authorization);

    let expected = expected_tree(&files);
    read_back_ok(&hub, "alice/parts", "v1", expected.path()).await;
}

#[tokio::test]
async fn files_the_hub_already_holds_are_not_sent_again() {
    let hub = hub(options()).await;
    let dir = tempfile::tempdir().unwrap();
    let canonical = write_dataset(dir.path(), 600, 2000);
    let repo = weft_hub::RepoId::parse("alice/twice").unwrap();
    let mut upload = upload_to(&hub, "alice/twice", dataset_files(&repo, &canonical));
    upload.tags = vec!["v1".into()];
    let first = weft_hub::upload(&upload).await.expect("first upload");
    let commits_before = requests_to(&hub, "POST", "/commit/").len();

    let again = weft_hub::upload(&upload).await.expect("same upload again");

    assert!(!again.created_repo, "the 409 of repos/create means it exists");
    assert_eq!(again.commit, None);
    assert_eq!(again.revision, first.revision);
    assert!(again.files.iter().all(|f| f.state == FileState::Unchanged), "{:?}", again.files);
    assert_eq!(again.lfs_bytes_sent, 0);
    assert_eq!(again.tags[0].state, TagState::Unchanged);
    assert_eq!(requests_to(&hub, "POST", "/commit/").len(), commits_before);
    assert_eq!(requests_to(&hub, "POST", "/api/repos/create").last().unwrap().status, 409);
}
