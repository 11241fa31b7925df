//! `weft validate CONFIG`: check a config and print what it resolves to.
//!
//! Exit 0 when the config is valid (its summary on stdout, notes on stderr),
//! 2 when it is not (every error on stderr, each with file:line:col).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use weft_gen::config::{self, Config, ConfigError, NumSamples, Overrides};

/// Arguments of `weft validate`.
#[derive(clap::Args)]
pub struct Args {
    /// The config file (DeepFabric YAML).
    pub config: PathBuf,
    #[command(flatten)]
    pub overrides: OverrideArgs,
}

/// Flags that win over the config file.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct OverrideArgs {
    /// LLM provider for topics and generation (openai, anthropic, gemini, ollama, openrouter, scripted).
    #[arg(long)]
    pub provider: Option<String>,
    /// Model name for topics and generation.
    #[arg(long)]
    pub model: Option<String>,
    /// Provider endpoint (e.g. an OpenAI-compatible server).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Samples to generate: a number, `auto` or a percentage of topic paths (`50%`).
    #[arg(long, value_name = "N|auto|N%", value_parser = parse_num_samples)]
    pub num_samples: Option<NumSamples>,
    /// Samples in flight at once.
    #[arg(long, value_name = "N")]
    pub batch_size: Option<u32>,
    /// Topic levels below the root.
    #[arg(long, value_name = "N")]
    pub depth: Option<u32>,
    /// Children per topic.
    #[arg(long, value_name = "N")]
    pub degree: Option<u32>,
}

fn parse_num_samples(text: &str) -> Result<NumSamples, String> {
    text.parse().map_err(|e: config::NumSamplesError| e.to_string())
}

impl OverrideArgs {
    /// As the library's [`Overrides`].
    pub fn to_overrides(&self) -> Overrides {
        Overrides {
            provider: self.provider.clone(),
            model: self.model.clone(),
            base_url: self.base_url.clone(),
            num_samples: self.num_samples,
            batch_size: self.batch_size,
            depth: self.depth,
            degree: self.degree,
        }
    }
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let Some(config) = load_config(&args.config, &args.overrides)? else {
        return Ok(ExitCode::from(2));
    };
    print_stdout(&config::summary(&config))?;
    Ok(ExitCode::SUCCESS)
}

/// Loads a config for any command: notes go to stderr; an invalid config
/// prints every error to stderr and gives `None` (the caller exits 2).
pub fn load_config(path: &Path, overrides: &OverrideArgs) -> anyhow::Result<Option<Config>> {
    match config::load(path, &overrides.to_overrides()) {
        Ok(config) => {
            for warning in &config.warnings {
                eprintln!("warning: {}", warning.display_in(&config.source));
            }
            Ok(Some(config))
        }
        Err(ConfigError::Invalid(diagnostics)) => {
            eprintln!("error: {diagnostics}");
            Ok(None)
        }
        Err(err) => Err(err.into()),
    }
}

/// Writes to stdout; a closed pipe (`weft ... | head`) is not an error.
pub fn print_stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => Err(err.into()),
        _ => Ok(()),
    }
}
