//! `weft serve`: the tool service.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::cmd::sandbox::load_sandbox;

#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3000", env = "WEFT_LISTEN")]
    pub listen: SocketAddr,
    /// Component manifest (weft.toml); the built-in VFS when absent.
    #[arg(long, env = "WEFT_MANIFEST")]
    pub manifest: Option<PathBuf>,
    /// Largest request body accepted, in bytes (larger ones get 413).
    #[arg(long, default_value_t = weft_server::DEFAULT_BODY_LIMIT)]
    pub body_limit: usize,
    /// Server threads, each with its own runtime and listener (SO_REUSEPORT);
    /// defaults to the number of cores.
    #[arg(long, env = "WEFT_WORKERS")]
    pub workers: Option<usize>,
    /// A `Host` name (or `name:port`) that `/mcp` accepts besides loopback
    /// ones, for a service reached by name; repeatable, `*` accepts any.
    /// (MCP clients are browsers' DNS-rebinding targets: keep the list short.)
    #[arg(
        long = "mcp-allowed-host",
        value_name = "HOST",
        env = "WEFT_MCP_ALLOWED_HOSTS",
        value_delimiter = ','
    )]
    pub mcp_allowed_hosts: Vec<String>,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let sandbox = load_sandbox(args.manifest.as_deref()).await?;
    for component in sandbox.components() {
        tracing::info!("component {}: {} tools", component.name, component.tools.len());
    }
    for store in sandbox.store_summaries() {
        tracing::info!("key-value store {store}");
    }
    let workers = args.workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let state = weft_server::AppState::new(sandbox, args.body_limit).allow_mcp_hosts(&args.mcp_allowed_hosts);
    let server = weft_server::Workers::spawn(args.listen, workers, state)
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    tracing::info!("weft serve listening on http://{} ({workers} workers)", server.local_addr());
    shutdown_signal().await;
    tokio::task::spawn_blocking(move || server.shutdown())
        .await
        .context("shutdown")?
        .context("the server failed")?;
    tracing::info!("weft serve stopped");
    Ok(ExitCode::SUCCESS)
}

/// Resolves on SIGINT or SIGTERM; requests in flight then finish.
async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT: finishing requests in flight"),
        () = terminate => tracing::info!("SIGTERM: finishing requests in flight"),
    }
}
