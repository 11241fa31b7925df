//! `weft eval CONFIG --model M [--base-url URL] [--runs K]`: the model under
//! test works the eval split's tasks in the config's sandbox — its tools,
//! its scenarios — K times each; every run is scored against its reference
//! and by its end state (see `weft_gen::eval`). Progress goes to stderr, the
//! report to `<tasks>.report.json` and `.html` (or `--report PREFIX`).
//!
//! Exit 0 when every run was scored, 1 when some could not be (the model
//! provider or the tool service failed: named, never scored as the
//! model's failure), 2 for a config, tasks file or model that cannot be used.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use weft_dataset::inspect::charts::{self, GREEN, Part, RED, escape, meter, outcome_meter, split_bar, tile};
use weft_gen::eval::{EvalContext, EvalReport, RunResult, Task, evaluate};
use weft_gen::sample::Sample;
use weft_gen::session::SampleContext;
use weft_llm::{ModelEnv, build_model_in};

use super::generate::open_backend;
use super::validate::{OverrideArgs, load_config, print_stdout};

/// Arguments of `weft eval`.
#[derive(clap::Args)]
pub struct Args {
    /// The config the dataset was made with: its tools, scenarios and limits.
    pub config: PathBuf,
    /// The model under test (the provider's model name).
    #[arg(long)]
    pub model: String,
    /// Its provider (default: `openai` with `--base-url`, else the config's).
    #[arg(long)]
    pub provider: Option<String>,
    /// An OpenAI-compatible server (vLLM, Ollama, llama.cpp server, ...).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Runs per task (K of pass^k).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub runs: u32,
    /// The tasks: reference samples (default: the eval split of the
    /// config's dataset, `<stem>.eval.jsonl`, as `weft split` writes it).
    #[arg(long, value_name = "FILE")]
    pub tasks: Option<PathBuf>,
    /// Evaluate only the first N tasks.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Runs at once (default: the config's `output.batch_size`).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// Write the report to PREFIX.json and PREFIX.html (default: beside
    /// the tasks, `<tasks stem>.report`).
    #[arg(long, value_name = "PREFIX")]
    pub report: Option<PathBuf>,
    /// Print the JSON report on stdout too.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub overrides: OverrideArgs,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let Some(config) = load_config(&args.config, &args.overrides)? else {
        return Ok(ExitCode::from(2));
    };
    let tasks_path = args
        .tasks
        .clone()
        .unwrap_or_else(|| weft_gen::split::split_paths(Path::new(&config.output.save_as), None).1);
    if !tasks_path.exists() {
        eprintln!(
            "error: there are no tasks at {}\n  hint: make an eval split with `weft split {} --eval 0.1`, or pass --tasks FILE",
            tasks_path.display(),
            config.output.save_as
        );
        return Ok(ExitCode::from(2));
    }
    let mut tasks = match read_tasks(&tasks_path) {
        Ok(tasks) => tasks,
        Err(message) => {
            eprintln!("error: {message}");
            return Ok(ExitCode::from(2));
        }
    };
    if let Some(limit) = args.limit {
        tasks.truncate(limit);
    }
    if tasks.is_empty() {
        eprintln!("error: {} holds no tasks", tasks_path.display());
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
    let mut spec = config.generation_model();
    spec.model = args.model.clone();
    if let Some(url) = &args.base_url {
        spec.base_url = Some(url.clone());
        spec.provider = args.provider.clone().unwrap_or_else(|| "openai".to_owned());
    } else if let Some(provider) = &args.provider {
        spec.provider = provider.clone();
        spec.base_url = None;
    }
    let env = ModelEnv::from_process();
    let model = match build_model_in(&spec, &env) {
        Ok(model) => model,
        Err(err) => {
            eprintln!("error: cannot use {} model `{}`: {err}", spec.provider, spec.model);
            return Ok(ExitCode::from(2));
        }
    };
    let tools = match weft_gen::generate::select_tools(&config, backend.as_ref(), &extra_tools).await {
        Ok(tools) => tools,
        Err(err) => {
            eprintln!("error: {err}");
            return Ok(ExitCode::from(2));
        }
    };
    let sample_ctx = SampleContext::from_config(
        &config,
        model.clone(),
        backend.clone(),
        tools,
        weft_gen::progress::discard(),
    );
    let scenarios: BTreeMap<String, weft_gen::config::Scenario> =
        weft_gen::verify::scenarios_of(&config).into_iter().map(|s| (s.name.clone(), s)).collect();
    let ctx = Arc::new(EvalContext {
        model,
        backend,
        agent: sample_ctx.agent.clone(),
        scenarios,
        seed: config.seed,
    });
    let concurrency = args.concurrency.unwrap_or(config.output.batch_size as usize).max(1);
    eprintln!(
        "evaluating {}/{} on {} tasks from {}, {} runs each, {concurrency} at once",
        spec.provider,
        spec.model,
        tasks.len(),
        tasks_path.display(),
        args.runs
    );
    let on_run = |run: &RunResult, done: usize, total: usize| {
        let verdict = match (&run.error, run.success) {
            (Some(error), _) => format!("not scored: {error}"),
            (None, true) => "passed".to_owned(),
            (None, false) => format!("failed ({})", why_failed(run)),
        };
        eprintln!(
            "[{done}/{total}] task line {} run {}: {verdict}; {} calls, {:.2} s",
            run.task,
            run.run + 1,
            run.calls.len(),
            run.seconds
        );
    };
    let report = evaluate(ctx, &tasks, args.runs, concurrency, &on_run).await;
    let prefix = args.report.clone().unwrap_or_else(|| {
        let stem = tasks_path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        tasks_path.with_file_name(format!("{stem}.report"))
    });
    let json = serde_json::to_string_pretty(&report)?;
    let json_path = with_suffix(&prefix, "json");
    let html_path = with_suffix(&prefix, "html");
    std::fs::write(&json_path, format!("{json}\n"))
        .with_context(|| format!("cannot write {}", json_path.display()))?;
    std::fs::write(&html_path, page(&report, &tasks_path))
        .with_context(|| format!("cannot write {}", html_path.display()))?;
    if args.json {
        print_stdout(&format!("{json}\n"))?;
    }
    summarize(&report);
    eprintln!("report: {} and {}", json_path.display(), html_path.display());
    Ok(if report.processing_errors > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn with_suffix(prefix: &Path, ext: &str) -> PathBuf {
    let mut name = prefix.as_os_str().to_owned();
    name.push(format!(".{ext}"));
    PathBuf::from(name)
}

/// The tasks file's samples; a line that is not one is named.
fn read_tasks(path: &Path) -> Result<Vec<Task>, String> {
    let file = std::fs::File::open(path).map_err(|err| format!("cannot read {}: {err}", path.display()))?;
    let mut tasks = Vec::new();
    for (at, line) in std::io::BufReader::new(file).lines().enumerate() {
        let text = line.map_err(|err| format!("cannot read {}: {err}", path.display()))?;
        if text.trim().is_empty() {
            continue;
        }
        let sample: Sample = serde_json::from_str(&text)
            .map_err(|err| format!("{}:{}: not a weft sample: {err}", path.display(), at + 1))?;
        if !sample.messages.iter().any(|m| m.role == "user") {
            return Err(format!(
                "{}:{}: the sample has no user message to give the model",
                path.display(),
                at + 1
            ));
        }
        tasks.push(Task { line: at + 1, sample });
    }
    Ok(tasks)
}

/// Why a scored run failed, in a few words.
fn why_failed(run: &RunResult) -> String {
    if let Some(check) = run.state_check.as_ref().filter(|c| !c.passed) {
        let failed: Vec<String> =
            check.checks.iter().filter(|c| !c.passed).map(|c| format!("{} {}", c.path, c.expect)).collect();
        return format!("end state: {}", failed.join("; "));
    }
    let mut parts = Vec::new();
    if !run.tool_selection_correct {
        parts.push("tools");
    }
    if !run.parameters_correct {
        parts.push("parameters");
    }
    if !run.execution_valid {
        parts.push("execution");
    }
    if parts.is_empty() { "called a tool on a request no tool serves".to_owned() } else { parts.join(", ") }
}

fn pct(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_owned(), |v| format!("{:.1}%", v * 100.0))
}

fn summarize(report: &EvalReport) {
    let m = &report.metrics;
    eprintln!(
        "{}: {} tasks × {} runs ({} scored, {} not scored) in {:.2} s ({:.3} s per task)",
        report.model,
        report.tasks,
        report.runs_per_task,
        report.runs_scored,
        report.processing_errors,
        report.seconds,
        report.seconds_per_task
    );
    eprintln!(
        "  DeepFabric metrics: tool selection {}, parameters {}, execution {}, response quality {}; overall {}",
        pct(Some(m.tool_selection_accuracy)),
        pct(Some(m.parameter_accuracy)),
        pct(Some(m.execution_success_rate)),
        pct(Some(m.response_quality)),
        pct(Some(m.overall_score))
    );
    let pass: Vec<String> = report
        .pass_hat
        .iter()
        .enumerate()
        .map(|(k, v)| format!("pass^{} {}", k + 1, pct(Some(*v))))
        .collect();
    eprintln!(
        "  by execution: end state {} ({} of {} runs), success {}, {}, error recovery {} ({} of {})",
        pct(report.end_state.rate),
        report.end_state.passed,
        report.end_state.of,
        pct(report.success.rate),
        pass.join(", "),
        pct(report.error_recovery.rate),
        report.error_recovery.passed,
        report.error_recovery.of
    );
}

/// The HTML report: the dataset report's look and charts.
fn page(report: &EvalReport, tasks: &Path) -> String {
    let m = &report.metrics;
    let mut out = String::with_capacity(32 * 1024);
    let _ = write!(
        out,
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{} · weft eval</title><style>{}</style></head><body><main>"#,
        escape(&report.model),
        charts::STYLE
    );
    let _ = write!(
        out,
        r#"<header class="top"><div class="kicker">weft eval · {}</div><h1>{}</h1><p class="lede">{} tasks × {} runs · {} scored · {} not scored · {:.2} s ({:.3} s per task)</p></header>"#,
        escape(&tasks.display().to_string()),
        escape(&report.model),
        report.tasks,
        report.runs_per_task,
        report.runs_scored,
        report.processing_errors,
        report.seconds,
        report.seconds_per_task
    );
    let tone = |v: Option<f64>| match v {
        Some(v) if v >= 0.9 => "good",
        Some(v) if v >= 0.6 => "warn",
        Some(_) => "bad",
        None => "",
    };
    let k = report.pass_hat.len();
    let pass_k = report.pass_hat.last().copied();
    let rated = |label: &str, value: Option<f64>, note: &str| tile(label, &pct(value), note, tone(value));
    let recovery_note =
        format!("{} of {} runs with a failed call", report.error_recovery.passed, report.error_recovery.of);
    let tiles = [
        rated("overall (DeepFabric)", Some(m.overall_score), "0.40 tools + 0.35 params + 0.25 execution"),
        rated("tool selection", Some(m.tool_selection_accuracy), "every reference tool called"),
        rated("parameters", Some(m.parameter_accuracy), "reference argument names"),
        rated("execution success", Some(m.execution_success_rate), "every call ran, run answered"),
        rated(
            "end state",
            report.end_state.rate,
            &format!("{} of {} runs", report.end_state.passed, report.end_state.of),
        ),
        rated("pass^1", report.pass_hat.first().copied(), "a run succeeds"),
        rated(&format!("pass^{k}"), pass_k, &format!("all {k} runs succeed")),
        rated("error recovery", report.error_recovery.rate, &recovery_note),
    ];
    out.push_str(r#"<div class="tiles">"#);
    for t in tiles {
        out.push_str(&t);
    }
    out.push_str("</div>");
    out.push_str(r#"<section id="runs"><h2>Runs</h2>"#);
    out.push_str(&split_bar(
        &[
            Part { value: report.success.passed as u64, colour: GREEN, label: "succeeded" },
            Part { value: (report.success.of - report.success.passed) as u64, colour: RED, label: "failed" },
            Part { value: report.processing_errors as u64, colour: charts::AMBER, label: "not scored" },
        ],
        1080,
        26,
    ));
    out.push_str(r#"<h3>pass^k</h3><table><tr><th>k</th><th class="num">pass^k</th><th></th></tr>"#);
    for (i, value) in report.pass_hat.iter().enumerate() {
        let _ = write!(
            out,
            r#"<tr><td>{}</td><td class="num">{}</td><td>{}</td></tr>"#,
            i + 1,
            pct(Some(*value)),
            meter((value * 1000.0).round() as u64, 1000, charts::BLUE, 240)
        );
    }
    out.push_str("</table></section>");
    out.push_str(r#"<section id="tasks"><h2>Tasks</h2><table><tr><th>line</th><th>topic</th><th>request</th><th class="num">succeeded</th><th></th></tr>"#);
    for task in &report.per_task {
        let _ = write!(
            out,
            r#"<tr><td class="num">{}</td><td>{}</td><td>{}</td><td class="num">{} of {}</td><td>{}</td></tr>"#,
            task.task,
            escape(&task.topic.join(" › ")),
            escape(&short(&task.request, 140)),
            task.successes,
            task.runs,
            outcome_meter(task.successes as u64, (task.runs - task.successes) as u64, 90)
        );
    }
    out.push_str("</table></section>");
    out.push_str(r#"<section id="failed"><h2>Runs that failed</h2>"#);
    let failed: Vec<&RunResult> = report.runs.iter().filter(|r| !r.success).collect();
    if failed.is_empty() {
        out.push_str(r#"<p class="empty">Every run succeeded.</p>"#);
    } else {
        out.push_str(r#"<table><tr><th>task</th><th>run</th><th>why</th><th>calls</th></tr>"#);
        for run in failed {
            let why = match &run.error {
                Some(error) => format!("not scored: {error}"),
                None => why_failed(run),
            };
            let calls: Vec<String> = run
                .calls
                .iter()
                .map(|c| match &c.error_type {
                    Some(error) => format!("{} ✗ {error}", c.name),
                    None => c.name.clone(),
                })
                .collect();
            let _ = write!(
                out,
                r#"<tr><td class="num">{}</td><td class="num">{}</td><td>{}</td><td><code>{}</code></td></tr>"#,
                run.task,
                run.run + 1,
                escape(&why),
                escape(&calls.join(", "))
            );
        }
        out.push_str("</table>");
    }
    out.push_str("</section>");
    out.push_str(
        r#"<section id="definitions"><h2>Definitions</h2><p class="definition">Each run gives the model the reference sample's system and user messages, in the reference's scenario, with the config's tools; every call really runs. <b>Tool selection</b>: every tool the reference called was called. <b>Parameters</b>: each call of a reference tool has the argument names of the reference's first call of it (no call when the reference made some is wrong). <b>Execution success</b>: no call named an unknown tool or had arguments the tool refused, and the run ended with an answer. <b>Response quality</b>: share of the reference's tools called (weight 0, as in DeepFabric). <b>End state</b>: the scenario's <code>expect</code>, checked on the session's files when the run ended. A run <b>succeeds</b> when its end state holds, or, when the scenario expects nothing, when tools, parameters and execution are all correct; on an irrelevance task, when it calls no tool. <b>pass^k</b>: per task, C(successes, k) / C(runs, k), averaged over tasks. <b>Error recovery</b>: runs with a failed call in which a later call succeeded. Runs the provider or the tool service failed are not scored.</p></section>"#,
    );
    out.push_str("</main></body></html>\n");
    out
}

fn short(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
