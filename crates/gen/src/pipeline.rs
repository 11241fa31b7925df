//! The run: samples flow through a continuous pipeline of at most
//! `batch_size` in flight. As soon as one finishes the next starts — there
//! is no batch barrier, so one slow sample never stalls the others. Finished
//! samples are written by this task alone, in completion order.
//!
//! A stop request (SIGINT/SIGTERM in the CLI) starts no new sample, gives
//! the ones in flight `grace` to finish and abandons the rest; every line in
//! the file stays whole.
//!
//! [`BackendError::is_transient`]: weft_protocol::BackendError::is_transient

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::agent::AttemptError;
use crate::assemble::{SampleShape, assemble};
use crate::progress::Event;
use crate::sample::Sample;
use crate::session::{SampleContext, SampleJob, attempt};
use crate::topics::TopicPath;
use crate::validate::{Rules, validate};
use crate::writer::{FailureRecord, SampleSink, WriteError};

/// How the run is shaped beyond one sample.
#[derive(Debug, Clone)]
pub struct RunSettings {
    /// Samples in flight at once.
    pub batch_size: usize,
    /// Retries of a sample that failed, with the error as feedback.
    pub sample_retries: u32,
    /// How an attempt that met a failure of the tool service (unreachable,
    /// a malformed answer, a lost session) is redone.
    pub outages: OutagePolicy,
    /// What a sample must satisfy.
    pub rules: Rules,
    /// How samples are assembled.
    pub shape: SampleShape,
    /// How long in-flight samples may finish after a stop request.
    pub grace: Duration,
}

/// Redoing attempts that the tool service failed: they are not the
/// sample's fault, so they do not use up `sample_retries` and carry no
/// feedback; the attempt is made again, from the same seed, after a
/// backoff, until the service answers or `retries` run out.
#[derive(Debug, Clone, Copy)]
pub struct OutagePolicy {
    /// Redos of one attempt.
    pub retries: u32,
    /// The first wait; each next one doubles, up to `max_delay`.
    pub delay: Duration,
    /// The longest wait.
    pub max_delay: Duration,
}

impl Default for OutagePolicy {
    /// Eight redos over about a minute: a tool service restarted by its
    /// supervisor is back well within that.
    fn default() -> Self {
        Self { retries: 8, delay: Duration::from_millis(250), max_delay: Duration::from_secs(15) }
    }
}

impl OutagePolicy {
    /// The wait before redo number `redo` of sample `sample`: exponential,
    /// spread over its upper half by the sample's index so that the samples
    /// that met one outage together do not all return at once.
    fn wait(&self, sample: u64, redo: u32) -> Duration {
        let full = self.delay.saturating_mul(2u32.saturating_pow(redo.min(16))).min(self.max_delay);
        let spread = crate::ids::SeededRng::from_parts(&[sample, u64::from(redo)]).below(1000) as f64;
        full / 2 + full.mul_f64(spread / 2000.0)
    }
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
///
/// An attempt the tool service failed ([`BackendError::is_transient`]) is
/// made again from the same seed after a backoff ([`OutagePolicy`]); it is
/// never assembled, so nothing it saw reaches the dataset.
pub async fn make_sample(
    ctx: &SampleContext,
    settings: &RunSettings,
    job: &SampleJob,
) -> Result<Sample, FailureRecord> {
    let mut errors: Vec<String> = Vec::new();
    let mut feedback: Option<String> = None;
    let attempts = settings.sample_retries + 1;
    let mut made = 0u32;
    for number in 0..attempts {
        let mut redo = 0u32;
        let result = loop {
            made += 1;
            match attempt(ctx, job, number, feedback.as_deref()).await {
                Ok(transcript) => {
                    let sample = assemble(&transcript, job, ctx, &settings.shape, number + 1);
                    break validate(&sample, &settings.rules).map(|()| sample).map_err(|invalid| {
                        feedback = Some(invalid.0.clone());
                        invalid.0
                    });
                }
                Err(AttemptError::Backend(err)) if err.is_transient() => {
                    let reason = format!("the tool service failed: {err}");
                    if redo >= settings.outages.retries {
                        break Err(reason);
                    }
                    (ctx.progress)(Event::SampleRetried {
                        sample: job.index,
                        attempt: made,
                        reason: reason.clone(),
                    });
                    errors.push(reason);
                    tokio::time::sleep(settings.outages.wait(job.index, redo)).await;
                    redo += 1;
                }
                Err(err @ AttemptError::Rejected(_)) => {
                    feedback = Some(err.to_string());
                    break Err(err.to_string());
                }
                Err(err) => break Err(err.to_string()),
            }
        };
        match result {
            Ok(sample) => return Ok(sample),
            Err(reason) => {
                if number + 1 < attempts {
                    (ctx.progress)(Event::SampleRetried {
                        sample: job.index,
                        attempt: made,
                        reason: reason.clone(),
                    });
                }
                errors.push(reason);
            }
        }
    }
    Err(FailureRecord::of(job, made, errors))
}

/// What the pipeline makes: a conversation ([`Sample`]) or a custom record.
pub trait Finished: Send + 'static {
    /// Its position in the run.
    fn sample_index(&self) -> u64;
}

impl Finished for Sample {
    fn sample_index(&self) -> u64 {
        self.metadata.sample_index
    }
}

impl Finished for weft_dataset::sample::CustomRecord {
    fn sample_index(&self) -> u64 {
        self.metadata.sample_index
    }
}

/// Runs `jobs`, handing each finished sample (or failure) to `sink`.
pub async fn run(
    ctx: Arc<SampleContext>,
    settings: Arc<RunSettings>,
    jobs: Vec<SampleJob>,
    sink: &mut dyn SampleSink,
    stop: watch::Receiver<bool>,
) -> Result<RunReport, WriteError> {
    let progress = ctx.progress.clone();
    let (batch, grace) = (settings.batch_size, settings.grace);
    let make = move |job: SampleJob| {
        let (ctx, settings) = (ctx.clone(), settings.clone());
        async move { make_sample(&ctx, &settings, &job).await }
    };
    run_jobs(jobs, batch, grace, &progress, sink, stop, make).await
}

/// Runs `jobs` through `make`, at most `batch` at once, handing each
/// finished one (or failure) to `sink`; a stop request gives those in
/// flight `grace` to finish.
pub async fn run_jobs<T, F, Fut>(
    jobs: Vec<SampleJob>,
    batch: usize,
    grace: Duration,
    progress: &crate::progress::ProgressSink,
    sink: &mut dyn SampleSink<T>,
    mut stop: watch::Receiver<bool>,
    make: F,
) -> Result<RunReport, WriteError>
where
    T: Finished,
    F: Fn(SampleJob) -> Fut,
    Fut: std::future::Future<Output = Result<T, FailureRecord>> + Send + 'static,
{
    let mut report = RunReport::default();
    let mut tasks: JoinSet<Result<T, FailureRecord>> = JoinSet::new();
    let mut pending = jobs.into_iter();
    let batch = batch.max(1);
    let mut deadline: Option<tokio::time::Instant> = None;
    let mut stop_closed = false;
    loop {
        while deadline.is_none() && tasks.len() < batch {
            let Some(job) = pending.next() else { break };
            tasks.spawn(make(job));
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
                    sink.accept(&sample)?;
                    report.written += 1;
                    progress(Event::SampleWritten { sample: sample.sample_index() });
                }
                Some(Ok(Err(failure))) => {
                    sink.reject(&failure)?;
                    progress(Event::SampleFailed { sample: failure.sample_index, reason: failure.reason.clone() });
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
                    deadline = Some(tokio::time::Instant::now() + grace);
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
