//! `weft split`: a train/eval split of a dataset by topic path, so that no
//! topic is in both halves (a model evaluated on a topic it trained on
//! measures memory, not skill), and the same seed always gives the same
//! split.
//!
//! Topics are ordered by a hash of the seed and the topic path; whole topics
//! go to eval in that order until eval holds at least the asked share of the
//! samples. Lines are copied byte for byte, in their order.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Why a dataset could not be split.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SplitError {
    /// Reading the dataset or writing a half failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
    /// A line is not a sample or record with a topic.
    #[error("{path}:{line}: {reason}")]
    Line {
        /// The dataset.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// Fewer than two topics: no split keeps topics apart.
    #[error("{path} holds {topics} topic(s); a split by topic needs at least two")]
    TooFewTopics {
        /// The dataset.
        path: PathBuf,
        /// How many it holds.
        topics: usize,
    },
}

/// What a split wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct SplitReport {
    /// The train half and its samples and topics.
    pub train: (PathBuf, usize, usize),
    /// The eval half and its samples and topics.
    pub eval: (PathBuf, usize, usize),
}

impl SplitReport {
    /// The eval half's share of the samples.
    pub fn eval_share(&self) -> f64 {
        let total = self.train.1 + self.eval.1;
        if total == 0 { 0.0 } else { self.eval.1 as f64 / total as f64 }
    }
}

/// `<stem>.train.<ext>` and `<stem>.eval.<ext>` in `dir` (the dataset's
/// own folder when `None`).
pub fn split_paths(dataset: &Path, dir: Option<&Path>) -> (PathBuf, PathBuf) {
    let stem =
        dataset.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "dataset".into());
    let ext = dataset.extension().map(|e| e.to_string_lossy().into_owned()).unwrap_or_else(|| "jsonl".into());
    let dir = dir.map(Path::to_owned).or_else(|| dataset.parent().map(Path::to_owned)).unwrap_or_default();
    (dir.join(format!("{stem}.train.{ext}")), dir.join(format!("{stem}.eval.{ext}")))
}

/// Splits `dataset` so that eval holds at least `share` (0 < share < 1) of
/// the samples, whole topics only.
pub fn split(dataset: &Path, share: f64, seed: u64, dir: Option<&Path>) -> Result<SplitReport, SplitError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| SplitError::Io { path, source }
    };
    let text = std::fs::read(dataset).map_err(io(dataset))?;
    // Each non-empty line with its topic.
    let mut lines: Vec<(&[u8], String)> = Vec::new();
    for (at, line) in text.split_inclusive(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let topic = topic_of(line).map_err(|reason| SplitError::Line {
            path: dataset.to_owned(),
            line: at + 1,
            reason,
        })?;
        lines.push((line, topic));
    }
    let mut sizes: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, topic) in &lines {
        *sizes.entry(topic.as_str()).or_default() += 1;
    }
    if sizes.len() < 2 {
        return Err(SplitError::TooFewTopics { path: dataset.to_owned(), topics: sizes.len() });
    }
    let mut order: Vec<(&str, usize)> = sizes.into_iter().collect();
    order.sort_by_key(|(topic, _)| rank(seed, topic));
    let target = ((lines.len() as f64) * share).ceil().max(1.0) as usize;
    let mut eval_topics = BTreeSet::new();
    let mut eval_count = 0;
    // Never every topic: train keeps at least the last one in the order.
    for (topic, size) in &order[..order.len() - 1] {
        if eval_count >= target {
            break;
        }
        eval_topics.insert(*topic);
        eval_count += size;
    }
    let (train_path, eval_path) = split_paths(dataset, dir);
    let mut train = std::io::BufWriter::new(std::fs::File::create(&train_path).map_err(io(&train_path))?);
    let mut eval = std::io::BufWriter::new(std::fs::File::create(&eval_path).map_err(io(&eval_path))?);
    let mut train_count = 0;
    for (line, topic) in &lines {
        let (out, path) = if eval_topics.contains(topic.as_str()) {
            (&mut eval, &eval_path)
        } else {
            train_count += 1;
            (&mut train, &train_path)
        };
        out.write_all(line).map_err(io(path))?;
        if !line.ends_with(b"\n") {
            out.write_all(b"\n").map_err(io(path))?;
        }
    }
    train.flush().map_err(io(&train_path))?;
    eval.flush().map_err(io(&eval_path))?;
    Ok(SplitReport {
        train: (train_path, train_count, order.len() - eval_topics.len()),
        eval: (eval_path, eval_count, eval_topics.len()),
    })
}

/// A line's topic: its `metadata.topic_path` joined (or `topic_id`).
fn topic_of(line: &[u8]) -> Result<String, String> {
    let value: serde_json::Value = serde_json::from_slice(line).map_err(|err| format!("not JSON: {err}"))?;
    let metadata = value.get("metadata").ok_or("no `metadata` (not a weft sample or record)")?;
    if let Some(path) = metadata.get("topic_path").and_then(|p| p.as_array()) {
        let parts: Vec<&str> = path.iter().filter_map(|p| p.as_str()).collect();
        if !parts.is_empty() {
            return Ok(parts.join(" -> "));
        }
    }
    metadata
        .get("topic_id")
        .and_then(|id| id.as_str())
        .map(str::to_owned)
        .ok_or_else(|| "no `metadata.topic_path` or `topic_id`".to_owned())
}

/// Where `topic` falls in the seed's order.
fn rank(seed: u64, topic: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(seed.to_le_bytes());
    hasher.update(topic.as_bytes());
    hasher.finalize().into()
}
