//! The dataset file: append-only JSONL, one whole line per sample, written
//! as soon as the sample is done; a failures file beside it; resume.
//!
//! A line is written with one `write` call on a file opened for appending, so
//! a crash loses at most the samples in flight. On resume, the file is read
//! back: complete lines name the sample indices that are done (their
//! `metadata.sample_index`), and a torn last line is cut off. When a run
//! completes, [`Dataset::finish`] rewrites the file in sample order (through a
//! temporary file and a rename), so the same seed and the same model replies
//! give the same bytes whatever order samples finished in.

use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::sample::Sample;

/// Why the dataset could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// An I/O error on a file.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A line in the middle of an existing dataset is not a weft sample.
    #[error("{path}:{line}: not a sample weft can resume from: {message}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A sample could not be serialised.
    #[error("cannot serialise a sample: {0}")]
    Serialize(#[from] serde_json::Error),
}

/// A sample that failed every attempt, as written to the failures file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailureRecord {
    /// Its index in the run.
    pub sample_index: u64,
    /// The topic path's id.
    pub topic_id: String,
    /// The topic path.
    pub topic_path: Vec<String>,
    /// Attempts made.
    pub attempts: u32,
    /// The last attempt's error.
    pub reason: String,
    /// Every attempt's error, in order.
    pub errors: Vec<String>,
}

/// The open dataset and failures files.
#[derive(Debug)]
pub struct Dataset {
    path: PathBuf,
    file: File,
    failures_path: PathBuf,
    failures: Option<File>,
}

#[derive(Deserialize)]
struct Head {
    metadata: HeadMetadata,
}

#[derive(Deserialize)]
struct HeadMetadata {
    sample_index: u64,
}

/// The `metadata.sample_index` of one dataset line.
pub(crate) fn sample_index(line: &[u8]) -> Result<u64, serde_json::Error> {
    serde_json::from_slice::<Head>(line).map(|head| head.metadata.sample_index)
}

/// Writes `lines`, each ended by a newline, to a temporary file beside
/// `path`, syncs it and renames it over `path`, so a reader sees the old
/// file or the new one, never part of one. On failure: the file and why.
pub(crate) fn replace_lines<'a>(
    path: &Path,
    lines: impl IntoIterator<Item = &'a [u8]>,
) -> Result<(), (PathBuf, std::io::Error)> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(at(parent))?;
    }
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    let mut out = Vec::new();
    for line in lines {
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    let mut file = File::create(&temporary).map_err(at(&temporary))?;
    file.write_all(&out).map_err(at(&temporary))?;
    file.sync_all().map_err(at(&temporary))?;
    std::fs::rename(&temporary, path).map_err(at(path))
}

/// `<save_as>.failures.jsonl`.
pub fn failures_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".failures.jsonl");
    PathBuf::from(name)
}

/// The error of an I/O step on `path`, as [`replace_lines`] reports it.
fn at(path: &Path) -> impl FnOnce(std::io::Error) -> (PathBuf, std::io::Error) + '_ {
    move |err| (path.to_owned(), err)
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WriteError + '_ {
    move |source| WriteError::Io { path: path.to_owned(), source }
}

impl Dataset {
    /// Starts a fresh dataset at `path` (replacing any file there).
    pub fn create(path: &Path) -> Result<Self, WriteError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        File::create(path).map_err(io(path))?;
        let failures_path = failures_path(path);
        if failures_path.exists() {
            std::fs::remove_file(&failures_path).map_err(io(&failures_path))?;
        }
        Self::open_append(path)
    }

    /// Reopens the dataset at `path` to continue it: the indices of the
    /// samples already written (a torn last line is cut off first).
    pub fn resume(path: &Path) -> Result<(Self, BTreeSet<u64>), WriteError> {
        if !path.exists() {
            return Ok((Self::create(path)?, BTreeSet::new()));
        }
        let bytes = std::fs::read(path).map_err(io(path))?;
        let mut done = BTreeSet::new();
        let mut good_end = 0usize;
        let mut offset = 0usize;
        let mut line_number = 0usize;
        while offset < bytes.len() {
            line_number += 1;
            // A last line without its newline was torn by a crash: drop it.
            let Some(newline) = bytes[offset..].iter().position(|&b| b == b'\n') else { break };
            let line = &bytes[offset..offset + newline];
            let next = offset + newline + 1;
            if !line.iter().all(u8::is_ascii_whitespace) {
                match sample_index(line) {
                    Ok(index) => {
                        done.insert(index);
                    }
                    Err(err) if next >= bytes.len() => {
                        tracing::warn!("dropping an unreadable last line of {}: {err}", path.display());
                        break;
                    }
                    Err(err) => {
                        return Err(WriteError::Corrupt {
                            path: path.to_owned(),
                            line: line_number,
                            message: err.to_string(),
                        });
                    }
                }
            }
            offset = next;
            good_end = next;
        }
        if good_end < bytes.len() {
            let file = OpenOptions::new().write(true).open(path).map_err(io(path))?;
            file.set_len(good_end as u64).map_err(io(path))?;
        }
        Ok((Self::open_append(path)?, done))
    }

    fn open_append(path: &Path) -> Result<Self, WriteError> {
        let file = OpenOptions::new().append(true).open(path).map_err(io(path))?;
        Ok(Self { path: path.to_owned(), file, failures_path: failures_path(path), failures: None })
    }

    /// The dataset's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The failures file's path.
    pub fn failures_path(&self) -> &Path {
        &self.failures_path
    }

    /// Appends one sample as one line, written whole.
    pub fn append(&mut self, sample: &Sample) -> Result<(), WriteError> {
        let mut line = serde_json::to_vec(sample)?;
        line.push(b'\n');
        self.file.write_all(&line).map_err(io(&self.path))?;
        self.file.flush().map_err(io(&self.path))
    }

    /// Appends one failure to `<save_as>.failures.jsonl`.
    pub fn record_failure(&mut self, failure: &FailureRecord) -> Result<(), WriteError> {
        if self.failures.is_none() {
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.failures_path)
                .map_err(io(&self.failures_path))?;
            self.failures = Some(file);
        }
        let mut line = serde_json::to_vec(failure)?;
        line.push(b'\n');
        if let Some(file) = self.failures.as_mut() {
            file.write_all(&line).map_err(io(&self.failures_path))?;
        }
        Ok(())
    }

    /// Rewrites the file in sample order, keeping the first line of each
    /// index `keep` accepts. Returns how many samples the file holds.
    pub fn finish(self, keep: impl Fn(u64) -> bool) -> Result<u64, WriteError> {
        let Self { path, file, .. } = self;
        file.sync_all().map_err(io(&path))?;
        drop(file);
        let text = std::fs::read(&path).map_err(io(&path))?;
        let mut lines: Vec<(u64, &[u8])> = Vec::new();
        for (number, line) in text.split(|&b| b == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let index = sample_index(line).map_err(|err| WriteError::Corrupt {
                path: path.clone(),
                line: number + 1,
                message: err.to_string(),
            })?;
            if keep(index) {
                lines.push((index, line));
            }
        }
        lines.sort_by_key(|(index, _)| *index);
        lines.dedup_by_key(|(index, _)| *index);
        replace_lines(&path, lines.iter().map(|(_, line)| *line))
            .map_err(|(path, source)| WriteError::Io { path, source })?;
        Ok(lines.len() as u64)
    }
}
