//! `weft tools import`: tool definitions from an MCP server, as a schema file
//! or loaded into a running `weft serve`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use weft_tools::{McpSource, list_mcp_tools_with_timeout};

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("server").required(true).args(["mcp", "mcp_cmd"])))]
pub struct Args {
    /// A Streamable HTTP MCP endpoint, e.g. http://127.0.0.1:3001/mcp.
    #[arg(long, value_name = "URL")]
    mcp: Option<String>,
    /// A stdio MCP server to spawn, split like a shell would,
    /// e.g. "npx -y @modelcontextprotocol/server-everything".
    #[arg(long, value_name = "CMD ARGS")]
    mcp_cmd: Option<String>,
    /// A header for --mcp, `Name: value` (repeatable), e.g. "Authorization: Bearer …".
    #[arg(long = "header", value_name = "NAME: VALUE", requires = "mcp")]
    headers: Vec<String>,
    /// An environment variable for --mcp-cmd, `NAME=value` (repeatable).
    #[arg(long = "env", value_name = "NAME=VALUE", requires = "mcp_cmd")]
    envs: Vec<String>,
    /// Write `{"tools": [...]}` to FILE: YAML if it ends in .yaml/.yml, JSON otherwise.
    #[arg(long, value_name = "FILE", conflicts_with = "endpoint")]
    out: Option<PathBuf>,
    /// POST `{"tools": [...]}` to URL/mock/load-schema of a running weft serve
    /// and print its answer.
    #[arg(long, value_name = "URL")]
    endpoint: Option<String>,
    /// Seconds the whole import may take.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let source = source(&args)?;
    let tools = list_mcp_tools_with_timeout(&source, Duration::from_secs(args.timeout))
        .await
        .context("MCP import failed")?;
    let document = serde_json::json!({ "tools": tools });
    if let Some(path) = &args.out {
        write_schema(path, &document)?;
        eprintln!("{} tools written to {}", tools.len(), path.display());
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(endpoint) = &args.endpoint {
        return load_schema(endpoint, &document).await;
    }
    println!("{}", serde_json::to_string_pretty(&document)?);
    Ok(ExitCode::SUCCESS)
}

fn source(args: &Args) -> anyhow::Result<McpSource> {
    if let Some(url) = &args.mcp {
        let mut headers = BTreeMap::new();
        for header in &args.headers {
            let Some((name, value)) = header.split_once(':') else {
                bail!("--header must look like 'Name: value'");
            };
            headers.insert(name.trim().to_owned(), value.trim().to_owned());
        }
        return Ok(McpSource::Url { url: url.clone(), headers });
    }
    let line = args.mcp_cmd.as_deref().unwrap_or_default();
    let mut words = shell_words::split(line).with_context(|| format!("cannot split --mcp-cmd {line:?}"))?;
    if words.is_empty() {
        bail!("--mcp-cmd is empty");
    }
    let program = words.remove(0);
    let mut env = BTreeMap::new();
    for pair in &args.envs {
        let Some((name, value)) = pair.split_once('=') else {
            bail!("--env must look like NAME=value");
        };
        env.insert(name.to_owned(), value.to_owned());
    }
    Ok(McpSource::Command { program, args: words, env })
}

fn write_schema(path: &Path, document: &serde_json::Value) -> anyhow::Result<()> {
    let yaml = matches!(path.extension().and_then(|ext| ext.to_str()), Some("yaml" | "yml"));
    let text = if yaml {
        serde_saphyr::to_string(document).context("cannot render YAML")?
    } else {
        let mut json = serde_json::to_string_pretty(document)?;
        json.push('\n');
        json
    };
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

async fn load_schema(endpoint: &str, document: &serde_json::Value) -> anyhow::Result<ExitCode> {
    let url = format!("{}/mock/load-schema", endpoint.trim_end_matches('/'));
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder().build().context("cannot build the HTTP client")?;
    let response = client.post(&url).json(document).send().await.with_context(|| format!("POST {url}"))?;
    let status = response.status();
    let body = response.text().await.with_context(|| format!("reading the answer of {url}"))?;
    println!("{body}");
    if status.is_success() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("error: {url} answered {status}");
        Ok(ExitCode::from(1))
    }
}
