//! One module per subcommand; each exposes `Args` and `async fn run(Args) -> anyhow::Result<ExitCode>`.

pub mod build;
pub mod eval;
pub mod format;
pub mod generate;
pub mod healthcheck;
pub mod import;
pub mod inspect;
pub mod mcp;
pub mod merge;
pub mod new;
pub mod sandbox;
pub mod serve;
pub mod split;
pub mod tools;
pub mod topics;
pub mod upload;
pub mod validate;
pub mod verify;
