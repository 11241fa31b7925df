//! The failures file beside a dataset: records of samples that failed
//! every attempt (`{"sample_index", "topic_id", "topic_path", "attempts",
//! "reason", "errors"}`), grouped by reason.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::InspectError;
use super::figures::{FailureReason, Failures};

/// Reason groups listed.
const LISTED_REASONS: usize = 50;
/// Sample indices kept per reason.
const KEPT_INDICES: usize = 5;

/// `<dataset>.failures.jsonl`, where generation writes a dataset's failures.
pub fn failures_path(dataset: &Path) -> PathBuf {
    let mut name = dataset.as_os_str().to_owned();
    name.push(".failures.jsonl");
    PathBuf::from(name)
}

#[derive(Deserialize)]
struct Record {
    sample_index: u64,
    reason: String,
}

/// Reads the failures file at `path`; an absent file is no failures.
/// `samples` (the dataset's count) gives the yield rate.
pub(crate) fn read(path: &Path, samples: u64) -> Result<Failures, InspectError> {
    let io = |source| InspectError::Io { path: path.to_owned(), source };
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Failures {
                yield_rate: super::distribution::rate(samples, samples),
                ..Failures::default()
            });
        }
        Err(err) => return Err(io(err)),
    };
    let mut groups: Vec<FailureReason> = Vec::new();
    let mut by_reason: HashMap<String, usize> = HashMap::new();
    let mut count = 0;
    for (index, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(io)?;
        if line.trim().is_empty() {
            continue;
        }
        let record: Record = serde_json::from_str(&line).map_err(|err| InspectError::Format {
            path: path.to_owned(),
            line: index as u64 + 1,
            message: format!("not a failure record: {err}"),
        })?;
        count += 1;
        let masked = mask(&record.reason);
        let at = *by_reason.entry(masked.clone()).or_insert_with(|| {
            groups.push(FailureReason {
                reason: masked,
                count: 0,
                example: record.reason,
                sample_indices: Vec::new(),
            });
            groups.len() - 1
        });
        let group = &mut groups[at];
        group.count += 1;
        if group.sample_indices.len() < KEPT_INDICES {
            group.sample_indices.push(record.sample_index);
        }
    }
    // Most frequent first; ties in file order (the sort is stable).
    groups.sort_by_key(|g| std::cmp::Reverse(g.count));
    groups.truncate(LISTED_REASONS);
    Ok(Failures {
        present: true,
        count,
        yield_rate: super::distribution::rate(samples, samples + count),
        reasons: groups,
    })
}

/// `reason` with every run of digits as `#` and every `` `quoted` `` part
/// as `` `…` ``.
pub(crate) fn mask(reason: &str) -> String {
    let mut out = String::with_capacity(reason.len());
    let mut quoted = false;
    let mut digits = false;
    for c in reason.chars() {
        if quoted {
            if c == '`' {
                out.push_str("…`");
                quoted = false;
            }
            continue;
        }
        if c.is_ascii_digit() {
            if !digits {
                out.push('#');
            }
            digits = true;
            continue;
        }
        digits = false;
        out.push(c);
        quoted = c == '`';
    }
    if quoted {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn masking() {
        assert_eq!(
            mask("message 3 makes 12 tool calls, over max_per_query 4"),
            "message # makes # tool calls, over max_per_query #"
        );
        assert_eq!(mask("tool call id `ab1` is used twice"), "tool call id `…` is used twice");
        assert_eq!(mask("open `quote"), "open `…");
    }
}
