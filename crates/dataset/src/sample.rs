//! One dataset line, in DeepFabric's `Conversation` shape (field order and
//! names as DeepFabric writes them), plus weft's metadata.
//!
//! `tool_context.executions` holds exactly what `messages` holds: for every
//! executed call, the same name, the same argument text and the same result
//! text as the assistant's `tool_calls` entry and the `tool` message that
//! answers it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A generated sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// The conversation, OpenAI chat form.
    pub messages: Vec<ChatMessage>,
    /// Provenance and statistics.
    pub metadata: SampleMetadata,
    /// The reasoning trace (for `cot` conversations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<Reasoning>,
    /// Every executed call (agent samples).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_context: Option<ToolContext>,
    /// The tools the model was offered, OpenAI function format.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Value>,
    /// Agent mode (agent samples).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_context: Option<AgentContext>,
    /// The user's first request.
    pub question: String,
    /// The assistant's last answer.
    pub final_answer: String,
}

/// One message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// `system`, `user`, `assistant` or `tool`.
    pub role: String,
    /// Text; for a tool message, the result exactly as the tool returned it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Calls an assistant message makes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCallEntry>>,
    /// The call a tool message answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

impl ChatMessage {
    /// A message with text only.
    pub fn text(role: &str, content: impl Into<String>) -> Self {
        Self { role: role.to_owned(), content: Some(content.into()), tool_calls: None, tool_call_id: None }
    }
}

/// One call in an assistant message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCallEntry {
    /// 9 alphanumerics.
    pub id: String,
    /// Always `function`.
    #[serde(rename = "type")]
    pub kind: String,
    /// What is called.
    pub function: FunctionCall,
}

/// Name and arguments of a call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionCall {
    /// The tool.
    pub name: String,
    /// The arguments as the model wrote them (JSON text).
    pub arguments: String,
}

/// `reasoning`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reasoning {
    /// `agent` (steps) or `freetext` (prose).
    pub style: String,
    /// The trace.
    pub content: ReasoningContent,
}

/// Steps for `agent`, prose for `freetext`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ReasoningContent {
    /// One entry per ReAct step.
    Steps(Vec<ReasoningStep>),
    /// Free text.
    Text(String),
}

/// One ReAct step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReasoningStep {
    /// 1-based.
    pub step_number: u32,
    /// What the model said before acting.
    pub thought: String,
    /// `name(arguments); ...`, or `Ready to respond to user` for the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
}

/// `tool_context`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolContext {
    /// One per executed call, in execution order.
    pub executions: Vec<ToolExecution>,
}

/// One executed call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolExecution {
    /// The tool.
    pub function_name: String,
    /// The arguments, the same text as in the message's `tool_calls`.
    pub arguments: String,
    /// The thought of the step that made the call.
    pub reasoning: String,
    /// The result, the same text as the tool message.
    pub result: String,
}

/// `agent_context`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentContext {
    /// `single_turn` or `multi_turn`.
    pub mode: String,
}

/// `metadata`: DeepFabric's keys (`conversation_type`, `react_steps`,
/// `topic_id`) and weft's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleMetadata {
    /// `cot` or `basic`.
    pub conversation_type: String,
    /// Agent steps that called tools, over all turns.
    pub react_steps: u32,
    /// The topic path's id (DeepFabric's).
    pub topic_id: String,
    /// The topic path, root first.
    pub topic_path: Vec<String>,
    /// Position of the sample in the run (what resume keys on).
    pub sample_index: u64,
    /// LLM provider.
    pub provider: String,
    /// LLM model.
    pub model: String,
    /// Model calls of the agent loop (steps, forced answers).
    pub steps: u32,
    /// User turns.
    pub turns: u32,
    /// Executed tool calls.
    pub tool_calls: u32,
    /// Distinct error types the tools returned, sorted.
    pub error_types: Vec<String>,
    /// Whether a failed call was later followed by a successful one.
    pub recovered: bool,
    /// Per call, in execution order.
    pub calls: Vec<CallMetadata>,
    /// Tokens the sample cost (all attempts' final one).
    pub tokens: TokenCount,
    /// Attempts it took (1 = first try).
    pub attempts: u32,
    /// Calls dropped because a step asked for more than `max_per_query`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub truncated_calls: u32,
    /// Ids of the calls made in a step where the model wrote no text: their
    /// `tool_context.executions[].reasoning` (and the step's `thought` in
    /// `reasoning`) is weft's description of the call, not the model's
    /// words. The assistant message itself keeps the model's empty text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub derived_reasoning: Vec<String>,
    /// `multi_turn` for samples with a simulated user continuing the
    /// conversation. (DeepFabric's `agent_context.mode` knows only
    /// `single_turn`, so such samples carry no `agent_context`.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_mode: Option<String>,
    /// What replaying the sample's calls needs (`weft verify`): absent on
    /// samples without tools and on samples made before weft recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay: Option<ReplayInfo>,
    /// The scenario's expected end state, checked on the session's real
    /// files when the conversation ended (scenarios with `expect`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_check: Option<StateCheck>,
    /// An irrelevance sample: the user asked for something the offered
    /// tools cannot serve, and the right answer calls no tool
    /// (`conversation.irrelevant_share`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub irrelevant: bool,
}

