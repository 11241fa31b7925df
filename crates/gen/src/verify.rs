//! Replay verification: proof that a sample's tool results came from
//! executing its calls.
//!
//! A sample records the scenario its session started from (name and the
//! SHA-256 of its files) and the components that served its tools
//! ([`ReplayInfo`]). [`Verifier::verify`] opens a fresh session seeded with
//! that scenario, re-executes every recorded call in the recorded order —
//! through [`execute_call`], the one path generation takes, so an unknown
//! tool or a bad argument text is judged exactly as it was — and compares
//! each result with the tool message that answers the call, byte for byte.
//! The first difference is the verdict. A changed scenario is a divergence
//! before anything runs; a changed component is noted beside the verdict;
//! calls of tools that reach a live service are not replayed and the sample
//! is reported as not replayable, never as verified. A sample that recorded
//! its end state (`metadata.state_check`) has it checked again on the
//! replayed session's files ([`Verifier::for_scenarios`]): a claimed end
//! state the calls do not leave is a divergence too.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use serde::Serialize;
use sha2::{Digest, Sha256};
use weft_protocol::{ScenarioSeed, ToolBackend, ToolDefinition};
use weft_tools::validate::Validators;

use crate::agent::execute_call;
use crate::config::{Config, Scenario};
use crate::sample::{ReplayInfo, Sample};

/// The scenario name samples record for a config's one `scenario_seed`.
pub const DEFAULT_SCENARIO: &str = "default";

/// The scenarios a config's samples start from: its `scenarios`, or its
/// `scenario_seed` as the one scenario [`DEFAULT_SCENARIO`].
pub fn scenarios_of(config: &Config) -> Vec<Scenario> {
    let Some(tools) = &config.generation.tools else {
        return vec![Scenario {
            name: DEFAULT_SCENARIO.to_owned(),
            seed: ScenarioSeed::default(),
            expect: None,
        }];
    };
    if tools.scenarios.is_empty() {
        return vec![Scenario {
            name: DEFAULT_SCENARIO.to_owned(),
            seed: tools.scenario_seed.clone(),
            expect: tools.expect.clone(),
        }];
    }
    tools.scenarios.clone()
}

/// SHA-256 (hex) of a scenario's files: the compact JSON object of path →
/// content, paths sorted.
pub fn scenario_sha256(seed: &ScenarioSeed) -> String {
    let canonical = serde_json::to_vec(&seed.files).unwrap_or_default();
    hex(&Sha256::digest(canonical))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the samples of a run record for replay: the scenario, and the
/// component of every offered tool the backend can place.
pub fn replay_info(
    backend: &dyn ToolBackend,
    tools: &[ToolDefinition],
    scenario: &str,
    seed: &ScenarioSeed,
) -> ReplayInfo {
    let mut components = BTreeMap::new();
    let mut live_tools = Vec::new();
    for tool in tools {
        if let Some(origin) = backend.origin(&tool.name) {
            if origin.live {
                live_tools.push(tool.name.clone());
            }
            components.insert(origin.component, origin.version);
        }
    }
    ReplayInfo {
        scenario: scenario.to_owned(),
        scenario_sha256: scenario_sha256(seed),
        components,
        live_tools,
    }
}

/// The outcome of replaying one sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Every recorded result equals its re-execution.
    Verified {
        /// Calls replayed.
        calls: usize,
        /// What differs from when the sample was made without changing any
        /// result (a component rebuilt since).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        notes: Vec<String>,
    },
    /// A recorded result (or the scenario) is not what re-execution gives.
    Diverged {
        /// The first difference.
        divergence: Divergence,
        /// What may explain it (a component changed since the sample).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        notes: Vec<String>,
    },
    /// Some calls reach a live service: replay cannot prove their results.
    NotReplayable {
        /// The live tools the sample called.
        tools: Vec<String>,
    },
    /// The sample cannot be replayed here: why.
    Unverifiable {
        /// Why (no replay record, a scenario the config lacks, the tool
        /// service failed).
        reason: String,
    },
}

impl Verdict {
    /// `verified`, `diverged`, `not_replayable` or `unverifiable`.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Verified { .. } => "verified",
            Self::Diverged { .. } => "diverged",
            Self::NotReplayable { .. } => "not_replayable",
            Self::Unverifiable { .. } => "unverifiable",
        }
    }
}

/// Where a replay first differed from the record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Divergence {
    /// What differs, in words.
    pub reason: String,
    /// Index in `messages` of the message that differs (none for a
    /// changed scenario).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<usize>,
    /// The call, `name(arguments)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call: Option<String>,
    /// What the sample holds.
    pub expected: String,
    /// What re-execution (or the config) gives.
    pub got: String,
}

