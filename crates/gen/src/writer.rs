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
use std::io::{BufRead, Write};
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

impl FailureRecord {
    /// The record of `job` after `attempts` attempts that failed with
    /// `errors` (in order; the last is the reason).
    pub fn of(job: &crate::session::SampleJob, attempts: u32, errors: Vec<String>) -> Self {
        Self {
            sample_index: job.index,
            topic_id: job.path.id.clone(),
            topic_path: job.path.topics.clone(),
            attempts,
            reason: errors.last().cloned().unwrap_or_default(),
            errors,
        }
    }
}

/// Where the pipeline puts what it made: every finished sample and every
/// sample that failed all its attempts. The pipeline knows nothing else of
/// storage; [`Dataset`] is the canonical JSONL file (what resume, shards
/// and merge read), and training formats are renderings of that file
/// (`weft_dataset::format`), made when a run ends.
pub trait SampleSink<T = Sample>: Send {
    /// Stores one finished sample, whole, before returning.
    fn accept(&mut self, sample: &T) -> Result<(), WriteError>;
    /// Records a sample that failed every attempt, with its reason.
    fn reject(&mut self, failure: &FailureRecord) -> Result<(), WriteError>;
}

impl<T: Serialize> SampleSink<T> for Dataset {
    fn accept(&mut self, sample: &T) -> Result<(), WriteError> {
        self.append(sample)
    }

    fn reject(&mut self, failure: &FailureRecord) -> Result<(), WriteError> {
        self.record_failure(failure)
    }
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

/// Whether `line` is a custom-schema record whose record is an object (a
/// run with `output.format: custom`): it ran no tool, so nothing about it
/// goes stale.
fn is_custom_record(line: &[u8]) -> bool {
    serde_json::from_slice::<weft_dataset::sample::CustomRecord>(line).is_ok_and(|r| r.record.is_object())
}

/// Writes `lines`, each ended by a newline, over `path` with
/// [`replace_file`]. On failure: the file and why.
pub(crate) fn replace_lines<'a>(
    path: &Path,
    lines: impl IntoIterator<Item = &'a [u8]>,
) -> Result<(), (PathBuf, std::io::Error)> {
    let mut out = Vec::new();
    for line in lines {
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    replace_file(path, &out)
}

/// Writes `bytes` to a temporary file beside `path` (creating the parent
/// directories), syncs it and renames it over `path`, so a reader, or a
/// run resumed after a kill, sees the old file or the new one, never part
/// of one. On failure: the file and why.
pub(crate) fn replace_file(path: &Path, bytes: &[u8]) -> Result<(), (PathBuf, std::io::Error)> {
    replace_with(path, |out| out.write_all(bytes))
}

/// [`replace_file`] with the new content written by `write` (through a
/// buffer), so it need not be in memory at once.
fn replace_with(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<File>) -> std::io::Result<()>,
) -> Result<(), (PathBuf, std::io::Error)> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(at(parent))?;
    }
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    let file = File::create(&temporary).map_err(at(&temporary))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    write(&mut out).map_err(at(&temporary))?;
    let file = out.into_inner().map_err(|err| err.into_error()).map_err(at(&temporary))?;
    file.sync_all().map_err(at(&temporary))?;
    std::fs::rename(&temporary, path).map_err(at(path))
}

/// `<save_as>.failures.jsonl`.
pub fn failures_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".failures.jsonl");
    PathBuf::from(name)
}

