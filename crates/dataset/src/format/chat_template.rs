//! `chat-template`: each sample rendered through a model's own Hugging Face
//! chat template (a `.jinja` file, or `chat_template` from
//! `tokenizer_config.json` saved as one) into `{"text": ...}`, the text
//! `tokenizer.apply_chat_template(messages, tools=tools, tokenize=False)`
//! gives, byte for byte.
//!
//! The sample goes in as its [`trl`](super::trl) record, prepared as
//! transformers 5 prepares messages: top-level keys whose value is null are
//! dropped, and `reasoning_content` / `thinking` / `reasoning` are copied onto
//! `thinking` and `reasoning_content`. The template sees `messages`, `tools`
//! (none when the sample has none), `documents` (none),
//! `add_generation_prompt`, `bos_token` / `eos_token` when given, and the
//! extra keyword arguments, which win over all of these. The engine is set
//! up to render as jinja2 does ([`jinja`]); `strftime_now` answers with a
//! fixed date ([`Date`]).
//!
//! After rendering, the text is checked for every call's name, argument
//! and result and every answer ([`probe`]): a template that drops any of
//! them (gpt-oss keeps only the first of parallel calls; some templates
//! render no calls at all) fails for that sample with what it dropped,
//! instead of writing a training text that lost the calls. Templates that
//! refuse or drop parallel calls take them split into sequential turns
//! ([`ChatTemplateOptions::split_parallel`]).

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::FormatError;
use super::conversation::has_parallel_calls;
use super::trl;
use crate::sample::Sample;

mod clock;
mod jinja;
mod probe;
mod split;
mod tojson;

pub use clock::Date;

/// How samples are handed to a template.
#[derive(Debug, Clone, Default)]
pub struct ChatTemplateOptions {
    /// `bos_token`, when the model's tokenizer has one (templates that print
    /// it print nothing without it).
    pub bos_token: Option<String>,
    /// `eos_token`, likewise.
    pub eos_token: Option<String>,
    /// Ends the text with the assistant's header, for prompting. False for
    /// training data.
    pub add_generation_prompt: bool,
    /// Extra template variables (`enable_thinking`, `reasoning_effort`,
    /// `builtin_tools`, `date_string`, ...). They override everything else.
    pub kwargs: Map<String, Value>,
    /// Parallel calls as sequential single-call turns (for Llama 3.x, which
    /// refuses parallel calls, and gpt-oss, which keeps only the first).
    pub split_parallel: bool,
    /// What `strftime_now` answers with; `None` is today (UTC), read once
    /// when the template is loaded.
    pub date: Option<Date>,
}

/// A compiled chat template with its options.
pub struct ChatTemplate {
    name: String,
    env: minijinja::Environment<'static>,
    options: ChatTemplateOptions,
    date: Date,
}

impl std::fmt::Debug for ChatTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatTemplate").field("name", &self.name).field("options", &self.options).finish()
    }
}

impl ChatTemplate {
    /// The template in `path` (its name is the file's stem).
    pub fn load(path: &Path, options: ChatTemplateOptions) -> Result<ChatTemplate, FormatError> {
        let source = std::fs::read_to_string(path)
            .map_err(|source| FormatError::Io { path: path.to_path_buf(), source })?;
        let name = path.file_stem().map_or_else(|| "template".into(), |s| s.to_string_lossy().into_owned());
        Self::compile(name, &source, options)
            .map_err(|message| FormatError::TemplateLoad { path: path.to_path_buf(), message })
    }

    /// A template from its source text.
    pub fn from_source(
        name: &str,
        source: &str,
        options: ChatTemplateOptions,
    ) -> Result<ChatTemplate, FormatError> {
        Self::compile(name.to_owned(), source, options)
            .map_err(|message| FormatError::TemplateLoad { path: PathBuf::from(name), message })
    }

    fn compile(name: String, source: &str, options: ChatTemplateOptions) -> Result<ChatTemplate, String> {
        let date = options.date.unwrap_or_else(Date::today);
        let env = jinja::environment(source, date).map_err(|err| describe(&err))?;
        Ok(ChatTemplate { name, env, options, date })
    }

    /// The template's name (its file's stem).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The options it renders with.
    pub fn options(&self) -> &ChatTemplateOptions {
        &self.options
    }

    /// The date `strftime_now` answers with.
    pub fn date(&self) -> Date {
        self.date
    }

    /// The TRL record this template renders for `sample` (with parallel
    /// calls split when the options say so), before transformers'
    /// preparation.
    pub fn record(&self, sample: &Sample) -> Result<Value, FormatError> {
        let sample: Cow<'_, Sample> =
            if self.options.split_parallel { split::split_parallel(sample) } else { Cow::Borrowed(sample) };
        trl::record(&sample, "chat-template")
    }

