//! Which local files an upload takes, and where each goes in the repo.
//!
//! A dataset is its canonical file (`out/dataset.jsonl`) and the format
//! files written beside it (`out/dataset.<format>.jsonl`, e.g.
//! `dataset.trl.jsonl`). In the repo:
//!
//! | repo path | what | `datasets` config |
//! |---|---|---|
//! | `README.md` | the dataset card | |
//! | `data/train.jsonl` | the canonical samples | `default` |
//! | `data/train.<format>.jsonl` | the samples in that format | `<format>` |
//!
//! Names in the repo do not depend on local names, so an upload from
//! `run2.jsonl` replaces what one from `run1.jsonl` put there.
//!
//! Left out: the failures file (`dataset.jsonl.failures.jsonl`: records of
//! samples that failed, with error text, not training data), checkpoints
//! (`dataset.checkpoint.jsonl`) and shards (`dataset.shard-1-of-4.jsonl`:
//! merge them first).

use std::path::{Path, PathBuf};

use crate::{HubError, RepoFile};

/// The card's path in the repo.
pub const CARD_PATH: &str = "README.md";
/// The one split weft publishes.
pub const SPLIT: &str = "train";

/// The canonical file's path in the repo.
pub fn canonical_path() -> String {
    format!("data/{SPLIT}.jsonl")
}

/// A format file's path in the repo.
pub fn format_path(format: &str) -> String {
    format!("data/{SPLIT}.{format}.jsonl")
}

/// A dataset on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetFiles {
    /// The canonical file.
    pub canonical: PathBuf,
    /// `(format, file)`, by format name.
    pub formats: Vec<(String, PathBuf)>,
}

impl DatasetFiles {
    /// `dataset` and the format files beside it: `<stem>.<format>.<ext>`,
    /// where `<format>` is letters, digits, `_` and `-`, and not one of the
    /// names weft gives its other files.
    pub fn discover(dataset: &Path) -> Result<Self, HubError> {
        let meta = std::fs::metadata(dataset).map_err(|err| HubError::io(dataset, err))?;
        if !meta.is_file() {
            return Err(HubError::io(dataset, std::io::Error::other("not a file")));
        }
        let name = dataset.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
        let dir = match dataset.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let mut formats = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|err| HubError::io(dir, err))? {
            let entry = entry.map_err(|err| HubError::io(dir, err))?;
            let file_name = entry.file_name();
            let Some(format) = file_name.to_str().and_then(|n| format_of(n, stem, ext)) else { continue };
            if entry.file_type().map_err(|err| HubError::io(entry.path(), err))?.is_file() {
                formats.push((format.to_owned(), entry.path()));
            }
        }
        formats.sort();
        Ok(Self { canonical: dataset.to_path_buf(), formats })
    }

    /// The files to upload: the card and every data file, at their repo paths.
    pub fn repo_files(&self, card: String) -> Vec<RepoFile> {
        let mut files = vec![
            RepoFile::from_bytes(CARD_PATH, card.into_bytes()),
            RepoFile::from_path(canonical_path(), &self.canonical),
        ];
        files
            .extend(self.formats.iter().map(|(format, path)| RepoFile::from_path(format_path(format), path)));
        files
    }

    /// The format names, in order.
    pub fn format_names(&self) -> Vec<String> {
        self.formats.iter().map(|(name, _)| name.clone()).collect()
    }
}

/// `<stem>.<format>.<ext>` → `<format>`, for a format name weft would write.
fn format_of<'a>(file_name: &'a str, stem: &str, ext: &str) -> Option<&'a str> {
    let middle = file_name.strip_prefix(stem)?.strip_prefix('.')?;
    let format = if ext.is_empty() { middle } else { middle.strip_suffix(ext)?.strip_suffix('.')? };
    let well_formed =
        !format.is_empty() && format.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-".contains(&b));
    let reserved = ["default", "failures", "checkpoint"].contains(&format) || is_shard(format);
    (well_formed && !reserved).then_some(format)
}

/// `shard-1-of-4`.
fn is_shard(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("shard-") else { return false };
    let Some((index, count)) = rest.split_once("-of-") else { return false };
    [index, count].iter().all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_files_beside_the_dataset_are_found() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "dataset.jsonl",
            "dataset.trl.jsonl",
            "dataset.chatml.jsonl",
            "dataset.xlam_v2.jsonl",
            "dataset.jsonl.failures.jsonl",
            "dataset.failures.jsonl",
            "dataset.checkpoint.jsonl",
            "dataset.shard-0-of-2.jsonl",
            "dataset.a.b.jsonl",
            "dataset.trl.json",
            "other.trl.jsonl",
            "datasetx.trl.jsonl",
        ] {
            std::fs::write(dir.path().join(name), "{}\n").unwrap();
        }
        std::fs::create_dir(dir.path().join("dataset.dir.jsonl")).unwrap();
        let found = DatasetFiles::discover(&dir.path().join("dataset.jsonl")).unwrap();
        assert_eq!(found.format_names(), ["chatml", "trl", "xlam_v2"]);
        let paths: Vec<String> =
            found.repo_files("card".into()).into_iter().map(|f| f.path_in_repo).collect();
        assert_eq!(
            paths,
            [
                "README.md",
                "data/train.jsonl",
                "data/train.chatml.jsonl",
                "data/train.trl.jsonl",
                "data/train.xlam_v2.jsonl"
            ]
        );
    }

    #[test]
    fn a_missing_dataset_names_its_path() {
        let err = DatasetFiles::discover(Path::new("/nonexistent/d.jsonl")).unwrap_err().to_string();
        assert!(err.starts_with("/nonexistent/d.jsonl:"), "{err}");
    }
}
