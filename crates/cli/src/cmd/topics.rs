//! `weft topics CONFIG`: generate (or load) the topic tree or graph of a
//! config, save it in DeepFabric's format and print it.
//!
//! Exit 0 when every node expanded, 1 when some failed (they stay leaves and
//! are listed), 2 for a config error.
//!
//! And the tools for a topic file (tree JSONL or graph JSON):
//! `weft topics inspect FILE [--json]` (depth, leaves, paths per depth,
//! duplicates, cycles), `weft topics prune FILE --depth N / --match TEXT
//! --out OUT`, `weft topics visualize FILE --svg OUT.svg`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use weft_gen::topics::{self, TopicSettings};

use super::validate::{OverrideArgs, load_config, print_stdout};

/// Arguments of `weft topics`.
#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Args {
    /// A tool for a topic file instead of generating topics.
    #[command(subcommand)]
    pub tool: Option<Tool>,
    /// The config file (DeepFabric YAML).
    #[arg(required = true)]
    pub config: Option<PathBuf>,
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

/// What to do with a topic file.
#[derive(clap::Subcommand)]
pub enum Tool {
    /// Depth, leaves, paths per depth, duplicate topics and cycles of a topic file.
    Inspect {
        /// A topic file: tree JSONL or graph JSON.
        file: PathBuf,
        /// Print the figures as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write a smaller copy: levels past --depth and topics matching --match cut.
    Prune {
        /// A topic file: tree JSONL or graph JSON.
        file: PathBuf,
        /// Keep topics at most this many levels below the root.
        #[arg(long)]
        depth: Option<usize>,
        /// Drop topics containing TEXT (case-insensitive) with everything under them; repeatable.
        #[arg(long = "match", value_name = "TEXT")]
        matching: Vec<String>,
        /// Where to write the result (may be FILE itself: it is replaced whole).
        #[arg(long, short)]
        out: PathBuf,
    },
    /// Draw the topics as one self-contained SVG.
    Visualize {
        /// A topic file: tree JSONL or graph JSON.
        file: PathBuf,
        /// The SVG file to write.
        #[arg(long, value_name = "OUT.svg")]
        svg: PathBuf,
    },
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(tool) = args.tool {
        return run_tool(tool);
    }
    let Some(config_path) = &args.config else {
        anyhow::bail!("a config file is required (or one of: inspect, prune, visualize)");
    };
    let Some(config) = load_config(config_path, &args.overrides)? else {
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

fn run_tool(tool: Tool) -> anyhow::Result<ExitCode> {
    match tool {
        Tool::Inspect { file, json } => {
            let stats = topics::inspect(&topics::load(&file)?);
            if json {
                print_stdout(&format!("{}\n", serde_json::to_string_pretty(&stats)?))?;
            } else {
                print_stdout(&inspect_text(&file, &stats))?;
            }
        }
        Tool::Prune { file, depth, matching, out } => {
            if depth.is_none() && matching.is_empty() {
                anyhow::bail!("nothing to prune: give --depth N and/or --match TEXT");
            }
            let graph = topics::load(&file)?;
            let pruned = topics::prune(&graph, &topics::Prune { max_depth: depth, matching });
            topics::save(&pruned, &out)?;
            eprintln!(
                "{} of {} topics kept ({} paths), saved to {}",
                pruned.nodes.len(),
                graph.nodes.len(),
                pruned.paths().len(),
                out.display()
            );
        }
        Tool::Visualize { file, svg } => {
            let graph = topics::load(&file)?;
            std::fs::write(&svg, topics::to_svg(&graph))
                .with_context(|| format!("writing {}", svg.display()))?;
            eprintln!("{} topics drawn to {}", graph.nodes.len(), svg.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn inspect_text(file: &std::path::Path, stats: &topics::TopicStats) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {}, {} topics, {} paths, depth {}, {} leaves",
        file.display(),
        stats.mode,
        stats.nodes,
        stats.paths,
        stats.depth,
        stats.leaves
    );
    let by_depth: Vec<String> =
        stats.paths_by_depth.iter().enumerate().map(|(level, n)| format!("{}: {n}", level + 1)).collect();
    let _ = writeln!(out, "paths ending at each depth: {}", by_depth.join(", "));
    if stats.shared > 0 {
        let _ = writeln!(out, "topics with more than one parent: {}", stats.shared);
    }
    let _ = writeln!(out, "duplicate topics: {}", stats.duplicates.len());
    for duplicate in &stats.duplicates {
        let places: Vec<String> = duplicate.at.iter().map(|path| path.join(" > ")).collect();
        let _ = writeln!(out, "  \"{}\": {}", duplicate.topic, places.join("; "));
    }
    let _ = writeln!(out, "cycles: {}", stats.cycles.len());
    for cycle in &stats.cycles {
        let _ = writeln!(out, "  {}", cycle.join(" > "));
    }
    if stats.failures > 0 {
        let _ = writeln!(out, "expansions that failed: {}", stats.failures);
    }
    out
}
