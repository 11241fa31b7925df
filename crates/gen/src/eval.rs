//! Execution-based evaluation (`weft eval`): the model under test works
//! the eval split's tasks in the sandbox the data came from — the same
//! tools, the same scenario, the reference's user messages in order — K
//! times each, and every run is scored.
//!
//! Two families of scores:
//! - DeepFabric's, for comparability, computed against the reference
//!   sample as its multi-turn evaluator does: tool selection (every tool
//!   the reference called was called), parameter accuracy (each call of a
//!   reference tool carries the argument names the reference's first call
//!   of it did; no call at all when the reference made some is wrong),
//!   execution success (here measured, not judged: every call the model
//!   made ran — no unknown tool, no arguments the tool refused — and the
//!   run ended with an answer), response quality (the share of the
//!   reference's tools called; weight 0 as in DeepFabric) and the weighted
//!   total (0.40, 0.35, 0.25, 0.00).
//! - What only execution shows: end-state success (the scenario's
//!   `expect`, checked on the session's real files), pass^k (the chance
//!   that k runs drawn from the K all succeed, per task, averaged) and the
//!   error-recovery rate (runs that met a failed call and later made one
//!   that succeeded).
//!
//! A run succeeds when the scenario's expected end state holds; for a task
//! whose scenario expects nothing, when tool selection, parameters and
//! execution are all correct; for an irrelevance task, when no tool was
//! called. A run the model provider or the tool service failed is a
//! processing error: recorded with its reason, never scored as the model's
//! failure.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;
use serde::Serialize;
use serde_json::Value;
use weft_llm::{ChatModel, Message};
use weft_protocol::{ErrorType, ToolBackend};

use crate::agent::{AgentRun, AgentSettings, AttemptError, Transcript};
use crate::config::Scenario;
use crate::ids::SeededRng;
use crate::sample::{Sample, StateCheck};

/// DeepFabric's weights: tool selection, parameters, execution, response.
pub const WEIGHTS: [f64; 4] = [0.40, 0.35, 0.25, 0.00];

/// The stream of the seed a run's call ids come from.
const EVAL_STREAM: u64 = 0xe7a1_0001;

/// One task: a reference sample of the eval split.
#[derive(Debug, Clone)]
pub struct Task {
    /// 1-based line of the tasks file.
    pub line: usize,
    /// The reference.
    pub sample: Sample,
}

/// What the runs share.
pub struct EvalContext {
    /// The model under test.
    pub model: Arc<dyn ChatModel>,
    /// Where its calls run.
    pub backend: Arc<dyn ToolBackend>,
    /// The tools offered and the loop's limits (the config's).
    pub agent: AgentSettings,
    /// The config's scenarios by name.
    pub scenarios: BTreeMap<String, Scenario>,
    /// Seeds the call ids of runs.
    pub seed: u64,
}

/// One call the model made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunCall {
    /// The tool.
    pub name: String,
    /// The arguments as the model wrote them.
    pub arguments: String,
    /// Whether the tool succeeded.
    pub success: bool,
    /// The error type when it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
}

/// One run of one task, scored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunResult {
    /// The task's line in the tasks file.
    pub task: usize,
    /// The reference's `sample_index`.
    pub sample_index: u64,
    /// 0-based run of the task.
    pub run: u32,
    /// The calls, in order.
    pub calls: Vec<RunCall>,
    /// The final answer of the last turn.
    pub answer: String,
    /// Every tool the reference called was called.
    pub tool_selection_correct: bool,
    /// Argument names as the reference's.
    pub parameters_correct: bool,
    /// Every call ran and the run ended with an answer.
    pub execution_valid: bool,
    /// Share of the reference's tools called.
    pub response_score: f64,
    /// The scenario's expected end state, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_check: Option<StateCheck>,
    /// Whether the run succeeded (see the module docs).
    pub success: bool,
    /// A call failed in the run.
    pub had_error: bool,
    /// After a failed call, a later call succeeded.
    pub recovered: bool,
    /// Why the run could not be scored (provider or tool service failure).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Wall time of the run.
    pub seconds: f64,
}

/// DeepFabric's metrics over the scored runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    /// Runs with the right tools, of the scored runs.
    pub tool_selection_accuracy: f64,
    /// Runs with the right argument names.
    pub parameter_accuracy: f64,
    /// Runs whose calls all ran and that ended with an answer.
    pub execution_success_rate: f64,
    /// Mean share of the reference's tools called.
    pub response_quality: f64,
    /// The weighted total ([`WEIGHTS`]).
    pub overall_score: f64,
}

