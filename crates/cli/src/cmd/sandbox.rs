//! Loading the in-process tools (wasm sandbox and mock tier) from an
//! optional manifest.

use std::path::Path;

use anyhow::Context;
use weft_sandbox::Manifest;
use weft_tools::InProcess;

pub async fn load_sandbox(manifest: Option<&Path>) -> anyhow::Result<InProcess> {
    let manifest = match manifest {
        Some(path) => Manifest::load(path)?,
        None => Manifest::builtin(),
    };
    InProcess::new(manifest).await.context("cannot start the sandbox")
}
