//! `weft inspect` without the CLI (which builds the sandbox):
//!
//! ```sh
//! cargo run --release -p weft-dataset --example inspect -- DATASET [--html FILE] [--json] [--topics FILE] [--threads N]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use weft_dataset::inspect::{Options, inspect};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut dataset, mut html, mut json, mut options) = (None, None, false, Options::default());
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--html" => html = args.next().map(PathBuf::from),
            "--topics" => options.topics = args.next().map(PathBuf::from),
            "--json" => json = true,
            "--threads" => options.threads = args.next().and_then(|n| n.parse().ok()).unwrap_or(0),
            _ => dataset = Some(PathBuf::from(arg)),
        }
    }
    let Some(dataset) = dataset else {
        eprintln!("usage: inspect DATASET [--html FILE] [--json] [--topics FILE] [--threads N]");
        return ExitCode::from(2);
    };
    let inspection = match inspect(&dataset, &options) {
        Ok(inspection) => inspection,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&inspection.figures).unwrap_or_default());
    } else {
        print!("{}", inspection.figures.to_text());
    }
    if let Some(path) = html {
        let name = dataset.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        if let Err(err) = std::fs::write(&path, inspection.to_html(&name)) {
            eprintln!("error: cannot write {}: {err}", path.display());
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}
