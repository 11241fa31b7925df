//! `--private`: a new repo is private, readable with the owner's token only;
//! an existing public repo is not published to as if it were private.

use crate::common;

use common::*;
use weft_hub::{HubError, RepoId};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_repo_is_readable_with_the_token_only() {
    let hub = hub(options()).await;
    let dir = tempfile::tempdir().unwrap();
    let canonical = write_dataset(dir.path(), 5, 10);
    let files = dataset_files(&RepoId::parse("alice/secret").unwrap(), &canonical);
    let mut upload = upload_to(&hub, "alice/secret", files.clone());
    upload.private = true;
    upload.tags = vec!["v1".into()];

    weft_hub::upload(&upload).await.expect("upload");
    assert_eq!(hub.dataset_is_private("alice/secret"), Some(true));

    // Without a token the Hub answers as if there were no such repo.
    let anonymous = get(format!("{}/api/datasets/alice/secret", hub.endpoint())).await;
    assert_eq!(anonymous.status(), 401);
    assert_eq!(anonymous.headers()["x-error-code"], "RepoNotFound");
    let file = get(format!("{}/datasets/alice/secret/resolve/main/README.md", hub.endpoint())).await;
    assert_eq!(file.status(), 401);

    let Some(denied) = read_back(&hub, &["--expect-denied", "alice/secret"], None).await else { return };
    assert!(denied.status.success(), "{}", String::from_utf8_lossy(&denied.stderr));
    let expected = expected_tree(&files);
    read_back_ok(&hub, "alice/secret", "v1", expected.path()).await;
}

#[tokio::test]
async fn private_is_refused_for_a_repo_that_exists_and_is_public() {
    let hub = hub(options()).await;
    assert!(hub.create_dataset("alice/open", false, USER));
    let before = hub.dataset_revision("alice/open", "main");
    let dir = tempfile::tempdir().unwrap();
    let canonical = write_dataset(dir.path(), 5, 10);
    let mut upload =
        upload_to(&hub, "alice/open", dataset_files(&RepoId::parse("alice/open").unwrap(), &canonical));
    upload.private = true;

    let err = weft_hub::upload(&upload).await.unwrap_err();

    assert!(matches!(err, HubError::ExistsPublic { .. }), "{err:?}");
    assert!(err.to_string().starts_with("alice/open already exists and is public"), "{err}");
    assert_eq!(hub.dataset_revision("alice/open", "main"), before, "nothing was committed");
    assert!(hub.requests().iter().all(|r| !r.path.contains("/preupload/")));
}

#[tokio::test]
async fn private_uploads_to_an_existing_private_repo() {
    let hub = hub(options()).await;
    assert!(hub.create_dataset("alice/closed", true, USER));
    let dir = tempfile::tempdir().unwrap();
    let canonical = write_dataset(dir.path(), 5, 10);
    let mut upload =
        upload_to(&hub, "alice/closed", dataset_files(&RepoId::parse("alice/closed").unwrap(), &canonical));
    upload.private = true;

    let report = weft_hub::upload(&upload).await.expect("upload");

    assert!(!report.created_repo && report.commit.is_some());
}
