//! A whole generation run over a config: pick the tools, open (or resume)
//! the dataset, plan the samples, run the pipeline, finish the file.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use weft_llm::{ChatModel, JsonSteps};
use weft_protocol::{BackendError, ToolBackend, ToolDefinition};

use crate::assemble::SampleShape;
use crate::config::{Config, FormatSpec, ToolCalling};
use crate::pipeline::{RunReport, RunSettings, plan, run, run_jobs};
use crate::progress::{Event, ProgressSink};
use crate::record::{RecordContext, SchemaError, make_record};
use crate::session::SampleContext;
use crate::shard::Shard;
use crate::topics::TopicPath;
use crate::validate::Rules;
use crate::writer::{Dataset, WriteError, envelope_path};
use weft_dataset::format::Format;

/// Why a run could not start or finish writing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenerateError {
    /// The tool backend failed (unreachable, cannot list tools).
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// The config names tools the backend does not offer.
    #[error("the tool backend does not offer {}: it offers {}", .missing.join(", "), .offered.join(", "))]
    MissingTools {
        /// Tools the config names that the backend lacks.
        missing: Vec<String>,
        /// What it offers.
        offered: Vec<String>,
    },
    /// `generation.output_schema` does not compile.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// There are no topic paths to make samples from.
    #[error("there are no topic paths to generate samples from")]
    NoTopics,
    /// Reading or writing the dataset failed.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// A training format could not be written at all.
    #[error("cannot write format `{format}`: {source}")]
    Format {
        /// The format.
        format: String,
        /// Why.
        #[source]
        source: weft_dataset::format::FormatError,
    },
}

/// How to run, beyond the config.
#[derive(Clone)]
pub struct GenerateOptions {
    /// Continue the dataset at `save_as` instead of starting over.
    pub resume: bool,
    /// Record per-call latency in metadata (off: byte-reproducible output).
    pub record_latency: bool,
    /// How long in-flight samples may finish after a stop request.
    pub grace: Duration,
    /// Where events go.
    pub progress: ProgressSink,
    /// Write here instead of `output.save_as`.
    pub output: Option<PathBuf>,
    /// Tools loaded at start (inline `custom` definitions, MCP imports),
    /// offered beside the ones `tools.components` names.
    pub extra_tools: Vec<String>,
    /// Make only this part of the run's samples.
    pub shard: Option<Shard>,
    /// How attempts the tool service failed are redone.
    pub outages: crate::pipeline::OutagePolicy,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        Self {
            resume: false,
            record_latency: true,
            grace: Duration::from_secs(10),
            progress: crate::progress::discard(),
            output: None,
            extra_tools: Vec::new(),
            shard: None,
            outages: Default::default(),
        }
    }
}

/// What a run ended with.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateSummary {
    /// Samples the run had to end with (a shard's part of them, when sharded).
    pub target: u64,
    /// Samples in the file now.
    pub in_file: u64,
    /// Samples found in the file at start (resume).
    pub resumed: u64,
    /// What this run did.
    pub report: RunReport,
    /// The dataset.
    pub path: PathBuf,
    /// The failures file.
    pub failures_path: PathBuf,
    /// The training formats written beside the dataset (`output.formats`).
    pub formats: Vec<FormatWritten>,
}

/// One training format a run wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct FormatWritten {
    /// The format (`trl`, a template's name, ...).
    pub format: String,
    /// The file.
    pub path: PathBuf,
    /// Samples written.
    pub written: u64,
    /// Samples the format could not carry, with why (`line: reason`).
    pub failures: Vec<String>,
}

impl GenerateSummary {
    /// Whether the file holds exactly the samples asked for.
    pub fn complete(&self) -> bool {
        self.in_file == self.target
    }
}

