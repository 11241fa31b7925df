//! `weft verify DATASET [--config CONFIG]`: replays every sample's tool
//! calls in a fresh sandbox session seeded as the sample's was, and checks
//! every recorded result equals its re-execution byte for byte.
//!
//! Without `--config` the built-in sandbox and an empty scenario are used;
//! with it, the config's tool backend (its manifest, its brought tools, or
//! its `spin_endpoint`) and its scenario. Exit 0 when no sample diverged and
//! every sample could be replayed or is reported as calling a live service,
//! 1 when a sample diverged or could not be replayed (each is named with the
//! first difference), 2 for a file or config that cannot be used.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use serde::Serialize;
use weft_gen::sample::Sample;
use weft_gen::verify::{DEFAULT_SCENARIO, Verdict, Verifier};
use weft_protocol::{ScenarioSeed, ToolBackend};
use weft_tools::InProcess;

use super::generate::open_backend;
use super::validate::{OverrideArgs, load_config, print_stdout};

/// Samples replayed at once.
const IN_FLIGHT: usize = 64;
/// Samples read ahead of the replay, at most.
const CHUNK: usize = 4096;
/// Characters of a result shown in a divergence line.
const EXCERPT: usize = 160;

/// Arguments of `weft verify`.
#[derive(clap::Args)]
pub struct Args {
    /// The dataset (weft's canonical JSONL, as `weft generate` writes it).
    pub dataset: PathBuf,
    /// The config the dataset was made with: its tools and its scenario.
    #[arg(long, value_name = "CONFIG")]
    pub config: Option<PathBuf>,
    /// Print every sample's verdict and the totals as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub overrides: OverrideArgs,
}

/// One sample's verdict in the JSON report.
#[derive(Serialize)]
struct Line {
    /// 1-based line of the dataset.
    line: usize,
    sample_index: u64,
    #[serde(flatten)]
    verdict: Verdict,
}

/// The JSON report.
#[derive(Serialize, Default)]
struct Report {
    samples: usize,
    verified: usize,
    diverged: usize,
    not_replayable: usize,
    unverifiable: usize,
    calls: usize,
    seconds: f64,
    results: Vec<Line>,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (backend, scenarios) = match &args.config {
        Some(path) => {
            let Some(config) = load_config(path, &args.overrides)? else {
                return Ok(ExitCode::from(2));
            };
            let config_dir = path.parent().map(Path::to_owned).unwrap_or_default();
            let backend = match open_backend(&config, &config_dir).await {
                Ok((backend, _)) => backend,
                Err(message) => {
                    eprintln!("error: {message}");
                    return Ok(ExitCode::from(2));
                }
            };
            // Listing the tools also learns a remote service's component versions.
            if let Err(err) = backend.tools().await {
                eprintln!("error: {err}");
                return Ok(ExitCode::from(2));
            }
            (backend, weft_gen::verify::scenarios_of(&config))
        }
        None => {
            let sandbox = InProcess::new(weft_sandbox::Manifest::builtin())
                .await
                .context("cannot start the in-process sandbox")?;
            let backend: Arc<dyn ToolBackend> = Arc::new(sandbox);
            let scenario = weft_gen::config::Scenario {
                name: DEFAULT_SCENARIO.to_owned(),
                seed: ScenarioSeed::default(),
                expect: None,
            };
            (backend, vec![scenario])
        }
    };
    let verifier = Arc::new(Verifier::for_scenarios(backend, &scenarios));
    let file = match std::fs::File::open(&args.dataset) {
        Ok(file) => file,
        Err(err) => {
            eprintln!("error: cannot read {}: {err}", args.dataset.display());
            return Ok(ExitCode::from(2));
        }
    };
    let started = Instant::now();
    let mut report = Report::default();
    let mut lines = std::io::BufReader::new(file).lines().enumerate();
    loop {
        let mut chunk = Vec::with_capacity(CHUNK);
        for (at, line) in lines.by_ref() {
            let number = at + 1;
            let text = line.with_context(|| format!("cannot read {}", args.dataset.display()))?;
            if text.trim().is_empty() {
                continue;
            }
            match parse(&text) {
                Ok(sample) => chunk.push((number, sample)),
                Err(message) => {
                    eprintln!("error: {}:{number}: {message}", args.dataset.display());
                    return Ok(ExitCode::from(2));
                }
            }
            if chunk.len() == CHUNK {
                break;
            }
        }
        if chunk.is_empty() {
            break;
        }
        for line in replay(&verifier, chunk).await {
            tally(&mut report, &line, &args.dataset, args.json);
            if args.json {
                report.results.push(line);
            }
        }
    }
    report.seconds = started.elapsed().as_secs_f64();
    let failed = report.diverged + report.unverifiable > 0;
    if args.json {
        print_stdout(&format!("{}\n", serde_json::to_string_pretty(&report)?))?;
    }
    let rate = report.samples as f64 / report.seconds.max(1e-9);
    eprintln!(
        "{} of {} samples verified ({} calls replayed) in {:.2} s, {rate:.0} samples/s; \
         {} diverged, {} not replayable (live tools), {} unverifiable",
        report.verified,
        report.samples,
        report.calls,
        report.seconds,
        report.diverged,
        report.not_replayable,
        report.unverifiable
    );
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn parse(text: &str) -> Result<Sample, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|err| format!("not JSON: {err}"))?;
    if value.get("record").is_some() && value.get("messages").is_none() {
        return Err(
            "a custom record (`output.format: custom`) makes no tool calls: there is nothing to replay"
                .to_owned(),
        );
    }
    serde_json::from_value(value).map_err(|err| format!("not a weft sample: {err}"))
}

