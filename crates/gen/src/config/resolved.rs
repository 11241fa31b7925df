//! The validated config: what the rest of weft reads. Every default is
//! filled in, every name checked, every legacy key mapped onto its current
//! place.

use std::fmt;
use std::str::FromStr;

use weft_protocol::ScenarioSeed;

use super::diagnostic::ConfigWarning;

/// A loaded, validated config.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file it came from, as the user named it.
    pub source: String,
    /// Seed for every random choice (weft-only key `seed`, default 0).
    pub seed: u64,
    /// How topics are generated.
    pub topics: TopicsConfig,
    /// How samples are generated.
    pub generation: GenerationConfig,
    /// Where and how many samples are written.
    pub output: OutputConfig,
    /// Hugging Face upload settings (parsed, not acted on).
    pub huggingface: Option<HuggingFaceConfig>,
    /// Kaggle upload settings (parsed, not acted on).
    pub kaggle: Option<KaggleConfig>,
    /// Deprecations and other notes, for the caller to print.
    pub warnings: Vec<ConfigWarning>,
}

/// Provider names a config may use: [`weft_llm::PROVIDERS`] and `google`
/// (an alias of `gemini`).
pub const PROVIDERS: &[&str] =
    &["openai", "anthropic", "gemini", "google", "ollama", "openrouter", "scripted"];

/// One model as a section sees it, after `llm` inheritance
/// (section `llm` → top-level `llm` → default).
#[derive(Debug, Clone, PartialEq)]
pub struct LlmConfig {
    /// `openai`, `anthropic`, `gemini`, `ollama`, `openrouter` or `scripted`.
    pub provider: String,
    /// Model name.
    pub model: String,
    /// OpenAI-compatible (or other) endpoint override.
    pub base_url: Option<String>,
    /// Sampling temperature, 0 to 2 (DeepFabric's default 0.2).
    pub temperature: f32,
    /// Completion token cap.
    pub max_tokens: u32,
    /// Per-request timeout (weft-only `llm.timeout`, seconds).
    pub timeout_secs: Option<u64>,
    /// Which HTTP to speak (weft-only `llm.http`).
    pub http: weft_llm::HttpVersion,
}

/// Tree or graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicMode {
    /// Every node has `degree` children, down to `depth`.
    Tree,
    /// Like a tree, but a new node may also hang under nodes of other branches.
    Graph,
}

/// How subtopic prompts are phrased.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptStyle {
    /// Generic prompts; graphs may cross-connect.
    Default,
    /// Generic prompts; no cross-connections.
    Isolated,
    /// Prompts keep every subtopic inside the root's domain; no cross-connections.
    Anchored,
}

impl PromptStyle {
    /// Whether graph nodes may connect across branches.
    pub fn allows_connections(self) -> bool {
        self == PromptStyle::Default
    }
}

/// `topics`.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicsConfig {
    /// The root topic.
    pub prompt: String,
    /// Tree or graph.
    pub mode: TopicMode,
    /// Levels below the root (1 to 10).
    pub depth: u32,
    /// Children per node (1 to 50).
    pub degree: u32,
    /// System prompt for subtopic requests.
    pub system_prompt: String,
    /// Prompt phrasing.
    pub prompt_style: PromptStyle,
    /// Most subtopic requests in flight at once.
    pub max_concurrent: usize,
    /// Where topics are saved, if the config says.
    pub save_as: Option<String>,
    /// The model that writes subtopics.
    pub llm: LlmConfig,
}

impl TopicsConfig {
    /// `save_as`, or DeepFabric's default name for the mode.
    pub fn save_path(&self) -> &str {
        match (&self.save_as, self.mode) {
            (Some(path), _) => path,
            (None, TopicMode::Tree) => "topic_tree.jsonl",
            (None, TopicMode::Graph) => "topic_graph.json",
        }
    }

    /// Paths a complete build yields without cross-connections:
    /// `degree ^ depth` (saturating). A graph may yield more.
    pub fn expected_paths(&self) -> u64 {
        u64::from(self.degree).saturating_pow(self.depth)
    }
}

/// `conversation.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversationType {
    /// Plain question and answer.
    Basic,
    /// With a reasoning trace.
    Cot,
}

/// `conversation.reasoning_style`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReasoningStyle {
    /// Free prose.
    Freetext,
    /// Step-by-step agent trace (thought / action).
    Agent,
}

/// `conversation.agent_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentMode {
    /// One user request, then the agent loop.
    SingleTurn,
    /// A simulated user continues for several turns over the same session.
    MultiTurn,
}

