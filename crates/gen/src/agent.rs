//! The agent loop: Reason → Act → Observe with native tool calls.
//!
//! The model gets the conversation so far — including every real tool
//! result — and either calls tools or answers. Every call of a step is
//! executed, in order, against the sample's session, and its result goes back
//! as the tool message answering that call's id. Duplicate calls are executed
//! again (the state may have changed). After `max_agent_steps` steps with
//! calls, one more request with `tool_choice: none` forces the answer.
//!
//! Calls are never simulated: a malformed argument text or a tool the run does
//! not offer becomes an `InvalidArguments` / `UnknownTool` outcome, a real
//! error the model observes and the dataset records.

use std::sync::Arc;
use std::time::{Duration, Instant};

use weft_llm::{ChatModel, ChatRequest, ChatResponse, LlmError, Message, ModelToolCall, Purpose, ToolChoice};
use weft_protocol::{ErrorType, SessionId, ToolBackend, ToolCall, ToolDefinition, ToolOutcome};
use weft_tools::validate::{ArgumentError, Validators};

use crate::ids::SeededRng;
use crate::progress::{Event, ProgressSink, argument_preview};
use crate::sample::TokenCount;

/// Times an empty model reply is asked again before the attempt fails.
const EMPTY_REPLY_RETRIES: u32 = 2;

/// How the loop behaves: the parts of a config it reads.
#[derive(Debug, Clone)]
pub struct AgentSettings {
    /// The system message the model works under.
    pub system_prompt: String,
    /// Most steps with tool calls per user turn.
    pub max_agent_steps: u32,
    /// Most calls executed per step.
    pub max_per_query: u32,
    /// Over `max_per_query`: reject the attempt (true) or drop the extra calls (false).
    pub strict: bool,
    /// Tools offered to the model (empty: no tools, plain answers).
    pub tools: std::sync::Arc<[ToolDefinition]>,
    /// Each tool's `inputSchema`, compiled once per run; arguments that
    /// violate it never reach the backend.
    pub validators: Arc<Validators>,
}

/// One executed call.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutedCall {
    /// Our id (9 alphanumerics), used in the history the model sees and in the sample.
    pub id: String,
    /// The tool.
    pub name: String,
    /// The arguments exactly as the model wrote them.
    pub arguments: String,
    /// What the backend answered.
    pub outcome: ToolOutcome,
    /// How long the execution took.
    pub latency: Duration,
}

/// One step that called tools.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentStep {
    /// The text the model gave with its calls (may be empty).
    pub thought: String,
    /// The calls, in the order made and executed.
    pub calls: Vec<ExecutedCall>,
}

/// One user turn and the agent's work on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    /// The user's message.
    pub user: String,
    /// Steps with calls.
    pub steps: Vec<AgentStep>,
    /// The final answer.
    pub answer: String,
    /// Reasoning the provider exposed with the answer, if any.
    pub answer_reasoning: Option<String>,
}

/// Everything one attempt at a sample produced.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Transcript {
    /// The turns, in order.
    pub turns: Vec<Turn>,
    /// Tokens of every model call of the attempt.
    pub tokens: TokenCount,
    /// Model calls of the agent loop.
    pub model_calls: u32,
    /// Calls dropped over `max_per_query` (non-strict mode).
    pub truncated_calls: u32,
    /// The scenario's expected end state, checked when the conversation ended.
    pub state_check: Option<crate::sample::StateCheck>,
    /// The user's request was one the offered tools cannot serve.
    pub irrelevant: bool,
}

/// Why an attempt did not produce a transcript.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AttemptError {
    /// The model call failed after its retries.
    #[error(transparent)]
    Llm(#[from] LlmError),
    /// The attempt broke a rule (strict `max_per_query`, ...).
    #[error("{0}")]
    Rejected(String),
    /// The session could not be opened or seeded.
    #[error(transparent)]
    Backend(#[from] weft_protocol::BackendError),
}

/// One agent conversation in one session.
pub(crate) struct AgentRun<'a> {
    pub(crate) model: &'a dyn ChatModel,
    pub(crate) backend: &'a dyn ToolBackend,
    pub(crate) session: &'a SessionId,
    pub(crate) settings: &'a AgentSettings,
    pub(crate) rng: SeededRng,
    pub(crate) sample: u64,
    pub(crate) progress: &'a ProgressSink,
    /// What the model sees.
    pub(crate) history: Vec<Message>,
    pub(crate) transcript: Transcript,
}

