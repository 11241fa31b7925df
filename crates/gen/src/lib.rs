//! Configs, topics, the agent loop, sample assembly and writers.
#![deny(missing_docs)]

pub mod config;
pub mod topics;