/// Replays a chunk, `IN_FLIGHT` samples at a time; verdicts in input order.
async fn replay(verifier: &Arc<Verifier>, chunk: Vec<(usize, Sample)>) -> Vec<Line> {
    let permits = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
    let mut tasks = Vec::with_capacity(chunk.len());
    for (line, sample) in chunk {
        let (verifier, permits) = (verifier.clone(), permits.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = permits.acquire_owned().await;
            let verdict = verifier.verify(&sample).await;
            Line { line, sample_index: sample.metadata.sample_index, verdict }
        }));
    }
    let mut lines = Vec::with_capacity(tasks.len());
    for task in tasks {
        match task.await {
            Ok(line) => lines.push(line),
            Err(err) => lines.push(Line {
                line: 0,
                sample_index: 0,
                verdict: Verdict::Unverifiable { reason: format!("the replay task failed: {err}") },
            }),
        }
    }
    lines
}

/// Counts a verdict and, unless the report goes to stdout as JSON, names
/// what was not verified on stderr.
fn tally(report: &mut Report, line: &Line, dataset: &Path, quiet: bool) {
    report.samples += 1;
    let at = format!("{}:{} (sample {})", dataset.display(), line.line, line.sample_index);
    match &line.verdict {
        Verdict::Verified { calls, notes } => {
            report.verified += 1;
            report.calls += calls;
            if !quiet {
                for note in notes {
                    eprintln!("note: {at}: {note}");
                }
            }
        }
        Verdict::Diverged { divergence, notes } => {
            report.diverged += 1;
            if quiet {
                return;
            }
            let mut place = String::new();
            if let Some(message) = divergence.message {
                place.push_str(&format!(" at message {message}"));
            }
            if let Some(call) = &divergence.call {
                place.push_str(&format!(", {}", excerpt(call)));
            }
            eprintln!("diverged: {at}{place}: {}", divergence.reason);
            eprintln!("  expected: {}", excerpt(&divergence.expected));
            eprintln!("  got:      {}", excerpt(&divergence.got));
            for note in notes {
                eprintln!("  note: {note}");
            }
        }
        Verdict::NotReplayable { tools } => {
            report.not_replayable += 1;
            if !quiet {
                eprintln!(
                    "not replayable: {at}: calls live tools ({}), whose results replay cannot prove",
                    tools.join(", ")
                );
            }
        }
        Verdict::Unverifiable { reason } => {
            report.unverifiable += 1;
            if !quiet {
                eprintln!("unverifiable: {at}: {reason}");
            }
        }
    }
}

/// `text` on one line, cut to [`EXCERPT`] characters.
fn excerpt(text: &str) -> String {
    let flat = text.replace('\n', "\\n");
    match flat.char_indices().nth(EXCERPT) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}
