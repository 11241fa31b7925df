//! `weft topics CONFIG`: generate (or load) the topic tree or graph of a
//! config, save it in DeepFabric's format and print it.
//!
//! Exit 0 when every node expanded, 1 when some failed (they stay leaves and
//! are listed), 2 for a config error.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use weft_gen::topics::{self, TopicSettings};

use super::validate::{OverrideArgs, load_config, print_stdout};

/// Arguments of `weft topics`.
#[derive(clap::Args)]
pub struct Args {
    /// The config file (DeepFabric YAML).
    pub config: PathBuf,
    /// Load topics from this file (DeepFabric tree JSONL or graph JSON)
    /// instead of generating them.
    #[arg(long, value_name = "FILE")]
    pub topics_load: Option<PathBuf>,
    /// Save here instead of `topics.save_as` (loaded topics are saved only with --out).
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub overrides: OverrideArgs,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let Some(config) = load_config(&args.config, &args.overrides)? else {
        return Ok(ExitCode::from(2));
    };
    let (graph, save_to) = match &args.topics_load {
        Some(path) => (topics::load(path)?, args.out.clone()),
        None => {
            let spec = config.topics_model();
            let model = weft_llm::build_model(&spec)
                .with_context(|| format!("cannot use {} model `{}` for topics", spec.provider, spec.model))?;
            let settings = TopicSettings::from_config(&config);
            let graph = topics::build_topics(model.as_ref(), &settings).await?;
            let out = args.out.clone().unwrap_or_else(|| PathBuf::from(config.topics.save_path()));
            (graph, Some(out))
        }
    };
    if let Some(out) = &save_to {
        topics::save(&graph, out)?;
    }
    print_stdout(&topics::render(&graph))?;
    let paths = graph.paths().len();
    match &save_to {
        Some(out) => {
            eprintln!("{paths} topic paths, {} nodes, saved to {}", graph.nodes.len(), out.display())
        }
        None => eprintln!("{paths} topic paths, {} nodes", graph.nodes.len()),
    }
    if graph.failures.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    for failure in &graph.failures {
        eprintln!("failed to expand `{}`: {}", failure.node_path.join(" -> "), failure.error);
    }
    Ok(ExitCode::from(1))
}
