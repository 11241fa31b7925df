//! Raw YAML values → a validated [`Config`]: inheritance, defaults, legacy
//! keys, overrides, range and cross-field checks. Every problem is collected;
//! nothing stops at the first.

use std::ops::RangeInclusive;

use serde_saphyr::Spanned;
use weft_protocol::ScenarioSeed;

use super::Overrides;
use super::diagnostic::{ConfigWarning, Diagnostic};
use super::env::{EnvError, expand};
use super::keys::nearest;
use super::raw::*;
use super::resolved::*;
use super::sources;
use super::yaml::Position;

/// Looks up an environment variable.
pub(crate) type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

pub(crate) struct Resolver<'a> {
    env: EnvLookup<'a>,
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<ConfigWarning>,
    base: Option<std::path::PathBuf>,
}

fn at<T>(spanned: &Spanned<T>) -> Option<Position> {
    Position::of(spanned)
}

impl<'a> Resolver<'a> {
    pub fn new(env: EnvLookup<'a>) -> Self {
        Self { env, errors: Vec::new(), warnings: Vec::new(), base: None }
    }

    /// Files the config names as its inputs (chat templates) are read
    /// relative to `dir`, the config file's folder, and must exist there.
    pub fn relative_to(mut self, dir: &std::path::Path) -> Self {
        self.base = Some(dir.to_owned());
        self
    }

    /// An input file the config names at `position`: relative to the
    /// config's folder when the config came from a file (and then it must
    /// exist), as written otherwise.
    fn input_file(&mut self, key: &str, path: String, position: Option<Position>) -> String {
        let Some(base) = &self.base else { return path };
        let joined =
            if std::path::Path::new(&path).is_absolute() { path.clone().into() } else { base.join(&path) };
        if !joined.is_file() {
            self.errors.push(
                Diagnostic::new(position, format!("`{key}`: no file at {}", joined.display())).with_hint(
                    "paths in a config are relative to the config file's folder (like `manifest` and \
                     `runtime_config`)",
                ),
            );
            return path;
        }
        joined.to_string_lossy().into_owned()
    }

    fn error(&mut self, position: Option<Position>, message: impl Into<String>) {
        self.errors.push(Diagnostic::new(position, message));
    }

    fn warn(&mut self, position: Option<Position>, message: impl Into<String>) {
        self.warnings.push(ConfigWarning::new(position, message));
    }

    /// A string taken literally.
    fn literal(text: &Option<Text>) -> Option<String> {
        text.as_ref().map(|t| t.value.clone())
    }

    /// A string with `${VAR}` expanded.
    fn expanded(&mut self, key: &str, text: &Option<Text>) -> Option<String> {
        let text = text.as_ref()?;
        match expand(&text.value, self.env) {
            Ok(value) => Some(value),
            Err(EnvError::Unset(name)) => {
                self.errors.push(
                    Diagnostic::new(at(text), format!("`{key}` uses ${{{name}}}, which is not set"))
                        .with_hint(format!("set {name} or write ${{{name}:-default}}")),
                );
                None
            }
            Err(EnvError::Malformed) => {
                self.errors.push(
                    Diagnostic::new(at(text), format!("`{key}` has a malformed ${{...}}"))
                        .with_hint("write ${NAME} or ${NAME:-default}; $$ is a literal $"),
                );
                None
            }
        }
    }

    /// A number from a flag (wins) or the file, checked against `range`.
    fn number<T>(
        &mut self,
        key: &str,
        flag: Option<(&str, T)>,
        raw: Option<&Spanned<T>>,
        range: RangeInclusive<T>,
        default: T,
    ) -> T
    where
        T: Copy + PartialOrd + std::fmt::Display,
    {
        let (value, position, source) = match (flag, raw) {
            (Some((flag, value)), _) => (value, None, format!("`--{flag} {value}`")),
            (None, Some(raw)) => (raw.value, at(raw), format!("`{key}: {}`", raw.value)),
            (None, None) => return default,
        };
        if range.contains(&value) {
            value
        } else {
            self.error(position, format!("{source} is out of range {}..={}", range.start(), range.end()));
            default
        }
    }

