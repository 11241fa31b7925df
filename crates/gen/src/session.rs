//! One attempt at one sample: open a session (seeded with the scenario's
//! files), have the model write the user's request, run the agent over one or
//! more turns, and close the session whatever happened.

use std::sync::Arc;

use weft_llm::{ChatModel, ChatRequest, Message, Purpose};
use weft_protocol::{ScenarioSeed, ToolBackend};

use crate::agent::{AgentRun, AgentSettings, AttemptError, Transcript};
use crate::config::{AgentMode, Config, Scenario};
use crate::ids::SeededRng;
use crate::progress::ProgressSink;
use crate::sample::ReplayInfo;
use crate::topics::TopicPath;

/// Most file names a user-request prompt lists (a real project has more).
const MAX_NAMED_FILES: usize = 60;

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
    /// The scenarios sessions start from, each with the SHA-256 of its
    /// files: `default` alone for a config's `scenario_seed`.
    pub scenarios: Arc<[(Scenario, String)]>,
    /// Extra instructions for the request writer and the agent.
    pub instructions: String,
    /// Fewest and most user turns (1 and 1 in single-turn mode).
    pub turns: (u32, u32),
    /// The run's seed.
    pub seed: u64,
    /// Where events go.
    pub progress: ProgressSink,
    /// What samples record for replay (`metadata.replay`), but for the
    /// scenario, which is each sample's own.
    pub replay: Option<ReplayInfo>,
    /// Share of samples (0 to 1) whose request the offered tools cannot serve.
    pub irrelevant_share: f64,
}

/// The stream of a sample's seed its scenario is drawn from (apart from
/// the attempts', so a retry starts from the same scenario).
const SCENARIO_STREAM: u64 = 0x5ce7_a210;
/// The stream that decides whether a sample is an irrelevance sample.
const IRRELEVANT_STREAM: u64 = 0x1e1e_7a17;

impl SampleContext {
    /// The scenario `job` starts from: drawn from the run's seed and the
    /// sample's index alone, so a retry, a resumed run and a shard agree.
    pub fn scenario_for(&self, job: &SampleJob) -> &(Scenario, String) {
        let count = self.scenarios.len() as u64;
        let at = if count <= 1 {
            0
        } else {
            SeededRng::from_parts(&[self.seed, job.index, SCENARIO_STREAM]).below(count)
        };
        &self.scenarios[at as usize]
    }

    /// Whether `job` is an irrelevance sample: its user asks for something
    /// the offered tools cannot serve. Drawn from the run's seed and the
    /// sample's index alone, like the scenario.
    pub fn is_irrelevant(&self, job: &SampleJob) -> bool {
        if self.irrelevant_share <= 0.0 || self.agent.tools.is_empty() {
            return false;
        }
        const SCALE: u64 = 1 << 32;
        let draw = SeededRng::from_parts(&[self.seed, job.index, IRRELEVANT_STREAM]).below(SCALE);
        (draw as f64) < self.irrelevant_share * SCALE as f64
    }

