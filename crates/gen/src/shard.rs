//! Splitting one run over several machines, and joining the parts.
//!
//! A [`Shard`] `i/n` makes the samples whose index `k` has `k % n == i`.
//! Every sample is seeded from its index alone, so the shards of a run, once
//! [`merge`]d, hold the very samples one unsharded run would have written,
//! provided they share the config and the topics.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::writer::{FailureRecord, envelope_path, failures_path, replace_lines, sample_index};

/// The environment variable a Kubernetes Indexed Job sets to the pod's index.
pub const JOB_INDEX_VAR: &str = "JOB_COMPLETION_INDEX";

/// One part of a run: the samples whose index is `index` modulo `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This part, from 0.
    pub index: u64,
    /// How many parts the run has.
    pub count: u64,
}

/// Why a shard spec was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ShardError {
    /// Not `I/N` or `/N`.
    #[error("shard `{0}` is not I/N (e.g. 0/4) or /N (the index then comes from {JOB_INDEX_VAR})")]
    Syntax(String),
    /// `/N` without the Job's index in the environment.
    #[error("shard `{0}` takes its index from {JOB_INDEX_VAR}, which is not set; write I/N")]
    NoJobIndex(String),
    /// `I` is not below `N`, or `N` is 0.
    #[error("shard `{spec}`: the index must be below the count, and the count at least 1")]
    OutOfRange {
        /// The spec as written (with the Job's index filled in).
        spec: String,
    },
}

impl Shard {
    /// Reads `I/N`, or `/N` with `I` from `job_index` (the value of
    /// [`JOB_INDEX_VAR`], when set).
    pub fn parse(spec: &str, job_index: Option<&str>) -> Result<Self, ShardError> {
        let syntax = || ShardError::Syntax(spec.to_owned());
        let (index, count) = spec.trim().split_once('/').ok_or_else(syntax)?;
        let index = match index.trim() {
            "" => job_index.ok_or_else(|| ShardError::NoJobIndex(spec.to_owned()))?.trim().to_owned(),
            written => written.to_owned(),
        };
        let number = |text: &str| text.trim().parse::<u64>().map_err(|_| syntax());
        let shard = Self { index: number(&index)?, count: number(count)? };
        if shard.count == 0 || shard.index >= shard.count {
            return Err(ShardError::OutOfRange { spec: format!("{index}/{}", count.trim()) });
        }
        Ok(shard)
    }

    /// Whether sample `index` is this shard's.
    pub fn contains(&self, index: u64) -> bool {
        index % self.count == self.index
    }

    /// How many of the samples `0..total` are this shard's.
    pub fn size_of(&self, total: u64) -> u64 {
        total / self.count + u64::from(total % self.count > self.index)
    }

    /// Where this shard writes by default: `data.jsonl` → `data.shard-1-of-4.jsonl`.
    pub fn output_path(&self, path: &Path) -> PathBuf {
        let tag = format!("shard-{}-of-{}", self.index, self.count);
        let name = match (path.file_stem(), path.extension()) {
            (Some(stem), Some(ext)) => format!("{}.{tag}.{}", stem.to_string_lossy(), ext.to_string_lossy()),
            (Some(stem), None) => format!("{}.{tag}", stem.to_string_lossy()),
            _ => format!("{tag}.jsonl"),
        };
        path.with_file_name(name)
    }
}

/// Why a merge failed. Nothing is written then.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MergeError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A line is not a sample (or failure record) with a `sample_index`.
    #[error("{path}:{line}: not a weft sample: {message}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The line, from 1.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The merged records could not be written beside the canonical file.
    #[error("cannot write the records: {0}")]
    Records(weft_dataset::format::FormatError),
    /// Some inputs are custom-record shards and some are not.
    #[error(
        "some inputs are shards of a custom-record run (a `.weft.jsonl` file beside them) and some are \
         not: merge only the shards of one run"
    )]
    Mixed,
    /// Two inputs hold different samples under one index.
    #[error(
        "sample {index} differs between {first} and {second}: the inputs come from different runs \
         (another config, other topics or another seed); merge only the shards of one run"
    )]
    Conflict {
        /// The index.
        index: u64,
        /// The file it was first seen in.
        first: PathBuf,
        /// The file with the other version.
        second: PathBuf,
    },
}

/// What a merge did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeReport {
    /// Samples in the output.
    pub samples: u64,
    /// Identical copies dropped (a shard run twice, an input named twice).
    pub duplicates: u64,
    /// Failure records carried over (for indices no input has a sample of).
    pub failures: u64,
    /// Indices with neither a sample nor a failure record: below `expected`
    /// when given, else below the highest index seen.
    pub missing: Vec<u64>,
}

