//! `weft inspect`: what a dataset holds, in figures a person can check.
//!
//! [`inspect`] reads a dataset of canonical samples in one streaming pass
//! (never holding the samples; workers parse in parallel, the figures are
//! folded in file order so they do not depend on the thread count), reads
//! the failures file beside it and, optionally, a topics file, and returns
//! an [`Inspection`]: the [`Figures`] and a few [`Example`] samples.
//!
//! The figures come out as plain text ([`Figures::to_text`]), JSON (the
//! serde form of [`Figures`], documented in [`figures`], tagged
//! [`FORMAT`]), a short markdown summary for a dataset card
//! ([`Figures::to_markdown`]) and one self-contained HTML page
//! ([`Inspection::to_html`]: inline CSS and SVG charts, no script, nothing
//! fetched).
//!
//! What each figure means — recovery, near-duplicates, argument validity —
//! is defined where its type is ([`Recovery`], [`NearDuplicates`],
//! [`Arguments`]).
//!
//! ```no_run
//! use weft_dataset::inspect::{Options, inspect};
//!
//! let inspection = inspect("dataset.jsonl".as_ref(), &Options::default())?;
//! println!("{}", inspection.figures.to_text());
//! std::fs::write("report.html", inspection.to_html("dataset.jsonl"))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::{Path, PathBuf};

mod arguments;
mod distribution;
mod examples;
mod failures;
pub mod figures;
mod hash;
mod html;
mod markdown;
mod numbers;
mod observe;
mod pipeline;
mod recovery;
mod requests;
mod tally;
mod text;
mod topics;
mod view;

pub use examples::{Example, ExampleKind};
pub use failures::failures_path;
pub use figures::*;
pub use html::escape as escape_markup;

/// The report's parts, for other pages in the same look (`weft eval`'s):
/// its stylesheet, headline tiles and inline SVG charts.
pub mod charts {
    pub use super::html::svg::{AMBER, BLUE, GREEN, Part, RED, TRACK, meter, outcome_meter, split_bar};
    pub use super::html::{STYLE, escape, tile};
}

use examples::LineReader;

/// What to inspect besides the dataset.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// A topics file (a tree's JSONL or a graph's JSON) to measure the
    /// coverage of.
    pub topics: Option<PathBuf>,
    /// Worker threads parsing samples; 0 for one per core.
    pub threads: usize,
}

/// The figures of a dataset and the samples a report shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Inspection {
    /// Everything measured.
    pub figures: Figures,
    /// The first sample of each [`ExampleKind`] found, in that order.
    pub examples: Vec<Example>,
}

impl Inspection {
    /// The report as one self-contained HTML page titled after `name`
    /// (usually the dataset's file name).
    pub fn to_html(&self, name: &str) -> String {
        html::page(self, name)
    }
}

/// Why a dataset could not be inspected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InspectError {
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A line of a file is not what it should be.
    #[error("{}:{line}: {message}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What is wrong with it.
        message: String,
    },
}

/// Inspects the dataset at `dataset` and its failures file
/// ([`failures_path`]; an absent one is no failures).
pub fn inspect(dataset: &Path, options: &Options) -> Result<Inspection, InspectError> {
    let topic_file = options.topics.as_deref().map(topics::load).transpose()?;
    let threads = match options.threads {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    };
    let tally = pipeline::scan(dataset, threads)?;
    let samples = tally.samples();
    let failures = failures::read(&failures_path(dataset), samples)?;
    let mut lines = LineReader::open(dataset)?;
    let mut request = |first: requests::FirstSeen| -> Result<String, InspectError> {
        let line = lines.line(first.offset)?;
        #[derive(serde::Deserialize)]
        struct Question {
            question: String,
        }
        Ok(serde_json::from_str::<Question>(&line).map(|q| q.question).unwrap_or_default())
    };
    let (figures, picks) = tally.finish(failures, topic_file, &mut request)?;
    let examples = picks.read(dataset)?;
    Ok(Inspection { figures, examples })
}
