//! Topics: the tree or graph of subjects samples are drawn from.
//!
//! A [`TopicGraph`] holds both shapes — a tree is a graph whose nodes have one
//! parent each. [`build_topics`] grows one with a [`ChatModel`](weft_llm::ChatModel)
//! (subtopic requests run concurrently, bounded by `max_concurrent`, so a
//! build takes about `depth` rounds of LLM latency); [`save`] and [`load`]
//! read and write DeepFabric's own files (a tree as JSONL, one path per line;
//! a graph as one JSON document of nodes and edges), so topic files move
//! between the two tools both ways. [`TopicGraph::paths`] lists the
//! root-to-leaf paths samples are made from, in a fixed order.

mod build;
mod expand;
mod graph;
mod render;
mod store;
mod tools;

pub use build::{TopicSettings, build_topics};
pub use graph::{GraphMetadata, TopicFailure, TopicGraph, TopicNode, TopicPath};
pub use render::render;
pub use store::{failures_path, load, save, to_file_text};
pub use tools::{Duplicate, Prune, TopicStats, inspect, prune, to_svg};

use std::path::PathBuf;

/// Why topics could not be built, read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TopicError {
    /// Reading or writing a topic file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A topic file is not in a format DeepFabric or weft writes.
    #[error("{path}:{line}: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// The line (1-based; 0 for the whole document).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// Not even the root could be expanded.
    #[error("could not generate subtopics of the root topic: {0}")]
    RootFailed(String),
}
