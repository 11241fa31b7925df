//! Tags on the uploaded commit: `POST /api/datasets/{repo}/tag/{rev}`.
//! A tag that exists is never moved: the report says where it points.

use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;

use crate::HubError;
use crate::client::{HubClient, Retry};
use crate::repo::{RepoId, encode_revision};

/// What became of one tag.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TagState {
    /// Made, on the uploaded commit.
    Created,
    /// It existed already, on the uploaded commit.
    Unchanged,
    /// It exists on another commit and was left there.
    Elsewhere {
        /// The commit it points at.
        commit: String,
    },
}

/// One tag of the upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagReport {
    /// The tag.
    pub name: String,
    /// What became of it.
    pub state: TagState,
}

#[derive(Deserialize)]
struct Refs {
    #[serde(default)]
    tags: Vec<Ref>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Ref {
    name: String,
    target_commit: String,
}

/// Checks a tag name as git does (`git check-ref-format`), loosely.
pub(crate) fn check_name(tag: &str) -> Result<(), HubError> {
    let bad = tag.is_empty()
        || tag.starts_with(['-', '/', '.'])
        || tag.ends_with(['/', '.'])
        || tag.ends_with(".lock")
        || tag.contains("..")
        || tag.contains("//")
        || tag.contains("@{")
        || tag.bytes().any(|b| b.is_ascii_control() || b" ~^:?*[\\".contains(&b));
    if bad {
        return Err(HubError::Invalid(format!("{tag:?} is not a valid tag name")));
    }
    Ok(())
}

/// Tags `commit` with `tag`.
pub(crate) async fn create(
    client: &HubClient,
    repo: &RepoId,
    commit: &str,
    tag: &str,
) -> Result<TagReport, HubError> {
    let action = format!("tagging {repo} with {tag}");
    let url = client.url(&format!("/api/datasets/{repo}/tag/{}", encode_revision(commit)));
    let body = json!({"tag": tag});
    let response =
        client.send(&action, Retry::Unsent, || Ok(client.request(Method::POST, &url).json(&body))).await?;
    let name = tag.to_owned();
    match response.status() {
        status if status.is_success() => Ok(TagReport { name, state: TagState::Created }),
        StatusCode::CONFLICT => {
            let at = target(client, repo, tag).await?;
            let state = match at {
                Some(at) if at != commit => TagState::Elsewhere { commit: at },
                _ => TagState::Unchanged,
            };
            Ok(TagReport { name, state })
        }
        _ => Err(client.refusal(&action, response).await),
    }
}

/// The commit `tag` points at, from `GET /api/datasets/{repo}/refs`.
async fn target(client: &HubClient, repo: &RepoId, tag: &str) -> Result<Option<String>, HubError> {
    let action = format!("reading the tags of {repo}");
    let url = client.url(&format!("/api/datasets/{repo}/refs"));
    let response = client.send_ok(&action, Retry::Always, || Ok(client.request(Method::GET, &url))).await?;
    let refs: Refs = client.json(&action, response).await?;
    Ok(refs.tags.into_iter().find(|r| r.name == tag).map(|r| r.target_commit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_names_are_checked() {
        for good in ["v1.0", "release/2026-01", "weft_run-7"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["", "v 1", "-x", "a..b", "x.lock", "a:b", "x/", "a@{1}"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}
