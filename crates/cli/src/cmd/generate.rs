use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `weft generate` (being built).
#[derive(clap::Args)]
pub struct Args {
    /// The config file.
    pub config: PathBuf,
}

pub async fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("weft generate is not implemented yet")
}
