//! `weft split DATASET --eval SHARE [--seed N] [--out-dir DIR]`: a train/eval
//! split by topic path — no topic in both halves — that the same seed always
//! repeats. Writes `<stem>.train.jsonl` and `<stem>.eval.jsonl`.
//!
//! Exit 0 on success, 2 for a share outside (0, 1), a file that cannot be
//! read or a line without a topic (named at file:line), or fewer than two
//! topics.

use std::path::PathBuf;
use std::process::ExitCode;

use weft_gen::split::{SplitError, split};

/// Arguments of `weft split`.
#[derive(clap::Args)]
pub struct Args {
    /// The dataset (samples or custom records, canonical JSONL).
    pub dataset: PathBuf,
    /// The share of samples the eval half holds at least (0 < SHARE < 1); whole topics only.
    #[arg(long, value_name = "SHARE", value_parser = share)]
    pub eval: f64,
    /// Which topics go to eval: the same seed, the same split.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Write the halves here instead of beside the dataset.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

fn share(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if value > 0.0 && value < 1.0 => Ok(value),
        Ok(_) => Err("the eval share is a fraction between 0 and 1, such as 0.1".to_owned()),
        Err(err) => Err(format!("not a number: {err}")),
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(dir) = &args.out_dir {
        std::fs::create_dir_all(dir)
            .map_err(|err| anyhow::anyhow!("cannot make {}: {err}", dir.display()))?;
    }
    match split(&args.dataset, args.eval, args.seed, args.out_dir.as_deref()) {
        Ok(report) => {
            let (train, eval) = (&report.train, &report.eval);
            eprintln!("train: {} samples, {} topics -> {}", train.1, train.2, train.0.display());
            eprintln!(
                "eval:  {} samples ({:.1}%), {} topics -> {}",
                eval.1,
                report.eval_share() * 100.0,
                eval.2,
                eval.0.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(err @ (SplitError::Line { .. } | SplitError::TooFewTopics { .. } | SplitError::Io { .. })) => {
            eprintln!("error: {err}");
            Ok(ExitCode::from(2))
        }
        Err(err) => Err(err.into()),
    }
}
