//! Where tools run, behind [`ToolBackend`](weft_protocol::ToolBackend):
//!
//! - [`InProcess`]: the wasm sandbox inside this process (the default; no
//!   second process, no network hop);
//! - [`HttpBackend`]: any Spin-compatible endpoint — `weft serve`, or
//!   DeepFabric's tools-sdk running under Spin.
//!
//! [`list_mcp_tools`] imports tool definitions from any MCP server.
#![deny(missing_docs)]

mod http;
mod mcp_client;

pub use http::{HttpBackend, HttpBackendOptions};
pub use mcp_client::{
    DEFAULT_IMPORT_TIMEOUT, McpImportError, McpSource, list_mcp_tools, list_mcp_tools_with_timeout,
};
/// The in-process backend is the sandbox itself.
pub use weft_sandbox::Sandbox as InProcess;
