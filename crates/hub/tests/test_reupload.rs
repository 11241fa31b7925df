//! Uploading again to a repo that exists: the 409 of `repos/create` is
//! fine, only what changed is committed, and tags are never moved.

use crate::common;

use common::*;
use weft_hub::{FileState, RepoId, TagState};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_upload_commits_what_changed_and_leaves_old_tags() {
    let hub = hub(options()).await;
    let repo = RepoId::parse("alice/evolving").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let canonical = write_dataset(dir.path(), 600, 2000);
    let mut upload = upload_to(&hub, "alice/evolving", dataset_files(&repo, &canonical));
    upload.tags = vec!["v1".into()];
    let first = weft_hub::upload(&upload).await.expect("first upload");

    // A new format file; the canonical file as it was.
    let trl = dir.path().join("dataset.trl.jsonl");
    std::fs::write(&trl, "{\"messages\": []}\n").unwrap();
    let files = dataset_files(&repo, &canonical);
    let mut upload = upload_to(&hub, "alice/evolving", files.clone());
    upload.tags = vec!["v1".into(), "v2".into()];
    let second = weft_hub::upload(&upload).await.expect("second upload");

    assert!(first.created_repo && !second.created_repo);
    let commit = second.commit.clone().expect("a second commit");
    assert_ne!(commit.oid, first.revision);
    let states: Vec<(&str, FileState)> = second.files.iter().map(|f| (f.path.as_str(), f.state)).collect();
    assert_eq!(
        states,
        [
            ("README.md", FileState::Unchanged),
            ("data/train.jsonl", FileState::Unchanged),
            ("data/train.trl.jsonl", FileState::Committed),
        ]
    );
    assert_eq!(second.lfs_bytes_sent, 0, "the LFS object is stored already");
    assert_eq!(second.tags[0].state, TagState::Elsewhere { commit: first.revision.clone() });
    assert_eq!(second.tags[1].state, TagState::Created);
    assert_eq!(hub.dataset_revision("alice/evolving", "v1"), Some(first.revision.clone()));

    let expected = expected_tree(&files);
    read_back_ok(&hub, "alice/evolving", "v2", expected.path()).await;
}

#[tokio::test]
async fn an_upload_after_someone_else_committed_builds_on_their_commit() {
    let hub = hub(options()).await;
    let repo = RepoId::parse("alice/shared").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let canonical = write_dataset(dir.path(), 3, 10);
    let upload = upload_to(&hub, "alice/shared", dataset_files(&repo, &canonical));
    let first = weft_hub::upload(&upload).await.expect("first upload");

    let extra = vec![weft_hub::RepoFile::from_bytes("notes.md", b"by hand\n".to_vec())];
    let other = weft_hub::upload(&upload_to(&hub, "alice/shared", extra)).await.expect("another commit");
    assert_eq!(
        other.commit.as_ref().map(|c| c.oid.as_str()),
        hub.dataset_revision("alice/shared", "main").as_deref()
    );

    std::fs::write(dir.path().join("dataset.trl.jsonl"), "{}\n").unwrap();
    let third =
        weft_hub::upload(&upload_to(&hub, "alice/shared", dataset_files(&repo, &canonical))).await.unwrap();
    assert_ne!(third.revision, first.revision);
    let main = hub.dataset_revision("alice/shared", "main").unwrap();
    assert_eq!(third.revision, main);
}
