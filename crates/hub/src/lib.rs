//! Publishing a weft dataset to the Hugging Face Hub, over the Hub's HTTP
//! API: the dataset repo is made if need be (`POST /api/repos/create`; one
//! that exists is fine), the Hub says which files go through Git LFS
//! (`preupload`), LFS objects go up through the batch API (`basic` or, when
//! the Hub asks, `multipart`; then `verify`), everything lands in one NDJSON
//! commit, and tags go on that commit. Xet is never asked for.
//!
//! The token comes from `HF_TOKEN` and the Hub from `HF_ENDPOINT` (default
//! `https://huggingface.co`), as for the Hub's own tools. The token is sent
//! to the Hub's origin only — never to LFS storage — and is never logged,
//! shown by `Debug`, or quoted in an error.
//!
//! What goes where in the repo is [`layout`]; the card is [`card`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), weft_hub::HubError> {
//! use std::path::Path;
//! use weft_hub::{DatasetFiles, HfToken, RepoId, Upload, card};
//!
//! let repo = RepoId::parse("alice/weft-demo")?;
//! let dataset = DatasetFiles::discover(Path::new("out/dataset.jsonl"))?;
//! let scan = card::scan(&dataset.canonical)?;
//! let formats = dataset.format_names();
//! let readme = card::render(&card::CardInput {
//!     repo: &repo,
//!     pretty_name: "Weft demo".into(),
//!     license: Some("apache-2.0".into()),
//!     language: vec!["en".into()],
//!     tags: vec![],
//!     config_summary: "",
//!     figures: "",
//!     scan: &scan,
//!     formats: &formats,
//! })?;
//! let mut upload = Upload::new(repo, HfToken::from_env()?, dataset.repo_files(readme));
//! upload.tags.push("v1.0".into());
//! let report = weft_hub::upload(&upload).await?;
//! println!("{} at {}", report.repo_url, report.revision);
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

pub mod card;
mod client;
mod commit;
mod config;
mod error;
mod files;
pub mod layout;
mod lfs;
mod preupload;
mod repo;
mod repos;
mod tags;
mod token;
mod upload;

pub use client::{DEFAULT_ENDPOINT, endpoint_from_env};
pub use commit::CommitInfo;
pub use config::HuggingFaceSection;
pub use error::HubError;
pub use files::{FileSource, RepoFile};
pub use layout::DatasetFiles;
pub use repo::{RepoId, encode_path};
pub use tags::{TagReport, TagState};
pub use token::HfToken;
pub use upload::{FileReport, FileState, Upload, UploadReport, upload};
