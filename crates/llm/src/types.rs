use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use weft_protocol::ToolDefinition;

/// Who speaks a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions.
    System,
    /// The user.
    User,
    /// The model.
    Assistant,
    /// A tool result answering an assistant's call.
    Tool,
}

/// One tool call as a model made it. `arguments` is the raw JSON text the
/// model produced — it may be malformed, and that is for the caller to judge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelToolCall {
    /// The provider's call id (or one we assign when the provider has none).
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// Arguments as JSON text.
    pub arguments: String,
}

/// One message of a conversation, in the provider-neutral form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Who speaks.
    pub role: Role,
    /// Text content (may be empty for an assistant turn that only calls tools).
    pub content: String,
    /// Calls made by an assistant turn.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ModelToolCall>,
    /// For a tool message: the id of the call it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    /// For a tool message: the tool's name (Gemini needs it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Message {
    /// A system message.
    pub fn system(content: impl Into<String>) -> Self {
        Self::plain(Role::System, content)
    }
    /// A user message.
    pub fn user(content: impl Into<String>) -> Self {
        Self::plain(Role::User, content)
    }
    /// An assistant message without calls.
    pub fn assistant(content: impl Into<String>) -> Self {
        Self::plain(Role::Assistant, content)
    }
    /// A tool result answering call `id` of tool `name`.
    pub fn tool(id: impl Into<String>, name: impl Into<String>, content: impl Into<String>) -> Self {
        Self {
            role: Role::Tool,
            content: content.into(),
            tool_calls: Vec::new(),
            tool_call_id: Some(id.into()),
            name: Some(name.into()),
        }
    }
    fn plain(role: Role, content: impl Into<String>) -> Self {
        Self { role, content: content.into(), tool_calls: Vec::new(), tool_call_id: None, name: None }
    }
}

/// What a request is for. Real providers ignore it; the offline `scripted`
/// provider uses it to decide what kind of text to produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Expanding a topic into subtopics (structured output: a list of strings).
    Subtopics,
    /// Writing the user's request for a sample.
    UserRequest,
    /// One step of the agent loop (tools offered).
    #[default]
    AgentStep,
    /// The simulated user's next turn in a multi-turn conversation.
    UserFollowUp,
    /// Writing a user request the offered tools cannot serve (an
    /// irrelevance sample: the right answer calls no tool).
    IrrelevantRequest,
    /// A record that follows the request's schema (`output.format: custom`).
    Record,
    /// Anything else.
    Other,
}

/// A JSON schema the reply must follow (structured output).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseSchema {
    /// A short identifier for the schema.
    pub name: String,
    /// The JSON schema.
    pub schema: serde_json::Value,
}

/// Whether the model may, must or must not call tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolChoice {
    /// The model decides.
    #[default]
    Auto,
    /// No tool calls: answer in text.
    None,
    /// At least one tool call.
    Required,
}

/// One chat completion request.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatRequest {
    /// The conversation so far.
    pub messages: Vec<Message>,
    /// Tools the model may call (MCP form; providers convert). Shared: a
    /// run offers the same tools at every step.
    pub tools: std::sync::Arc<[ToolDefinition]>,
    /// Tool choice.
    pub tool_choice: ToolChoice,
    /// Structured output schema, if any.
    pub response_schema: Option<ResponseSchema>,
    /// Sampling temperature.
    pub temperature: Option<f32>,
    /// Completion token cap.
    pub max_tokens: Option<u32>,
    /// What the request is for.
    pub purpose: Purpose,
}

/// Token usage of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Usage {
    /// Prompt (input) tokens.
    pub prompt_tokens: u64,
    /// Completion (output) tokens.
    pub completion_tokens: u64,
}

/// Why the model stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// A natural end of the answer.
    Stop,
    /// The model called tools.
    ToolCalls,
    /// The token cap was reached.
    Length,
    /// A content filter stopped it.
    ContentFilter,
    /// Something else the provider said.
    Other(String),
}

/// One chat completion reply.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatResponse {
    /// Text content.
    pub content: String,
    /// Tool calls, in the order the model made them.
    pub tool_calls: Vec<ModelToolCall>,
    /// Reasoning text, if the model exposes it.
    pub reasoning: Option<String>,
    /// Token usage.
    pub usage: Usage,
    /// Why it stopped.
    pub finish_reason: FinishReason,
}

/// Why a chat call failed after retries.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LlmError {
    /// Configuration is missing or wrong (e.g. no API key).
    #[error("{0}")]
    Config(String),
    /// The provider answered with an error status.
    #[error("{provider} answered HTTP {status}: {message}")]
    Status {
        /// Provider name.
        provider: String,
        /// HTTP status.
        status: u16,
        /// Provider's message.
        message: String,
    },
    /// The reply could not be understood.
    #[error("{provider} sent a malformed reply: {message}")]
    Malformed {
        /// Provider name.
        provider: String,
        /// What was wrong.
        message: String,
    },
    /// Network failure or timeout.
    #[error("{provider} request failed: {message}")]
    Transport {
        /// Provider name.
        provider: String,
        /// What went wrong.
        message: String,
    },
}

/// A chat model: one provider and one model name.
#[async_trait]
pub trait ChatModel: Send + Sync {
    /// Provider name as in the config (`openai`, `anthropic`, `scripted`, ...).
    fn provider(&self) -> &str;
    /// Model name.
    fn model(&self) -> &str;
    /// One chat completion.
    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError>;
    /// The counter this model adds its calls, tokens and retries to, when it
    /// keeps one (every model the factory builds does).
    fn usage(&self) -> Option<crate::UsageCounter> {
        None
    }
}
