//! Loading the in-process sandbox from an optional manifest.

use std::path::Path;

use anyhow::Context;
use weft_sandbox::{Manifest, Sandbox};

pub async fn load_sandbox(manifest: Option<&Path>) -> anyhow::Result<Sandbox> {
    let manifest = match manifest {
        Some(path) => Manifest::load(path)?,
        None => Manifest::builtin(),
    };
    Sandbox::new(manifest).await.context("cannot start the sandbox")
}
