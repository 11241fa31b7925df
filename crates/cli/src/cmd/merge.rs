//! `weft merge OUT SHARD...`: the shard files of one run (`weft generate
//! --shard I/N`) joined into one dataset, in sample order, each sample once,
//! with their failure records beside it.
//!
//! Exit 0 when every sample is there, 1 when samples failed (their records
//! are in `OUT.failures.jsonl`) or some index (below `--expect N`,
//! or below the highest seen) has neither a sample nor a failure record (a
//! shard not merged, or stopped early), 2 when the inputs cannot be read or come from different runs
//! (nothing is written then).

use std::path::PathBuf;
use std::process::ExitCode;

use weft_gen::shard::{MergeError, merge};

/// Arguments of `weft merge`.
#[derive(clap::Args)]
pub struct Args {
    /// The merged dataset to write (its failures go to `OUT.failures.jsonl`).
    pub out: PathBuf,
    /// The shard files, in any order.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// The run's number of samples: every index below it must be accounted
    /// for (without it, every index below the highest one seen).
    #[arg(long, value_name = "N")]
    pub expect: Option<u64>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.inputs.contains(&args.out) {
        eprintln!("error: {} is both an input and the output; write the merge elsewhere", args.out.display());
        return Ok(ExitCode::from(2));
    }
    let report = match merge(&args.inputs, &args.out, args.expect) {
        Ok(report) => report,
        Err(
            err @ (MergeError::Io { .. }
            | MergeError::Corrupt { .. }
            | MergeError::Conflict { .. }
            | MergeError::Mixed),
        ) => {
            eprintln!("error: {err}");
            return Ok(ExitCode::from(2));
        }
        Err(err) => return Err(err.into()),
    };
    eprintln!(
        "{} samples from {} files in {} ({} duplicate copies dropped, {} failures recorded)",
        report.samples,
        args.inputs.len(),
        args.out.display(),
        report.duplicates,
        report.failures
    );
    if report.missing.is_empty() {
        return Ok(if report.failures == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) });
    }
    let shown: Vec<String> = report.missing.iter().take(10).map(u64::to_string).collect();
    let more = if report.missing.len() > 10 { ", ..." } else { "" };
    eprintln!(
        "{} samples missing (indices {}{more}): merge every shard, or finish a stopped one with --resume",
        report.missing.len(),
        shown.join(", ")
    );
    Ok(ExitCode::from(1))
}