/// Joins shard files into `out`, in sample order, each index once; their
/// `.failures.jsonl` files are joined into `out`'s, keeping only the
/// failures no input has a sample for. Written whole or not at all.
/// `expected` is the run's number of samples, when known.
///
/// Shards of a custom-record run (`output.format: custom`) are named by
/// their records files: each one's canonical file (`<file>.weft.jsonl`) is
/// merged into `out`'s, and `out` gets the records.
pub fn merge(inputs: &[PathBuf], out: &Path, expected: Option<u64>) -> Result<MergeReport, MergeError> {
    let custom: Vec<bool> = inputs.iter().map(|input| envelope_path(input).exists()).collect();
    let all_custom = custom.iter().all(|c| *c);
    if !all_custom && custom.iter().any(|c| *c) {
        return Err(MergeError::Mixed);
    }
    let canonical: Vec<PathBuf> =
        inputs.iter().map(|input| if all_custom { envelope_path(input) } else { input.clone() }).collect();
    let mut samples: BTreeMap<u64, (Vec<u8>, &Path)> = BTreeMap::new();
    let mut duplicates = 0;
    for input in &canonical {
        for (line_number, line) in read_lines(input)? {
            let index = sample_index(&line).map_err(|err| MergeError::Corrupt {
                path: input.clone(),
                line: line_number,
                message: err.to_string(),
            })?;
            match samples.get(&index) {
                None => {
                    samples.insert(index, (line, input.as_path()));
                }
                Some((kept, _)) if *kept == line => duplicates += 1,
                Some((_, first)) => {
                    return Err(MergeError::Conflict {
                        index,
                        first: first.to_path_buf(),
                        second: input.clone(),
                    });
                }
            }
        }
    }
    let mut failures: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    for input in inputs {
        let path = failures_path(input);
        if !path.exists() {
            continue;
        }
        for (line_number, line) in read_lines(&path)? {
            let record: FailureRecord = serde_json::from_slice(&line).map_err(|err| MergeError::Corrupt {
                path: path.clone(),
                line: line_number,
                message: err.to_string(),
            })?;
            if !samples.contains_key(&record.sample_index) {
                failures.entry(record.sample_index).or_insert(line);
            }
        }
    }
    let highest = samples.keys().chain(failures.keys()).max().map_or(0, |h| h + 1);
    let missing = (0..expected.unwrap_or(highest))
        .filter(|index| !samples.contains_key(index) && !failures.contains_key(index))
        .collect();
    let out_canonical = if all_custom { envelope_path(out) } else { out.to_owned() };
    replace_lines(&out_canonical, samples.values().map(|(line, _)| line.as_slice()))
        .map_err(replace_failed)?;
    if all_custom {
        weft_dataset::format::render_file(&out_canonical, &weft_dataset::format::Format::Custom, out)
            .map_err(MergeError::Records)?;
    }
    let out_failures = failures_path(out);
    if failures.is_empty() {
        if out_failures.exists() {
            std::fs::remove_file(&out_failures).map_err(|source| io(&out_failures, source))?;
        }
    } else {
        replace_lines(&out_failures, failures.values().map(Vec::as_slice)).map_err(replace_failed)?;
    }
    Ok(MergeReport { samples: samples.len() as u64, duplicates, failures: failures.len() as u64, missing })
}

fn io(path: &Path, source: std::io::Error) -> MergeError {
    MergeError::Io { path: path.to_owned(), source }
}

/// The non-blank lines of `path` with their line numbers.
fn read_lines(path: &Path) -> Result<Vec<(usize, Vec<u8>)>, MergeError> {
    let bytes = std::fs::read(path).map_err(|source| io(path, source))?;
    Ok(bytes
        .split(|&b| b == b'\n')
        .enumerate()
        .filter(|(_, line)| !line.iter().all(u8::is_ascii_whitespace))
        .map(|(number, line)| (number + 1, line.to_vec()))
        .collect())
}

fn replace_failed((path, source): (PathBuf, std::io::Error)) -> MergeError {
    MergeError::Io { path, source }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_bad_ones_say_why() {
        assert_eq!(Shard::parse("1/4", None), Ok(Shard { index: 1, count: 4 }));
        assert_eq!(Shard::parse(" 0 / 2 ", None), Ok(Shard { index: 0, count: 2 }));
        assert_eq!(Shard::parse("/3", Some("2")), Ok(Shard { index: 2, count: 3 }));
        // An explicit index wins over the Job's.
        assert_eq!(Shard::parse("0/3", Some("2")), Ok(Shard { index: 0, count: 3 }));
        assert_eq!(Shard::parse("/3", None), Err(ShardError::NoJobIndex("/3".into())));
        assert_eq!(Shard::parse("4/4", None), Err(ShardError::OutOfRange { spec: "4/4".into() }));
        assert_eq!(Shard::parse("/4", Some("7")), Err(ShardError::OutOfRange { spec: "7/4".into() }));
        assert_eq!(Shard::parse("0/0", None), Err(ShardError::OutOfRange { spec: "0/0".into() }));
        assert_eq!(Shard::parse("2", None), Err(ShardError::Syntax("2".into())));
        assert_eq!(Shard::parse("a/4", None), Err(ShardError::Syntax("a/4".into())));
    }

    #[test]
    fn shards_partition_the_indices() {
        for count in 1..6u64 {
            for total in 0..20u64 {
                let shards: Vec<Shard> = (0..count).map(|index| Shard { index, count }).collect();
                for k in 0..total {
                    assert_eq!(shards.iter().filter(|s| s.contains(k)).count(), 1);
                }
                for shard in &shards {
                    assert_eq!(
                        shard.size_of(total),
                        (0..total).filter(|k| shard.contains(*k)).count() as u64
                    );
                }
            }
        }
    }

    #[test]
    fn shard_files_are_named_after_the_output() {
        let shard = Shard { index: 1, count: 4 };
        assert_eq!(shard.output_path(Path::new("out/data.jsonl")), Path::new("out/data.shard-1-of-4.jsonl"));
        assert_eq!(shard.output_path(Path::new("data")), Path::new("data.shard-1-of-4"));
    }
}