    /// `metadata.replay` of `job`'s sample.
    pub fn replay_for(&self, job: &SampleJob) -> Option<ReplayInfo> {
        let (scenario, digest) = self.scenario_for(job);
        self.replay.clone().map(|replay| ReplayInfo {
            scenario: scenario.name.clone(),
            scenario_sha256: digest.clone(),
            ..replay
        })
    }

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
        let scenarios: Vec<(Scenario, String)> = crate::verify::scenarios_of(config)
            .into_iter()
            .map(|scenario| {
                let digest = crate::verify::scenario_sha256(&scenario.seed);
                (scenario, digest)
            })
            .collect();
        let replay = Some(crate::verify::replay_info(backend.as_ref(), &tools, "", &ScenarioSeed::default()));
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
            scenarios: scenarios.into(),
            instructions: generation.instructions.trim().to_owned(),
            turns,
            seed: config.seed,
            progress,
            replay,
            irrelevant_share: conversation.irrelevant_share,
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
    let scenario = &ctx.scenario_for(job).0;
    let session = ctx.backend.open_session(&scenario.seed).await?;
    let irrelevant = ctx.is_irrelevant(job);
    let mut result = converse(ctx, job, attempt, feedback, &session).await;
    // What a scenario expects is the outcome of its task; an irrelevance
    // sample's request is not that task.
    let expect = scenario.expect.as_ref().filter(|_| !irrelevant);
    if let (Ok(transcript), Some(expect)) = (&mut result, expect) {
        match check_state(ctx.backend.as_ref(), &session, expect).await {
            Ok(check) => transcript.state_check = Some(check),
            Err(err) => result = Err(err.into()),
        }
    }
    ctx.backend.close_session(&session).await;
    let transcript = result?;
    match &transcript.state_check {
        Some(check) if !check.passed && expect.is_some_and(|e| e.strict) => {
            let failed: Vec<String> = check
                .checks
                .iter()
                .filter(|c| !c.passed)
                .map(|c| format!("{} {}", c.path, c.expect))
                .collect();
            Err(AttemptError::Rejected(format!(
                "the end state is not the expected one: {}",
                failed.join("; ")
            )))
        }
        _ => Ok(transcript),
    }
}

/// Characters of a file shown in a failed check's `found`.
const FOUND_EXCERPT: usize = 120;

/// Reads each expected file through the session's own `read_file` (the
/// real final state, not the transcript) and checks its conditions. The
/// reads are not part of the sample. A tool service that fails is the
/// attempt's failure, never a failed check.
pub(crate) async fn check_state(
    backend: &dyn weft_protocol::ToolBackend,
    session: &weft_protocol::SessionId,
    expect: &crate::config::Expect,
) -> Result<crate::sample::StateCheck, weft_protocol::BackendError> {
    use crate::sample::{FileCheck, StateCheck};
    let mut checks = Vec::new();
    for file in &expect.files {
        let call = weft_protocol::ToolCall::new("read_file", serde_json::json!({"file_path": file.path}));
        let outcome = backend.execute(session, &call).await?;
        // Some(text) when the file is there, None when it is not, Err(why) when it cannot be read.
        let state: Result<Option<String>, String> = if outcome.success {
            Ok(Some(outcome.result))
        } else if outcome.error_type == Some(weft_protocol::ErrorType::FileNotFound) {
            Ok(None)
        } else {
            Err(format!("cannot be read: {}", outcome.result))
        };
        let mut push = |expect: String, passed: bool, found: Option<String>| {
            checks.push(FileCheck {
                path: file.path.clone(),
                expect,
                passed,
                found: (!passed).then_some(found).flatten(),
            });
        };
        let excerpt = |text: &str| match text.char_indices().nth(FOUND_EXCERPT) {
            Some((cut, _)) => format!("{}…", &text[..cut]),
            None => text.to_owned(),
        };
        let found = |state: &Result<Option<String>, String>| match state {
            Ok(Some(text)) => Some(excerpt(text)),
            Ok(None) => Some("absent".to_owned()),
            Err(why) => Some(why.clone()),
        };
        let text = match &state {
            Ok(Some(text)) => Some(text.as_str()),
            _ => None,
        };
        if let Some(exists) = file.exists {
            let present = matches!(state, Ok(Some(_)));
            let label = if exists { "exists" } else { "absent" };
            let found = if present { Some("present".to_owned()) } else { found(&state) };
            push(label.to_owned(), present == exists && state.is_ok(), found);
        }
        if let Some(needle) = &file.contains {
            push(
                format!("contains {needle:?}"),
                text.is_some_and(|t| t.contains(needle.as_str())),
                found(&state),
            );
        }
        if let Some(expected) = &file.equals {
            push(
                format!("equals ({} bytes)", expected.len()),
                text == Some(expected.as_str()),
                found(&state),
            );
        }
        if let Some(pattern) = &file.matches {
            let held = match (regex::Regex::new(pattern), text) {
                (Ok(re), Some(text)) => re.is_match(text),
                _ => false,
            };
            push(format!("matches /{pattern}/"), held, found(&state));
        }
    }
    Ok(StateCheck { passed: checks.iter().all(|c| c.passed), checks })
}