/// A rate with what it counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rate {
    /// Runs (or tasks) that count.
    pub of: usize,
    /// Of those, the ones that passed.
    pub passed: usize,
    /// `passed / of`; absent when nothing counts.
    pub rate: Option<f64>,
}

impl Rate {
    fn new(passed: usize, of: usize) -> Self {
        Self { of, passed, rate: (of > 0).then(|| passed as f64 / of as f64) }
    }
}

/// One task's runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskSummary {
    /// Line in the tasks file.
    pub task: usize,
    /// The reference's `sample_index`.
    pub sample_index: u64,
    /// The reference's topic path.
    pub topic: Vec<String>,
    /// The first user message.
    pub request: String,
    /// Scored runs.
    pub runs: usize,
    /// Of those, successful.
    pub successes: usize,
}

/// The whole evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    /// `provider/model` under test.
    pub model: String,
    /// Tasks evaluated.
    pub tasks: usize,
    /// Runs per task (K).
    pub runs_per_task: u32,
    /// Runs scored (tasks × K less processing errors).
    pub runs_scored: usize,
    /// Runs that could not be scored.
    pub processing_errors: usize,
    /// DeepFabric's metrics.
    pub metrics: Metrics,
    /// Runs whose task has an expected end state, and how many met it.
    pub end_state: Rate,
    /// Runs that succeeded.
    pub success: Rate,
    /// pass^k for k = 1..=K: `pass_hat[k-1]`.
    pub pass_hat: Vec<f64>,
    /// Runs that met a failed call, and how many recovered.
    pub error_recovery: Rate,
    /// Wall time of the evaluation.
    pub seconds: f64,
    /// Wall time per task (all its runs).
    pub seconds_per_task: f64,
    /// Per task.
    pub per_task: Vec<TaskSummary>,
    /// Every run.
    pub runs: Vec<RunResult>,
}

/// Runs every task `runs` times, `concurrency` runs at once, calling
/// `on_run` as each run ends (with how many have ended and how many there
/// are), and scores them.
pub async fn evaluate(
    ctx: Arc<EvalContext>,
    tasks: &[Task],
    runs: u32,
    concurrency: usize,
    on_run: &(dyn Fn(&RunResult, usize, usize) + Sync),
) -> EvalReport {
    let started = Instant::now();
    let total = tasks.len() * runs as usize;
    let jobs = tasks.iter().flat_map(|task| (0..runs).map(move |run| (task, run)));
    let mut stream = futures::stream::iter(jobs)
        .map(|(task, run)| {
            let ctx = ctx.clone();
            async move { run_task(&ctx, task, run).await }
        })
        .buffered(concurrency.max(1));
    let mut results = Vec::with_capacity(total);
    while let Some(result) = stream.next().await {
        on_run(&result, results.len() + 1, total);
        results.push(result);
    }
    let seconds = started.elapsed().as_secs_f64();
    report(ctx.model.as_ref(), tasks, runs, results, seconds)
}

/// Scores finished runs.
pub fn report(
    model: &dyn ChatModel,
    tasks: &[Task],
    runs: u32,
    results: Vec<RunResult>,
    seconds: f64,
) -> EvalReport {
    let scored: Vec<&RunResult> = results.iter().filter(|r| r.error.is_none()).collect();
    let share = |hit: fn(&RunResult) -> bool| {
        if scored.is_empty() {
            0.0
        } else {
            scored.iter().filter(|r| hit(r)).count() as f64 / scored.len() as f64
        }
    };
    let tool_selection_accuracy = share(|r| r.tool_selection_correct);
    let parameter_accuracy = share(|r| r.parameters_correct);
    let execution_success_rate = share(|r| r.execution_valid);
    let response_quality = if scored.is_empty() {
        0.0
    } else {
        scored.iter().map(|r| r.response_score).sum::<f64>() / scored.len() as f64
    };
    let overall_score = WEIGHTS[0] * tool_selection_accuracy
        + WEIGHTS[1] * parameter_accuracy
        + WEIGHTS[2] * execution_success_rate
        + WEIGHTS[3] * response_quality;
    let checked: Vec<&&RunResult> = scored.iter().filter(|r| r.state_check.is_some()).collect();
    let end_state = Rate::new(
        checked.iter().filter(|r| r.state_check.as_ref().is_some_and(|c| c.passed)).count(),
        checked.len(),
    );
    let success = Rate::new(scored.iter().filter(|r| r.success).count(), scored.len());
    let with_error: Vec<&&RunResult> = scored.iter().filter(|r| r.had_error).collect();
    let error_recovery = Rate::new(with_error.iter().filter(|r| r.recovered).count(), with_error.len());
    let per_task: Vec<TaskSummary> = tasks
        .iter()
        .map(|task| {
            let mine: Vec<&&RunResult> = scored.iter().filter(|r| r.task == task.line).collect();
            TaskSummary {
                task: task.line,
                sample_index: task.sample.metadata.sample_index,
                topic: task.sample.metadata.topic_path.clone(),
                request: user_messages(&task.sample).first().cloned().unwrap_or_default(),
                runs: mine.len(),
                successes: mine.iter().filter(|r| r.success).count(),
            }
        })
        .collect();
    let pass_hat = (1..=runs as usize).map(|k| pass_hat(&per_task, k)).collect();
    EvalReport {
        model: format!("{}/{}", model.provider(), model.model()),
        tasks: tasks.len(),
        runs_per_task: runs,
        runs_scored: scored.len(),
        processing_errors: results.len() - scored.len(),
        metrics: Metrics {
            tool_selection_accuracy,
            parameter_accuracy,
            execution_success_rate,
            response_quality,
            overall_score,
        },
        end_state,
        success,
        pass_hat,
        error_recovery,
        seconds,
        seconds_per_task: if tasks.is_empty() { 0.0 } else { seconds / tasks.len() as f64 },
        per_task,
        runs: results,
    }
}