impl AgentRun<'_> {
    /// Sends one request and counts its tokens.
    pub(crate) async fn chat(&mut self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        let response = self.model.chat(request).await?;
        self.transcript.tokens.prompt += response.usage.prompt_tokens;
        self.transcript.tokens.completion += response.usage.completion_tokens;
        Ok(response)
    }

    /// Works one user turn to its answer.
    pub(crate) async fn turn(&mut self, user: String) -> Result<(), AttemptError> {
        self.history.push(Message::user(user.clone()));
        let mut turn = Turn { user, steps: Vec::new(), answer: String::new(), answer_reasoning: None };
        let mut answered = false;
        for _ in 0..self.settings.max_agent_steps {
            let response = self.step_request(ToolChoice::Auto).await?;
            if response.tool_calls.is_empty() || self.settings.tools.is_empty() {
                let response = self.until_answered(response, ToolChoice::Auto).await?;
                if !response.tool_calls.is_empty() && !self.settings.tools.is_empty() {
                    // Asked again for its answer, the model acted instead.
                    let step = self.act(response).await?;
                    turn.steps.push(step);
                    continue;
                }
                turn.answer = response.content.trim().to_owned();
                turn.answer_reasoning = response.reasoning;
                answered = true;
                break;
            }
            let step = self.act(response).await?;
            turn.steps.push(step);
        }
        if !answered {
            // Out of steps: one more call without tools forces the answer.
            let response = self.step_request(ToolChoice::None).await?;
            let response = self.until_answered(response, ToolChoice::None).await?;
            turn.answer = response.content.trim().to_owned();
            turn.answer_reasoning = response.reasoning;
        }
        if turn.answer.is_empty() {
            return Err(AttemptError::Rejected(format!(
                "the model gave an empty answer in turn {}",
                self.transcript.turns.len() + 1
            )));
        }
        self.history.push(Message::assistant(turn.answer.clone()));
        self.transcript.turns.push(turn);
        Ok(())
    }

    /// An empty reply (no text, no calls) is a failed model call, not an
    /// answer: it is asked again, up to [`EMPTY_REPLY_RETRIES`] times. What
    /// comes back is the first reply with text or calls, or the last empty one.
    async fn until_answered(
        &mut self,
        mut response: ChatResponse,
        tool_choice: ToolChoice,
    ) -> Result<ChatResponse, LlmError> {
        for _ in 0..EMPTY_REPLY_RETRIES {
            if !response.content.trim().is_empty() || !response.tool_calls.is_empty() {
                break;
            }
            tracing::debug!(sample = self.sample, "the model replied with nothing; asking again");
            response = self.step_request(tool_choice).await?;
        }
        Ok(response)
    }

    async fn step_request(&mut self, tool_choice: ToolChoice) -> Result<ChatResponse, LlmError> {
        // The history is lent to the request for the call, not copied.
        let request = ChatRequest {
            messages: std::mem::take(&mut self.history),
            tools: self.settings.tools.clone(),
            tool_choice: if self.settings.tools.is_empty() { ToolChoice::Auto } else { tool_choice },
            purpose: Purpose::AgentStep,
            ..ChatRequest::default()
        };
        self.transcript.model_calls += 1;
        let result = self.chat(&request).await;
        self.history = request.messages;
        result
    }

    /// Executes the calls of one reply, in order, and records them.
    async fn act(&mut self, response: ChatResponse) -> Result<AgentStep, AttemptError> {
        let limit = self.settings.max_per_query as usize;
        let mut calls = response.tool_calls;
        if calls.len() > limit {
            if self.settings.strict {
                return Err(AttemptError::Rejected(format!(
                    "a step made {} tool calls, over max_per_query {limit}",
                    calls.len()
                )));
            }
            // The extra calls are dropped before anything runs, so the
            // history, the sandbox state and the sample all agree.
            self.transcript.truncated_calls += (calls.len() - limit) as u32;
            calls.truncate(limit);
        }
        let calls: Vec<ModelToolCall> =
            calls.into_iter().map(|call| ModelToolCall { id: self.rng.call_id(), ..call }).collect();
        let thought = response.content.trim().to_owned();
        self.history.push(Message { tool_calls: calls.clone(), ..Message::assistant(thought.clone()) });
        let mut executed = Vec::with_capacity(calls.len());
        for call in calls {
            // A call that got no tool's answer ends the attempt: nothing
            // the model could be shown would be an observation.
            let (outcome, latency, preview) = self.execute(&call).await?;
            (self.progress)(Event::ToolExecuted {
                sample: self.sample,
                tool: call.name.clone(),
                argument: preview,
                outcome: outcome.label().to_owned(),
                success: outcome.success,
            });
            self.history.push(Message::tool(call.id.clone(), call.name.clone(), outcome.result.clone()));
            executed.push(ExecutedCall {
                id: call.id,
                name: call.name,
                arguments: call.arguments,
                outcome,
                latency,
            });
        }
        Ok(AgentStep { thought, calls: executed })
    }

    async fn execute(
        &self,
        call: &ModelToolCall,
    ) -> Result<(ToolOutcome, Duration, String), weft_protocol::BackendError> {
        execute_call(
            &self.settings.tools,
            &self.settings.validators,
            self.backend,
            self.session,
            &call.name,
            &call.arguments,
        )
        .await
    }
}