/// The tools the config names, as the backend defines them, in config order.
pub async fn select_tools(
    config: &Config,
    backend: &dyn ToolBackend,
    extra: &[String],
) -> Result<Vec<ToolDefinition>, GenerateError> {
    let Some(tools) = &config.generation.tools else {
        return Ok(Vec::new());
    };
    let mut names: Vec<String> = tools.routes().into_iter().map(|route| route.tool).collect();
    names.extend(extra.iter().cloned());
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let offered = backend.tools().await?;
    let mut selected = Vec::new();
    let mut missing = Vec::new();
    for name in names {
        match offered.iter().find(|tool| tool.name == name) {
            Some(tool) if !selected.iter().any(|t: &ToolDefinition| t.name == tool.name) => {
                selected.push(tool.clone())
            }
            Some(_) => {}
            None if !missing.contains(&name) => missing.push(name),
            None => {}
        }
    }
    if !missing.is_empty() {
        return Err(GenerateError::MissingTools {
            missing,
            offered: offered.into_iter().map(|t| t.name).collect(),
        });
    }
    Ok(selected)
}

/// Runs generation for `config` over `paths`.
pub async fn generate(
    config: &Config,
    model: Arc<dyn ChatModel>,
    backend: Arc<dyn ToolBackend>,
    paths: &[TopicPath],
    options: GenerateOptions,
    stop: watch::Receiver<bool>,
) -> Result<GenerateSummary, GenerateError> {
    if paths.is_empty() {
        return Err(GenerateError::NoTopics);
    }
    if let Some(records) = RecordContext::from_config(config, model.clone(), options.progress.clone())? {
        return generate_records(config, records, paths, options, stop).await;
    }
    let tools = select_tools(config, backend.as_ref(), &options.extra_tools).await?;
    let agent = !tools.is_empty();
    let json_steps = config.generation.tools.as_ref().is_some_and(|t| t.tool_calling == ToolCalling::Json);
    let model: Arc<dyn ChatModel> = if json_steps { Arc::new(JsonSteps::new(model)) } else { model };
    let ctx = SampleContext::from_config(config, model, backend, tools, options.progress.clone());
    let settings = RunSettings {
        batch_size: config.output.batch_size as usize,
        sample_retries: config.generation.sample_retries,
        outages: options.outages,
        rules: Rules {
            max_per_query: ctx.agent.max_per_query,
            min_tool_calls: if agent { config.generation.conversation.min_tool_calls.max(1) } else { 0 },
        },
        shape: SampleShape::from_config(config, options.record_latency),
        grace: options.grace,
    };
    let path = options.output.clone().unwrap_or_else(|| PathBuf::from(&config.output.save_as));
    let failures_path = crate::writer::failures_path(&path);
    let Opened { ours, target, resumed, mut dataset, jobs } =
        open_run(config, paths, &options, &path, &failures_path)?;
    let report = run(Arc::new(ctx), Arc::new(settings), jobs, &mut dataset, stop).await?;
    let in_file = if report.stopped { resumed + report.written } else { dataset.finish(ours)? };
    // A stopped run is finished by `--resume`, which writes the formats then.
    let formats = if report.stopped { Vec::new() } else { write_formats(&path, &config.output.formats)? };
    Ok(GenerateSummary { target, in_file, resumed, report, path, failures_path, formats })
}

/// A run of custom records (`output.format: custom`): the canonical file
/// is `<path>.weft.jsonl` (records with metadata; resume, shards and merge
/// read it), and when the run completes the records alone, as the schema
/// says, are written to `path` (the `custom` format of the canonical file).
async fn generate_records(
    config: &Config,
    ctx: RecordContext,
    paths: &[TopicPath],
    options: GenerateOptions,
    stop: watch::Receiver<bool>,
) -> Result<GenerateSummary, GenerateError> {
    let path = options.output.clone().unwrap_or_else(|| PathBuf::from(&config.output.save_as));
    let canonical = envelope_path(&path);
    let failures_path = crate::writer::failures_path(&path);
    let Opened { ours, target, resumed, mut dataset, jobs } =
        open_run(config, paths, &options, &canonical, &failures_path)?;
    let ctx = Arc::new(ctx);
    let progress = options.progress.clone();
    let make = move |job: crate::session::SampleJob| {
        let ctx = ctx.clone();
        async move { make_record(&ctx, &job).await }
    };
    let batch = config.output.batch_size as usize;
    let report = run_jobs(jobs, batch, options.grace, &progress, &mut dataset, stop, make).await?;
    let in_file = if report.stopped { resumed + report.written } else { dataset.finish(ours)? };
    if !report.stopped {
        weft_dataset::format::render_file(&canonical, &Format::Custom, &path)
            .map_err(|source| GenerateError::Format { format: "custom".to_owned(), source })?;
    }
    let formats = Vec::new();
    Ok(GenerateSummary { target, in_file, resumed, report, path, failures_path, formats })
}

