//! From a [`Transcript`] to a [`Sample`]: the messages, the reasoning trace,
//! the executions and the metadata are all read off the same calls, so they
//! cannot disagree.

use std::collections::BTreeSet;

use crate::agent::Transcript;
use crate::config::{AgentMode, Config, ConversationType, ReasoningStyle};
use crate::sample::{
    AgentContext, CallMetadata, ChatMessage, FunctionCall, Reasoning, ReasoningContent, ReasoningStep,
    Sample, SampleMetadata, ToolCallEntry, ToolContext, ToolExecution, openai_tool,
};
use crate::session::{SampleContext, SampleJob};

/// What assembly reads from the config.
#[derive(Debug, Clone)]
pub struct SampleShape {
    /// The system message samples carry, when they carry one.
    pub system_message: Option<String>,
    /// `cot` or `basic`.
    pub conversation_type: ConversationType,
    /// Agent steps or free text.
    pub reasoning_style: Option<ReasoningStyle>,
    /// Single or multi-turn.
    pub agent_mode: AgentMode,
    /// Whether per-call latencies are recorded (off for byte-reproducible runs).
    pub record_latency: bool,
}

impl SampleShape {
    /// The shape a config asks for.
    pub fn from_config(config: &Config, record_latency: bool) -> Self {
        Self {
            system_message: config
                .output
                .include_system_message
                .then(|| config.sample_system_prompt().trim().to_owned())
                .filter(|prompt| !prompt.is_empty()),
            conversation_type: config.generation.conversation.kind,
            reasoning_style: config.generation.conversation.reasoning_style,
            agent_mode: config.generation.conversation.agent_mode,
            record_latency,
        }
    }
}

const READY: &str = "Ready to respond to user";

