//! `weft inspect DATASET [--html FILE] [--json] [--topics FILE]`: what a
//! dataset holds, in figures — counts, per-sample distributions, tools,
//! error types, recovery, duplicate requests, topic coverage, tokens,
//! argument validity — read in one streaming pass (`weft_dataset::inspect`).
//!
//! The text summary goes to stdout, or with `--json` the figures in their
//! stable shape (`weft-inspect/1`); `--html` also writes the report as one
//! self-contained page (inline SVG charts, no script, nothing fetched).
//! `DATASET.failures.jsonl`, when it exists, is read too.
//!
//! Exit 0 when the dataset was read, whatever it holds; 2 when an input
//! cannot be read, a line of it is not what it should be (named as
//! `file:line`), or the report cannot be written.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use weft_dataset::inspect::{Options, inspect};

/// Arguments of `weft inspect`.
#[derive(clap::Args)]
pub struct Args {
    /// The dataset: JSONL, one sample per line (`DATASET.failures.jsonl` beside it is read too).
    pub dataset: PathBuf,
    /// Also write the report as one self-contained HTML page.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Print the figures as JSON (format `weft-inspect/1`) instead of the text summary.
    #[arg(long)]
    pub json: bool,
    /// The run's topics file (tree JSONL or graph JSON), to report the topics no sample used.
    #[arg(long, value_name = "FILE")]
    pub topics: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let options = Options { topics: args.topics.clone(), threads: 0 };
    let inspection = match inspect(&args.dataset, &options) {
        Ok(inspection) => inspection,
        Err(err) => {
            eprintln!("error: {err}");
            return Ok(ExitCode::from(2));
        }
    };
    if let Some(path) = &args.html {
        if let Err(err) = write_report(path, &inspection.to_html(&display_name(&args.dataset))) {
            eprintln!("error: cannot write {}: {err}", path.display());
            return Ok(ExitCode::from(2));
        }
        eprintln!("report: {}", path.display());
    }
    let text = if args.json {
        let mut json = serde_json::to_string_pretty(&inspection.figures)?;
        json.push('\n');
        json
    } else {
        inspection.figures.to_text()
    };
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        // A reader that stopped early (`| head`) is not an error.
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => Err(err.into()),
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// The dataset's file name, as the report's title.
fn display_name(dataset: &Path) -> String {
    dataset
        .file_name()
        .map_or_else(|| dataset.display().to_string(), |name| name.to_string_lossy().into_owned())
}

/// Writes the page beside its destination and renames it over it, so a
/// reader never sees half a report.
fn write_report(path: &Path, html: &str) -> std::io::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    std::fs::write(&temporary, html)?;
    std::fs::rename(&temporary, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })
}

/// The figures of `dataset` as a short markdown summary (for a dataset
/// card); empty when the dataset cannot be read (the upload names that).
pub fn figures_markdown(dataset: &Path) -> String {
    inspect(dataset, &Options { topics: None, threads: 0 })
        .map(|inspection| inspection.figures.to_markdown())
        .unwrap_or_default()
}