    /// The text of a TRL record, without the drop check.
    pub fn render_record(&self, record: &Value) -> Result<String, FormatError> {
        let context = minijinja::Value::from(minijinja::value::Serde(self.variables(record)));
        let template = self.env.get_template(jinja::TEMPLATE).map_err(|err| self.failed(&err, false))?;
        template.render(context).map_err(|err| self.failed(&err, has_parallel(record)))
    }

    /// `{"text": ...}` for `sample`, checked for dropped calls.
    pub(crate) fn render(&self, sample: &Sample) -> Result<Value, FormatError> {
        let record = self.record(sample)?;
        let text = self.render_record(&record)?;
        let (probe, expected) = probe::probe(&record);
        let probe_text = self.render_record(&probe)?;
        let dropped = probe::missing(&probe_text, &expected);
        if !dropped.is_empty() {
            let hint = if has_parallel_calls(sample) && !self.options.split_parallel {
                " (the sample makes parallel calls: try split_parallel / --split-parallel)".to_owned()
            } else {
                String::new()
            };
            return Err(FormatError::Dropped { template: self.name.clone(), dropped, hint });
        }
        Ok(json!({ "text": text }))
    }

    /// The variables transformers passes: messages, tools, documents,
    /// add_generation_prompt, the special tokens, then the kwargs.
    fn variables(&self, record: &Value) -> Map<String, Value> {
        let messages =
            record.get("messages").and_then(Value::as_array).map(|m| m.as_slice()).unwrap_or_default();
        let mut variables = Map::new();
        variables.insert("messages".into(), Value::Array(messages.iter().map(prepare_message).collect()));
        variables.insert("tools".into(), record.get("tools").cloned().unwrap_or(Value::Null));
        variables.insert("documents".into(), Value::Null);
        variables.insert("add_generation_prompt".into(), Value::Bool(self.options.add_generation_prompt));
        if let Some(bos) = &self.options.bos_token {
            variables.insert("bos_token".into(), json!(bos));
        }
        if let Some(eos) = &self.options.eos_token {
            variables.insert("eos_token".into(), json!(eos));
        }
        for (key, value) in &self.options.kwargs {
            variables.insert(key.clone(), value.clone());
        }
        variables
    }

    fn failed(&self, err: &minijinja::Error, parallel: bool) -> FormatError {
        let hint = if parallel && !self.options.split_parallel {
            " (the sample makes parallel calls: try split_parallel / --split-parallel)".to_owned()
        } else {
            String::new()
        };
        FormatError::Template { template: self.name.clone(), message: describe(err), hint }
    }
}

const REASONING_FIELDS: [&str; 3] = ["reasoning_content", "thinking", "reasoning"];

/// transformers 5's preparation of one message: null top-level keys
/// dropped, then the reasoning fields aliased
/// (`{"thinking": r, **message, "reasoning_content": r}`).
fn prepare_message(message: &Value) -> Value {
    let Some(object) = message.as_object() else { return message.clone() };
    let present: Map<String, Value> =
        object.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), v.clone())).collect();
    let Some(reasoning) = REASONING_FIELDS.iter().find_map(|field| present.get(*field)).cloned() else {
        return Value::Object(present);
    };
    let mut prepared = Map::new();
    prepared.insert("thinking".into(), reasoning.clone());
    for (key, value) in present {
        prepared.insert(key, value);
    }
    prepared.insert("reasoning_content".into(), reasoning);
    Value::Object(prepared)
}

fn has_parallel(record: &Value) -> bool {
    record.get("messages").and_then(Value::as_array).into_iter().flatten().any(|message| {
        message.get("tool_calls").and_then(Value::as_array).is_some_and(|calls| calls.len() > 1)
    })
}

/// The engine's message, with the template line when it has one.
fn describe(err: &minijinja::Error) -> String {
    let detail = err.detail().map(str::to_owned).unwrap_or_else(|| err.kind().to_string());
    match err.line() {
        Some(line) => format!("{detail} (line {line})"),
        None => detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepares_messages_as_transformers_5() {
        let message = json!({"role": "assistant", "content": null, "reasoning": "think", "tool_calls": []});
        assert_eq!(
            serde_json::to_string(&prepare_message(&message)).unwrap(),
            r#"{"thinking":"think","role":"assistant","reasoning":"think","tool_calls":[],"reasoning_content":"think"}"#
        );
        let both = json!({"role": "assistant", "thinking": "a", "reasoning_content": "b"});
        assert_eq!(
            serde_json::to_string(&prepare_message(&both)).unwrap(),
            r#"{"thinking":"a","role":"assistant","reasoning_content":"b"}"#
        );
    }
}
