//! One module per subcommand; each exposes `Args` and `async fn run(Args) -> anyhow::Result<ExitCode>`.

pub mod topics;
pub mod validate;