/// Replays samples against one backend and the scenarios of one config.
pub struct Verifier {
    backend: Arc<dyn ToolBackend>,
    scenarios: BTreeMap<String, ScenarioSeed>,
    /// Each scenario's expected end state, re-checked after a replay.
    expects: BTreeMap<String, crate::config::Expect>,
    validators: Validators,
}

impl Verifier {
    /// A verifier running calls on `backend`, seeding sessions from
    /// `scenarios` (name → files).
    pub fn new(backend: Arc<dyn ToolBackend>, scenarios: BTreeMap<String, ScenarioSeed>) -> Self {
        Self { backend, scenarios, expects: BTreeMap::new(), validators: Validators::new() }
    }

    /// A verifier that also re-checks the end state of samples that
    /// recorded one (`metadata.state_check`) against their scenario's
    /// `expect` on the replayed session's files.
    pub fn for_scenarios(backend: Arc<dyn ToolBackend>, scenarios: &[Scenario]) -> Self {
        let seeds = scenarios.iter().map(|s| (s.name.clone(), s.seed.clone())).collect();
        let expects = scenarios
            .iter()
            .filter_map(|s| s.expect.clone().map(|expect| (s.name.clone(), expect)))
            .collect();
        Self { expects, ..Self::new(backend, seeds) }
    }

    /// Replays one sample.
    pub async fn verify(&self, sample: &Sample) -> Verdict {
        let calls = recorded_calls(sample);
        if calls.is_empty() {
            return Verdict::Verified { calls: 0, notes: Vec::new() };
        }
        let Some(replay) = &sample.metadata.replay else {
            return Verdict::Unverifiable {
                reason: "the sample has no `metadata.replay` (made before weft recorded what replay needs)"
                    .to_owned(),
            };
        };
        let called: BTreeSet<&str> = calls.iter().map(|call| call.name).collect();
        let live: Vec<String> =
            replay.live_tools.iter().filter(|tool| called.contains(tool.as_str())).cloned().collect();
        if !live.is_empty() {
            return Verdict::NotReplayable { tools: live };
        }
        let Some(seed) = self.scenarios.get(&replay.scenario) else {
            let known: Vec<&str> = self.scenarios.keys().map(String::as_str).collect();
            return Verdict::Unverifiable {
                reason: format!(
                    "the sample's scenario `{}` is not in the config (it has {})",
                    replay.scenario,
                    known.join(", ")
                ),
            };
        };
        let notes = self.component_changes(replay, &called);
        let digest = scenario_sha256(seed);
        if digest != replay.scenario_sha256 {
            return Verdict::Diverged {
                divergence: Divergence {
                    reason: format!("scenario `{}` changed since the sample was made", replay.scenario),
                    message: None,
                    call: None,
                    expected: format!("sha256 {}", replay.scenario_sha256),
                    got: format!("sha256 {digest}"),
                },
                notes,
            };
        }
        if let Some(divergence) = executions_disagree(sample, &calls) {
            return Verdict::Diverged { divergence, notes };
        }
        let expect = self.expects.get(&replay.scenario).filter(|_| sample.metadata.state_check.is_some());
        match self.replay(sample, seed, &calls, expect).await {
            Ok(None) => Verdict::Verified { calls: calls.len(), notes },
            Ok(Some(divergence)) => Verdict::Diverged { divergence, notes },
            Err(reason) => Verdict::Unverifiable { reason },
        }
    }

