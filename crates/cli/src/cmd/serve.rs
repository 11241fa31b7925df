//! `weft serve`: the tool service.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::cmd::sandbox::load_sandbox_with;

#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3000", env = "WEFT_LISTEN")]
    pub listen: SocketAddr,
    /// Component manifest: a weft.toml, or a Spin app's spin.toml
    /// (manifest version 2); the built-in VFS when absent.
    #[arg(long, env = "WEFT_MANIFEST")]
    pub manifest: Option<PathBuf>,
    /// A Spin runtime config: its `[key_value_store.LABEL]` tables
    /// (`type = "spin"` with `path`, or `type = "redis"` with `url`) choose
    /// where the manifest's stores live.
    #[arg(long, value_name = "FILE", env = "WEFT_RUNTIME_CONFIG")]
    pub runtime_config_file: Option<PathBuf>,
    /// Largest request body accepted, in bytes (larger ones get 413).
    #[arg(long, default_value_t = weft_server::DEFAULT_BODY_LIMIT)]
    pub body_limit: usize,
    /// Server threads, each with its own runtime and listener (SO_REUSEPORT);
    /// defaults to the number of cores.
    #[arg(long, env = "WEFT_WORKERS")]
    pub workers: Option<usize>,
    /// A `Host` name (or `name:port`) the service answers besides loopback
    /// ones, on every route, for a service reached by name (a compose or
    /// Kubernetes service); repeatable or comma-separated, `*` accepts any
    /// (only behind a proxy that checks `Host`). Browsers' DNS-rebinding and
    /// cross-origin requests are refused by this check: keep the list short.
    #[arg(
        long = "allowed-host",
        alias = "mcp-allowed-host",
        value_name = "HOST",
        env = "WEFT_ALLOWED_HOSTS",
        value_delimiter = ','
    )]
    pub allowed_hosts: Vec<String>,
    /// Open MCP sessions at most; an `initialize` beyond them is refused
    /// (503) until one ends.
    #[arg(long, default_value_t = weft_server::DEFAULT_MAX_MCP_SESSIONS, env = "WEFT_MAX_MCP_SESSIONS")]
    pub max_mcp_sessions: usize,
    /// Open connections at most (keep it under the process's file limit,
    /// `ulimit -n`); with three quarters of them open, idle connections are
    /// closed after a second.
    #[arg(long, default_value_t = weft_server::ConnectionLimits::default().max_connections, env = "WEFT_MAX_CONNECTIONS")]
    pub max_connections: usize,
    /// Seconds a client has to send a request's head (and again its body).
    #[arg(long, default_value_t = 10, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout: u64,
    /// Seconds a kept-alive connection may stay idle between requests.
    #[arg(long, default_value_t = 60, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout: u64,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let sandbox = load_sandbox_with(args.manifest.as_deref(), args.runtime_config_file.as_deref()).await?;
    for component in sandbox.components() {
        let kind = if sandbox.sandbox().is_spin_component(&component.name) { " (Spin HTTP)" } else { "" };
        tracing::info!("component {}{kind}: {} tools", component.name, component.tools.len());
    }
    for store in sandbox.store_summaries() {
        tracing::info!("key-value store {store}");
    }
    let workers = args.workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let state = weft_server::AppState::new(sandbox, args.body_limit)
        .allow_hosts(&args.allowed_hosts)
        .max_mcp_sessions(args.max_mcp_sessions)
        .connection_limits(weft_server::ConnectionLimits {
            max_connections: args.max_connections.max(1),
            header_timeout: std::time::Duration::from_secs(args.header_timeout),
            idle_timeout: std::time::Duration::from_secs(args.idle_timeout),
        });
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