/// pass^k: per task with n scored runs of which c succeeded, the chance
/// that k runs drawn without replacement all succeed, C(c, k) / C(n, k);
/// averaged over the tasks with at least k scored runs.
pub fn pass_hat(tasks: &[TaskSummary], k: usize) -> f64 {
    let counted: Vec<f64> = tasks
        .iter()
        .filter(|t| t.runs >= k && k > 0)
        .map(|t| choose(t.successes, k) / choose(t.runs, k))
        .collect();
    if counted.is_empty() { 0.0 } else { counted.iter().sum::<f64>() / counted.len() as f64 }
}

fn choose(n: usize, k: usize) -> f64 {
    if k > n {
        return 0.0;
    }
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

/// The reference's user messages, in order.
fn user_messages(sample: &Sample) -> Vec<String> {
    sample.messages.iter().filter(|m| m.role == "user").filter_map(|m| m.content.clone()).collect()
}

/// The reference's calls: `(tool, argument names)`, in order.
fn reference_calls(sample: &Sample) -> Vec<(String, BTreeSet<String>)> {
    sample
        .messages
        .iter()
        .filter_map(|m| m.tool_calls.as_ref())
        .flatten()
        .map(|call| (call.function.name.clone(), argument_names(&call.function.arguments)))
        .collect()
}

fn argument_names(text: &str) -> BTreeSet<String> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => map.keys().cloned().collect(),
        _ => BTreeSet::new(),
    }
}

async fn run_task(ctx: &EvalContext, task: &Task, run: u32) -> RunResult {
    let started = Instant::now();
    let reference = &task.sample;
    let scenario = reference
        .metadata
        .replay
        .as_ref()
        .and_then(|replay| ctx.scenarios.get(&replay.scenario))
        .or_else(|| ctx.scenarios.get(crate::verify::DEFAULT_SCENARIO))
        .or_else(|| ctx.scenarios.values().next());
    let outcome = converse(ctx, task, run, scenario).await;
    let mut result = match outcome {
        Ok((transcript, state_check)) => score(reference, task.line, run, &transcript, state_check),
        Err(err) => RunResult {
            task: task.line,
            sample_index: reference.metadata.sample_index,
            run,
            calls: Vec::new(),
            answer: String::new(),
            tool_selection_correct: false,
            parameters_correct: false,
            execution_valid: false,
            response_score: 0.0,
            state_check: None,
            success: false,
            had_error: false,
            recovered: false,
            error: Some(err.to_string()),
            seconds: 0.0,
        },
    };
    result.seconds = started.elapsed().as_secs_f64();
    result
}

