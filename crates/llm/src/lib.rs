//! LLM providers behind one trait, [`ChatModel`].
#![deny(missing_docs)]

mod types;

pub use types::*;
