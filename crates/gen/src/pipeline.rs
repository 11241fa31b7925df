//! The run: samples flow through a continuous pipeline of at most
//! `batch_size` in flight. As soon as one finishes the next starts — there
//! is no batch barrier, so one slow sample never stalls the others. Finished
//! samples are written by this task alone, in completion order.
//!
//! A stop request (SIGINT/SIGTERM in the CLI) starts no new sample, gives
//! the ones in flight `grace` to finish and abandons the rest; every line in
//! the file stays whole.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::assemble::{SampleShape, assemble};
use crate::progress::Event;
use crate::sample::Sample;
use crate::session::{SampleContext, SampleJob, attempt};
use crate::topics::TopicPath;
use crate::validate::{Rules, validate};
use crate::writer::{Dataset, FailureRecord, WriteError};

/// How the run is shaped beyond one sample.
#[derive(Debug, Clone)]
pub struct RunSettings {
    /// Samples in flight at once.
    pub batch_size: usize,
    /// Retries of a sample that failed, with the error as feedback.
    pub sample_retries: u32,
    /// What a sample must satisfy.
    pub rules: Rules,
    /// How samples are assembled.
    pub shape: SampleShape,
    /// How long in-flight samples may finish after a stop request.
    pub grace: Duration,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunReport {
    /// Samples written by this run.
    pub written: u64,
    /// Samples that failed every attempt.
    pub failures: Vec<FailureRecord>,
    /// Whether a stop request ended the run early.
    pub stopped: bool,
    /// Samples abandoned in flight by the stop.
    pub abandoned: u64,
}

/// The jobs of a run of `total` samples over `paths`, without those in
/// `done`. With fewer samples than paths, paths are spread evenly; with more,
/// paths are reused in turn and each reuse is a distinct sample.
pub fn plan(paths: &[TopicPath], total: u64, done: &BTreeSet<u64>) -> Vec<SampleJob> {
    let count = paths.len() as u64;
    if count == 0 {
        return Vec::new();
    }
    (0..total)
        .filter(|index| !done.contains(index))
        .map(|index| {
            let (path, reuse) =
                if total <= count { (index * count / total, 0) } else { (index % count, index / count) };
            SampleJob { index, path: paths[path as usize].clone(), reuse }
        })
        .collect()
}

/// Makes one sample: attempts until one validates or the retries run out.
pub async fn make_sample(
    ctx: &SampleContext,
    settings: &RunSettings,
    job: &SampleJob,
) -> Result<Sample, FailureRecord> {
    let mut errors: Vec<String> = Vec::new();
    let attempts = settings.sample_retries + 1;
    for number in 0..attempts {
        let result = match attempt(ctx, job, number, errors.last().map(String::as_str)).await {
            Ok(transcript) => {
                let sample = assemble(&transcript, job, ctx, &settings.shape, number + 1);
                validate(&sample, &settings.rules).map(|()| sample).map_err(|invalid| invalid.0)
            }
            Err(err) => Err(err.to_string()),
        };
        match result {
            Ok(sample) => return Ok(sample),
            Err(reason) => {
                if number + 1 < attempts {
                    (ctx.progress)(Event::SampleRetried {
                        sample: job.index,
                        attempt: number + 1,
                        reason: reason.clone(),
                    });
                }
                errors.push(reason);
            }
        }
    }
    Err(FailureRecord {
        sample_index: job.index,
        topic_id: job.path.id.clone(),
        topic_path: job.path.topics.clone(),
        attempts,
        reason: errors.last().cloned().unwrap_or_default(),
        errors,
    })
}

/// Runs `jobs`, appending each finished sample to `dataset`.
pub async fn run(
    ctx: Arc<SampleContext>,
    settings: Arc<RunSettings>,
    jobs: Vec<SampleJob>,
    dataset: &mut Dataset,
    mut stop: watch::Receiver<bool>,
) -> Result<RunReport, WriteError> {
    let mut report = RunReport::default();
    let mut tasks: JoinSet<Result<Sample, FailureRecord>> = JoinSet::new();
    let mut pending = jobs.into_iter();
    let batch = settings.batch_size.max(1);
    let mut deadline: Option<tokio::time::Instant> = None;
    let mut stop_closed = false;
    loop {
        while deadline.is_none() && tasks.len() < batch {
            let Some(job) = pending.next() else { break };
            let (ctx, settings) = (ctx.clone(), settings.clone());
            tasks.spawn(async move { make_sample(&ctx, &settings, &job).await });
        }
        if tasks.is_empty() {
            break;
        }
        let grace_over = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            joined = tasks.join_next() => match joined {
                Some(Ok(Ok(sample))) => {
                    dataset.append(&sample)?;
                    report.written += 1;
                    (ctx.progress)(Event::SampleWritten { sample: sample.metadata.sample_index });
                }
                Some(Ok(Err(failure))) => {
                    dataset.record_failure(&failure)?;
                    (ctx.progress)(Event::SampleFailed { sample: failure.sample_index, reason: failure.reason.clone() });
                    report.failures.push(failure);
                }
                Some(Err(join)) => {
                    tracing::error!("a sample task ended abnormally: {join}");
                }
                None => break,
            },
            changed = stop.wait_for(|stop| *stop), if deadline.is_none() && !stop_closed => {
                if changed.is_ok() {
                    report.stopped = true;
                    deadline = Some(tokio::time::Instant::now() + settings.grace);
                } else {
                    // The sender is gone: nobody can ask to stop any more.
                    stop_closed = true;
                }
            },
            () = grace_over => {
                report.abandoned = tasks.len() as u64;
                tasks.abort_all();
                break;
            }
        }
    }
    Ok(report)
}
