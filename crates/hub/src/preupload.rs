//! `POST /api/datasets/{repo}/preupload/{rev}`: the Hub says, per file,
//! whether it goes through LFS or inline, whether to leave it out, and what
//! the repo holds at that path now. weft obeys it file by file.

use std::collections::HashMap;

use base64::Engine as _;
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use crate::HubError;
use crate::client::{HubClient, Retry};
use crate::files::Hashed;
use crate::repo::{RepoId, encode_revision};

/// Files per preupload request, as the official client sends them.
const CHUNK: usize = 256;

/// What the Hub decided for one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decision {
    pub lfs: bool,
    pub ignore: bool,
    /// The file's id in the repo now (git blob id, or sha256 for LFS).
    pub remote_oid: Option<String>,
}

impl Decision {
    /// Whether the repo already holds exactly this content at this path.
    pub fn unchanged(&self, file: &Hashed) -> bool {
        let ours = if self.lfs { &file.sha256 } else { &file.git_oid };
        self.remote_oid.as_ref() == Some(ours)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    files: Vec<AnswerFile>,
    #[serde(default)]
    commit_oid: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AnswerFile {
    path: String,
    upload_mode: String,
    #[serde(default)]
    should_ignore: bool,
    #[serde(default)]
    oid: Option<String>,
}

/// The decisions for `files` (in their order), and the commit `main` was
/// at when the Hub answered, if it says.
pub(crate) async fn preupload(
    client: &HubClient,
    repo: &RepoId,
    revision: &str,
    files: &[Hashed],
) -> Result<(Vec<Decision>, Option<String>), HubError> {
    let action = format!("preupload to {repo}");
    let url = client.url(&format!("/api/datasets/{repo}/preupload/{}", encode_revision(revision)));
    let mut decisions = Vec::with_capacity(files.len());
    let mut head = None;
    for chunk in files.chunks(CHUNK) {
        let body = json!({"files": chunk.iter().map(|file| json!({
            "path": file.path_in_repo,
            "sample": base64::engine::general_purpose::STANDARD.encode(&file.sample),
            "size": file.size,
        })).collect::<Vec<_>>()});
        let response = client
            .send_ok(&action, Retry::Always, || Ok(client.request(Method::POST, &url).json(&body)))
            .await?;
        let answer: Answer = client.json(&action, response).await?;
        let mut by_path: HashMap<String, AnswerFile> =
            answer.files.into_iter().map(|file| (file.path.clone(), file)).collect();
        for file in chunk {
            let answered = by_path
                .remove(&file.path_in_repo)
                .ok_or_else(|| HubError::protocol(&action, format!("no answer for {}", file.path_in_repo)))?;
            let lfs = match answered.upload_mode.as_str() {
                "lfs" => true,
                "regular" => false,
                other => {
                    return Err(HubError::protocol(
                        &action,
                        format!("upload mode {other:?} for {}", file.path_in_repo),
                    ));
                }
            };
            // An empty file is always committed inline, whatever the answer.
            decisions.push(Decision {
                lfs: lfs && file.size > 0,
                ignore: answered.should_ignore,
                remote_oid: answered.oid,
            });
        }
        head = head.or(answer.commit_oid);
    }
    Ok((decisions, head))
}