/// `generation.conversation`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationConfig {
    /// `basic` or `cot` (`chain_of_thought` is read as `cot`).
    pub kind: ConversationType,
    /// Set when `kind` is `cot`.
    pub reasoning_style: Option<ReasoningStyle>,
    /// Single or multi-turn (default single).
    pub agent_mode: AgentMode,
    /// Fewest user turns in multi-turn mode (default 2).
    pub min_turns: u32,
    /// Most user turns in multi-turn mode (default 4).
    pub max_turns: u32,
    /// Fewest tool executions an agent sample needs (default 1).
    pub min_tool_calls: u32,
    /// Share of samples (0 to 1) whose user asks for something the offered
    /// tools cannot serve, where the right answer calls no tool (default 0).
    pub irrelevant_share: f64,
}

/// The tools one component serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentTools {
    /// The key under `tools.components` (`builtin` for the VFS tools).
    pub component: String,
    /// Tool names, in file order.
    pub tools: Vec<String>,
}

/// The builtin VFS tools (`components.builtin`).
pub const BUILTIN_TOOLS: &[&str] = &["read_file", "write_file", "list_files", "delete_file"];

/// The sandbox component that serves `components.builtin`.
pub const BUILTIN_COMPONENT: &str = "vfs";

/// Where one tool's calls go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolRoute {
    /// The tool.
    pub tool: String,
    /// The sandbox component that executes it (`vfs` for builtin tools).
    pub component: String,
}

/// An MCP server whose tools are imported (weft-only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpServerConfig {
    /// A short name, used as the component name of its tools.
    pub name: String,
    /// How to reach it.
    pub transport: McpTransport,
    /// Only these tools (all when empty).
    pub tools: Vec<String>,
}

/// How to reach an MCP server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum McpTransport {
    /// Streamable HTTP at a URL.
    Http {
        /// The endpoint.
        url: String,
    },
    /// A child process speaking MCP on stdio.
    Stdio {
        /// The program.
        command: String,
        /// Its arguments.
        args: Vec<String>,
        /// Extra environment.
        env: Vec<(String, String)>,
    },
}

/// `generation.tools`.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolsConfig {
    /// A Spin-compatible tool service; `None` runs the sandbox in-process.
    pub spin_endpoint: Option<String>,
    /// Tools per component, in file order (`tools.available` is folded into `builtin`).
    pub components: Vec<ComponentTools>,
    /// Where tool definitions of non-builtin components are listed.
    pub tools_endpoint: Option<String>,
    /// Tool definitions given inline.
    pub custom: Vec<serde_json::Value>,
    /// Most tool executions per sample (1 to 50, default 3).
    pub max_per_query: u32,
    /// Over `max_per_query`: discard the sample (true) or truncate (false).
    pub strict: bool,
    /// Files each session starts with (`scenario_seed`, with the files of
    /// its directory, archive or git repository).
    pub scenario_seed: ScenarioSeed,
    /// What must hold when a conversation from `scenario_seed` ends.
    pub expect: Option<Expect>,
    /// Named scenarios (`scenarios`): each sample starts from one, chosen
    /// from its seed. Empty when the config has only `scenario_seed`.
    pub scenarios: Vec<Scenario>,
    /// Most agent steps per turn (1 to 50, default 5).
    pub max_agent_steps: u32,
    /// Send every call to this path as `{name, arguments}` (DeepFabric's mock mode).
    pub tool_execute_path: Option<String>,
    /// MCP servers to import tools from (weft-only).
    pub mcp_servers: Vec<McpServerConfig>,
    /// How the model calls tools (weft-only `tool_calling`).
    pub tool_calling: ToolCalling,
    /// The in-process sandbox's manifest (weft-only `manifest`: a weft.toml
    /// or a spin.toml), as written (relative to the config file).
    pub manifest: Option<String>,
    /// A Spin runtime config for that manifest (weft-only `runtime_config`).
    pub runtime_config: Option<String>,
}

/// `tools.tool_calling`: how the agent's model calls tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ToolCalling {
    /// The provider's native tool calling (default).
    #[default]
    Native,
    /// JSON steps through structured output, for models without tool calling.
    Json,
}

impl ToolsConfig {
    /// The inline definitions (`custom`) in MCP form; each was checked when
    /// the config was loaded.
    pub fn custom_definitions(&self) -> Vec<weft_protocol::ToolDefinition> {
        self.custom.iter().filter_map(|value| super::custom::custom_tool_definition(value).ok()).collect()
    }

    /// Every tool named in `components`, with the component that executes it.
    pub fn routes(&self) -> Vec<ToolRoute> {
        self.components
            .iter()
            .flat_map(|group| {
                let component =
                    if group.component == "builtin" { BUILTIN_COMPONENT } else { group.component.as_str() };
                group
                    .tools
                    .iter()
                    .map(move |tool| ToolRoute { tool: tool.clone(), component: component.to_owned() })
            })
            .collect()
    }

