//! `weft tools list | call | import`: poke the sandbox by hand, import MCP tools.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use weft_protocol::{SessionId, ToolBackend, ToolCall};
use weft_tools::{HttpBackend, HttpBackendOptions};

use crate::cmd::sandbox::load_sandbox;

#[derive(clap::Subcommand)]
pub enum Command {
    /// List every tool with its description and arguments.
    List {
        #[command(flatten)]
        target: Target,
        /// Print the MCP `tools/list` JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Execute one tool call and print the outcome envelope.
    ///
    /// Exit 0 when the call succeeded, 1 when the tool answered with an error.
    Call {
        /// The tool's name, e.g. read_file.
        name: String,
        /// Arguments as a JSON object.
        #[arg(default_value = "{}")]
        args: String,
        /// Session to run in. In-process sessions live as long as the
        /// process unless the manifest uses a redb store.
        #[arg(long, default_value = "cli")]
        session: String,
        #[command(flatten)]
        target: Target,
    },
    /// Import tool definitions from an MCP server (Streamable HTTP or stdio).
    Import(crate::cmd::import::Args),
}

/// Where tools run: in-process (default) or a Spin-compatible endpoint.
#[derive(clap::Args)]
pub struct Target {
    /// A Spin-compatible endpoint (weft serve, or DeepFabric's tools-sdk under Spin).
    #[arg(long, env = "WEFT_ENDPOINT", conflicts_with = "manifest")]
    endpoint: Option<String>,
    /// Component manifest for the in-process sandbox.
    #[arg(long)]
    manifest: Option<PathBuf>,
    /// Component to send calls to on an endpoint.
    #[arg(long, default_value = "vfs")]
    component: String,
}

impl Target {
    async fn backend(&self) -> anyhow::Result<Arc<dyn ToolBackend>> {
        Ok(match &self.endpoint {
            Some(endpoint) => {
                let mut options = HttpBackendOptions::new(endpoint.clone());
                options.default_component = self.component.clone();
                Arc::new(HttpBackend::new(options)?)
            }
            None => Arc::new(load_sandbox(self.manifest.as_deref()).await?),
        })
    }
}

pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::List { target, json } => {
            let tools = target.backend().await?.tools().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "tools": tools }))?);
                return Ok(ExitCode::SUCCESS);
            }
            for tool in tools {
                let required: Vec<&str> = tool.input_schema["required"]
                    .as_array()
                    .map(|names| names.iter().filter_map(|name| name.as_str()).collect())
                    .unwrap_or_default();
                let arguments: Vec<String> = tool.input_schema["properties"]
                    .as_object()
                    .map(|props| {
                        props
                            .keys()
                            .map(|key| {
                                if required.contains(&key.as_str()) { key.clone() } else { format!("{key}?") }
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                println!("{:<14} {:<40} {}", tool.name, arguments.join(", "), tool.description);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Call { name, args, session, target } => {
            let arguments: serde_json::Value = serde_json::from_str(&args)
                .with_context(|| format!("arguments must be JSON, got {args:?}"))?;
            let backend = target.backend().await?;
            let outcome = backend
                .execute(&SessionId::new(session), &ToolCall::new(name, arguments))
                .await
                .context("the tool service did not answer the call")?;
            println!("{}", serde_json::to_string(&outcome)?);
            Ok(if outcome.success { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Command::Import(args) => crate::cmd::import::run(args).await,
    }
}