/// Where a run with `output.format: custom` keeps its canonical file (each
/// record with weft's metadata, what resume, shards and merge read) when
/// its records go to `path`: `<path>.weft.jsonl`.
pub fn envelope_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".weft.jsonl");
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
        Self::create_at(path, &failures_path(path))
    }

    /// [`Dataset::create`] with the failures file at `failures`.
    pub fn create_at(path: &Path, failures: &Path) -> Result<Self, WriteError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        File::create(path).map_err(io(path))?;
        if failures.exists() {
            std::fs::remove_file(failures).map_err(io(failures))?;
        }
        Self::open_append(path, failures)
    }

    /// Reopens the dataset at `path` to continue it: the indices of the
    /// samples already written. A torn last line is cut off first, and a
    /// sample that no longer passes the checks every written sample must
    /// pass ([`crate::validate::sound`]: one built on a transport failure of
    /// the tool service, or with an empty turn, as older runs could write)
    /// is dropped, so that this run makes it again.
    pub fn resume(path: &Path) -> Result<(Self, BTreeSet<u64>), WriteError> {
        Self::resume_at(path, &failures_path(path))
    }

    /// [`Dataset::resume`] with the failures file at `failures`.
    pub fn resume_at(path: &Path, failures: &Path) -> Result<(Self, BTreeSet<u64>), WriteError> {
        if !path.exists() {
            return Ok((Self::create_at(path, failures)?, BTreeSet::new()));
        }
        let bytes = std::fs::read(path).map_err(io(path))?;
        let mut done = BTreeSet::new();
        let mut kept: Vec<&[u8]> = Vec::new();
        let mut rewrite = false;
        let mut offset = 0usize;
        let mut line_number = 0usize;
        while offset < bytes.len() {
            line_number += 1;
            // A last line without its newline was torn by a crash: drop it.
            let Some(newline) = bytes[offset..].iter().position(|&b| b == b'\n') else {
                rewrite = true;
                break;
            };
            let line = &bytes[offset..offset + newline];
            let next = offset + newline + 1;
            offset = next;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let index = match sample_index(line) {
                Ok(index) => index,
                Err(err) if next >= bytes.len() => {
                    tracing::warn!("dropping an unreadable last line of {}: {err}", path.display());
                    rewrite = true;
                    break;
                }
                Err(err) => {
                    return Err(WriteError::Corrupt {
                        path: path.to_owned(),
                        line: line_number,
                        message: err.to_string(),
                    });
                }
            };
            let verdict = if is_custom_record(line) {
                Ok(())
            } else {
                serde_json::from_slice::<Sample>(line)
                    .map_err(|err| err.to_string())
                    .and_then(|sample| crate::validate::sound(&sample).map_err(|invalid| invalid.0))
            };
            match verdict {
                Ok(()) => {
                    done.insert(index);
                    kept.push(line);
                }
                Err(reason) => {
                    tracing::warn!(
                        "{}:{line_number}: sample {index} is made again: {reason}",
                        path.display()
                    );
                    rewrite = true;
                }
            }
        }
        if rewrite {
            replace_lines(path, kept).map_err(|(path, source)| WriteError::Io { path, source })?;
        }
        Ok((Self::open_append(path, failures)?, done))
    }

    fn open_append(path: &Path, failures: &Path) -> Result<Self, WriteError> {
        let file = OpenOptions::new().append(true).open(path).map_err(io(path))?;
        Ok(Self { path: path.to_owned(), file, failures_path: failures.to_owned(), failures: None })
    }

    /// The dataset's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The failures file's path.
    pub fn failures_path(&self) -> &Path {
        &self.failures_path
    }

    /// Appends one sample (a [`Sample`], or a custom record) as one line,
    /// written whole.
    pub fn append<T: Serialize>(&mut self, sample: &T) -> Result<(), WriteError> {
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
    /// index `keep` accepts, and drops the failure records of samples the
    /// file now holds (an earlier run's failures that a resume made good).
    /// Returns how many samples the file holds.
    pub fn finish(self, keep: impl Fn(u64) -> bool) -> Result<u64, WriteError> {
        let Self { path, file, failures_path, failures } = self;
        file.sync_all().map_err(io(&path))?;
        drop(file);
        drop(failures);
        // One pass notes where each kept line is (index, offset, length):
        // the file is never in memory whole, whatever the run's size.
        let mut reader = std::io::BufReader::with_capacity(1 << 20, File::open(&path).map_err(io(&path))?);
        let mut lines: Vec<(u64, u64, usize)> = Vec::new();
        let mut buffer = Vec::new();
        let (mut offset, mut number) = (0u64, 0usize);
        loop {
            buffer.clear();
            let read = reader.read_until(b'\n', &mut buffer).map_err(io(&path))?;
            if read == 0 {
                break;
            }
            number += 1;
            let line = buffer.strip_suffix(b"\n").unwrap_or(&buffer);
            if !line.iter().all(u8::is_ascii_whitespace) {
                let index = sample_index(line).map_err(|err| WriteError::Corrupt {
                    path: path.clone(),
                    line: number,
                    message: err.to_string(),
                })?;
                if keep(index) {
                    lines.push((index, offset, line.len()));
                }
            }
            offset += read as u64;
        }
        drop(reader);
        // In sample order; of a sample written twice, the first line.
        lines.sort_by_key(|(index, _, _)| *index);
        lines.dedup_by_key(|(index, _, _)| *index);
        let mut source = File::open(&path).map_err(io(&path))?;
        replace_with(&path, |out| {
            use std::io::{Read, Seek, SeekFrom};
            let mut line = Vec::new();
            for &(_, at, length) in &lines {
                line.resize(length, 0);
                source.seek(SeekFrom::Start(at))?;
                source.read_exact(&mut line)?;
                out.write_all(&line)?;
                out.write_all(b"\n")?;
            }
            Ok(())
        })
        .map_err(|(path, source)| WriteError::Io { path, source })?;
        let written: BTreeSet<u64> = lines.iter().map(|(index, _, _)| *index).collect();
        prune_failures(&failures_path, &written)?;
        Ok(lines.len() as u64)
    }
}

/// Rewrites the failures file without the records of samples in `written`,
/// and with only the newest record of a sample that failed in several runs
/// (removing the file when none is left). Lines that are not failure records
/// are kept.
fn prune_failures(path: &Path, written: &BTreeSet<u64>) -> Result<(), WriteError> {
    let text = match std::fs::read(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => return Err(WriteError::Io { path: path.to_owned(), source }),
    };
    let lines: Vec<&[u8]> =
        text.split(|&b| b == b'\n').filter(|line| !line.trim_ascii().is_empty()).collect();
    let indices: Vec<Option<u64>> = lines
        .iter()
        .map(|line| serde_json::from_slice::<FailureRecord>(line).ok().map(|record| record.sample_index))
        .collect();
    let newest: std::collections::HashMap<u64, usize> =
        indices.iter().enumerate().filter_map(|(position, index)| Some(((*index)?, position))).collect();
    let kept: Vec<&[u8]> = lines
        .iter()
        .zip(&indices)
        .enumerate()
        .filter(|(position, (_, index))| match index {
            None => true,
            Some(index) => !written.contains(index) && newest.get(index) == Some(position),
        })
        .map(|(_, (line, _))| *line)
        .collect();
    if kept.len() == lines.len() {
        return Ok(());
    }
    if kept.is_empty() {
        return std::fs::remove_file(path).map_err(io(path));
    }
    replace_lines(path, kept).map_err(|(path, source)| WriteError::Io { path, source })
}
