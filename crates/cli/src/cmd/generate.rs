//! `weft generate CONFIG` (alias `weft start`): topics, then one agent
//! session per sample with every tool call really executed, appended to
//! `output.save_as` as each sample finishes.
//!
//! Exit 0 when the file holds exactly `num_samples` samples, 1 when the run
//! ended short (stopped, or samples failed every attempt — the reasons are
//! printed and in `<save_as>.failures.jsonl`), 2 for a config or set-up error
//! (an unreachable tool service included: no LLM call is made before the
//! tool backend answered its health check).
//!
//! `--shard I/N` makes only the samples whose index is I modulo N, into
//! `<save_as stem>.shard-I-of-N.<ext>`; `weft merge` joins the parts. With
//! `--shard /N` the index comes from `JOB_COMPLETION_INDEX` (a Kubernetes
//! Indexed Job). Shards must share their topics, so a sharded run loads them
//! (`--topics-load`, or the file at `topics.save_as`) and never grows its own.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::watch;
use weft_gen::config::{Config, McpTransport};
use weft_gen::generate::{GenerateError, GenerateOptions, GenerateSummary, generate};
use weft_gen::shard::{JOB_INDEX_VAR, Shard};
use weft_gen::topics::{self, TopicSettings};
use weft_llm::{ModelEnv, UsageCounter, build_model_in};
use weft_protocol::ToolBackend;
use weft_tools::{HttpBackend, HttpBackendOptions, InProcess, McpSource, list_mcp_tools};

use super::validate::{OverrideArgs, load_config};
use crate::ui;

/// Arguments of `weft generate`.
#[derive(clap::Args)]
pub struct Args {
    /// The config file (DeepFabric YAML).
    pub config: PathBuf,
    /// Load topics from this file (DeepFabric tree JSONL or graph JSON) instead of generating them.
    #[arg(long, value_name = "FILE")]
    pub topics_load: Option<PathBuf>,
    /// Continue the dataset at `save_as`: keep its samples, make only the missing ones.
    /// (Automatic when `output.checkpoint` is set and the file exists.)
    #[arg(long)]
    pub resume: bool,
    /// Write the dataset here instead of `output.save_as`.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Plain line progress on stderr instead of the live dashboard.
    #[arg(long)]
    pub no_tui: bool,
    /// Leave per-call latencies out of the metadata, so that the same seed and
    /// the same model replies give a byte-identical dataset.
    #[arg(long)]
    pub deterministic: bool,
    /// Make only part I of N of the samples (those whose index is I modulo N);
    /// `/N` takes I from JOB_COMPLETION_INDEX. Join the parts with `weft merge`.
    #[arg(long, value_name = "I/N", env = "WEFT_SHARD")]
    pub shard: Option<String>,
    /// Seconds in-flight samples may take to finish after Ctrl-C / SIGTERM.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub grace: u64,
    #[command(flatten)]
    pub overrides: OverrideArgs,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let Some(config) = load_config(&args.config, &args.overrides)? else {
        return Ok(ExitCode::from(2));
    };
    raise_open_files(config.output.batch_size);
    let shard = match &args.shard {
        Some(spec) => match Shard::parse(spec, std::env::var(JOB_INDEX_VAR).ok().as_deref()) {
            Ok(shard) => Some(shard),
            Err(err) => {
                eprintln!("error: {err}");
                return Ok(ExitCode::from(2));
            }
        },
        None => None,
    };
    let output = match (&args.output, shard) {
        (Some(output), _) => output.clone(),
        (None, Some(shard)) => shard.output_path(Path::new(&config.output.save_as)),
        (None, None) => PathBuf::from(&config.output.save_as),
    };
    if shard.is_some() && args.topics_load.is_none() && !Path::new(&config.topics.save_path()).exists() {
        eprintln!(
            "error: the shards of a run must share their topics, and there are none at {}\n  \
             make them once with `weft topics {}` (or pass --topics-load FILE)",
            config.topics.save_path(),
            args.config.display()
        );
        return Ok(ExitCode::from(2));
    }
    let config_dir = args.config.parent().map(Path::to_owned).unwrap_or_default();
    let (backend, extra_tools) = match open_backend(&config, &config_dir).await {
        Ok(opened) => opened,
        Err(message) => {
            eprintln!("error: {message}");
            return Ok(ExitCode::from(2));
        }
    };
    let usage = UsageCounter::new();
    let env = ModelEnv::from_process().with_usage(usage.clone());
    let spec = config.generation_model();
    let model = match build_model_in(&spec, &env) {
        Ok(model) => model,
        Err(err) => {
            eprintln!("error: cannot use {} model `{}`: {err}", spec.provider, spec.model);
            return Ok(ExitCode::from(2));
        }
    };
    let resume = args.resume
        || (config.output.checkpoint.is_some()
            && (output.exists() || weft_gen::writer::envelope_path(&output).exists()));
    let paths = match topic_paths(&config, &args, resume || shard.is_some(), &env).await? {
        Some(paths) => paths,
        None => return Ok(ExitCode::from(1)),
    };

