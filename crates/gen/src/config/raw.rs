//! The YAML file as written: every section and key a DeepFabric config (or
//! weft's additive keys) may hold, all optional, strings kept with their
//! location so later stages can point at them.
//!
//! Nothing here judges values; [`super::resolve`] does. Unknown keys are
//! caught before this pass by [`super::keys`], which reads the key names of
//! these structs, so adding a field here is all it takes to allow a key.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_saphyr::Spanned;

/// A string value with its location.
pub(crate) type Text = Spanned<String>;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawConfig {
    pub llm: Option<RawLlm>,
    pub topics: Option<Spanned<RawTopics>>,
    pub generation: Option<Spanned<RawGeneration>>,
    pub output: Option<Spanned<RawOutput>>,
    pub huggingface: Option<Spanned<RawHuggingFace>>,
    pub kaggle: Option<Spanned<RawKaggle>>,
    /// Newer DeepFabric places `checkpoint` at the top level.
    pub checkpoint: Option<Spanned<RawCheckpoint>>,
    /// Parsed and ignored: DeepFabric's evaluation settings.
    pub evaluation: Option<Spanned<serde::de::IgnoredAny>>,
    /// Parsed and ignored: DeepFabric Cloud upload settings.
    pub deepfabric_cloud: Option<Spanned<serde::de::IgnoredAny>>,
    /// weft: seed for every random choice, so a run can be repeated.
    pub seed: Option<Spanned<u64>>,
}

/// `llm`, `topics.llm`, `generation.llm`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawLlm {
    pub provider: Option<Text>,
    pub model: Option<Text>,
    pub base_url: Option<Text>,
    pub temperature: Option<Spanned<f64>>,
    /// weft: completion token cap for this model.
    pub max_tokens: Option<Spanned<u32>>,
    /// weft: per-request timeout in seconds.
    pub timeout: Option<Spanned<u64>>,
    /// weft: `auto`, `1.1` or `2` (a string or a number).
    pub http: Option<Spanned<serde_json::Value>>,
}

/// `topics`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawTopics {
    pub prompt: Option<Text>,
    pub mode: Option<Text>,
    pub depth: Option<Spanned<u32>>,
    pub degree: Option<Spanned<u32>>,
    pub system_prompt: Option<Text>,
    pub prompt_style: Option<Text>,
    pub max_concurrent: Option<Spanned<u32>>,
    pub max_tokens: Option<Spanned<u32>>,
    pub save_as: Option<Text>,
    pub llm: Option<RawLlm>,
}

/// `generation`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawGeneration {
    pub system_prompt: Option<Text>,
    pub instructions: Option<Text>,
    pub conversation: Option<Spanned<RawConversation>>,
    pub tools: Option<Spanned<RawTools>>,
    pub max_retries: Option<Spanned<u32>>,
    pub sample_retries: Option<Spanned<u32>>,
    pub max_tokens: Option<Spanned<u32>>,
    pub rate_limit: Option<Spanned<RawRateLimit>>,
    pub save_as: Option<Text>,
    pub llm: Option<RawLlm>,
    /// DeepFabric 4.13: a JSON Schema each sample is generated into, in
    /// place of a conversation.
    pub output_schema: Option<Spanned<serde_json::Value>>,
}

/// `generation.conversation`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawConversation {
    #[serde(rename = "type")]
    pub kind: Option<Text>,
    pub reasoning_style: Option<Text>,
    pub agent_mode: Option<Text>,
    /// weft: user turns of a multi-turn conversation (sets min and max).
    pub turns: Option<Spanned<u32>>,
    /// DeepFabric 4.0: fewest user turns of a multi-turn conversation.
    pub min_turns: Option<Spanned<u32>>,
    /// DeepFabric 4.0: most user turns of a multi-turn conversation.
    pub max_turns: Option<Spanned<u32>>,
    /// DeepFabric 4.0: fewest tool executions a sample must contain.
    pub min_tool_calls: Option<Spanned<u32>>,
    /// weft: share of samples whose request the offered tools cannot serve.
    pub irrelevant_share: Option<Spanned<f64>>,
}

