//! `weft`: execution-grounded training data for tool-using models.
//!
//! Exit codes: 0 ok, 1 finished with failures, 2 usage or config error.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;
mod ui;

/// mimalloc: the formats, the report and the pipeline allocate many small
/// short-lived values per sample, where glibc's allocator spent about a
/// third of `weft format`'s time (bench/formats.sh).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// No transparent huge pages for this process. mimalloc asks for them on its
/// arenas, and the kernel then zeroes 2 MiB at a time each time a purged
/// range is touched again: at 10,000 samples in flight that zeroing
/// (`clear_page_erms` under `mi_page_free_list_extend`) was a tenth of
/// `weft generate`'s CPU, and it held 12 MB more at 16 in flight. mimalloc is
/// also built without its `madvise` (`no_thp`).
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes integers only and touches no memory
    // of ours; on a kernel without it the call fails and nothing changes.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[derive(Parser)]
#[command(name = "weft", version, about = "Training data for tool-using models, grounded in real execution")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the tool service: the sandbox over the Spin-compatible HTTP API.
    Serve(cmd::serve::Args),
    /// Generate a dataset: topics, one agent session per sample, real tool calls.
    #[command(visible_alias = "start")]
    Generate(cmd::generate::Args),
    /// List the sandbox's tools or call one by hand.
    #[command(subcommand)]
    Tools(cmd::tools::Command),
    /// Serve the sandbox's tools as an MCP server over stdio.
    Mcp(cmd::mcp::Args),
    /// Check a config and print what it resolves to.
    Validate(cmd::validate::Args),
    /// Generate (or load) the topic tree/graph of a config and save it as JSONL.
    Topics(cmd::topics::Args),
    /// Join the shard files of a run (`generate --shard`) into one dataset.
    Merge(cmd::merge::Args),
    /// Render a dataset into a training format (trl, openai, hermes, sharegpt, xlam, harmony, adp or a model's chat template).
    Format(cmd::format::Args),
    /// Figures about a dataset: counts, distributions, tools, errors, recovery, duplicates, topics; `--html` writes a report.
    Inspect(cmd::inspect::Args),
    /// Split a dataset into train and eval halves by topic path (no topic in both), the same way for the same seed.
    Split(cmd::split::Args),
    /// Replay every sample's tool calls in a fresh sandbox and check each recorded result is what executing the call gives.
    Verify(cmd::verify::Args),
    /// Run a model on the eval split's tasks in the same sandbox, K times each; score tools, parameters, execution, end states and pass^k.
    Eval(cmd::eval::Args),
    /// Publish a dataset (Hugging Face Hub).
    #[command(subcommand)]
    Upload(cmd::upload::Command),
    /// Scaffold a tool component (`weft new tool NAME --lang rust|python --world weft|spin`).
    #[command(subcommand)]
    New(cmd::new::Command),
    /// Build a manifest's components from source (each `[component.NAME.build]`), as `spin build` does.
    Build(cmd::build::Args),
    /// Exit 0 when a tool service answers GET /health with 200 (container probes).
    Healthcheck(cmd::healthcheck::Args),
}

fn main() -> ExitCode {
    no_huge_pages();
    let cli = Cli::parse();
    // Container probes run this every few seconds: no runtime, no logging.
    let cli = match cli.command {
        Command::Healthcheck(args) => {
            return cmd::healthcheck::run(args).unwrap_or_else(|err| {
                eprintln!("error: {err:#}");
                ExitCode::from(2)
            });
        }
        command => Cli { command },
    };
    // The service says what it runs on at start-up; the other commands stay quiet.
    init_tracing(if matches!(cli.command, Command::Serve(_)) { "info" } else { "warn" });
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => cmd::serve::run(args).await,
            Command::Generate(args) => cmd::generate::run(args).await,
            Command::Tools(command) => cmd::tools::run(command).await,
            Command::Mcp(args) => cmd::mcp::run(args).await,
            Command::Validate(args) => cmd::validate::run(args).await,
            Command::Topics(args) => cmd::topics::run(args).await,
            Command::Merge(args) => cmd::merge::run(args),
            Command::Format(args) => cmd::format::run(args),
            Command::Inspect(args) => cmd::inspect::run(args),
            Command::Verify(args) => cmd::verify::run(args).await,
            Command::Eval(args) => cmd::eval::run(args).await,
            Command::Split(args) => cmd::split::run(args),
            Command::Upload(command) => cmd::upload::run(command).await,
            Command::New(command) => cmd::new::run(command).map(|()| ExitCode::SUCCESS),
            Command::Build(args) => cmd::build::run(args).map(|()| ExitCode::SUCCESS),
            Command::Healthcheck(args) => cmd::healthcheck::run(args),
        }
    });
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn init_tracing(default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    // Logs go to stderr so stdout stays clean for data and summaries.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .try_init();
}
