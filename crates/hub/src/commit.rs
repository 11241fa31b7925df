//! The one commit of an upload: `POST /api/datasets/{repo}/commit/{rev}`,
//! an NDJSON body of a `header` line, then a `file` line (content in
//! base64) per inline file and an `lfsFile` line per LFS file, whose object
//! is already in storage.

use base64::Engine as _;
use reqwest::Method;
use reqwest::header::CONTENT_TYPE;
use serde::Deserialize;
use serde_json::json;

use crate::HubError;
use crate::client::{HubClient, Retry};
use crate::files::Hashed;
use crate::repo::{RepoId, encode_revision};

/// A commit the Hub made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    /// Its id (40 hex digits).
    pub oid: String,
    /// Where the Hub shows it.
    pub url: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    commit_oid: String,
    commit_url: String,
}

/// What goes in the commit, file by file.
pub(crate) enum Operation<'a> {
    Inline(&'a Hashed),
    Lfs(&'a Hashed),
}

/// The NDJSON body. `parent` makes the Hub refuse the commit (412) if
/// `main` moved since the preupload.
pub(crate) async fn body(
    summary: &str,
    parent: Option<&str>,
    operations: &[Operation<'_>],
) -> Result<Vec<u8>, HubError> {
    let mut header = json!({"summary": summary, "description": ""});
    if let Some(parent) = parent {
        header["parentCommit"] = json!(parent);
    }
    let mut out = line(&json!({"key": "header", "value": header}));
    for operation in operations {
        let value = match operation {
            Operation::Inline(file) => {
                let content = base64::engine::general_purpose::STANDARD.encode(file.read_all().await?);
                json!({"key": "file", "value": {"content": content, "path": file.path_in_repo, "encoding": "base64"}})
            }
            Operation::Lfs(file) => json!({"key": "lfsFile", "value": {
                "path": file.path_in_repo, "algo": "sha256", "oid": file.sha256, "size": file.size,
            }}),
        };
        out.extend(line(&value));
    }
    Ok(out)
}

fn line(value: &serde_json::Value) -> Vec<u8> {
    let mut text = value.to_string().into_bytes();
    text.push(b'\n');
    text
}

/// Sends the commit to `revision` (a branch).
pub(crate) async fn commit(
    client: &HubClient,
    repo: &RepoId,
    revision: &str,
    body: Vec<u8>,
) -> Result<CommitInfo, HubError> {
    let action = format!("committing to {repo}");
    let url = client.url(&format!("/api/datasets/{repo}/commit/{}", encode_revision(revision)));
    let response = client
        .send_ok(&action, Retry::Unsent, || {
            Ok(client
                .request(Method::POST, &url)
                .header(CONTENT_TYPE, "application/x-ndjson")
                .body(body.clone()))
        })
        .await?;
    let answer: Answer = client.json(&action, response).await?;
    Ok(CommitInfo { oid: answer.commit_oid, url: answer.commit_url })
}