    let (stop_tx, stop_rx) = watch::channel(false);
    let stop_tx = Arc::new(stop_tx);
    spawn_signal_handler(stop_tx.clone());
    let tui = !args.no_tui && ui::stdout_is_terminal();
    let display = ui::Display::start(tui, usage.clone(), stop_tx.clone());
    let options = GenerateOptions {
        resume,
        record_latency: !args.deterministic,
        grace: Duration::from_secs(args.grace),
        progress: display.sink(),
        output: Some(output),
        extra_tools,
        shard,
        ..GenerateOptions::default()
    };
    let result = generate(&config, model, backend, &paths, options, stop_rx).await;
    display.finish().await;
    match result {
        Ok(summary) => {
            let code = report(&summary, &usage);
            // The `huggingface` section is acted on once the dataset is whole.
            if summary.complete() && !summary.report.stopped && shard.is_none() {
                return publish(&summary, &config)
                    .await
                    .map(|published| if published { code } else { ExitCode::from(1) });
            }
            Ok(code)
        }
        Err(err @ (GenerateError::MissingTools { .. } | GenerateError::Backend(_))) => {
            eprintln!("error: {err}");
            Ok(ExitCode::from(2))
        }
        Err(err) => Err(err).context("generation failed"),
    }
}

/// The backend the config asks for, health-checked, with the tools the
/// config brings itself (inline `custom` definitions, `mcp_servers` imports,
/// and in-process the `tools_endpoint` listing) loaded into its mock tier.
/// Also returns the names of the brought tools, to offer them.
pub(crate) async fn open_backend(
    config: &Config,
    config_dir: &Path,
) -> Result<(Arc<dyn ToolBackend>, Vec<String>), String> {
    let brought = brought_tools(config).await?;
    let names: Vec<String> = brought.iter().map(|tool| tool.name.clone()).collect();
    let listing = serde_json::to_vec(&serde_json::json!({"tools": brought}))
        .map_err(|err| format!("cannot encode tool definitions: {err}"))?;
    let tools = config.generation.tools.as_ref();
    if let Some(tools) = tools
        && let Some(endpoint) = &tools.spin_endpoint
    {
        let mut options = HttpBackendOptions::new(endpoint.clone());
        options.routes = tools.routes().into_iter().map(|r| (r.tool, r.component)).collect();
        for name in &names {
            options.routes.entry(name.clone()).or_insert_with(|| "mock".to_owned());
        }
        options.tool_execute_path = tools.tool_execute_path.clone();
        options.definitions_url = tools.tools_endpoint.clone();
        let backend = HttpBackend::new(options).map_err(|err| err.to_string())?;
        backend.health().await.map_err(|err| {
            format!("{err}\n  start it with `weft serve`, or remove `tools.spin_endpoint` to run the sandbox in-process")
        })?;
        if !names.is_empty() {
            post_listing(&format!("{}/mock/load-schema", endpoint.trim_end_matches('/')), listing).await?;
        }
        return Ok((Arc::new(backend), names));
    }
    let manifest = in_process_manifest(tools, config_dir)?;
    let sandbox = InProcess::new(manifest)
        .await
        .map_err(|err| format!("cannot start the in-process sandbox: {err}"))?;
    let endpoint_listing = match tools.and_then(|t| t.tools_endpoint.as_deref()) {
        Some(url) => Some(fetch_listing(url).await?),
        None => None,
    };
    if !names.is_empty() || endpoint_listing.is_some() {
        let mock =
            sandbox.mock().ok_or("the config brings tools for the mock tier, which the manifest disables")?;
        for body in endpoint_listing.iter().chain((!names.is_empty()).then_some(&listing)) {
            mock.load_schema(body).await.map_err(|err| format!("cannot load tool definitions: {err}"))?;
        }
    }
    Ok((Arc::new(sandbox), names))
}