async fn converse(
    ctx: &EvalContext,
    task: &Task,
    run: u32,
    scenario: Option<&Scenario>,
) -> Result<(Transcript, Option<StateCheck>), AttemptError> {
    let reference = &task.sample;
    let empty = weft_protocol::ScenarioSeed::default();
    let seed = scenario.map_or(&empty, |s| &s.seed);
    let session = ctx.backend.open_session(seed).await?;
    let system = reference
        .messages
        .first()
        .filter(|m| m.role == "system")
        .and_then(|m| m.content.clone())
        .unwrap_or_else(|| ctx.agent.system_prompt.clone());
    let progress = crate::progress::discard();
    let mut agent = AgentRun {
        model: ctx.model.as_ref(),
        backend: ctx.backend.as_ref(),
        session: &session,
        settings: &ctx.agent,
        rng: SeededRng::from_parts(&[ctx.seed, reference.metadata.sample_index, u64::from(run), EVAL_STREAM]),
        sample: reference.metadata.sample_index,
        progress: &progress,
        history: vec![Message::system(system)],
        transcript: Transcript::default(),
    };
    let mut result = Ok(());
    for user in user_messages(reference) {
        result = agent.turn(user).await;
        if result.is_err() {
            break;
        }
    }
    let expect = scenario.and_then(|s| s.expect.as_ref()).filter(|_| !reference.metadata.irrelevant);
    let checked = match (&result, expect) {
        (Ok(()), Some(expect)) => {
            crate::session::check_state(ctx.backend.as_ref(), &session, expect).await.map(Some)
        }
        _ => Ok(None),
    };
    ctx.backend.close_session(&session).await;
    result?;
    Ok((agent.transcript, checked?))
}

/// Scores one finished run against its reference.
fn score(
    reference: &Sample,
    line: usize,
    run: u32,
    transcript: &Transcript,
    state_check: Option<StateCheck>,
) -> RunResult {
    let calls: Vec<RunCall> = transcript
        .turns
        .iter()
        .flat_map(|turn| &turn.steps)
        .flat_map(|step| &step.calls)
        .map(|call| RunCall {
            name: call.name.clone(),
            arguments: call.arguments.clone(),
            success: call.outcome.success,
            error_type: call.outcome.error_type.as_ref().map(|e| e.as_str().to_owned()),
        })
        .collect();
    let answer = transcript.turns.last().map(|turn| turn.answer.clone()).unwrap_or_default();
    let expected = reference_calls(reference);
    let expected_names: BTreeSet<&str> = expected.iter().map(|(name, _)| name.as_str()).collect();
    let called: BTreeSet<&str> = calls.iter().map(|call| call.name.as_str()).collect();
    let coverage = if expected_names.is_empty() {
        if called.is_empty() { 1.0 } else { 0.0 }
    } else {
        expected_names.intersection(&called).count() as f64 / expected_names.len() as f64
    };
    let tool_selection_correct = coverage == 1.0;
    // The argument names of the reference's first call of each tool.
    let mut names_of: BTreeMap<&str, &BTreeSet<String>> = BTreeMap::new();
    for (name, names) in &expected {
        names_of.entry(name.as_str()).or_insert(names);
    }
    let parameters_correct = if !expected.is_empty() && calls.is_empty() {
        false
    } else {
        calls.iter().all(|call| {
            names_of
                .get(call.name.as_str())
                .is_none_or(|wanted| wanted.is_subset(&argument_names(&call.arguments)))
        })
    };
    let refused = |call: &RunCall| {
        matches!(
            call.error_type.as_deref(),
            Some(t) if t == ErrorType::UnknownTool.as_str() || t == ErrorType::InvalidArguments.as_str()
        )
    };
    let execution_valid = !answer.trim().is_empty() && !calls.iter().any(refused);
    let first_failure = calls.iter().position(|call| !call.success);
    let had_error = first_failure.is_some();
    let recovered = first_failure.is_some_and(|at| calls[at + 1..].iter().any(|call| call.success));
    let success = if let Some(check) = &state_check {
        check.passed
    } else if reference.metadata.irrelevant {
        calls.is_empty()
    } else {
        tool_selection_correct && parameters_correct && execution_valid
    };
    RunResult {
        task: line,
        sample_index: reference.metadata.sample_index,
        run,
        calls,
        answer,
        tool_selection_correct,
        parameters_correct,
        execution_valid,
        response_score: coverage,
        state_check,
        success,
        had_error,
        recovered,
        error: None,
        seconds: 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(runs: usize, successes: usize) -> TaskSummary {
        TaskSummary { task: 1, sample_index: 0, topic: Vec::new(), request: String::new(), runs, successes }
    }

    #[test]
    fn pass_hat_is_the_chance_that_k_draws_all_succeed() {
        // Two of three: pass^1 = 2/3, pass^2 = C(2,2)/C(3,2) = 1/3, pass^3 = 0.
        let tasks = [task(3, 2)];
        assert!((pass_hat(&tasks, 1) - 2.0 / 3.0).abs() < 1e-12);
        assert!((pass_hat(&tasks, 2) - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(pass_hat(&tasks, 3), 0.0);
        // Averaged over tasks: (1 + 0) / 2 at k = 3.
        assert_eq!(pass_hat(&[task(3, 3), task(3, 0)], 3), 0.5);
        assert_eq!(choose(5, 2), 10.0);
    }
}