/// `generation.tools`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawTools {
    pub spin_endpoint: Option<Text>,
    pub components: Option<Spanned<OrderedMap<Text, Spanned<Vec<Text>>>>>,
    /// Old layout: a flat list of builtin tool names.
    pub available: Option<Spanned<Vec<Text>>>,
    pub tools_endpoint: Option<Text>,
    pub custom: Option<Vec<Spanned<serde_json::Value>>>,
    pub max_per_query: Option<Spanned<u32>>,
    pub strict: Option<Spanned<bool>>,
    pub scenario_seed: Option<Spanned<RawScenarioSeed>>,
    /// weft: several named scenarios, one chosen per sample.
    pub scenarios: Option<Vec<Spanned<RawScenarioSeed>>>,
    pub max_agent_steps: Option<Spanned<u32>>,
    pub tool_execute_path: Option<Text>,
    /// weft: `native` tool calling (default) or `json` steps for models without it.
    pub tool_calling: Option<Text>,
    /// weft: MCP servers whose tools are imported.
    pub mcp_servers: Option<Vec<Spanned<RawMcpServer>>>,
    /// weft: the manifest of the in-process sandbox (a `weft.toml`, or a
    /// Spin app's `spin.toml`), relative to the config file.
    pub manifest: Option<Text>,
    /// weft: a Spin runtime config for that manifest's key-value stores.
    pub runtime_config: Option<Text>,
}

/// `generation.tools.scenario_seed`, and each entry of `scenarios`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawScenarioSeed {
    /// A `scenarios` entry's name.
    pub name: Option<Text>,
    pub files: Option<OrderedMap<Text, Spanned<String>>>,
    /// weft: every file under a directory (relative to the config).
    pub directory: Option<Text>,
    /// weft: every file of a .tar, .tar.gz/.tgz or .zip (relative to the config).
    pub archive: Option<Text>,
    /// weft: the files of a git repository at a revision.
    pub git: Option<Spanned<RawGitSeed>>,
    /// weft: most files the scenario may hold.
    pub max_files: Option<Spanned<u64>>,
    /// weft: most bytes its files may hold together.
    pub max_bytes: Option<Spanned<u64>>,
    /// weft: `refuse` (default) or `skip` files that are not UTF-8 text.
    pub binary: Option<Text>,
    /// weft: what must hold in the session when the conversation ends.
    pub expect: Option<Spanned<RawExpect>>,
}

/// `expect` of a scenario.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawExpect {
    /// Keep only samples whose end state passes.
    pub strict: Option<Spanned<bool>>,
    /// Path → what must hold of that file.
    pub files: Option<OrderedMap<Text, Spanned<RawFileExpect>>>,
}

/// One file's expectations.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFileExpect {
    pub exists: Option<Spanned<bool>>,
    pub contains: Option<Text>,
    pub equals: Option<Text>,
    pub matches: Option<Text>,
}

/// `scenario_seed.git`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawGitSeed {
    /// A path (relative to the config) or a URL.
    pub repo: Option<Text>,
    /// A branch, tag or commit (default `HEAD`).
    pub rev: Option<Text>,
    /// Only files under these paths.
    pub paths: Option<Vec<Text>>,
}

/// One entry of `generation.tools.mcp_servers`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawMcpServer {
    pub name: Option<Text>,
    pub url: Option<Text>,
    pub command: Option<Text>,
    pub args: Option<Vec<Text>>,
    pub env: Option<BTreeMap<String, Text>>,
    pub tools: Option<Vec<Text>>,
}