    /// The URL a call to `component` is posted to, or `None` when in-process.
    pub fn execute_url(&self, component: &str) -> Option<String> {
        let endpoint = self.spin_endpoint.as_deref()?.trim_end_matches('/');
        Some(match &self.tool_execute_path {
            Some(path) => format!("{endpoint}{path}"),
            None => format!("{endpoint}/{component}/execute"),
        })
    }
}

/// How HTTP retries back off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backoff {
    /// base × factor^n.
    Exponential,
    /// Exponential with random jitter (default).
    ExponentialJitter,
    /// base × n.
    Linear,
    /// Always base.
    Constant,
}

/// `generation.rate_limit`.
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimitConfig {
    /// Request budget per minute.
    pub requests_per_minute: Option<u32>,
    /// Token budget per minute.
    pub tokens_per_minute: Option<u32>,
    /// Retries of one request (default 5).
    pub max_retries: u32,
    /// First backoff delay, seconds (default 1).
    pub base_delay_secs: f64,
    /// Longest backoff delay, seconds (default 60).
    pub max_delay_secs: f64,
    /// Backoff shape.
    pub backoff: Backoff,
    /// Factor of exponential backoff (default 2).
    pub exponential_base: f64,
    /// Honour `Retry-After` (default true).
    pub respect_retry_after: bool,
    /// Statuses that are retried (default 429, 500, 502, 503, 504).
    pub retry_on_status_codes: Vec<u16>,
}

/// `generation`.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerationConfig {
    /// System prompt of sample generation.
    pub system_prompt: String,
    /// Extra instructions for the model writing samples.
    pub instructions: String,
    /// Conversation shape.
    pub conversation: ConversationConfig,
    /// Tools, when samples use them.
    pub tools: Option<ToolsConfig>,
    /// Attempts at a failed generation call (0 to 10, default 3).
    pub max_retries: u32,
    /// Retries of a sample that failed validation, with the error as feedback (0 to 5, default 2).
    pub sample_retries: u32,
    /// Rate and retry settings for the provider.
    pub rate_limit: RateLimitConfig,
    /// Where samples are saved, when set here rather than in `output`.
    pub save_as: Option<String>,
    /// The model that writes samples (its `max_tokens` already resolved).
    pub llm: LlmConfig,
    /// The JSON Schema every sample is generated into, when samples are
    /// records rather than conversations (`output.format: custom`).
    pub output_schema: Option<serde_json::Value>,
}

/// What a sample is (`output.format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SampleKind {
    /// A conversation (DeepFabric's `messages`): the default.
    #[default]
    Messages,
    /// A record that follows `generation.output_schema`, written as is.
    Custom,
}

/// `output.num_samples`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NumSamples {
    /// Exactly this many.
    Count(u64),
    /// One per topic path.
    Auto,
    /// This percentage of the topic paths (at least one).
    Percent(f64),
}

impl NumSamples {
    /// The sample count for a topic set with `paths` paths.
    pub fn resolve(self, paths: u64) -> u64 {
        match self {
            NumSamples::Count(n) => n,
            NumSamples::Auto => paths,
            NumSamples::Percent(p) => ((paths as f64 * p / 100.0).floor() as u64).max(1),
        }
    }
}

/// Why a `num_samples` value is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NumSamplesError(String);

impl FromStr for NumSamples {
    type Err = NumSamplesError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("auto") {
            return Ok(NumSamples::Auto);
        }
        if let Some(number) = text.strip_suffix('%') {
            let percent: f64 =
                number.trim().parse().map_err(|_| NumSamplesError(format!("invalid percentage `{text}`")))?;
            if !(percent > 0.0 && percent.is_finite()) {
                return Err(NumSamplesError(format!("percentage must be greater than 0, got `{text}`")));
            }
            return Ok(NumSamples::Percent(percent));
        }
        match text.parse::<i64>() {
            Ok(n) if n >= 1 => Ok(NumSamples::Count(n as u64)),
            Ok(_) => Err(NumSamplesError("num_samples must be at least 1".into())),
            Err(_) => Err(NumSamplesError(format!(
                "invalid num_samples `{text}`: use an integer, `auto`, or a percentage like `50%`"
            ))),
        }
    }
}

impl fmt::Display for NumSamples {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NumSamples::Count(n) => write!(f, "{n}"),
            NumSamples::Auto => f.write_str("auto"),
            NumSamples::Percent(p) => write!(f, "{p}%"),
        }
    }
}

/// `output.checkpoint`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointConfig {
    /// Samples between checkpoints.
    pub interval: u32,
    /// Where checkpoints go (a default per config when `None`).
    pub path: Option<String>,
    /// Retry failed samples on resume.
    pub retry_failed: bool,
}