/// The manifest the in-process sandbox runs: `tools.manifest` (a weft.toml
/// or a Spin app's spin.toml, relative to the config) with its
/// `tools.runtime_config`, else the built-in one.
fn in_process_manifest(
    tools: Option<&weft_gen::config::ToolsConfig>,
    config_dir: &Path,
) -> Result<weft_sandbox::Manifest, String> {
    let Some(path) = tools.and_then(|t| t.manifest.as_deref()) else {
        return Ok(weft_sandbox::Manifest::builtin());
    };
    let mut manifest = weft_sandbox::Manifest::load(&config_dir.join(path)).map_err(|err| err.to_string())?;
    if let Some(runtime) = tools.and_then(|t| t.runtime_config.as_deref()) {
        manifest.apply_runtime_config(&config_dir.join(runtime)).map_err(|err| err.to_string())?;
    }
    Ok(manifest)
}

/// Inline `custom` definitions and every `mcp_servers` import (only the
/// tools a server's `tools` list names, when it has one).
async fn brought_tools(config: &Config) -> Result<Vec<weft_protocol::ToolDefinition>, String> {
    let Some(tools) = &config.generation.tools else { return Ok(Vec::new()) };
    let mut brought = tools.custom_definitions();
    for server in &tools.mcp_servers {
        let source = match &server.transport {
            McpTransport::Http { url } => McpSource::url(url.clone()),
            McpTransport::Stdio { command, args, env } => McpSource::Command {
                program: command.clone(),
                args: args.clone(),
                env: env.iter().cloned().collect(),
            },
        };
        let listed = list_mcp_tools(&source)
            .await
            .map_err(|err| format!("cannot import the tools of MCP server `{}`: {err}", server.name))?;
        let missing: Vec<&str> = server
            .tools
            .iter()
            .filter(|name| !listed.iter().any(|tool| &tool.name == *name))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(format!("MCP server `{}` does not offer {}", server.name, missing.join(", ")));
        }
        brought.extend(
            listed.into_iter().filter(|tool| server.tools.is_empty() || server.tools.contains(&tool.name)),
        );
    }
    Ok(brought)
}

fn http_client() -> Result<reqwest::Client, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|err| format!("cannot build an HTTP client: {err}"))
}

/// The body of a tool listing (`tools.tools_endpoint`).
async fn fetch_listing(url: &str) -> Result<Vec<u8>, String> {
    let response =
        http_client()?.get(url).send().await.map_err(|err| format!("cannot reach {url}: {err}"))?;
    if !response.status().is_success() {
        return Err(format!("GET {url} answered HTTP {}", response.status().as_u16()));
    }
    let body = response.bytes().await.map_err(|err| format!("cannot read {url}: {err}"))?;
    Ok(body.to_vec())
}

/// Loads definitions into a tool service's mock tier.
async fn post_listing(url: &str, listing: Vec<u8>) -> Result<(), String> {
    let response = http_client()?
        .post(url)
        .header("content-type", "application/json")
        .body(listing)
        .send()
        .await
        .map_err(|err| format!("cannot reach {url}: {err}"))?;
    if !response.status().is_success() {
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        return Err(format!("POST {url} answered HTTP {status}: {text}"));
    }
    Ok(())
}

/// Topic paths: loaded (`--topics-load`, or the saved file when resuming) or
/// generated and saved. `None` when generation failed (reported).
async fn topic_paths(
    config: &Config,
    args: &Args,
    resume: bool,
    env: &ModelEnv,
) -> anyhow::Result<Option<Vec<weft_gen::topics::TopicPath>>> {
    let saved = PathBuf::from(config.topics.save_path());
    let load_from: Option<&Path> = match &args.topics_load {
        Some(path) => Some(path),
        None if resume && saved.exists() => Some(&saved),
        None => None,
    };
    let graph = match load_from {
        Some(path) => {
            topics::load(path).with_context(|| format!("cannot load topics from {}", path.display()))?
        }
        None => {
            let spec = config.topics_model();
            let model = build_model_in(&spec, env)
                .with_context(|| format!("cannot use {} model `{}` for topics", spec.provider, spec.model))?;
            let graph = match topics::build_topics(model.as_ref(), &TopicSettings::from_config(config)).await
            {
                Ok(graph) => graph,
                Err(err) => {
                    eprintln!("error: {err}");
                    return Ok(None);
                }
            };
            topics::save(&graph, &saved)?;
            graph
        }
    };
    Ok(Some(graph.paths()))
}

