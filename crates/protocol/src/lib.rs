//! The vocabulary shared by every weft crate.
//!
//! A tool call goes in, a [`ToolOutcome`] comes out. The outcome is the Spin
//! envelope DeepFabric's tools-sdk answers with — `{success, result, error_type}` —
//! and errors are data: an error outcome is a valid observation that belongs in
//! a dataset, so [`ToolBackend::execute`] never returns `Err`.
//!
//! ```
//! use weft_protocol::{ErrorType, ToolOutcome};
//! let denied = ToolOutcome::error(ErrorType::PermissionDenied, "Access denied: /etc/passwd");
//! let wire = serde_json::to_string(&denied).unwrap();
//! assert_eq!(wire, r#"{"success":false,"result":"Access denied: /etc/passwd","error_type":"PermissionDenied"}"#);
//! ```
#![deny(missing_docs)]

mod backend;
mod error_type;
mod outcome;
mod tool;

pub use backend::{BackendError, STORE_INSTANCE_HEADER, ScenarioSeed, SessionId, ToolBackend, ToolOrigin};
pub use error_type::ErrorType;
pub use outcome::{STORE_UNAVAILABLE, ToolOutcome};
pub use tool::{ToolAnnotations, ToolCall, ToolDefinition};
