//! The example samples a report shows: the first sample of each kind,
//! read back from the dataset by offset once the pass is over.

use std::io::{BufRead, Seek, SeekFrom};
use std::path::Path;

use super::InspectError;
use super::observe::{LineAt, Observation};
use crate::sample::Sample;

/// Why a sample is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ExampleKind {
    /// Calls failed and every failure was recovered.
    Recovered,
    /// A failure was not recovered, or a call's arguments are wrong.
    Problem,
    /// Calls were made and none failed.
    Clean,
}

impl ExampleKind {
    /// A heading for the kind.
    pub fn title(self) -> &'static str {
        match self {
            Self::Recovered => "Errors met and recovered from",
            Self::Problem => "An unrecovered error or invalid arguments",
            Self::Clean => "Every call succeeded",
        }
    }

    /// The kind `observation` is an example of, if any: a sample with an
    /// unrecovered failure or invalid arguments is a problem before it is a
    /// recovery.
    pub(crate) fn of(observation: &Observation) -> Option<Self> {
        let problem = observation.failed_calls().any(|c| c.recovery.is_none())
            || observation.calls.iter().any(|c| c.arguments.is_wrong());
        if problem {
            Some(Self::Problem)
        } else if observation.failed_calls().next().is_some() {
            Some(Self::Recovered)
        } else if !observation.calls.is_empty() {
            Some(Self::Clean)
        } else {
            None
        }
    }
}

/// One sample shown in a report.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    /// Why it is shown.
    pub kind: ExampleKind,
    /// Its line in the dataset (1-based).
    pub line: u64,
    /// The sample.
    pub sample: Sample,
}

/// The first sample of each kind, in the order of [`ExampleKind`].
#[derive(Debug, Default)]
pub(crate) struct Picks(Vec<(ExampleKind, LineAt)>);

impl Picks {
    /// Keeps `observation` if it is the first of its kind.
    pub(crate) fn consider(&mut self, observation: &Observation) {
        if let Some(kind) = ExampleKind::of(observation) {
            self.keep(kind, observation.at);
        }
    }

    fn keep(&mut self, kind: ExampleKind, at: LineAt) {
        match self.0.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, kept)) if at.number < kept.number => *kept = at,
            Some(_) => {}
            None => self.0.push((kind, at)),
        }
    }

    /// Keeps the earlier of each kind from another part.
    pub(crate) fn merge(&mut self, other: Picks) {
        for (kind, at) in other.0 {
            self.keep(kind, at);
        }
    }

    /// Reads the picked samples back from `dataset`. A line that is not a
    /// whole [`Sample`] (the pass reads only some fields) is not shown.
    pub(crate) fn read(mut self, dataset: &Path) -> Result<Vec<Example>, InspectError> {
        self.0.sort_by_key(|(kind, _)| *kind);
        let mut reader = LineReader::open(dataset)?;
        let mut examples = Vec::new();
        for (kind, at) in self.0 {
            if let Ok(sample) = serde_json::from_str(&reader.line(at.offset)?) {
                examples.push(Example { kind, line: at.number, sample });
            }
        }
        Ok(examples)
    }
}

/// Reads single lines of a file by offset.
pub(crate) struct LineReader {
    path: std::path::PathBuf,
    file: std::io::BufReader<std::fs::File>,
}

impl LineReader {
    pub(crate) fn open(path: &Path) -> Result<Self, InspectError> {
        let file =
            std::fs::File::open(path).map_err(|source| InspectError::Io { path: path.to_owned(), source })?;
        Ok(Self { path: path.to_owned(), file: std::io::BufReader::new(file) })
    }

    /// The line starting at byte `offset`, without its line break.
    pub(crate) fn line(&mut self, offset: u64) -> Result<String, InspectError> {
        let mut line = String::new();
        let read = self.file.seek(SeekFrom::Start(offset)).and_then(|_| self.file.read_line(&mut line));
        read.map_err(|source| InspectError::Io { path: self.path.clone(), source })?;
        Ok(line.trim_end_matches(['\n', '\r']).to_owned())
    }
}