/// `metadata.state_check`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateCheck {
    /// Whether every expectation held.
    pub passed: bool,
    /// One per condition, in the order the scenario gives them.
    pub checks: Vec<FileCheck>,
}

/// One condition on one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileCheck {
    /// The file.
    pub path: String,
    /// The condition: `exists`, `absent`, `contains "…"`, `equals (N bytes)`, `matches /…/`.
    pub expect: String,
    /// Whether it held.
    pub passed: bool,
    /// When it did not: what was there instead (`absent`, a short excerpt,
    /// or why the file could not be read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
}

/// `metadata.replay`: the state the sample's session started from and what
/// ran its calls, so that a replay can start from the same state on the same
/// components and tell a changed scenario or component from a forged result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplayInfo {
    /// The scenario the session was seeded with (`default` for a config's
    /// `scenario_seed`).
    pub scenario: String,
    /// SHA-256 (hex) of the scenario's files: the compact JSON object of
    /// path → content, paths sorted.
    pub scenario_sha256: String,
    /// Each component that serves an offered tool → its version
    /// (`sha256:` + 16 hex digits of its wasm, or `builtin`). Empty when the
    /// tool service is remote and does not say.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub components: std::collections::BTreeMap<String, String>,
    /// Offered tools whose calls reach a live service: a replay cannot
    /// reproduce their results.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub live_tools: Vec<String>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// One call's outcome and timing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallMetadata {
    /// The tool.
    pub name: String,
    /// Whether it succeeded.
    pub success: bool,
    /// Its error type, when it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    /// Wall time of the execution in microseconds (absent in deterministic runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_us: Option<u64>,
}

/// Token totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TokenCount {
    /// Prompt tokens.
    pub prompt: u64,
    /// Completion tokens.
    pub completion: u64,
}

/// A tool definition (MCP form) in OpenAI function format.
pub fn openai_tool(tool: &weft_protocol::ToolDefinition) -> Value {
    serde_json::json!({
        "type": "function",
        "function": {
            "name": tool.name,
            "description": tool.description,
            "parameters": tool.input_schema,
        }
    })
}

/// Whether `id` is a valid tool-call id (exactly 9 ASCII alphanumerics, as
/// DeepFabric's schema and Mistral's chat templates require).
pub fn is_call_id(id: &str) -> bool {
    id.len() == 9 && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A sample of a run with `output.format: custom`: one record that follows
/// the config's `generation.output_schema`, and weft's metadata beside it.
///
/// This envelope is the canonical line of such a run (what resume, shards
/// and merge read); the records alone, as the schema says, are rendered
/// from it (`weft format --to custom`, and `save_as` when a run ends).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomRecord {
    /// The record, exactly as the model wrote it and the schema accepted it.
    pub record: Value,
    /// Provenance.
    pub metadata: RecordMetadata,
}

/// `metadata` of a [`CustomRecord`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordMetadata {
    /// Always `custom`.
    pub conversation_type: String,
    /// The topic path's id.
    pub topic_id: String,
    /// The topic path, root first.
    pub topic_path: Vec<String>,
    /// Position of the sample in the run (what resume keys on).
    pub sample_index: u64,
    /// LLM provider.
    pub provider: String,
    /// LLM model.
    pub model: String,
    /// SHA-256 of the schema (its canonical JSON), so records made under
    /// different schemas are told apart.
    pub schema_sha256: String,
    /// Tokens the accepted attempt cost.
    pub tokens: TokenCount,
    /// Attempts it took (1 = first try).
    pub attempts: u32,
}
