//! Where tools run, behind [`ToolBackend`](weft_protocol::ToolBackend):
//!
//! - `InProcess` (feature `in-process`): the wasm sandbox and the native
//!   [`mock`] tier inside this process (the default of `weft generate`; no
//!   second process, no network hop);
//! - [`HttpBackend`]: any Spin-compatible endpoint — `weft serve`, or
//!   DeepFabric's tools-sdk running under Spin.
//!
//! [`validate::Validators`] checks a call's arguments against its tool's
//! `inputSchema`, compiling each schema once. [`list_mcp_tools`] imports tool
//! definitions from any MCP server. [`builtin`] holds the definitions of the
//! built-in components' tools as data, so nothing here needs wasm unless
//! `in-process` is on.
//!
//! # Features
//!
//! - `in-process`: [`InProcess`](crate::InProcess), which runs components
//!   in this process and so builds wasmtime. A crate that only talks to a
//!   tool service (or, like `weft-gen`, only holds a `dyn ToolBackend`)
//!   leaves it off.
#![deny(missing_docs)]

pub mod builtin;
mod http;
#[cfg(feature = "in-process")]
mod in_process;
mod mcp_client;
pub mod mock;
pub mod validate;

pub use http::{HttpBackend, HttpBackendOptions};
#[cfg(feature = "in-process")]
pub use in_process::{InProcess, InProcessError};
pub use mcp_client::{
    DEFAULT_IMPORT_TIMEOUT, McpImportError, McpSource, list_mcp_tools, list_mcp_tools_with_timeout,
};
