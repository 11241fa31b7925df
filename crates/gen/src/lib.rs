//! Configs, topics, the agent loop, sample assembly and writers.
//!
//! The data flow of one sample: [`session::attempt`] opens a sandbox session
//! seeded with the scenario's files, has the model write the user's request,
//! and runs the [`agent`] loop (every call really executed); [`assemble`]
//! turns the transcript into a [`sample::Sample`] in DeepFabric's shape;
//! [`validate`] checks it; [`pipeline`] retries or writes it through
//! [`writer::Dataset`]. [`generate::generate`] runs all of it for a config.
#![deny(missing_docs)]

pub mod agent;
pub mod assemble;
pub mod config;
pub mod eval;
pub mod generate;
pub mod ids;
pub mod pipeline;
pub mod progress;
pub mod record;
/// The canonical sample (the `weft-dataset` crate's).
pub use weft_dataset::sample;
pub mod session;
pub mod shard;
pub mod split;
pub mod topics;
/// The checks a sample must pass (the `weft-dataset` crate's).
pub use weft_dataset::validate;
pub mod verify;
pub mod writer;
