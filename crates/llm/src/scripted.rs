//! `scripted`: an offline, deterministic model. It writes subtopics and user
//! requests from the prompt, and as an agent it works the real sandbox
//! through the tools it is offered — listing, meeting real errors,
//! recovering, writing and verifying — so the quickstart and the tests run
//! with no key and no network. Output depends only on the seed and the
//! request, never on time.

mod agent;
mod prompt;
mod shape;
mod subtopics;
mod user;

use async_trait::async_trait;
use serde_json::Value;

use crate::ids::{call_id, stable_hash};
use crate::{
    ChatModel, ChatRequest, ChatResponse, FinishReason, LlmError, ModelToolCall, Purpose, Usage, UsageCounter,
};

/// The scripted model. See the module docs.
#[derive(Debug, Clone)]
pub(crate) struct ScriptedModel {
    model: String,
    seed: u64,
    usage: UsageCounter,
}

impl ScriptedModel {
    /// A scripted model named `model`, seeded by `seed`.
    pub(crate) fn new(model: &str, seed: u64, usage: UsageCounter) -> Self {
        Self { model: model.to_owned(), seed, usage }
    }

    /// A seed for this request: the spec's seed mixed with everything the
    /// request says.
    fn request_seed(&self, request: &ChatRequest) -> u64 {
        let seed = self.seed.to_le_bytes();
        let purpose = format!("{:?}", request.purpose);
        let mut parts: Vec<&[u8]> = vec![&seed, purpose.as_bytes()];
        for message in &request.messages {
            parts.push(message.content.as_bytes());
        }
        stable_hash(parts)
    }
}

#[async_trait]
impl ChatModel for ScriptedModel {
    fn provider(&self) -> &str {
        "scripted"
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn usage(&self) -> Option<UsageCounter> {
        Some(self.usage.clone())
    }

    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        let seed = self.request_seed(request);
        let schema = request.response_schema.as_ref();
        let (content, calls) = match request.purpose {
            Purpose::Subtopics => (subtopics::reply(request, seed), Vec::new()),
            Purpose::UserRequest => (shape::fit_text(&user::request(request, seed), schema), Vec::new()),
            Purpose::IrrelevantRequest => {
                (shape::fit_text(&user::out_of_scope(request, seed), schema), Vec::new())
            }
            Purpose::UserFollowUp => (shape::fit_text(&user::follow_up(request, seed), schema), Vec::new()),
            Purpose::AgentStep => {
                let step = agent::step(request, self.seed);
                let content =
                    if step.calls.is_empty() { shape::fit_text(&step.content, schema) } else { step.content };
                (content, step.calls)
            }
            Purpose::Record => (shape::fit_text(&prompt::record_text(request), schema), Vec::new()),
            Purpose::Other => (shape::fit_text(&prompt::acknowledge(request), schema), Vec::new()),
        };
        let tool_calls: Vec<ModelToolCall> = calls
            .into_iter()
            .enumerate()
            .map(|(index, (name, arguments)): (usize, (String, Value))| {
                let arguments = arguments.to_string();
                let id_seed = stable_hash([
                    &seed.to_le_bytes()[..],
                    &request.messages.len().to_le_bytes(),
                    &index.to_le_bytes(),
                    name.as_bytes(),
                ]);
                ModelToolCall { id: call_id(id_seed), name, arguments }
            })
            .collect();
        let usage = Usage {
            prompt_tokens: prompt_tokens(request),
            completion_tokens: completion_tokens(&content, &tool_calls),
        };
        self.usage.record_call(usage);
        let finish_reason = if tool_calls.is_empty() { FinishReason::Stop } else { FinishReason::ToolCalls };
        Ok(ChatResponse { content, tool_calls, reasoning: None, usage, finish_reason })
    }
}

/// About four characters per token over messages and tool schemas.
fn prompt_tokens(request: &ChatRequest) -> u64 {
    let messages: usize = request
        .messages
        .iter()
        .map(|m| {
            m.content.len() + m.tool_calls.iter().map(|c| c.name.len() + c.arguments.len()).sum::<usize>() + 4
        })
        .sum();
    let tools: usize = request
        .tools
        .iter()
        .map(|t| t.name.len() + t.description.len() + t.input_schema.to_string().len())
        .sum();
    ((messages + tools) as u64).div_ceil(4)
}

fn completion_tokens(content: &str, calls: &[ModelToolCall]) -> u64 {
    let chars = content.len() + calls.iter().map(|c| c.name.len() + c.arguments.len()).sum::<usize>();
    (chars as u64).div_ceil(4).max(1)
}
