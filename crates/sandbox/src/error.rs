use std::path::PathBuf;

/// Why a sandbox could not be built or a manifest could not be read.
/// (Failures of individual calls are outcomes, not errors.)
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    /// The manifest file could not be read.
    #[error("cannot read manifest {path}: {source}")]
    ReadManifest {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The manifest is not valid TOML of the expected shape.
    #[error("invalid manifest {path}: {message}")]
    InvalidManifest {
        /// The file (or `<builtin>`).
        path: PathBuf,
        /// What is wrong, with its location when known.
        message: String,
    },
    /// A component's source could not be loaded or compiled.
    #[error("component '{component}': {message}")]
    Component {
        /// The component's name.
        component: String,
        /// What went wrong.
        message: String,
    },
    /// The wasmtime engine could not be configured.
    #[error("cannot configure the wasm engine: {0}")]
    Engine(String),
    /// A key-value backend could not be opened.
    #[error("key-value store '{label}': {message}")]
    KeyValue {
        /// The store's label.
        label: String,
        /// What went wrong.
        message: String,
    },
}
