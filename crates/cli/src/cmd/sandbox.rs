//! Loading the in-process tools (wasm sandbox and mock tier) from an
//! optional manifest.

use std::path::Path;

use anyhow::Context;
use weft_sandbox::Manifest;
use weft_tools::InProcess;

pub async fn load_sandbox(manifest: Option<&Path>) -> anyhow::Result<InProcess> {
    load_sandbox_with(manifest, None).await
}

/// [`load_sandbox`] with a Spin runtime config (`--runtime-config-file`)
/// choosing the backends of the manifest's key-value stores.
pub async fn load_sandbox_with(
    manifest: Option<&Path>,
    runtime_config: Option<&Path>,
) -> anyhow::Result<InProcess> {
    let mut manifest = match manifest {
        Some(path) => Manifest::load(path)?,
        None => Manifest::builtin(),
    };
    if let Some(path) = runtime_config {
        manifest.apply_runtime_config(path)?;
    }
    InProcess::new(manifest).await.context("cannot start the sandbox")
}