/// Executes one call as the model wrote it, the one way generation and
/// replay (`weft verify`) both do: a tool not offered is `UnknownTool`,
/// argument text that is not a JSON object or breaks the tool's schema is
/// `InvalidArguments` without running anything, and anything else runs on
/// `backend` in `session`. Returns the outcome, how long the backend took,
/// and a short preview of the arguments for progress lines.
pub async fn execute_call(
    tools: &[ToolDefinition],
    validators: &Validators,
    backend: &dyn ToolBackend,
    session: &SessionId,
    name: &str,
    arguments: &str,
) -> Result<(ToolOutcome, Duration, String), weft_protocol::BackendError> {
    let Some(definition) = tools.iter().find(|tool| tool.name == name) else {
        let outcome = ToolOutcome::error(ErrorType::UnknownTool, format!("Unknown tool: {name}"));
        return Ok((outcome, Duration::ZERO, String::new()));
    };
    let text = arguments.trim();
    let arguments = if text.is_empty() {
        Ok(serde_json::Value::Object(Default::default()))
    } else {
        serde_json::from_str::<serde_json::Value>(text)
    };
    let arguments = match arguments {
        Ok(value @ serde_json::Value::Object(_)) => value,
        Ok(_) => {
            let outcome =
                ToolOutcome::error(ErrorType::InvalidArguments, "Invalid arguments: expected a JSON object");
            return Ok((outcome, Duration::ZERO, String::new()));
        }
        Err(err) => {
            let outcome =
                ToolOutcome::error(ErrorType::InvalidArguments, format!("Invalid JSON arguments: {err}"));
            return Ok((outcome, Duration::ZERO, String::new()));
        }
    };
    let preview = argument_preview(&arguments);
    match validators.validate(definition, &arguments) {
        Ok(()) => {}
        Err(err @ ArgumentError::Invalid(_)) => {
            // The same error the tool would give, without running it:
            // a real error path, recorded like any other outcome.
            return Ok((
                ToolOutcome::error(ErrorType::InvalidArguments, err.to_string()),
                Duration::ZERO,
                preview,
            ));
        }
        // A schema the validator cannot compile is the tool's problem,
        // not the call's: the backend judges the arguments.
        Err(err) => tracing::debug!("arguments of {name} not checked: {err}"),
    }
    let started = Instant::now();
    let outcome = backend.execute(session, &ToolCall::new(name.to_owned(), arguments)).await?;
    Ok((outcome, started.elapsed(), preview))
}
