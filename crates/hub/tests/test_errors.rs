//! What an upload that cannot happen says: the Hub's words, the token in
//! none of them.

use crate::common;

use common::*;
use weft_bench::hub::HubOptions;
use weft_hub::{HfToken, HubError, RepoId};

fn small_dataset(repo: &str) -> (tempfile::TempDir, Vec<weft_hub::RepoFile>) {
    let dir = tempfile::tempdir().unwrap();
    let canonical = write_dataset(dir.path(), 3, 10);
    let files = dataset_files(&RepoId::parse(repo).unwrap(), &canonical);
    (dir, files)
}

#[tokio::test]
async fn a_token_the_hub_refuses_gets_the_clear_message() {
    let hub = hub(options()).await;
    let (_dir, files) = small_dataset("alice/demo");
    let mut upload = upload_to(&hub, "alice/demo", files);
    upload.token = HfToken::new("hf_notAValidToken42").unwrap();

    let err = weft_hub::upload(&upload).await.unwrap_err();

    assert!(matches!(err, HubError::Unauthorized { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.starts_with("HF_TOKEN is missing or invalid: the Hub at http://127.0.0.1:"), "{text}");
    assert!(text.contains("Invalid credentials in Authorization header"), "{text}");
    assert!(!text.contains("hf_notAValidToken42") && !format!("{err:?}").contains("hf_notAValidToken42"));
    assert_eq!(hub.dataset_revision("alice/demo", "main"), None);
}

#[tokio::test]
async fn another_users_namespace_is_refused_with_the_hubs_message() {
    let hub = hub(options()).await;
    let (_dir, files) = small_dataset("bob/demo");

    let err = weft_hub::upload(&upload_to(&hub, "bob/demo", files)).await.unwrap_err();

    assert!(matches!(err, HubError::Forbidden { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "creating dataset bob/demo: forbidden (HTTP 403): \
         You don't have the rights to create a dataset under the namespace \"bob\""
    );
}

#[tokio::test]
async fn an_unreachable_hub_is_named() {
    let port = weft_bench::peers::free_port();
    let (_dir, files) = small_dataset("alice/demo");
    let mut upload = upload_to(&hub(options()).await, "alice/demo", files);
    upload.endpoint = format!("http://127.0.0.1:{port}");

    let err = weft_hub::upload(&upload).await.unwrap_err();

    assert!(matches!(err, HubError::Network { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("creating dataset alice/demo: cannot reach http://127.0.0.1:{port}: ")),
        "{text}"
    );
}

#[tokio::test]
async fn missing_files_and_bad_input_fail_before_any_request() {
    let hub = hub(options()).await;
    let (_dir, mut files) = small_dataset("alice/demo");
    files.push(weft_hub::RepoFile::from_path("data/gone.jsonl", "/nonexistent/gone.jsonl"));
    let err = weft_hub::upload(&upload_to(&hub, "alice/demo", files.clone())).await.unwrap_err();
    assert!(err.to_string().starts_with("/nonexistent/gone.jsonl: "), "{err}");

    files.pop();
    files.push(files[0].clone());
    let err = weft_hub::upload(&upload_to(&hub, "alice/demo", files.clone())).await.unwrap_err();
    assert_eq!(err.to_string(), "README.md is given twice");

    files.pop();
    let mut upload = upload_to(&hub, "alice/demo", files);
    upload.tags = vec!["not a tag".into()];
    let err = weft_hub::upload(&upload).await.unwrap_err();
    assert_eq!(err.to_string(), "\"not a tag\" is not a valid tag name");
    assert!(hub.requests().is_empty(), "{:?}", hub.requests());
}

#[tokio::test]
async fn storage_failures_are_retried() {
    let hub = hub(HubOptions { storage_failures: 2, ..options() }).await;
    let dir = tempfile::tempdir().unwrap();
    let canonical = write_dataset(dir.path(), 600, 2000);
    let files = dataset_files(&RepoId::parse("alice/flaky").unwrap(), &canonical);

    let report =
        weft_hub::upload(&upload_to(&hub, "alice/flaky", files)).await.expect("upload after retries");

    let puts: Vec<u16> =
        hub.requests().iter().filter(|r| r.path.starts_with("/_lfs/upload/")).map(|r| r.status).collect();
    assert_eq!(puts, [503, 503, 200]);
    assert!(report.commit.is_some());
}
