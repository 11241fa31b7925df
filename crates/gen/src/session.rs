//! One attempt at one sample: open a session (seeded with the scenario's
//! files), have the model write the user's request, run the agent over one or
//! more turns, and close the session whatever happened.

use std::sync::Arc;

use weft_llm::{ChatModel, ChatRequest, Message, Purpose};
use weft_protocol::{ScenarioSeed, ToolBackend};

use crate::agent::{AgentRun, AgentSettings, AttemptError, Transcript};
use crate::config::{AgentMode, Config};
use crate::ids::SeededRng;
use crate::progress::ProgressSink;
use crate::topics::TopicPath;

/// Added to the agent's system prompt when it has tools.
const RATIONALE: &str =
    "\n\nWhen you call tools, first write one short sentence saying why you are calling them.";

/// What every sample of a run shares.
#[derive(Clone)]
pub struct SampleContext {
    /// The model that writes requests and acts.
    pub model: Arc<dyn ChatModel>,
    /// Where tools run.
    pub backend: Arc<dyn ToolBackend>,
    /// The agent's settings.
    pub agent: AgentSettings,
    /// Files each session starts with.
    pub seed_files: ScenarioSeed,
    /// Extra instructions for the request writer and the agent.
    pub instructions: String,
    /// Fewest and most user turns (1 and 1 in single-turn mode).
    pub turns: (u32, u32),
    /// The run's seed.
    pub seed: u64,
    /// Where events go.
    pub progress: ProgressSink,
    /// What samples record for replay (`metadata.replay`).
    pub replay: Option<weft_dataset::sample::ReplayInfo>,
}

impl SampleContext {
    /// The context a config describes, given its model, backend and the
    /// tool definitions offered.
    pub fn from_config(
        config: &Config,
        model: Arc<dyn ChatModel>,
        backend: Arc<dyn ToolBackend>,
        tools: Vec<weft_protocol::ToolDefinition>,
        progress: ProgressSink,
    ) -> Self {
        let generation = &config.generation;
        let tools_config = generation.tools.as_ref();
        let mut system_prompt = generation.system_prompt.trim().to_owned();
        if !generation.instructions.trim().is_empty() {
            system_prompt.push_str("\n\n");
            system_prompt.push_str(generation.instructions.trim());
        }
        if !tools.is_empty() {
            // As DeepFabric's agent prompts do: a reason with every step,
            // which is what a training trace of tool use needs. (The model
            // may still write none; assembly then says so in metadata.)
            system_prompt.push_str(RATIONALE);
        }
        let conversation = &generation.conversation;
        let turns = match conversation.agent_mode {
            AgentMode::SingleTurn => (1, 1),
            AgentMode::MultiTurn => {
                (conversation.min_turns.max(1), conversation.max_turns.max(conversation.min_turns).max(1))
            }
        };
        let seed_files = tools_config.map(|t| t.scenario_seed.clone()).unwrap_or_default();
        let replay = Some(crate::verify::replay_info(backend.as_ref(), &tools, "default", &seed_files));
        Self {
            model,
            backend,
            agent: AgentSettings {
                system_prompt,
                max_agent_steps: tools_config.map_or(5, |t| t.max_agent_steps),
                max_per_query: tools_config.map_or(3, |t| t.max_per_query),
                strict: tools_config.is_none_or(|t| t.strict),
                tools: tools.into(),
                validators: Default::default(),
            },
            seed_files,
            instructions: generation.instructions.trim().to_owned(),
            turns,
            seed: config.seed,
            progress,
            replay,
        }
    }
}

/// Which sample to make: its index in the run and its topic path.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleJob {
    /// Position in the run (0-based); ids and retries are seeded from it.
    pub index: u64,
    /// The topic path.
    pub path: TopicPath,
    /// How many earlier samples used this path (0 for the first).
    pub reuse: u64,
}

