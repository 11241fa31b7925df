//! `weft format DATASET --to NAME [-o FILE]`: a dataset rendered into a
//! training format (messages, openai, trl, hermes, sharegpt, xlam, harmony,
//! adp, or a model's chat template with `--to chat-template --template F.jinja`).
//!
//! Exit 0 when every sample was rendered, 1 when some could not be (each is
//! named on stderr with its line and why; the others are written), 2 for a
//! usage error or an input that is not a dataset (nothing is written then).

use std::path::PathBuf;
use std::process::ExitCode;

use weft_dataset::format::{
    ChatTemplate, ChatTemplateOptions, Date, FORMAT_NAMES, Format, FormatError, default_output, render_file,
};

/// Arguments of `weft format`.
#[derive(clap::Args)]
pub struct Args {
    /// The dataset (weft's JSONL, one sample per line).
    pub dataset: PathBuf,
    /// The format: messages, openai, trl, hermes, sharegpt, xlam, harmony, adp, chat-template, or custom (the records of an `output.format: custom` run).
    #[arg(long = "to", value_name = "NAME")]
    pub to: String,
    /// Where to write [default: <stem>.<format>.jsonl beside the dataset; for a
    /// chat template, <stem>.<template stem>.jsonl].
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The chat template (`--to chat-template`): a .jinja file, e.g. a model's
    /// `chat_template` saved from its tokenizer_config.json.
    #[arg(long, value_name = "F.jinja")]
    pub template: Option<PathBuf>,
    /// Parallel calls as sequential single-call turns (for templates that refuse
    /// them, as Llama 3.x does, or keep only the first, as gpt-oss does).
    #[arg(long)]
    pub split_parallel: bool,
    /// The tokenizer's bos_token, for templates that print it.
    #[arg(long, value_name = "TOKEN")]
    pub bos: Option<String>,
    /// The tokenizer's eos_token, for templates that print it.
    #[arg(long, value_name = "TOKEN")]
    pub eos: Option<String>,
    /// Extra template variables as a JSON object, e.g. '{"enable_thinking": false}'.
    #[arg(long, value_name = "JSON")]
    pub kwargs: Option<String>,
    /// The date templates' strftime_now answers with [default: today, UTC].
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<String>,
    /// End each text with the assistant's header (prompts, not training data).
    #[arg(long)]
    pub add_generation_prompt: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let format = match format(&args) {
        Ok(format) => format,
        Err(message) => {
            eprintln!("error: {message}");
            return Ok(ExitCode::from(2));
        }
    };
    let output = args.output.clone().unwrap_or_else(|| default_output(&args.dataset, &format));
    if output == args.dataset {
        eprintln!(
            "error: {} is both the dataset and the output; write it elsewhere (-o FILE)",
            output.display()
        );
        return Ok(ExitCode::from(2));
    }
    let report = match render_file(&args.dataset, &format, &output) {
        Ok(report) => report,
        Err(err) => {
            eprintln!("error: {err}");
            return Ok(ExitCode::from(2));
        }
    };
    for failure in &report.failures {
        eprintln!(
            "error: {}:{} (sample {}): {}",
            args.dataset.display(),
            failure.line,
            failure.sample_index,
            failure.reason
        );
    }
    eprintln!(
        "{} of {} samples written to {} ({}){}",
        report.written,
        report.samples,
        output.display(),
        format.name(),
        if report.failures.is_empty() {
            String::new()
        } else {
            format!(", {} not rendered", report.failures.len())
        }
    );
    Ok(if report.failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// The format the flags ask for, or the usage error.
fn format(args: &Args) -> Result<Format, String> {
    let template_flags = [
        ("--split-parallel", args.split_parallel),
        ("--bos", args.bos.is_some()),
        ("--eos", args.eos.is_some()),
        ("--kwargs", args.kwargs.is_some()),
        ("--date", args.date.is_some()),
        ("--add-generation-prompt", args.add_generation_prompt),
    ];
    if args.to != "chat-template" {
        if args.template.is_some() {
            return Err(format!("--template is for --to chat-template, not --to {}", args.to));
        }
        if let Some((flag, _)) = template_flags.iter().find(|(_, given)| *given) {
            return Err(format!("{flag} is a chat-template option (--to chat-template --template F.jinja)"));
        }
        return Format::parse(&args.to).map_err(|err| match err {
            FormatError::UnknownFormat { name } => {
                format!("unknown format `{name}`; --to takes one of: {}", FORMAT_NAMES.join(", "))
            }
            other => other.to_string(),
        });
    }
    let Some(path) = &args.template else {
        return Err("--to chat-template needs --template F.jinja (the model's chat template)".into());
    };
    let kwargs = match &args.kwargs {
        None => Default::default(),
        Some(text) => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(map)) => map,
            Ok(_) => return Err(format!("--kwargs must be a JSON object, got {text}")),
            Err(err) => return Err(format!("--kwargs is not JSON: {err}")),
        },
    };
    let date =
        args.date.as_deref().map(str::parse::<Date>).transpose().map_err(|err| format!("--date: {err}"))?;
    let options = ChatTemplateOptions {
        bos_token: args.bos.clone(),
        eos_token: args.eos.clone(),
        add_generation_prompt: args.add_generation_prompt,
        kwargs,
        split_parallel: args.split_parallel,
        date,
    };
    let template = ChatTemplate::load(path, options).map_err(|err| err.to_string())?;
    Ok(Format::ChatTemplate(Box::new(template)))
}
