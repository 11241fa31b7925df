//! The dataset side of weft: the canonical sample ([`sample::Sample`],
//! DeepFabric's `Conversation` shape plus weft's metadata, one JSON line
//! per sample) and everything made from it without running anything:
//! the checks every sample passes ([`validate`]), the training formats
//! it is rendered into ([`format`](mod@format)), and the figures and report
//! of [`inspect`].
//!
//! Nothing here runs wasm, calls a model or touches the network, so tools
//! that only read datasets build in seconds.
#![deny(missing_docs)]

pub mod format;
pub mod inspect;
pub mod sample;
pub mod validate;
