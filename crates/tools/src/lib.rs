//! Where tools run, behind [`ToolBackend`](weft_protocol::ToolBackend):
//!
//! - [`InProcess`]: the wasm sandbox and the native [`mock`] tier inside this
//!   process (the default; no second process, no network hop);
//! - [`HttpBackend`]: any Spin-compatible endpoint — `weft serve`, or
//!   DeepFabric's tools-sdk running under Spin.
//!
//! [`validate::Validators`] checks a call's arguments against its tool's
//! `inputSchema`, compiling each schema once. [`list_mcp_tools`] imports tool
//! definitions from any MCP server.
#![deny(missing_docs)]

mod http;
mod in_process;
mod mcp_client;
pub mod mock;
pub mod validate;

pub use http::{HttpBackend, HttpBackendOptions};
pub use in_process::{InProcess, InProcessError};
pub use mcp_client::{
    DEFAULT_IMPORT_TIMEOUT, McpImportError, McpSource, list_mcp_tools, list_mcp_tools_with_timeout,
};