/// A run opened on its canonical file.
struct Opened {
    /// Whether a sample index is this run's (below the total, in the shard).
    ours: Box<dyn Fn(u64) -> bool + Send + Sync>,
    /// Samples the run must end with.
    target: u64,
    /// This run's samples already in the file.
    resumed: u64,
    /// The file, open for appending.
    dataset: Dataset,
    /// The samples left to make.
    jobs: Vec<crate::session::SampleJob>,
}

/// Opens (or resumes) the canonical file at `canonical`, with failures at
/// `failures`, and plans what is left of the run; says so to the progress sink.
fn open_run(
    config: &Config,
    paths: &[TopicPath],
    options: &GenerateOptions,
    canonical: &Path,
    failures: &Path,
) -> Result<Opened, GenerateError> {
    let total = config.output.num_samples.resolve(paths.len() as u64);
    let shard = options.shard;
    let ours = move |index: u64| index < total && shard.is_none_or(|shard| shard.contains(index));
    let target = shard.map_or(total, |shard| shard.size_of(total));
    let (dataset, done) = if options.resume {
        Dataset::resume_at(canonical, failures)?
    } else {
        (Dataset::create_at(canonical, failures)?, BTreeSet::new())
    };
    let resumed = done.iter().filter(|index| ours(**index)).count() as u64;
    (options.progress)(Event::Planned { total: target, done: resumed });
    let mut jobs = plan(paths, total, &done);
    jobs.retain(|job| ours(job.index));
    Ok(Opened { ours: Box::new(ours), target, resumed, dataset, jobs })
}

/// Renders the finished dataset at `path` into each format: the canonical
/// file stays what resume, shards and merge work on; the formats are made
/// from it, whole, each written atomically beside it.
pub fn write_formats(path: &Path, specs: &[FormatSpec]) -> Result<Vec<FormatWritten>, GenerateError> {
    use weft_dataset::format::{ChatTemplate, ChatTemplateOptions, Format, default_output, render_file};
    let mut written = Vec::new();
    for spec in specs {
        let failed = |source| GenerateError::Format { format: spec.format.clone(), source };
        let format = match spec.format.as_str() {
            "chat-template" => {
                let options = ChatTemplateOptions {
                    bos_token: spec.bos_token.clone(),
                    eos_token: spec.eos_token.clone(),
                    add_generation_prompt: false,
                    kwargs: spec.kwargs.clone(),
                    split_parallel: spec.split_parallel,
                    // Checked when the config was read.
                    date: spec.date.as_deref().and_then(|date| date.parse().ok()),
                };
                let template = spec.template.as_deref().unwrap_or_default();
                Format::ChatTemplate(Box::new(
                    ChatTemplate::load(Path::new(template), options).map_err(failed)?,
                ))
            }
            name => Format::parse(name).map_err(failed)?,
        };
        let out = spec.output.as_ref().map_or_else(|| default_output(path, &format), PathBuf::from);
        let report = render_file(path, &format, &out).map_err(failed)?;
        written.push(FormatWritten {
            format: format.name().to_owned(),
            path: out,
            written: report.written as u64,
            failures: report
                .failures
                .iter()
                .map(|f| format!("line {} (sample {}): {}", f.line, f.sample_index, f.reason))
                .collect(),
        });
    }
    Ok(written)
}