    /// One of `choices`, with a hint for near misses.
    fn choice(&mut self, key: &str, text: &Text, choices: &[&'static str]) -> Option<&'static str> {
        if let Some(found) = choices.iter().find(|c| **c == text.value) {
            return Some(found);
        }
        let mut diagnostic = Diagnostic::new(
            at(text),
            format!("`{key}` must be one of {}, got `{}`", choices.join(" | "), text.value),
        );
        if let Some(best) = nearest(&text.value, choices) {
            diagnostic = diagnostic.with_hint(format!("did you mean `{best}`?"));
        }
        self.errors.push(diagnostic);
        None
    }

    fn required(&mut self, key: &str, section_at: Option<Position>, value: Option<String>) -> String {
        match value {
            Some(v) if !v.trim().is_empty() => v,
            Some(_) => {
                self.error(section_at, format!("`{key}` must not be empty"));
                String::new()
            }
            // A missing section is reported once, not once per key.
            None if section_at.is_none() => String::new(),
            None => {
                self.error(section_at, format!("missing required key `{key}`"));
                String::new()
            }
        }
    }

    pub fn config(&mut self, raw: &RawConfig, source: &str, overrides: &Overrides) -> Config {
        let base = raw.llm.as_ref();
        let topics = self.topics(raw.topics.as_ref(), base, overrides);
        let generation = self.generation(raw.generation.as_ref(), base, overrides);
        let mut output = self.output(raw.output.as_ref(), raw.checkpoint.as_ref(), overrides);
        self.sample_kind(raw, &mut output);
        if let Some(section) = &raw.evaluation {
            self.warn(at(section), "`evaluation` is DeepFabric's evaluation settings; weft ignores it");
        }
        if let Some(section) = &raw.deepfabric_cloud {
            self.warn(at(section), "`deepfabric_cloud` is not used by weft; ignored");
        }
        Config {
            source: source.to_owned(),
            seed: raw.seed.as_ref().map_or(0, |s| s.value),
            topics,
            generation,
            output,
            huggingface: raw.huggingface.as_ref().map(|hf| self.huggingface(hf)),
            kaggle: raw.kaggle.as_ref().map(|k| self.kaggle(k)),
            warnings: Vec::new(),
        }
    }

    /// `llm` inheritance: section → top level → default; flags win over all.
    fn llm(
        &mut self,
        prefix: &str,
        section: Option<&RawLlm>,
        base: Option<&RawLlm>,
        max_tokens: Option<&Spanned<u32>>,
        overrides: &Overrides,
    ) -> LlmConfig {
        let pick = |f: fn(&RawLlm) -> &Option<Text>| -> (String, Option<Text>) {
            match (section.and_then(|s| f(s).clone()), base.and_then(|b| f(b).clone())) {
                (Some(t), _) => (format!("{prefix}.llm"), Some(t)),
                (None, Some(t)) => ("llm".to_owned(), Some(t)),
                (None, None) => (String::new(), None),
            }
        };
        let (where_p, provider_text) = pick(|l| &l.provider);
        let provider = match (&overrides.provider, &provider_text) {
            (Some(flag), _) => self.provider_name(flag, None, "--provider"),
            (None, Some(text)) => {
                let value = self.expanded(&format!("{where_p}.provider"), &Some(text.clone()));
                value
                    .map(|v| self.provider_name(&v, at(text), &format!("{where_p}.provider")))
                    .unwrap_or_default()
            }
            (None, None) => "openai".to_owned(),
        };
        let (where_m, model_text) = pick(|l| &l.model);
        let model = match &overrides.model {
            Some(flag) => flag.clone(),
            None => self
                .expanded(&format!("{where_m}.model"), &model_text)
                .unwrap_or_else(|| default_model(&provider).to_owned()),
        };
        let (where_u, url_text) = pick(|l| &l.base_url);
        let base_url = match &overrides.base_url {
            Some(flag) => Some(flag.clone()),
            None => self.expanded(&format!("{where_u}.base_url"), &url_text),
        };
        let temperature = section
            .and_then(|s| s.temperature.as_ref())
            .or_else(|| base.and_then(|b| b.temperature.as_ref()));
        let temperature = self.number("llm.temperature", None, temperature, 0.0..=2.0, 0.2) as f32;
        let llm_max = section
            .and_then(|s| s.max_tokens.as_ref())
            .or(max_tokens)
            .or_else(|| base.and_then(|b| b.max_tokens.as_ref()));
        let max_tokens = self.number("max_tokens", None, llm_max, 1..=1_000_000, 2000);
        let timeout =
            section.and_then(|s| s.timeout.as_ref()).or_else(|| base.and_then(|b| b.timeout.as_ref()));
        let timeout_secs = timeout.map(|t| self.number("llm.timeout", None, Some(t), 1..=3600, 60));
        let http = section.and_then(|s| s.http.as_ref()).or_else(|| base.and_then(|b| b.http.as_ref()));
        let http = http.map(|raw| self.http_version(raw)).unwrap_or_default();
        LlmConfig { provider, model, base_url, temperature, max_tokens, timeout_secs, http }
    }

    fn http_version(&mut self, raw: &Spanned<serde_json::Value>) -> weft_llm::HttpVersion {
        let text = match &raw.value {
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        weft_llm::HttpVersion::parse(&text).unwrap_or_else(|| {
            self.errors.push(
                Diagnostic::new(
                    at(raw),
                    format!(
                        "`llm.http` must be one of {}, got `{text}`",
                        weft_llm::HttpVersion::NAMES.join(" | ")
                    ),
                )
                .with_hint(
                    "`auto` speaks HTTP/2 to https servers that offer it; `2` also to an http URL (h2c); \
                     `1.1` never",
                ),
            );
            weft_llm::HttpVersion::Auto
        })
    }

    fn provider_name(&mut self, value: &str, position: Option<Position>, key: &str) -> String {
        if PROVIDERS.contains(&value) {
            return value.to_owned();
        }
        let mut d = Diagnostic::new(
            position,
            format!("`{key}` must be one of {}, got `{value}`", PROVIDERS.join(" | ")),
        );
        if let Some(best) = nearest(value, PROVIDERS) {
            d = d.with_hint(format!("did you mean `{best}`?"));
        }
        self.errors.push(d);
        value.to_owned()
    }

    fn topics(
        &mut self,
        raw: Option<&Spanned<RawTopics>>,
        base: Option<&RawLlm>,
        o: &Overrides,
    ) -> TopicsConfig {
        let empty = RawTopics::default();
        let (t, pos) = match raw {
            Some(s) => (&s.value, at(s)),
            None => {
                self.error(None, "missing required section `topics`");
                (&empty, None)
            }
        };
        let prompt = self.required("topics.prompt", pos, Self::literal(&t.prompt));
        let mode = match &t.mode {
            Some(text) => match self.choice("topics.mode", text, &["tree", "graph"]) {
                Some("graph") => TopicMode::Graph,
                _ => TopicMode::Tree,
            },
            None => TopicMode::Tree,
        };
        let prompt_style = match &t.prompt_style {
            Some(text) => {
                match self.choice("topics.prompt_style", text, &["default", "isolated", "anchored"]) {
                    Some("isolated") => PromptStyle::Isolated,
                    Some("anchored") => PromptStyle::Anchored,
                    _ => PromptStyle::Default,
                }
            }
            None => PromptStyle::Default,
        };
        let depth = self.number("topics.depth", o.depth.map(|d| ("depth", d)), t.depth.as_ref(), 1..=10, 3);
        let degree =
            self.number("topics.degree", o.degree.map(|d| ("degree", d)), t.degree.as_ref(), 1..=50, 10);
        let max_concurrent =
            self.number("topics.max_concurrent", None, t.max_concurrent.as_ref(), 1..=256, 4) as usize;
        let save_as = self.expanded("topics.save_as", &t.save_as);
        let llm = self.llm("topics", t.llm.as_ref(), base, t.max_tokens.as_ref(), o);
        let topics = TopicsConfig {
            prompt,
            mode,
            depth,
            degree,
            system_prompt: Self::literal(&t.system_prompt).unwrap_or_default(),
            prompt_style,
            max_concurrent,
            save_as,
            llm,
        };
        if topics.expected_paths() > 1_000_000 {
            self.warn(
                t.degree.as_ref().and_then(at).or(pos),
                format!(
                    "topics: degree {} and depth {} make {} paths; that is a lot of LLM calls",
                    topics.degree,
                    topics.depth,
                    topics.expected_paths()
                ),
            );
        }
        topics
    }

    fn generation(
        &mut self,
        raw: Option<&Spanned<RawGeneration>>,
        base: Option<&RawLlm>,
        o: &Overrides,
    ) -> GenerationConfig {
        let empty = RawGeneration::default();
        let (g, pos) = match raw {
            Some(s) => (&s.value, at(s)),
            None => {
                self.error(None, "missing required section `generation`");
                (&empty, None)
            }
        };
        let system_prompt = self.required("generation.system_prompt", pos, Self::literal(&g.system_prompt));
        let conversation = self.conversation(g.conversation.as_ref());
        let tools = g.tools.as_ref().map(|t| self.tools(t));
        if conversation.agent_mode == AgentMode::MultiTurn && tools.is_none() {
            let position = g.conversation.as_ref().and_then(at).or(pos);
            self.errors.push(
                Diagnostic::new(position, "`conversation.agent_mode: multi_turn` needs `generation.tools`")
                    .with_hint("add `tools.components.builtin: [read_file, write_file, list_files]`"),
            );
        }
        if let Some(share) = g.conversation.as_ref().and_then(|c| c.value.irrelevant_share.as_ref())
            && share.value > 0.0
            && tools.is_none()
        {
            self.errors.push(
                Diagnostic::new(
                    at(share),
                    "`conversation.irrelevant_share` asks for requests the offered tools cannot serve, but no tools are offered",
                )
                .with_hint("add `generation.tools`, or remove `irrelevant_share`"),
            );
        }
        let rate_limit = self.rate_limit(g.rate_limit.as_ref());
        let llm = self.llm("generation", g.llm.as_ref(), base, g.max_tokens.as_ref(), o);
        GenerationConfig {
            system_prompt,
            instructions: Self::literal(&g.instructions).unwrap_or_default(),
            conversation,
            tools,
            max_retries: self.number("generation.max_retries", None, g.max_retries.as_ref(), 0..=10, 3),
            sample_retries: self.number(
                "generation.sample_retries",
                None,
                g.sample_retries.as_ref(),
                0..=5,
                2,
            ),
            rate_limit,
            save_as: self.expanded("generation.save_as", &g.save_as),
            llm,
            output_schema: g.output_schema.as_ref().and_then(|schema| self.output_schema(schema)),
        }
    }

    /// `generation.output_schema`: a JSON Schema for an object, compiled
    /// here so that a broken one is refused before any model call.
    fn output_schema(&mut self, raw: &Spanned<serde_json::Value>) -> Option<serde_json::Value> {
        let schema = &raw.value;
        let object = schema.get("type").and_then(serde_json::Value::as_str) == Some("object")
            || (schema.get("type").is_none() && schema.get("properties").is_some());
        if !object {
            self.errors.push(
                Diagnostic::new(at(raw), "`generation.output_schema` must describe a JSON object").with_hint(
                    "start it with `type: object` and list the record's fields under `properties`",
                ),
            );
            return None;
        }
        if let Err(err) = weft_tools::validate::Validator::compile("output_schema", schema) {
            let reason = match err {
                weft_tools::validate::ArgumentError::BadSchema { message, .. } => message,
                other => other.to_string(),
            };
            self.error(at(raw), format!("`generation.output_schema` is not a valid JSON Schema: {reason}"));
            return None;
        }
        Some(schema.clone())
    }

    /// `output.format` against `generation.output_schema`: records need a
    /// schema, a schema means records, and records are made without tools
    /// or conversation formats.
    fn sample_kind(&mut self, raw: &RawConfig, output: &mut OutputConfig) {
        let raw_generation = raw.generation.as_ref().map(|g| &g.value);
        let format = raw.output.as_ref().and_then(|o| o.value.format.as_ref());
        let has_schema = raw_generation.is_some_and(|g| g.output_schema.is_some());
        output.format = match format {
            Some(text) => match self.choice("output.format", text, &["messages", "custom"]) {
                Some("custom") if !has_schema => {
                    self.errors.push(
                        Diagnostic::new(at(text), "`output.format: custom` needs `generation.output_schema`")
                            .with_hint("give the JSON Schema each record must follow under `generation.output_schema`"),
                    );
                    SampleKind::Custom
                }
                Some("custom") => SampleKind::Custom,
                Some(_) if has_schema => {
                    self.errors.push(
                        Diagnostic::new(
                            at(text),
                            "`output.format: messages` makes conversations, but `generation.output_schema` asks for records",
                        )
                        .with_hint("set `output.format: custom`, or remove `generation.output_schema`"),
                    );
                    SampleKind::Messages
                }
                _ => SampleKind::Messages,
            },
            // DeepFabric: a schema alone means records.
            None if has_schema => SampleKind::Custom,
            None => SampleKind::Messages,
        };
        if output.format != SampleKind::Custom || !has_schema {
            return;
        }
        if let Some(tools) = raw_generation.and_then(|g| g.tools.as_ref()) {
            self.errors.push(
                Diagnostic::new(
                    at(tools),
                    "`generation.tools` cannot be used with `generation.output_schema`",
                )
                .with_hint(
                    "a custom record is one structured reply, no tool is executed for it: remove \
                         `generation.tools` for records, or `output_schema` for tool-use conversations",
                ),
            );
        }
        // (`formats: [custom]` was refused on its own already.)
        if !output.formats.is_empty() && output.formats.iter().all(|spec| spec.format != "custom") {
            let position = raw
                .output
                .as_ref()
                .and_then(|o| o.value.formats.as_ref().and_then(|f| f.first()).and_then(at).or(at(o)));
            self.errors.push(
                Diagnostic::new(position, "`output.formats` renders conversations; custom records have none")
                    .with_hint(
                        "the records are written to `output.save_as` as the schema says; remove `formats`",
                    ),
            );
        }
    }

    fn conversation(&mut self, raw: Option<&Spanned<RawConversation>>) -> ConversationConfig {
        let empty = RawConversation::default();
        let (c, pos) = raw.map_or((&empty, None), |s| (&s.value, at(s)));
        let kind = match &c.kind {
            Some(text) if text.value == "chain_of_thought" => {
                self.warn(at(text), "`conversation.type: chain_of_thought` is deprecated; read as `cot`");
                ConversationType::Cot
            }
            Some(text) => match self.choice("conversation.type", text, &["basic", "cot"]) {
                Some("cot") => ConversationType::Cot,
                _ => ConversationType::Basic,
            },
            None => ConversationType::Basic,
        };
        let reasoning_style = match &c.reasoning_style {
            Some(text) if text.value == "structured" || text.value == "hybrid" => {
                self.warn(
                    at(text),
                    format!("`reasoning_style: {}` is deprecated; read as `agent`", text.value),
                );
                Some(ReasoningStyle::Agent)
            }
            Some(text) => match self.choice("conversation.reasoning_style", text, &["freetext", "agent"]) {
                Some("freetext") => Some(ReasoningStyle::Freetext),
                Some(_) => Some(ReasoningStyle::Agent),
                None => None,
            },
            None => None,
        };
        match (kind, reasoning_style, &c.reasoning_style) {
            (ConversationType::Basic, Some(_), Some(text)) => self.errors.push(
                Diagnostic::new(
                    at(text),
                    "`conversation.reasoning_style` can only be set when `type` is `cot`",
                )
                .with_hint("set `type: cot` or remove `reasoning_style`"),
            ),
            (ConversationType::Cot, None, None) => self.errors.push(
                Diagnostic::new(
                    c.kind.as_ref().and_then(at).or(pos),
                    "`conversation.type: cot` needs a `reasoning_style`",
                )
                .with_hint("choose `freetext` or `agent`"),
            ),
            _ => {}
        }
        let agent_mode = match &c.agent_mode {
            Some(text) => {
                match self.choice("conversation.agent_mode", text, &["single_turn", "multi_turn"]) {
                    Some("multi_turn") => AgentMode::MultiTurn,
                    _ => AgentMode::SingleTurn,
                }
            }
            None => AgentMode::SingleTurn,
        };
        let turns = c.turns.as_ref().map(|t| self.number("conversation.turns", None, Some(t), 1..=20, 3));
        let min_turns =
            self.number("conversation.min_turns", None, c.min_turns.as_ref(), 1..=20, turns.unwrap_or(2));
        let max_turns =
            self.number("conversation.max_turns", None, c.max_turns.as_ref(), 1..=20, turns.unwrap_or(4));
        if let (Some(t), true) = (&c.turns, c.min_turns.is_some() || c.max_turns.is_some()) {
            self.error(
                at(t),
                "`conversation.turns` sets both `min_turns` and `max_turns`; give one or the other",
            );
        }
        if min_turns > max_turns {
            let position = c.min_turns.as_ref().and_then(at).or(pos);
            self.error(
                position,
                format!("`conversation.min_turns` ({min_turns}) is above `max_turns` ({max_turns})"),
            );
        }
        ConversationConfig {
            kind,
            reasoning_style,
            agent_mode,
            min_turns,
            max_turns,
            min_tool_calls: self.number(
                "conversation.min_tool_calls",
                None,
                c.min_tool_calls.as_ref(),
                0..=50,
                1,
            ),
            irrelevant_share: self.number(
                "conversation.irrelevant_share",
                None,
                c.irrelevant_share.as_ref(),
                0.0..=1.0,
                0.0,
            ),
        }
    }

    fn tools(&mut self, raw: &Spanned<RawTools>) -> ToolsConfig {
        let t = &raw.value;
        let spin_endpoint = self.expanded("tools.spin_endpoint", &t.spin_endpoint);
        self.check_url("tools.spin_endpoint", t.spin_endpoint.as_ref(), spin_endpoint.as_deref());
        let tools_endpoint = self.expanded("tools.tools_endpoint", &t.tools_endpoint);
        self.check_url("tools.tools_endpoint", t.tools_endpoint.as_ref(), tools_endpoint.as_deref());
        let tool_execute_path = self.expanded("tools.tool_execute_path", &t.tool_execute_path);
        if let (Some(path), Some(text)) = (&tool_execute_path, &t.tool_execute_path)
            && !path.starts_with('/')
        {
            self.error(at(text), format!("`tools.tool_execute_path` must start with `/`, got `{path}`"));
        }
        // Definitions of non-builtin components come from the service's
        // `GET /tools` (weft serve), `tools_endpoint`, or the in-process
        // manifest; a tool none of them offers is refused before any sample.
        let components = self.components(t);
        let manifest = self.expanded("tools.manifest", &t.manifest);
        let runtime_config = self.expanded("tools.runtime_config", &t.runtime_config);
        if let (Some(_), Some(text)) = (&manifest, &t.manifest)
            && spin_endpoint.is_some()
        {
            self.error(
                at(text),
                "`tools.manifest` loads components in process; with `tools.spin_endpoint` the service's own manifest \
                 is used: keep one of the two"
                    .to_owned(),
            );
        }
        if let (Some(_), Some(text)) = (&runtime_config, &t.runtime_config)
            && manifest.is_none()
        {
            self.error(at(text), "`tools.runtime_config` needs `tools.manifest`".to_owned());
        }
        let custom = self.custom_tools(t.custom.as_deref().unwrap_or_default());
        if let Some(name) = t.scenario_seed.as_ref().and_then(|seed| seed.value.name.as_ref()) {
            self.error(at(name), "`name` belongs to entries of `scenarios`, not to `scenario_seed`");
        }
        let scenario_seed = self.scenario_seed(t.scenario_seed.as_ref(), "scenario_seed");
        let expect =
            self.expect(t.scenario_seed.as_ref().and_then(|s| s.value.expect.as_ref()), "scenario_seed");
        let scenarios = self.scenarios(t);
        let tool_calling = match &t.tool_calling {
            Some(text) => match self.choice("tools.tool_calling", text, &["native", "json"]) {
                Some("json") => ToolCalling::Json,
                _ => ToolCalling::Native,
            },
            None => ToolCalling::Native,
        };
        let mcp_servers =
            t.mcp_servers.as_deref().unwrap_or_default().iter().filter_map(|s| self.mcp_server(s)).collect();
        ToolsConfig {
            spin_endpoint,
            components,
            tools_endpoint,
            custom,
            max_per_query: self.number("tools.max_per_query", None, t.max_per_query.as_ref(), 1..=50, 3),
            strict: t.strict.as_ref().is_none_or(|s| s.value),
            scenario_seed,
            expect,
            scenarios,
            max_agent_steps: self.number(
                "tools.max_agent_steps",
                None,
                t.max_agent_steps.as_ref(),
                1..=50,
                5,
            ),
            tool_execute_path,
            mcp_servers,
            tool_calling,
            manifest,
            runtime_config,
        }
    }

    fn check_url(&mut self, key: &str, text: Option<&Text>, value: Option<&str>) {
        if let (Some(text), Some(value)) = (text, value)
            && !(value.starts_with("http://") || value.starts_with("https://"))
        {
            self.errors.push(
                Diagnostic::new(
                    at(text),
                    format!("`{key}` must be an http:// or https:// URL, got `{value}`"),
                )
                .with_hint("e.g. `http://localhost:3000`"),
            );
        }
    }

    fn components(&mut self, t: &RawTools) -> Vec<ComponentTools> {
        let mut groups: Vec<ComponentTools> = Vec::new();
        let mut seen: Vec<(String, String)> = Vec::new(); // (tool, component)
        let entries = t.components.as_ref().map(|c| c.value.0.as_slice()).unwrap_or_default();
        let legacy = t.available.as_ref().map(|available| {
            self.warn(at(available), "`tools.available` is deprecated; read as `tools.components.builtin`");
            available.value.as_slice()
        });
        let named = entries.iter().map(|(name, tools)| (name.value.as_str(), tools.value.as_slice()));
        for (component, tools) in named.chain(legacy.map(|tools| ("builtin", tools))) {
            let mut names = Vec::new();
            for tool in tools {
                if component == "builtin" && !BUILTIN_TOOLS.contains(&tool.value.as_str()) {
                    let mut d = Diagnostic::new(
                        at(tool),
                        format!(
                            "unknown builtin tool `{}`; builtin tools are {}",
                            tool.value,
                            BUILTIN_TOOLS.join(", ")
                        ),
                    );
                    if let Some(best) = nearest(&tool.value, BUILTIN_TOOLS) {
                        d = d.with_hint(format!("did you mean `{best}`?"));
                    }
                    self.errors.push(d);
                    continue;
                }
                match seen.iter().find(|(name, _)| *name == tool.value) {
                    Some((_, other)) if other == component => continue, // listed twice: harmless
                    Some((_, other)) => {
                        let message =
                            format!("tool `{}` is listed under both `{other}` and `{component}`", tool.value);
                        self.error(at(tool), message);
                        continue;
                    }
                    None => seen.push((tool.value.clone(), component.to_owned())),
                }
                names.push(tool.value.clone());
            }
            match groups.iter_mut().find(|g| g.component == component) {
                Some(group) => group.tools.extend(names),
                None => groups.push(ComponentTools { component: component.to_owned(), tools: names }),
            }
        }
        groups
    }

    fn custom_tools(&mut self, custom: &[Spanned<serde_json::Value>]) -> Vec<serde_json::Value> {
        let mut out = Vec::new();
        for (i, tool) in custom.iter().enumerate() {
            match super::custom::custom_tool_definition(&tool.value) {
                Ok(_) => out.push(tool.value.clone()),
                Err(reason) => self.error(at(tool), format!("`tools.custom[{i}]` {reason}")),
            }
        }
        out
    }

    /// `scenario_seed`, or the one scenario of a `scenarios` entry (`key`
    /// names it in messages): its inline files over those of its directory,
    /// archive or git repository.
    fn scenario_seed(&mut self, raw: Option<&Spanned<RawScenarioSeed>>, key: &str) -> ScenarioSeed {
        let mut seed = ScenarioSeed::default();
        let Some(raw) = raw else { return seed };
        let s = &raw.value;
        let max_files = self.number(
            &format!("{key}.max_files"),
            None,
            s.max_files.as_ref(),
            1..=1_000_000,
            sources::DEFAULT_MAX_FILES,
        );
        let max_bytes = self.number(
            &format!("{key}.max_bytes"),
            None,
            s.max_bytes.as_ref(),
            1..=1 << 34,
            sources::DEFAULT_MAX_BYTES,
        );
        let binary = match &s.binary {
            Some(text) => match self.choice(&format!("{key}.binary"), text, &["refuse", "skip"]) {
                Some("skip") => sources::Binary::Skip,
                _ => sources::Binary::Refuse,
            },
            None => sources::Binary::Refuse,
        };
        let mut collected = sources::Collector::new(max_files, max_bytes, binary);
        let base = self.base.clone().unwrap_or_default();
        let loads: [(Option<Position>, Result<(), String>); 3] = [
            (
                s.directory.as_ref().and_then(at),
                match &s.directory {
                    Some(dir) => sources::directory(&base.join(&dir.value), &mut collected),
                    None => Ok(()),
                },
            ),
            (
                s.archive.as_ref().and_then(at),
                match &s.archive {
                    Some(file) => sources::archive(&base.join(&file.value), &mut collected),
                    None => Ok(()),
                },
            ),
            (
                s.git.as_ref().and_then(at),
                match &s.git {
                    Some(git) => match &git.value.repo {
                        Some(repo) => {
                            let paths: Vec<String> =
                                git.value.paths.iter().flatten().map(|p| p.value.clone()).collect();
                            let rev = git.value.rev.as_ref().map(|r| r.value.as_str());
                            sources::git(&repo.value, rev, &paths, &base, &mut collected)
                        }
                        None => Err(format!("`{key}.git` needs `repo` (a path or a URL)")),
                    },
                    None => Ok(()),
                },
            ),
        ];
        for (position, loaded) in loads {
            if let Err(message) = loaded {
                self.errors
                    .push(Diagnostic::new(position.or_else(|| at(raw)), format!("`{key}`: {message}")));
            }
        }
        if !collected.skipped.is_empty() {
            let shown: Vec<&str> = collected.skipped.iter().take(5).map(String::as_str).collect();
            let more = if collected.skipped.len() > 5 { ", ..." } else { "" };
            self.warn(
                at(raw),
                format!(
                    "`{key}` leaves out {} binary files (`binary: skip`): {}{more}",
                    collected.skipped.len(),
                    shown.join(", ")
                ),
            );
        }
        seed.files = collected.files;
        let files = s.files.as_ref().map(|f| f.0.as_slice()).unwrap_or_default();
        for (path, content) in files {
            let p = path.value.as_str();
            let escapes = p.starts_with('/') || p.split(['/', '\\']).any(|part| part == "..");
            if p.trim().is_empty() {
                self.error(at(path), format!("`{key}.files` has an empty path"));
            } else if escapes {
                self.errors.push(
                    Diagnostic::new(at(path), format!("seed file `{p}` is outside the session's filesystem"))
                        .with_hint("use a relative path such as `src/main.py`"),
                );
            } else {
                seed.files.insert(p.to_owned(), content.value.clone());
            }
        }
        seed
    }

    /// A scenario's `expect`.
    fn expect(&mut self, raw: Option<&Spanned<RawExpect>>, key: &str) -> Option<Expect> {
        let raw = raw?;
        let mut files = Vec::new();
        for (path, entry) in raw.value.files.as_ref().map(|f| f.0.as_slice()).unwrap_or_default() {
            let e = &entry.value;
            if let Some(pattern) = &e.matches
                && let Err(err) = regex::Regex::new(&pattern.value)
            {
                // The regex crate draws the pattern over several lines; its last says what is wrong.
                let text = err.to_string();
                let why = text.lines().last().unwrap_or_default().trim_start_matches("error: ").to_owned();
                self.error(
                    at(pattern),
                    format!("`{key}.expect.files.{}.matches` is not a regular expression: {why}", path.value),
                );
            }
            let check = FileExpect {
                path: path.value.clone(),
                exists: e.exists.as_ref().map(|b| b.value),
                contains: e.contains.as_ref().map(|t| t.value.clone()),
                equals: e.equals.as_ref().map(|t| t.value.clone()),
                matches: e.matches.as_ref().map(|t| t.value.clone()),
            };
            let about_text = check.contains.is_some() || check.equals.is_some() || check.matches.is_some();
            if check.exists.is_none() && !about_text {
                self.errors.push(
                    Diagnostic::new(
                        at(entry),
                        format!("`{key}.expect.files.{}` expects nothing", path.value),
                    )
                    .with_hint("give `exists`, `contains`, `equals` or `matches`"),
                );
            } else if check.exists == Some(false) && about_text {
                self.error(
                    at(entry),
                    format!("`{key}.expect.files.{}` cannot both not exist and hold text", path.value),
                );
            }
            files.push(check);
        }
        if files.is_empty() {
            self.error(at(raw), format!("`{key}.expect` names no files"));
        }
        Some(Expect { strict: raw.value.strict.as_ref().is_some_and(|s| s.value), files })
    }

    /// `scenarios`: each entry named, names unique; not beside `scenario_seed`.
    fn scenarios(&mut self, t: &RawTools) -> Vec<Scenario> {
        let Some(entries) = &t.scenarios else { return Vec::new() };
        if let Some(seed) = &t.scenario_seed {
            self.errors.push(
                Diagnostic::new(at(seed), "`scenario_seed` and `scenarios` cannot be used together")
                    .with_hint("make the seed one of the `scenarios` (with a `name`)"),
            );
        }
        let mut out: Vec<Scenario> = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            let key = format!("scenarios[{i}]");
            let Some(name) = entry.value.name.as_ref() else {
                self.error(at(entry), format!("`{key}` needs a `name`"));
                continue;
            };
            if out.iter().any(|s| s.name == name.value) {
                self.error(at(name), format!("two scenarios are named `{}`", name.value));
                continue;
            }
            let seed = self.scenario_seed(Some(entry), &key);
            let expect = self.expect(entry.value.expect.as_ref(), &key);
            out.push(Scenario { name: name.value.clone(), seed, expect });
        }
        if out.is_empty() && entries.is_empty() {
            self.error(None, "`scenarios` is empty");
        }
        out
    }

    fn mcp_server(&mut self, raw: &Spanned<RawMcpServer>) -> Option<McpServerConfig> {
        let s = &raw.value;
        let name = self.required("tools.mcp_servers[].name", at(raw), Self::literal(&s.name));
        let url = self.expanded("mcp_servers.url", &s.url);
        let command = self.expanded("mcp_servers.command", &s.command);
        let transport = match (url, command) {
            (Some(url), None) => {
                self.check_url("mcp_servers.url", s.url.as_ref(), Some(&url));
                McpTransport::Http { url }
            }
            (None, Some(command)) => {
                let args = s.args.iter().flatten().map(|a| Some(a.clone())).collect::<Vec<_>>();
                let args = args.iter().filter_map(|a| self.expanded("mcp_servers.args", a)).collect();
                let env = s
                    .env
                    .iter()
                    .flatten()
                    .filter_map(|(k, v)| {
                        Some((k.clone(), self.expanded("mcp_servers.env", &Some(v.clone()))?))
                    })
                    .collect();
                McpTransport::Stdio { command, args, env }
            }
            _ => {
                self.error(at(raw), format!("MCP server `{name}` needs exactly one of `url` or `command`"));
                return None;
            }
        };
        let tools = s.tools.iter().flatten().map(|t| t.value.clone()).collect();
        Some(McpServerConfig { name, transport, tools })
    }

    fn rate_limit(&mut self, raw: Option<&Spanned<RawRateLimit>>) -> RateLimitConfig {
        let empty = RawRateLimit::default();
        let (r, pos) = raw.map_or((&empty, None), |s| (&s.value, at(s)));
        let backoff = match &r.backoff_strategy {
            Some(text) => match self.choice(
                "rate_limit.backoff_strategy",
                text,
                &["exponential", "exponential_jitter", "linear", "constant"],
            ) {
                Some("exponential") => Backoff::Exponential,
                Some("linear") => Backoff::Linear,
                Some("constant") => Backoff::Constant,
                _ => Backoff::ExponentialJitter,
            },
            None => Backoff::ExponentialJitter,
        };
        let jitter = r.jitter.as_ref().is_none_or(|j| j.value);
        let backoff =
            if backoff == Backoff::ExponentialJitter && !jitter { Backoff::Exponential } else { backoff };
        let base_delay_secs =
            self.number("rate_limit.base_delay", None, r.base_delay.as_ref(), 0.1..=60.0, 1.0);
        let max_delay_secs =
            self.number("rate_limit.max_delay", None, r.max_delay.as_ref(), 1.0..=300.0, 60.0);
        if max_delay_secs < base_delay_secs {
            let position = r.max_delay.as_ref().and_then(at).or(pos);
            self.error(position, "`rate_limit.max_delay` must be at least `base_delay`");
        }
        RateLimitConfig {
            requests_per_minute: r
                .requests_per_minute
                .as_ref()
                .map(|v| self.number("rate_limit.requests_per_minute", None, Some(v), 1..=1_000_000, 60)),
            tokens_per_minute: r
                .tokens_per_minute
                .as_ref()
                .map(|v| self.number("rate_limit.tokens_per_minute", None, Some(v), 1..=u32::MAX, 100_000)),
            max_retries: self.number("rate_limit.max_retries", None, r.max_retries.as_ref(), 0..=20, 5),
            base_delay_secs,
            max_delay_secs,
            backoff,
            exponential_base: self.number(
                "rate_limit.exponential_base",
                None,
                r.exponential_base.as_ref(),
                1.1..=10.0,
                2.0,
            ),
            respect_retry_after: r.respect_retry_after.as_ref().is_none_or(|v| v.value),
            retry_on_status_codes: r
                .retry_on_status_codes
                .as_ref()
                .map(|codes| codes.iter().map(|c| c.value).collect())
                .unwrap_or_else(|| vec![429, 500, 502, 503, 504]),
        }
    }

    /// `output.formats` and `output.formatters`, each checked against the
    /// formats weft writes.
    fn formats(&mut self, out: &RawOutput) -> Vec<FormatSpec> {
        let mut specs = Vec::new();
        for entry in out.formats.as_deref().unwrap_or_default() {
            let spec = match &entry.value {
                RawFormat::Name(name) => FormatSpec::named(name),
                RawFormat::Spec(table) => {
                    let Some(name) = &table.name else {
                        self.error(
                            at(entry),
                            "an `output.formats` table needs `name` (e.g. `name: chat-template`)",
                        );
                        continue;
                    };
                    let template = self.expanded("output.formats.template", &table.template).map(|path| {
                        // (An untagged entry keeps no inner spans: the entry's place.)
                        let position = table.template.as_ref().and_then(at).or(at(entry));
                        self.input_file("output.formats.template", path, position)
                    });
                    FormatSpec {
                        template,
                        output: self.expanded("output.formats.output", &table.output),
                        split_parallel: table.split_parallel.as_ref().is_some_and(|v| v.value),
                        bos_token: Self::literal(&table.bos_token),
                        eos_token: Self::literal(&table.eos_token),
                        kwargs: self.kwargs(table.kwargs.as_ref()),
                        date: Self::literal(&table.date),
                        ..FormatSpec::named(&name.value)
                    }
                }
            };
            self.check_format(&spec, at(entry));
            specs.push(spec);
        }
        for formatter in out.formatters.as_deref().unwrap_or_default() {
            let template = formatter.value.template.as_ref().map(|t| t.value.clone()).unwrap_or_default();
            let format = match old_formatter(&template) {
                Ok(format) => format,
                Err(message) => {
                    self.errors.push(
                        Diagnostic::new(
                            formatter.value.template.as_ref().and_then(at).or(at(formatter)),
                            message,
                        )
                        .with_hint(format!(
                            "weft writes these formats: {}",
                            weft_dataset::format::FORMAT_NAMES.join(", ")
                        )),
                    );
                    continue;
                }
            };
            let template = (format == "chat-template").then(|| {
                let position = formatter.value.template.as_ref().and_then(at);
                self.input_file("output.formatters.template", template.clone(), position)
            });
            let spec = FormatSpec {
                template,
                output: self.expanded("output.formatters.output", &formatter.value.output),
                kwargs: self.kwargs(formatter.value.config.as_ref()),
                ..FormatSpec::named(format)
            };
            specs.push(spec);
        }
        specs
    }

    fn kwargs(
        &mut self,
        raw: Option<&Spanned<serde_json::Value>>,
    ) -> serde_json::Map<String, serde_json::Value> {
        match raw.map(|v| (&v.value, v)) {
            None | Some((serde_json::Value::Null, _)) => serde_json::Map::new(),
            Some((serde_json::Value::Object(map), _)) => map.clone(),
            Some((_, spanned)) => {
                self.error(at(spanned), "template variables (`kwargs`, `config`) must be a mapping");
                serde_json::Map::new()
            }
        }
    }

    fn check_format(&mut self, spec: &FormatSpec, position: Option<Position>) {
        if !weft_dataset::format::FORMAT_NAMES.contains(&spec.format.as_str()) {
            self.errors.push(
                Diagnostic::new(position, format!("unknown format `{}`", spec.format))
                    .with_hint(format!("one of: {}", weft_dataset::format::FORMAT_NAMES.join(", "))),
            );
        } else if spec.format == "custom" {
            self.errors.push(Diagnostic::new(position, "`custom` is not a conversation format").with_hint(
                "records that follow a schema are made with `output.format: custom` and \
                         `generation.output_schema`; they are written to `output.save_as`",
            ));
        } else if spec.format == "chat-template" && spec.template.is_none() {
            self.error(
                position,
                "format `chat-template` needs `template: FILE.jinja` (the model's chat template)",
            );
        }
        if let Some(date) = &spec.date
            && date.parse::<weft_dataset::format::Date>().is_err()
        {
            self.error(position, format!("`date: {date}` is not a date (YYYY-MM-DD)"));
        }
    }

    fn output(
        &mut self,
        raw: Option<&Spanned<RawOutput>>,
        top_checkpoint: Option<&Spanned<RawCheckpoint>>,
        o: &Overrides,
    ) -> OutputConfig {
        let empty = RawOutput::default();
        let (out, pos) = match raw {
            Some(s) => (&s.value, at(s)),
            None => {
                self.error(None, "missing required section `output`");
                (&empty, None)
            }
        };
        let num_samples = match (&o.num_samples, &out.num_samples) {
            (Some(flag), _) => *flag,
            (None, Some(raw)) => {
                let parsed = match &raw.value {
                    RawNumSamples::Count(n) => n.to_string().parse::<NumSamples>(),
                    RawNumSamples::Text(text) => text.parse::<NumSamples>(),
                };
                parsed.unwrap_or_else(|e| {
                    self.error(at(raw), format!("`output.num_samples`: {e}"));
                    NumSamples::Count(1)
                })
            }
            (None, None) => NumSamples::Count(3),
        };
        let save_as = self.expanded("output.save_as", &out.save_as);
        let save_as = self.required("output.save_as", pos, save_as);
        let checkpoint = match (&out.checkpoint, top_checkpoint) {
            (Some(c), Some(top)) => {
                self.error(at(top), "`checkpoint` is given both at the top level and in `output`; keep one");
                Some(self.checkpoint(c))
            }
            (Some(c), None) | (None, Some(c)) => Some(self.checkpoint(c)),
            (None, None) => None,
        };
        let formats = self.formats(out);
        OutputConfig {
            format: SampleKind::Messages,
            formats,
            system_prompt: Self::literal(&out.system_prompt),
            include_system_message: out.include_system_message.as_ref().is_none_or(|v| v.value),
            num_samples,
            batch_size: self.number(
                "output.batch_size",
                o.batch_size.map(|b| ("batch-size", b)),
                out.batch_size.as_ref(),
                1..=100_000,
                5,
            ),
            save_as,
            checkpoint,
        }
    }

    fn checkpoint(&mut self, raw: &Spanned<RawCheckpoint>) -> CheckpointConfig {
        let c = &raw.value;
        let interval = match &c.interval {
            Some(i) => self.number("checkpoint.interval", None, Some(i), 1..=u32::MAX, 1),
            None => {
                self.error(at(raw), "missing required key `checkpoint.interval`");
                1
            }
        };
        CheckpointConfig {
            interval,
            path: self.expanded("checkpoint.path", &c.path),
            retry_failed: c.retry_failed.as_ref().is_some_and(|v| v.value),
        }
    }

    fn huggingface(&mut self, raw: &Spanned<RawHuggingFace>) -> HuggingFaceConfig {
        let repository = self.expanded("huggingface.repository", &raw.value.repository);
        HuggingFaceConfig {
            repository: self.required("huggingface.repository", at(raw), repository),
            tags: raw.value.tags.iter().flatten().map(|t| t.value.clone()).collect(),
            private: raw.value.private.as_ref().is_some_and(|p| p.value),
        }
    }

    fn kaggle(&mut self, raw: &Spanned<RawKaggle>) -> KaggleConfig {
        // Refused rather than half supported: Kaggle's dataset API uploads
        // through a resumable Google Cloud Storage session weft cannot test
        // against anything here.
        self.errors.push(
            Diagnostic::new(at(raw), "weft does not publish to Kaggle (`kaggle:`)")
                .with_hint("remove the section and run `kaggle datasets create -p DIR` (or `kaggle datasets version`) on the files weft wrote; `huggingface:` is supported"),
        );
        let k = &raw.value;
        let handle = self.expanded("kaggle.handle", &k.handle);
        let handle = self.required("kaggle.handle", at(raw), handle);
        if !handle.is_empty() && handle.split('/').filter(|p| !p.is_empty()).count() != 2 {
            let position = k.handle.as_ref().and_then(at);
            self.error(position, format!("`kaggle.handle` must look like `owner/dataset`, got `{handle}`"));
        }
        KaggleConfig {
            handle,
            tags: k.tags.iter().flatten().map(|t| t.value.clone()).collect(),
            description: Self::literal(&k.description),
            version_notes: Self::literal(&k.version_notes),
        }
    }
}

/// DeepFabric's default model is `gpt-4o`; other providers get their own
/// sensible default so `provider: anthropic` alone works.
fn default_model(provider: &str) -> &'static str {
    match provider {
        "anthropic" => "claude-sonnet-4-5",
        "gemini" => "gemini-2.5-flash",
        "ollama" => "llama3.1",
        "openrouter" => "openai/gpt-4o",
        "scripted" => "scripted",
        _ => "gpt-4o",
    }
}

/// weft's format for one of DeepFabric's old formatter templates
/// (`builtin://trl_sft_tools.py`, ...; a `.jinja` file is a chat template).
fn old_formatter(template: &str) -> Result<&'static str, String> {
    if template.ends_with(".jinja") || template.ends_with(".j2") {
        return Ok("chat-template");
    }
    let name = template.trim_start_matches("builtin://").trim_end_matches(".py");
    Ok(match name {
        "trl" | "trl_sft_tools" | "tool_calling" => "trl",
        "openai" | "openai_schema" => "openai",
        "chatml" | "im_format" | "hermes" => "hermes",
        "conversations" | "sharegpt" | "unsloth" => "sharegpt",
        "xlam" | "xlam_v2" => "xlam",
        "harmony" => "harmony",
        "messages" | "" => "messages",
        "adp" => "adp",
        "alpaca" | "grpo" | "single_tool_call" => {
            return Err(format!(
                "formatter `{template}` writes a format without tool calls, which weft does not write"
            ));
        }
        other => return Err(format!("formatter `{other}` is not one weft knows")),
    })
}
