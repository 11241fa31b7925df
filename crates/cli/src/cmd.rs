//! One module per subcommand; each exposes `Args` and `async fn run(Args) -> anyhow::Result<ExitCode>`.

pub mod generate;
pub mod import;
pub mod mcp;
pub mod merge;
pub mod sandbox;
pub mod serve;
pub mod tools;
pub mod topics;
pub mod validate;
