//! One upload, in the order the Hub expects: create the repo, preupload,
//! LFS objects, one commit, tags.

use std::collections::HashSet;

use crate::client::{HubClient, endpoint_from_env};
use crate::commit::{self, CommitInfo, Operation};
use crate::files::{self, Hashed, RepoFile};
use crate::preupload::preupload;
use crate::repo::RepoId;
use crate::repos::{self, Created};
use crate::tags::{self, TagReport};
use crate::{HfToken, HubError, lfs};

/// The branch weft commits to.
const BRANCH: &str = "main";

/// What to publish, and where.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The Hub, e.g. `https://huggingface.co` (see [`endpoint_from_env`]).
    pub endpoint: String,
    /// The token (see [`HfToken::from_env`]); `Debug` shows it redacted.
    pub token: HfToken,
    /// The dataset repo.
    pub repo: RepoId,
    /// Make the repo private if it is new; refuse if it exists and is public.
    pub private: bool,
    /// The files, each at its path in the repo.
    pub files: Vec<RepoFile>,
    /// Tags to put on the commit.
    pub tags: Vec<String>,
    /// The commit's title.
    pub message: String,
}

impl Upload {
    /// An upload of `files` to `repo` at `HF_ENDPOINT` (or the public Hub),
    /// public unless the Hub's defaults say otherwise, without tags.
    pub fn new(repo: RepoId, token: HfToken, files: Vec<RepoFile>) -> Self {
        Self {
            endpoint: endpoint_from_env(),
            token,
            repo,
            private: false,
            files,
            tags: Vec::new(),
            message: "Upload dataset with weft".to_owned(),
        }
    }
}

/// What the upload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadReport {
    /// `{endpoint}/datasets/{repo}`.
    pub repo_url: String,
    /// Whether the repo was made by this upload.
    pub created_repo: bool,
    /// The commit made; `None` when the repo held every file already.
    pub commit: Option<CommitInfo>,
    /// The commit `main` is at now (the tags' target).
    pub revision: String,
    /// Every file, in the order given.
    pub files: Vec<FileReport>,
    /// Bytes sent to LFS storage (objects the Hub had are not sent).
    pub lfs_bytes_sent: u64,
    /// Every tag, in the order given.
    pub tags: Vec<TagReport>,
}

/// One file of the upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    /// Its path in the repo.
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// Whether the Hub stores it through LFS.
    pub lfs: bool,
    /// What the commit did with it.
    pub state: FileState,
}

/// What became of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileState {
    /// In the commit.
    Committed,
    /// The repo held the same content at that path: left out.
    Unchanged,
    /// The Hub said to leave it out (its `.gitignore`).
    Ignored,
}

/// Publishes `upload`. Nothing is committed unless every LFS object is
/// stored; the one commit then adds every file at once.
pub async fn upload(upload: &Upload) -> Result<UploadReport, HubError> {
    check(upload)?;
    let client = HubClient::new(&upload.endpoint, upload.token.clone())?;
    let mut hashed = Vec::with_capacity(upload.files.len());
    for file in &upload.files {
        hashed.push(files::hash(file).await?);
    }
    let repo = &upload.repo;
    let created = repos::create(&client, repo, upload.private).await?;
    let (decisions, head) = preupload(&client, repo, BRANCH, &hashed).await?;
    let mut reports = Vec::with_capacity(hashed.len());
    let mut operations = Vec::new();
    for (file, decision) in hashed.iter().zip(&decisions) {
        let state = if decision.ignore {
            FileState::Ignored
        } else if decision.unchanged(file) {
            FileState::Unchanged
        } else {
            operations.push(if decision.lfs { Operation::Lfs(file) } else { Operation::Inline(file) });
            FileState::Committed
        };
        reports.push(FileReport {
            path: file.path_in_repo.clone(),
            size: file.size,
            lfs: decision.lfs,
            state,
        });
    }
    let lfs_files: Vec<&Hashed> = operations
        .iter()
        .filter_map(|op| if let Operation::Lfs(file) = op { Some(*file) } else { None })
        .collect();
    let lfs_bytes_sent = lfs::upload_objects(&client, repo, &lfs_files).await?;
    let commit = if operations.is_empty() {
        tracing::info!(%repo, "every file is on the Hub already: no commit");
        None
    } else {
        let body = commit::body(&upload.message, head.as_deref(), &operations).await?;
        Some(commit::commit(&client, repo, BRANCH, body).await?)
    };
    let revision = match (&commit, head) {
        (Some(commit), _) => commit.oid.clone(),
        (None, Some(head)) => head,
        (None, None) => repos::revision(&client, repo, BRANCH).await?,
    };
    let mut tag_reports = Vec::with_capacity(upload.tags.len());
    for tag in &upload.tags {
        tag_reports.push(tags::create(&client, repo, &revision, tag).await?);
    }
    Ok(UploadReport {
        repo_url: format!("{}/datasets/{repo}", client.shown_endpoint()),
        created_repo: created == Created::New,
        commit,
        revision,
        files: reports,
        lfs_bytes_sent,
        tags: tag_reports,
    })
}

/// Everything that can be wrong before a request is made.
fn check(upload: &Upload) -> Result<(), HubError> {
    if upload.files.is_empty() {
        return Err(HubError::Invalid("nothing to upload".into()));
    }
    let mut seen = HashSet::new();
    for file in &upload.files {
        files::check_path(&file.path_in_repo)?;
        if !seen.insert(file.path_in_repo.as_str()) {
            return Err(HubError::Invalid(format!("{} is given twice", file.path_in_repo)));
        }
    }
    for tag in &upload.tags {
        tags::check_name(tag)?;
    }
    Ok(())
}
