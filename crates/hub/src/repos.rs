//! The dataset repo itself: made if it is not there, and where `main` is.

use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;

use crate::HubError;
use crate::client::{HubClient, Retry};
use crate::repo::{RepoId, encode_revision};

/// Whether the repo was made now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Created {
    New,
    Existing,
}

#[derive(Deserialize)]
struct Info {
    sha: String,
    #[serde(default)]
    private: Option<bool>,
}

/// `POST /api/repos/create`; 409 means it exists, which is fine unless
/// `private` was asked of a repo that is public.
pub(crate) async fn create(client: &HubClient, repo: &RepoId, private: bool) -> Result<Created, HubError> {
    let action = format!("creating dataset {repo}");
    let mut body = json!({"name": repo.name(), "organization": repo.namespace(), "type": "dataset"});
    if private {
        // Without it the Hub's default applies (an organization may make
        // new repos private by default).
        body["visibility"] = json!("private");
    }
    let url = client.url("/api/repos/create");
    let response =
        client.send(&action, Retry::Unsent, || Ok(client.request(Method::POST, &url).json(&body))).await?;
    match response.status() {
        status if status.is_success() => Ok(Created::New),
        StatusCode::CONFLICT => {
            if private && info(client, repo, "main").await?.private == Some(false) {
                return Err(HubError::ExistsPublic { repo: repo.to_string() });
            }
            Ok(Created::Existing)
        }
        _ => Err(client.refusal(&action, response).await),
    }
}

/// The commit `revision` is at.
pub(crate) async fn revision(client: &HubClient, repo: &RepoId, revision: &str) -> Result<String, HubError> {
    Ok(info(client, repo, revision).await?.sha)
}

async fn info(client: &HubClient, repo: &RepoId, revision: &str) -> Result<Info, HubError> {
    let action = format!("reading dataset {repo} at {revision}");
    let url = client.url(&format!("/api/datasets/{repo}/revision/{}", encode_revision(revision)));
    let response = client.send_ok(&action, Retry::Always, || Ok(client.request(Method::GET, &url))).await?;
    client.json(&action, response).await
}