    async fn replay(
        &self,
        sample: &Sample,
        seed: &ScenarioSeed,
        calls: &[RecordedCall<'_>],
        expect: Option<&crate::config::Expect>,
    ) -> Result<Option<Divergence>, String> {
        let tools = offered_tools(sample);
        let session = self.backend.open_session(seed).await.map_err(|err| err.to_string())?;
        let mut found = None;
        for call in calls {
            let executed = execute_call(
                &tools,
                &self.validators,
                self.backend.as_ref(),
                &session,
                call.name,
                call.arguments,
            )
            .await;
            let outcome = match executed {
                Ok((outcome, _, _)) => outcome,
                Err(err) => {
                    self.backend.close_session(&session).await;
                    return Err(format!("the tool service failed during replay: {err}"));
                }
            };
            let Some((at, expected)) = call.result else {
                found = Some(Divergence {
                    reason: "the call has no tool message answering it".to_owned(),
                    message: Some(call.message),
                    call: Some(call.render()),
                    expected: String::new(),
                    got: outcome.result,
                });
                break;
            };
            if outcome.result != expected {
                found = Some(Divergence {
                    reason: "the recorded result is not what executing the call gives".to_owned(),
                    message: Some(at),
                    call: Some(call.render()),
                    expected: expected.to_owned(),
                    got: outcome.result,
                });
                break;
            }
        }
        if let (None, Some(expect), Some(recorded)) = (&found, expect, &sample.metadata.state_check) {
            match crate::session::check_state(self.backend.as_ref(), &session, expect).await {
                Ok(check) if &check != recorded => {
                    let render = |check: &crate::sample::StateCheck| {
                        serde_json::to_string(check).unwrap_or_else(|err| err.to_string())
                    };
                    found = Some(Divergence {
                        reason:
                            "the recorded end state (`metadata.state_check`) is not what the replay leaves"
                                .to_owned(),
                        message: None,
                        call: None,
                        expected: render(recorded),
                        got: render(&check),
                    });
                }
                Ok(_) => {}
                Err(err) => {
                    self.backend.close_session(&session).await;
                    return Err(format!("the tool service failed checking the end state: {err}"));
                }
            }
        }
        self.backend.close_session(&session).await;
        Ok(found)
    }

    /// A note per component whose version differs from the sample's record.
    fn component_changes(&self, replay: &ReplayInfo, called: &BTreeSet<&str>) -> Vec<String> {
        let mut now: HashMap<String, String> = HashMap::new();
        for tool in called {
            if let Some(origin) = self.backend.origin(tool) {
                now.insert(origin.component, origin.version);
            }
        }
        let mut notes = Vec::new();
        for (component, recorded) in &replay.components {
            match now.get(component) {
                Some(current) if current != recorded => notes.push(format!(
                    "component `{component}` changed since the sample was made: {recorded} then, {current} now"
                )),
                _ => {}
            }
        }
        notes
    }
}

/// One call as the sample records it.
struct RecordedCall<'a> {
    /// Index of the assistant message that makes it.
    message: usize,
    id: &'a str,
    name: &'a str,
    arguments: &'a str,
    /// The tool message answering it: its index and text.
    result: Option<(usize, &'a str)>,
}

impl RecordedCall<'_> {
    fn render(&self) -> String {
        format!("{}({})", self.name, self.arguments)
    }
}

/// Every call of the sample's messages in the order made, each with the
/// tool message that answers its id.
fn recorded_calls(sample: &Sample) -> Vec<RecordedCall<'_>> {
    let messages = &sample.messages;
    let mut calls = Vec::new();
    for (at, message) in messages.iter().enumerate() {
        let Some(entries) = message.tool_calls.as_deref().filter(|_| message.role == "assistant") else {
            continue;
        };
        for entry in entries {
            let result = messages[at + 1..]
                .iter()
                .enumerate()
                .take_while(|(_, m)| m.role == "tool")
                .find(|(_, m)| m.tool_call_id.as_deref() == Some(entry.id.as_str()))
                .map(|(offset, m)| (at + 1 + offset, m.content.as_deref().unwrap_or_default()));
            calls.push(RecordedCall {
                message: at,
                id: &entry.id,
                name: &entry.function.name,
                arguments: &entry.function.arguments,
                result,
            });
        }
    }
    calls
}

/// Whether `tool_context.executions` says something other than the
/// messages: another call, other arguments, another result or order.
fn executions_disagree(sample: &Sample, calls: &[RecordedCall<'_>]) -> Option<Divergence> {
    let executions = &sample.tool_context.as_ref()?.executions;
    let disagree = |reason: String, expected: String, got: String, message: Option<usize>| Divergence {
        reason,
        message,
        call: None,
        expected,
        got,
    };
    if executions.len() != calls.len() {
        return Some(disagree(
            "`tool_context.executions` and the messages hold different numbers of calls".to_owned(),
            format!("{} calls in the messages", calls.len()),
            format!("{} executions", executions.len()),
            None,
        ));
    }
    for (k, (execution, call)) in executions.iter().zip(calls).enumerate() {
        let result = call.result.map(|(_, text)| text).unwrap_or_default();
        if execution.function_name != call.name
            || execution.arguments != call.arguments
            || execution.result != result
        {
            return Some(Divergence {
                reason: format!(
                    "`tool_context.executions[{k}]` disagrees with the messages (call {})",
                    call.id
                ),
                message: Some(call.message),
                call: Some(call.render()),
                expected: format!("{}({}) -> {result}", call.name, call.arguments),
                got: format!("{}({}) -> {}", execution.function_name, execution.arguments, execution.result),
            });
        }
    }
    None
}

/// The sample's tools (OpenAI function form) as definitions.
fn offered_tools(sample: &Sample) -> Vec<ToolDefinition> {
    sample
        .tools
        .iter()
        .filter_map(|tool| {
            let function = tool.get("function")?;
            Some(ToolDefinition {
                name: function.get("name")?.as_str()?.to_owned(),
                title: None,
                description: function
                    .get("description")
                    .and_then(|d| d.as_str())
                    .unwrap_or_default()
                    .to_owned(),
                input_schema: function
                    .get("parameters")
                    .cloned()
                    .unwrap_or_else(|| serde_json::json!({"type": "object"})),
                output_schema: None,
                annotations: None,
            })
        })
        .collect()
}
