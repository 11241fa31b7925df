//! The wasmtime host that runs weft's tool components.
//!
//! Every call gets a fresh component instance from a pre-instantiated
//! [`InstancePre`](wasmtime::component::InstancePre), with:
//!
//! - **no capabilities but those the manifest grants**: no preopened
//!   directories, no environment, no sockets; a key-value store only when the
//!   component lists one, already scoped to the call's session; outbound HTTP
//!   only to the component's `allowed_outbound_hosts`;
//! - **secrets redacted**: the value of every variable marked `secret` is
//!   replaced by `[REDACTED]` in every outcome, whatever the guest returns;
//! - **a CPU deadline** (epoch interruption: a guest `loop {}` ends as
//!   `Timeout`) and **a memory cap** (`ResourceExhausted`);
//! - errors as data: whatever the guest does, the caller gets a
//!   [`ToolOutcome`](weft_protocol::ToolOutcome), never a panic.
//!
//! ```no_run
//! # async fn demo() -> Result<(), weft_sandbox::SandboxError> {
//! use weft_sandbox::{Manifest, Sandbox};
//! let sandbox = Sandbox::new(Manifest::builtin()).await?;
//! let outcome = sandbox.execute("session-1", "read_file", r#"{"file_path":"/etc/passwd"}"#).await;
//! assert_eq!(outcome.result, "Access denied: /etc/passwd");
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod builtin;
mod cache;
mod component;
mod engine;
mod error;
mod host;
mod manifest;
mod sandbox;
mod spin;

/// The key-value stores (the `weft-kv` crate).
pub use weft_kv as kv;

pub use builtin::BUILTIN_COMPONENTS;
pub use error::SandboxError;
pub use manifest::{
    BuildSpec, Commands, ComponentSpec, FileMount, HttpLimits, HttpRoute, KvStoreSpec, Limits, Manifest,
    RouteMatch, SessionLimits, VariableSpec,
};
pub use sandbox::{ComponentInfo, NATIVE_COMPONENTS, NativeComponent, Sandbox};
pub use spin::{SPIN_APP_NAMESPACE, SpinRequest, SpinResponse, SpinRoute};
pub use weft_variables::{REDACTED, Redactor};

#[cfg(feature = "testing")]
pub mod testing;
