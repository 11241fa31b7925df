//! `weft mcp --stdio`: the in-process sandbox as an MCP server on stdin/stdout.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};

use crate::cmd::sandbox::load_sandbox;

#[derive(clap::Args)]
pub struct Args {
    /// Speak MCP over stdin/stdout (the only transport of this command; for
    /// Streamable HTTP, `weft serve` answers on /mcp). Logs go to stderr.
    #[arg(long)]
    stdio: bool,
    /// Component manifest (weft.toml); the built-in VFS when absent.
    #[arg(long, env = "WEFT_MANIFEST")]
    manifest: Option<PathBuf>,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    if !args.stdio {
        bail!("choose a transport: --stdio (Streamable HTTP is served by `weft serve` on /mcp)");
    }
    let sandbox = load_sandbox(args.manifest.as_deref()).await?;
    weft_server::serve_mcp_stdio(Arc::new(sandbox)).await.context("MCP over stdio")?;
    Ok(ExitCode::SUCCESS)
}
