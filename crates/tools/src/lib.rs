//! Where tools run, behind [`ToolBackend`](weft_protocol::ToolBackend):
//!
//! - [`InProcess`]: the wasm sandbox inside this process (the default; no
//!   second process, no network hop);
//! - [`HttpBackend`]: any Spin-compatible endpoint — `weft serve`, or
//!   DeepFabric's tools-sdk running under Spin.
#![deny(missing_docs)]

mod http;

pub use http::{HttpBackend, HttpBackendOptions};
/// The in-process backend is the sandbox itself.
pub use weft_sandbox::Sandbox as InProcess;