/// `output`.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputConfig {
    /// System message of samples; falls back to `generation.system_prompt`.
    pub system_prompt: Option<String>,
    /// Put the system message in samples (default true).
    pub include_system_message: bool,
    /// How many samples.
    pub num_samples: NumSamples,
    /// Most samples in flight at once (default 5).
    pub batch_size: u32,
    /// The dataset file.
    pub save_as: String,
    /// Checkpointing, when configured.
    pub checkpoint: Option<CheckpointConfig>,
    /// Conversations, or records of `generation.output_schema`.
    pub format: SampleKind,
    /// Training formats rendered from the dataset when a run ends
    /// (`output.formats`, and DeepFabric's older `formatters`).
    pub formats: Vec<FormatSpec>,
}

impl FormatSpec {
    /// A format by name with no options.
    pub fn named(name: &str) -> Self {
        Self {
            format: name.to_owned(),
            template: None,
            output: None,
            split_parallel: false,
            bos_token: None,
            eos_token: None,
            kwargs: serde_json::Map::new(),
            date: None,
        }
    }
}

/// One training format to write beside the dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct FormatSpec {
    /// weft's name of the format (`trl`, `hermes`, `chat-template`, ...).
    pub format: String,
    /// The template of `chat-template`, as written (relative to the config).
    pub template: Option<String>,
    /// Where to write it; `None`: `<stem>.<format>.jsonl` beside the dataset.
    pub output: Option<String>,
    /// `chat-template`: parallel calls as sequential turns.
    pub split_parallel: bool,
    /// `chat-template`: the tokenizer's special tokens.
    pub bos_token: Option<String>,
    /// `chat-template`: the tokenizer's special tokens.
    pub eos_token: Option<String>,
    /// `chat-template`: extra template variables.
    pub kwargs: serde_json::Map<String, serde_json::Value>,
    /// `chat-template`: the date `strftime_now` answers (`YYYY-MM-DD`).
    pub date: Option<String>,
}

/// `huggingface`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HuggingFaceConfig {
    /// `owner/name`.
    pub repository: String,
    /// Dataset tags.
    pub tags: Vec<String>,
    /// Create the repository private (weft-only).
    pub private: bool,
}

/// `kaggle`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KaggleConfig {
    /// `owner/dataset`.
    pub handle: String,
    /// Dataset tags.
    pub tags: Vec<String>,
    /// Dataset description.
    pub description: Option<String>,
    /// Notes of this version.
    pub version_notes: Option<String>,
}

impl LlmConfig {
    /// The spec [`weft_llm::build_model`] takes, with the provider's rate and
    /// retry settings and the run's seed.
    pub fn provider_spec(&self, rate_limit: &RateLimitConfig, seed: u64) -> weft_llm::ProviderSpec {
        weft_llm::ProviderSpec {
            provider: self.provider.clone(),
            model: self.model.clone(),
            base_url: self.base_url.clone(),
            temperature: Some(self.temperature),
            max_tokens: Some(self.max_tokens),
            requests_per_minute: rate_limit.requests_per_minute,
            tokens_per_minute: rate_limit.tokens_per_minute,
            max_retries: rate_limit.max_retries,
            timeout_secs: self.timeout_secs,
            seed,
            http: self.http,
        }
    }
}

impl Config {
    /// The spec of the model that writes subtopics.
    pub fn topics_model(&self) -> weft_llm::ProviderSpec {
        self.topics.llm.provider_spec(&self.generation.rate_limit, self.seed)
    }

    /// The spec of the model that writes samples.
    pub fn generation_model(&self) -> weft_llm::ProviderSpec {
        self.generation.llm.provider_spec(&self.generation.rate_limit, self.seed)
    }

    /// The system message samples carry: `output.system_prompt`, else
    /// `generation.system_prompt`.
    pub fn sample_system_prompt(&self) -> &str {
        self.output.system_prompt.as_deref().unwrap_or(&self.generation.system_prompt)
    }
}

/// One entry of `tools.scenarios`.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Its name, recorded in each sample's `metadata.replay.scenario`.
    pub name: String,
    /// The files its sessions start with.
    pub seed: ScenarioSeed,
    /// What must hold when a conversation ends.
    pub expect: Option<Expect>,
}

/// `expect`: conditions on the session's final state, checked on the
/// sandbox's real files when the conversation ends.
#[derive(Debug, Clone, PartialEq)]
pub struct Expect {
    /// Keep only samples that pass (others are retried, then recorded as failures).
    pub strict: bool,
    /// Per file, in the order written.
    pub files: Vec<FileExpect>,
}

/// What must hold of one file.
#[derive(Debug, Clone, PartialEq)]
pub struct FileExpect {
    /// The file, as a model would name it.
    pub path: String,
    /// It exists (true) or does not (false).
    pub exists: Option<bool>,
    /// Its text contains this.
    pub contains: Option<String>,
    /// Its text is exactly this.
    pub equals: Option<String>,
    /// Its text matches this regular expression (checked when the config loads).
    pub matches: Option<String>,
}