/// Builds the sample.
pub fn assemble(
    transcript: &Transcript,
    job: &SampleJob,
    ctx: &SampleContext,
    shape: &SampleShape,
    attempts: u32,
) -> Sample {
    let mut messages = Vec::new();
    if let Some(system) = &shape.system_message {
        messages.push(ChatMessage::text("system", system.clone()));
    }
    let mut steps = Vec::new();
    let mut executions = Vec::new();
    let mut calls = Vec::new();
    let mut derived_reasoning = Vec::new();
    for turn in &transcript.turns {
        messages.push(ChatMessage::text("user", turn.user.clone()));
        for step in &turn.steps {
            let entries = step
                .calls
                .iter()
                .map(|call| ToolCallEntry {
                    id: call.id.clone(),
                    kind: "function".to_owned(),
                    function: FunctionCall { name: call.name.clone(), arguments: call.arguments.clone() },
                })
                .collect();
            messages.push(ChatMessage {
                role: "assistant".to_owned(),
                content: Some(step.thought.clone()),
                tool_calls: Some(entries),
                tool_call_id: None,
            });
            // A model calling tools natively often writes no text with its
            // calls. The message keeps what it wrote; the reasoning trace,
            // whose schema wants a reason per call, gets a description of
            // the call that metadata marks as weft's, not the model's.
            let thought = if step.thought.is_empty() {
                derived_reasoning.extend(step.calls.iter().map(|call| call.id.clone()));
                describe_calls(&step.calls)
            } else {
                step.thought.clone()
            };
            for call in &step.calls {
                messages.push(ChatMessage {
                    role: "tool".to_owned(),
                    content: Some(call.outcome.result.clone()),
                    tool_calls: None,
                    tool_call_id: Some(call.id.clone()),
                });
                executions.push(ToolExecution {
                    function_name: call.name.clone(),
                    arguments: call.arguments.clone(),
                    reasoning: thought.clone(),
                    result: call.outcome.result.clone(),
                });
                calls.push(CallMetadata {
                    name: call.name.clone(),
                    success: call.outcome.success,
                    error_type: call.outcome.error_type.as_ref().map(|e| e.as_str().to_owned()),
                    latency_us: shape.record_latency.then_some(call.latency.as_micros() as u64),
                });
            }
            let action =
                step.calls.iter().map(|c| format!("{}({})", c.name, c.arguments)).collect::<Vec<_>>();
            steps.push(ReasoningStep {
                step_number: steps.len() as u32 + 1,
                thought,
                action: Some(action.join("; ")),
            });
        }
        messages.push(ChatMessage::text("assistant", turn.answer.clone()));
        steps.push(ReasoningStep {
            step_number: steps.len() as u32 + 1,
            thought: turn
                .answer_reasoning
                .clone()
                .unwrap_or_else(|| "I have what I need to answer.".to_owned()),
            action: Some(READY.to_owned()),
        });
    }
    let agent = !ctx.agent.tools.is_empty();
    let reasoning = match (shape.conversation_type, shape.reasoning_style) {
        (ConversationType::Cot, Some(ReasoningStyle::Freetext)) => Some(Reasoning {
            style: "freetext".to_owned(),
            content: ReasoningContent::Text(
                steps
                    .iter()
                    .map(|s| s.thought.as_str())
                    .filter(|t| !t.is_empty())
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
        }),
        (ConversationType::Cot, _) => {
            Some(Reasoning { style: "agent".to_owned(), content: ReasoningContent::Steps(steps) })
        }
        (ConversationType::Basic, _) => None,
    };
    let error_types: BTreeSet<String> = calls.iter().filter_map(|c| c.error_type.clone()).collect();
    let recovered =
        calls.iter().position(|c| !c.success).is_some_and(|first| calls[first..].iter().any(|c| c.success));
    let react_steps = transcript.turns.iter().map(|t| t.steps.len() as u32).sum();
    let metadata = SampleMetadata {
        conversation_type: match shape.conversation_type {
            ConversationType::Cot => "cot",
            ConversationType::Basic => "basic",
        }
        .to_owned(),
        react_steps,
        topic_id: job.path.id.clone(),
        topic_path: job.path.topics.clone(),
        sample_index: job.index,
        provider: ctx.model.provider().to_owned(),
        model: ctx.model.model().to_owned(),
        steps: transcript.model_calls,
        turns: transcript.turns.len() as u32,
        tool_calls: calls.len() as u32,
        error_types: error_types.into_iter().collect(),
        recovered,
        calls,
        tokens: transcript.tokens,
        attempts,
        truncated_calls: transcript.truncated_calls,
        derived_reasoning,
        agent_mode: (agent && shape.agent_mode == AgentMode::MultiTurn).then(|| "multi_turn".to_owned()),
        replay: if agent { ctx.replay_for(job) } else { None },
        state_check: transcript.state_check.clone(),
        irrelevant: transcript.irrelevant,
    };
    let question = transcript.turns.first().map(|t| t.user.clone()).unwrap_or_default();
    let final_answer = transcript.turns.last().map(|t| t.answer.clone()).unwrap_or_default();
    Sample {
        messages,
        metadata,
        reasoning,
        tool_context: agent.then_some(ToolContext { executions }),
        tools: ctx.agent.tools.iter().map(openai_tool).collect(),
        // DeepFabric's `agent_context.mode` is `single_turn` only; a
        // multi-turn sample says so in `metadata.agent_mode` instead.
        agent_context: (agent && shape.agent_mode == AgentMode::SingleTurn)
            .then(|| AgentContext { mode: "single_turn".to_owned() }),
        question,
        final_answer,
    }
}

/// What a step that came without the model's text does, in words:
/// `Calling read_file with file_path "config.json".`
fn describe_calls(calls: &[crate::agent::ExecutedCall]) -> String {
    let described: Vec<String> = calls
        .iter()
        .map(|call| {
            let arguments = serde_json::from_str::<serde_json::Value>(&call.arguments).ok();
            let pairs: Vec<String> = arguments
                .as_ref()
                .and_then(serde_json::Value::as_object)
                .map(|object| object.iter().take(3).map(|(key, value)| format!("{key} {value}")).collect())
                .unwrap_or_default();
            if pairs.is_empty() {
                format!("Calling {}", call.name)
            } else {
                format!("Calling {} with {}", call.name, pairs.join(", "))
            }
        })
        .collect();
    format!("{}.", described.join("; then "))
}
