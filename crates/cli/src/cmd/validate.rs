use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments (to be completed).
#[derive(clap::Args)]
pub struct Args {
    /// The config file.
    pub config: PathBuf,
}

pub async fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}