/// Runs one attempt. The session is closed on every path out.
pub async fn attempt(
    ctx: &SampleContext,
    job: &SampleJob,
    attempt: u32,
    feedback: Option<&str>,
) -> Result<Transcript, AttemptError> {
    let session = ctx.backend.open_session(&ctx.seed_files).await?;
    let result = converse(ctx, job, attempt, feedback, &session).await;
    ctx.backend.close_session(&session).await;
    result
}

async fn converse(
    ctx: &SampleContext,
    job: &SampleJob,
    attempt: u32,
    feedback: Option<&str>,
    session: &weft_protocol::SessionId,
) -> Result<Transcript, AttemptError> {
    let mut rng = SeededRng::from_parts(&[ctx.seed, job.index, u64::from(attempt)]);
    let (low, high) = ctx.turns;
    let turns = low + rng.below(u64::from(high - low) + 1) as u32;
    let mut system = ctx.agent.system_prompt.clone();
    if let Some(feedback) = feedback {
        system
            .push_str(&format!("\n\nAn earlier attempt at this task was rejected: {feedback}. Avoid that."));
    }
    let mut run = AgentRun {
        model: ctx.model.as_ref(),
        backend: ctx.backend.as_ref(),
        session,
        settings: &ctx.agent,
        rng,
        sample: job.index,
        progress: &ctx.progress,
        history: vec![Message::system(system)],
        transcript: Transcript::default(),
    };
    let request = user_request(ctx, job, attempt);
    let first = run.chat(&request).await?.content.trim().to_owned();
    if first.is_empty() {
        return Err(AttemptError::Rejected("the model wrote an empty user request".into()));
    }
    run.turn(first).await?;
    for _ in 1..turns {
        let follow_up = follow_up_request(&run.history);
        let next = run.chat(&follow_up).await?.content.trim().to_owned();
        if next.is_empty() {
            break;
        }
        run.turn(next).await?;
    }
    Ok(run.transcript)
}

/// The request for the user's first message: the topic path, the
/// instructions and the files that exist, so requests fit the scenario.
fn user_request(ctx: &SampleContext, job: &SampleJob, attempt: u32) -> ChatRequest {
    let mut prompt = format!("Topic path: {}\n", job.path.topics.join(" -> "));
    if !ctx.instructions.is_empty() {
        prompt.push_str(&format!("Instructions for the conversation: {}\n", ctx.instructions));
    }
    if !ctx.seed_files.files.is_empty() {
        let names: Vec<&str> = ctx.seed_files.files.keys().map(String::as_str).collect();
        prompt.push_str(&format!("Files in the user's workspace: {}\n", names.join(", ")));
    }
    if !ctx.agent.tools.is_empty() {
        let names: Vec<&str> = ctx.agent.tools.iter().map(|t| t.name.as_str()).collect();
        prompt.push_str(&format!("The assistant can use these tools: {}\n", names.join(", ")));
    }
    if job.reuse > 0 || attempt > 0 {
        prompt.push_str(&format!(
            "Variation {}-{attempt}: write a request that differs from other requests on this topic.\n",
            job.reuse
        ));
    }
    prompt.push_str("Write only the user's message.");
    ChatRequest {
        messages: vec![
            Message::system(
                "You write the first message a user sends to an AI assistant. Write it in the user's voice: \
                 one to three sentences asking for something concrete that the assistant can do with its tools \
                 on the files that exist.",
            ),
            Message::user(prompt),
        ],
        purpose: Purpose::UserRequest,
        ..ChatRequest::default()
    }
}

/// The request for the simulated user's next turn: the conversation so far
/// and an instruction to continue it as the user.
fn follow_up_request(history: &[Message]) -> ChatRequest {
    let mut messages = vec![Message::system(
        "You play the user in this conversation with an AI assistant that has tools. Write the user's next \
         message: a short, natural follow-up to what the assistant just did.",
    )];
    messages.extend(history.iter().skip(1).cloned());
    messages.push(Message::user("Write the user's next message only."));
    ChatRequest { messages, purpose: Purpose::UserFollowUp, ..ChatRequest::default() }
}