async fn converse(
    ctx: &SampleContext,
    job: &SampleJob,
    attempt: u32,
    feedback: Option<&str>,
    session: &weft_protocol::SessionId,
) -> Result<Transcript, AttemptError> {
    let mut rng = SeededRng::from_parts(&[ctx.seed, job.index, u64::from(attempt)]);
    let irrelevant = ctx.is_irrelevant(job);
    // An irrelevance sample is one request and its answer.
    let (low, high) = if irrelevant { (1, 1) } else { ctx.turns };
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
        transcript: Transcript { irrelevant, ..Transcript::default() },
    };
    let request = first_request(ctx, job, attempt, irrelevant);
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

/// Tells the request writer what to write.
const REQUEST_WRITER: &str = "You write the first message a user sends to an AI assistant. Write it in the user's \
     voice: one to three sentences asking for something concrete that the assistant can do with its tools on the \
     files that exist.";
/// Tells the request writer to write what no tool serves (irrelevance samples).
const IRRELEVANT_WRITER: &str = "You write the first message a user sends to an AI assistant. Write it in the user's \
     voice: one or two sentences asking for something concrete that none of the assistant's tools can do (an \
     action in the outside world, live information, a service it has no tool for), so that the right reply calls \
     no tool. Do not mention the tools.";

/// The request for the user's first message: the topic path, the
/// instructions and the files that exist, so requests fit the scenario —
/// or, for an irrelevance sample, the tools and what they do, so the
/// request asks for something none of them can.
fn first_request(ctx: &SampleContext, job: &SampleJob, attempt: u32, irrelevant: bool) -> ChatRequest {
    let mut prompt = format!("Topic path: {}\n", job.path.topics.join(" -> "));
    let (writer, purpose) = if irrelevant {
        let tools: Vec<String> = ctx
            .agent
            .tools
            .iter()
            .map(|t| match t.description.lines().next().filter(|d| !d.trim().is_empty()) {
                Some(description) => format!("{} ({})", t.name, description.trim()),
                None => t.name.clone(),
            })
            .collect();
        prompt.push_str(&format!("The assistant's only tools: {}\n", tools.join("; ")));
        (IRRELEVANT_WRITER, Purpose::IrrelevantRequest)
    } else {
        if !ctx.instructions.is_empty() {
            prompt.push_str(&format!("Instructions for the conversation: {}\n", ctx.instructions));
        }
        let files = &ctx.scenario_for(job).0.seed.files;
        if !files.is_empty() {
            let names: Vec<&str> = files.keys().take(MAX_NAMED_FILES).map(String::as_str).collect();
            let more = match files.len().saturating_sub(MAX_NAMED_FILES) {
                0 => String::new(),
                more => format!(" and {more} more"),
            };
            prompt.push_str(&format!("Files in the user's workspace: {}{more}\n", names.join(", ")));
        }
        if !ctx.agent.tools.is_empty() {
            let names: Vec<&str> = ctx.agent.tools.iter().map(|t| t.name.as_str()).collect();
            prompt.push_str(&format!("The assistant can use these tools: {}\n", names.join(", ")));
        }
        (REQUEST_WRITER, Purpose::UserRequest)
    };
    if job.reuse > 0 || attempt > 0 {
        prompt.push_str(&format!(
            "Variation {}-{attempt}: write a request that differs from other requests on this topic.\n",
            job.reuse
        ));
    }
    prompt.push_str("Write only the user's message.");
    ChatRequest {
        messages: vec![Message::system(writer), Message::user(prompt)],
        purpose,
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
