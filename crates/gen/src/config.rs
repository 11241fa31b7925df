//! DeepFabric YAML configs, as they are, resolved into a validated [`Config`].
//!
//! Loading is cheap and does no I/O beyond reading the file:
//!
//! 1. the YAML is read into a location-carrying tree and every key is checked
//!    against the keys each section accepts — all unknown keys are reported at
//!    once, each with `file:line:col` and the nearest valid key;
//! 2. the same text is deserialized into the raw section structs (type errors
//!    name the key and its position);
//! 3. the raw values are resolved: `llm` inheritance (section → top level →
//!    default), defaults, legacy keys mapped onto current ones (with a
//!    [`ConfigWarning`] each), [`Overrides`] from the command line, `${VAR}`
//!    expansion, range and cross-field checks.
//!
//! YAML is read the way PyYAML reads DeepFabric configs: `yes`/`no`/`on`/`off`
//! are booleans and `<<: *anchor` merge keys work.
//!
//! Weft-only keys (all optional; a DeepFabric config never needs them):
//! `seed` (top level), `llm.max_tokens`, `llm.timeout` (seconds),
//! `generation.conversation.turns` (shorthand for `min_turns = max_turns`),
//! `generation.rate_limit.requests_per_minute` / `tokens_per_minute`, and
//! `generation.tools.mcp_servers` (`[{name, url | command, args, env, tools}]`).
//!
//! ```
//! let yaml = "
//! topics: {prompt: Unix file tools, depth: 2, degree: 2}
//! generation:
//!   system_prompt: You help with files.
//!   tools:
//!     components: {builtin: [read_file, list_files]}
//! output: {num_samples: 4, save_as: out.jsonl}
//! ";
//! let config = weft_gen::config::parse(yaml, "x.yaml", &Default::default()).unwrap();
//! assert_eq!(config.topics.expected_paths(), 4);
//! assert_eq!(config.generation.llm.provider, "openai");
//!
//! let err = weft_gen::config::parse("output: {num_sample: 4}", "x.yaml", &Default::default()).unwrap_err();
//! assert!(err.to_string().contains("unknown key `num_sample` in `output` at x.yaml:1:10 — did you mean `num_samples`?"));
//! ```

mod custom;
mod diagnostic;
mod env;
mod keys;
mod raw;
mod resolve;
mod resolved;
mod sources;
mod summary;
mod yaml;

use std::path::Path;

use serde_saphyr::{MessageFormatter, Spanned};

pub use custom::custom_tool_definition;
pub use diagnostic::{ConfigError, ConfigWarning, Diagnostic, Diagnostics};
pub use resolved::*;
pub use summary::summary;
pub use yaml::Position;

/// Command-line values that win over the file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    /// `--provider`, for topics and generation.
    pub provider: Option<String>,
    /// `--model`, for topics and generation.
    pub model: Option<String>,
    /// `--base-url`, for topics and generation.
    pub base_url: Option<String>,
    /// `--num-samples`.
    pub num_samples: Option<NumSamples>,
    /// `--batch-size`.
    pub batch_size: Option<u32>,
    /// `--depth`.
    pub depth: Option<u32>,
    /// `--degree`.
    pub degree: Option<u32>,
}

/// Reads and resolves the config at `path`; `${VAR}` reads the process environment.
pub fn load(path: &Path, overrides: &Overrides) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
    let base = path.parent().filter(|dir| !dir.as_os_str().is_empty()).unwrap_or(Path::new("."));
    parse_in(&text, &path.display().to_string(), overrides, &|name| std::env::var(name).ok(), Some(base))
}

/// Resolves config `text`; `source` names it in messages.
pub fn parse(text: &str, source: &str, overrides: &Overrides) -> Result<Config, ConfigError> {
    parse_with_env(text, source, overrides, &|name| std::env::var(name).ok())
}

/// Like [`parse`], with `env` answering `${VAR}` lookups.
pub fn parse_with_env(
    text: &str,
    source: &str,
    overrides: &Overrides,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    parse_in(text, source, overrides, env, None)
}

/// Like [`parse_with_env`]; with `base`, input files the config names (chat
/// templates) are relative to it and must exist.
pub fn parse_in(
    text: &str,
    source: &str,
    overrides: &Overrides,
    env: &dyn Fn(&str) -> Option<String>,
    base: Option<&Path>,
) -> Result<Config, ConfigError> {
    let invalid =
        |items: Vec<Diagnostic>| ConfigError::Invalid(Diagnostics { file: source.to_owned(), items });
    let tree: Spanned<yaml::Node> = match serde_saphyr::from_str(text) {
        Ok(tree) => tree,
        Err(err) => return Err(invalid(vec![from_serde(&err, None)])),
    };
    if !matches!(tree.value, yaml::Node::Map(_)) {
        let message = "a config is a mapping of sections (`topics:`, `generation:`, `output:`, ...)";
        return Err(invalid(vec![Diagnostic::new(Position::of(&tree), message)]));
    }
    let mut errors = keys::unknown_keys(&tree, &keys::schema());
    let raw: raw::RawConfig = match serde_saphyr::from_str(text) {
        Ok(raw) => raw,
        Err(err) => {
            errors.push(from_serde(&err, Some(&tree)));
            return Err(invalid(sorted(errors)));
        }
    };
    let mut resolver = resolve::Resolver::new(env);
    if let Some(base) = base {
        resolver = resolver.relative_to(base);
    }
    let mut config = resolver.config(&raw, source, overrides);
    errors.append(&mut resolver.errors);
    if !errors.is_empty() {
        return Err(invalid(sorted(errors)));
    }
    config.warnings = resolver.warnings;
    Ok(config)
}

fn sorted(mut items: Vec<Diagnostic>) -> Vec<Diagnostic> {
    // Problems without a position (missing sections) first, then file order.
    items.sort_by_key(|d| d.position.map(|p| (p.line, p.column)));
    // An inherited value (top-level `llm`) is judged once per section using it.
    items.dedup();
    items
}

/// A serde-saphyr error as a diagnostic naming the key it is about.
fn from_serde(err: &serde_saphyr::Error, tree: Option<&Spanned<yaml::Node>>) -> Diagnostic {
    let raw = serde_saphyr::DefaultMessageFormatter.format_message(err.without_snippet()).into_owned();
    let position = err
        .location()
        .filter(|l| l.line() > 0)
        .map(|l| Position { line: l.line() as u32, column: l.column() as u32 });
    let explained = explain(&raw);
    let key = tree.zip(position).and_then(|(tree, at)| yaml::key_path_at(tree, at));
    let message = match (tree, key) {
        (_, Some(key)) => format!("invalid value for `{key}`: {explained}"),
        (Some(_), None) => format!("invalid value: {explained}"),
        (None, None) => format!("invalid YAML: {explained}"),
    };
    Diagnostic::new(position, message)
}

fn explain(message: &str) -> String {
    let expected = match message {
        "invalid boolean" => "expected true or false",
        "invalid f64" | "invalid f32" => "expected a number",
        m if m.starts_with("invalid u") => "expected a whole number, 0 or more",
        m if m.starts_with("invalid i") => "expected a whole number",
        "expected string scalar" => "expected a string",
        _ => return message.to_owned(),
    };
    expected.to_owned()
}