/// `generation.rate_limit`: DeepFabric's retry settings plus request and
/// token budgets.
#[derive(Debug, Default, Deserialize)]
#[allow(dead_code)] // Several DeepFabric knobs are accepted for compatibility and not acted on.
pub(crate) struct RawRateLimit {
    pub requests_per_minute: Option<Spanned<u32>>,
    pub tokens_per_minute: Option<Spanned<u32>>,
    pub max_retries: Option<Spanned<u32>>,
    pub base_delay: Option<Spanned<f64>>,
    pub max_delay: Option<Spanned<f64>>,
    pub backoff_strategy: Option<Text>,
    pub exponential_base: Option<Spanned<f64>>,
    pub jitter: Option<Spanned<bool>>,
    pub respect_retry_after: Option<Spanned<bool>>,
    pub retry_on_status_codes: Option<Vec<Spanned<u16>>>,
    pub retry_on_exceptions: Option<Vec<Text>>,
    // Provider-specific DeepFabric knobs: accepted, not acted on.
    pub check_headers: Option<bool>,
    pub preemptive_backoff: Option<bool>,
    pub preemptive_threshold: Option<f64>,
    pub token_bucket_aware: Option<bool>,
    pub gradual_rampup: Option<bool>,
    pub parse_quota_details: Option<bool>,
    pub daily_quota_aware: Option<bool>,
    pub check_credits: Option<bool>,
}

/// `output`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawOutput {
    pub system_prompt: Option<Text>,
    pub include_system_message: Option<Spanned<bool>>,
    pub num_samples: Option<Spanned<RawNumSamples>>,
    pub batch_size: Option<Spanned<u32>>,
    pub save_as: Option<Text>,
    pub checkpoint: Option<Spanned<RawCheckpoint>>,
    /// DeepFabric 4.13: `messages` (conversations) or `custom` (records
    /// that follow `generation.output_schema`).
    pub format: Option<Text>,
    /// weft: training formats rendered beside the dataset when a run ends.
    pub formats: Option<Vec<Spanned<RawFormat>>>,
    /// DeepFabric before 4.0: `formatters: [{name, template, output, config}]`.
    pub formatters: Option<Vec<Spanned<RawFormatter>>>,
}

/// One entry of `output.formats`: a format's name, or a table.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawFormat {
    Name(String),
    Spec(Box<RawFormatSpec>),
}

/// `output.formats[i]` as a table.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawFormatSpec {
    pub name: Option<Text>,
    pub template: Option<Text>,
    pub output: Option<Text>,
    pub split_parallel: Option<Spanned<bool>>,
    pub bos_token: Option<Text>,
    pub eos_token: Option<Text>,
    pub kwargs: Option<Spanned<serde_json::Value>>,
    pub date: Option<Text>,
}

/// One of DeepFabric's old `formatters`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawFormatter {
    /// DeepFabric's label for the formatter: accepted, not used (weft
    /// names a format's file after the format or `output`).
    #[allow(dead_code)]
    pub name: Option<Text>,
    pub template: Option<Text>,
    pub output: Option<Text>,
    pub config: Option<Spanned<serde_json::Value>>,
}

/// `num_samples`: an integer, `auto` or `N%`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawNumSamples {
    Count(i64),
    Text(String),
}

/// `output.checkpoint` (or top-level `checkpoint`).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawCheckpoint {
    pub interval: Option<Spanned<u32>>,
    pub path: Option<Text>,
    pub retry_failed: Option<Spanned<bool>>,
}

/// `huggingface`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawHuggingFace {
    pub repository: Option<Text>,
    pub tags: Option<Vec<Text>>,
    /// weft: create the repository private.
    pub private: Option<Spanned<bool>>,
}

/// `kaggle`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawKaggle {
    pub handle: Option<Text>,
    pub tags: Option<Vec<Text>>,
    pub description: Option<Text>,
    pub version_notes: Option<Text>,
}

/// A mapping kept in file order (component routing and seeded files are
/// reported in the order the user wrote them).
#[derive(Debug)]
pub(crate) struct OrderedMap<K, V>(pub Vec<(K, V)>);

impl<K, V> Default for OrderedMap<K, V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for OrderedMap<K, V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<K, V>(std::marker::PhantomData<(K, V)>);
        impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Visitor<'de> for MapVisitor<K, V> {
            type Value = OrderedMap<K, V>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key()? {
                    entries.push((key, map.next_value()?));
                }
                Ok(OrderedMap(entries))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(OrderedMap(Vec::new()))
            }
        }
        deserializer.deserialize_map(MapVisitor(std::marker::PhantomData))
    }
}