/// Ctrl-C or SIGTERM: stop starting samples; a second one exits at once.
fn spawn_signal_handler(stop: Arc<watch::Sender<bool>>) {
    tokio::spawn(async move {
        #[cfg(unix)]
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(term) => term,
            Err(err) => {
                tracing::warn!("cannot listen for SIGTERM: {err}");
                return;
            }
        };
        for round in 0..2 {
            #[cfg(unix)]
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            #[cfg(not(unix))]
            let _ = tokio::signal::ctrl_c().await;
            if round == 0 {
                stop.send_replace(true);
            } else {
                ui::restore_terminal();
                eprintln!("interrupted twice: exiting now");
                std::process::exit(130);
            }
        }
    });
}

/// Publishes the finished dataset as the config's `huggingface` section
/// asks (nothing when it has none); false when the upload failed.
async fn publish(summary: &GenerateSummary, config: &Config) -> anyhow::Result<bool> {
    let Some(mut publish) = crate::cmd::upload::HfPublish::from_config(&summary.path, config)? else {
        return Ok(true);
    };
    publish.figures = crate::cmd::inspect::figures_markdown(&summary.path);
    match crate::cmd::upload::publish_to_hub(&publish).await {
        Ok(report) => {
            eprintln!("published to {}", report.repo_url);
            Ok(true)
        }
        Err(err) => {
            eprintln!("error: the dataset is complete but was not published: {err}");
            Ok(false)
        }
    }
}

fn report(summary: &GenerateSummary, usage: &UsageCounter) -> ExitCode {
    for format in &summary.formats {
        eprintln!("{} samples as {} in {}", format.written, format.format, format.path.display());
        for failure in format.failures.iter().take(10) {
            eprintln!("  not rendered as {}: {failure}", format.format);
        }
    }
    let totals = usage.snapshot();
    eprintln!(
        "{} of {} samples in {} ({} written now, {} resumed); {} LLM calls, {} tokens",
        summary.in_file,
        summary.target,
        summary.path.display(),
        summary.report.written,
        summary.resumed,
        totals.calls,
        totals.total_tokens()
    );
    if summary.complete() {
        return ExitCode::SUCCESS;
    }
    if summary.report.stopped {
        eprintln!(
            "stopped early ({} in flight abandoned); run again with --resume to finish",
            summary.report.abandoned
        );
    }
    if !summary.report.failures.is_empty() {
        eprintln!(
            "{} samples failed every attempt (details in {}):",
            summary.report.failures.len(),
            summary.failures_path.display()
        );
        for failure in summary.report.failures.iter().take(10) {
            eprintln!("  sample {}: {}", failure.sample_index, failure.reason);
        }
    }
    ExitCode::from(1)
}

/// Raises this process's open-file soft limit to its hard limit, as servers
/// do: every sample in flight holds a connection to the LLM, and one to the
/// tool service when it runs over HTTP. When even the hard limit is below
/// what `batch_size` needs, says so before anything starts.
fn raise_open_files(batch_size: u32) {
    let needed = u64::from(batch_size) * 2 + 64;
    match open_files_limit() {
        Some(allowed) if allowed < needed => eprintln!(
            "warning: output.batch_size {batch_size} needs about {needed} open files (a connection to the LLM \
             and one to the tool service per sample in flight), but this process may open {allowed}: raise \
             the hard limit (`ulimit -Hn`, LimitNOFILE= under systemd, --ulimit nofile= in docker) or lower \
             batch_size"
        ),
        _ => {}
    }
}

/// The open-file limit after raising the soft limit to the hard one.
#[cfg(unix)]
fn open_files_limit() -> Option<u64> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes only the struct it is given, which we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return None;
    }
    if limit.rlim_cur < limit.rlim_max {
        let raised = libc::rlimit { rlim_cur: limit.rlim_max, rlim_max: limit.rlim_max };
        // SAFETY: setrlimit reads only the struct it is given.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            limit = raised;
        }
    }
    // `rlim_t` is u64 here and narrower on some platforms.
    #[allow(clippy::unnecessary_cast)]
    Some(limit.rlim_cur as u64)
}

#[cfg(not(unix))]
fn open_files_limit() -> Option<u64> {
    None
}
