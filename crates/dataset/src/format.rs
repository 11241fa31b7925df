//! Training formats: a [`Sample`] rendered into what a trainer reads.
//!
//! weft writes one canonical shape ([`Sample`]); trainers want their own.
//! Each format is one file below `format/` and turns one sample into one
//! JSON record:
//!
//! | name | record | for |
//! |---|---|---|
//! | `messages` | the sample as is | DeepFabric, anything reading weft's own shape |
//! | `openai` | `messages`, `tools`, `parallel_tool_calls` | OpenAI fine-tuning |
//! | `trl` | `messages` (arguments as objects), `tools` | Hugging Face TRL `SFTTrainer`, `apply_chat_template` |
//! | `hermes` | `{"text"}`: ChatML with `<tools>`, `<tool_call>`, `<tool_response>` | NousResearch Hermes function calling |
//! | `sharegpt` | `conversations`, `system`, `tools` (a JSON string) | LLaMA-Factory |
//! | `xlam` | `query`, `tools`, `answers` (JSON strings) | APIGen / xLAM |
//! | `harmony` | `{"text"}`: gpt-oss's harmony format | gpt-oss |
//! | `adp` | an Agent Data Protocol trajectory | neulab's ADP converters |
//! | `chat-template` | `{"text"}`: the sample through a model's own Jinja template | any Hugging Face model |
//! | `custom` | the record alone, as `generation.output_schema` says | runs with `output.format: custom` |
//!
//! What each format cannot carry is said in its module. Two rules hold for
//! all of them:
//!
//! * **Arguments.** weft keeps a call whose arguments the model wrote as
//!   invalid JSON (it was executed and answered `InvalidArguments`). Formats
//!   that carry arguments as text (`messages`, `openai`, `hermes`, `harmony`)
//!   keep that text verbatim. Formats that carry arguments as a JSON object
//!   (`trl`, `sharegpt`, `xlam`, `adp`, `chat-template`) cannot hold it: such
//!   a sample is not rendered in them, and [`render`] says which call
//!   ([`FormatError::ArgumentsNotObject`]). It is never rewritten into an
//!   object the model did not write.
//! * **Nothing is dropped silently.** A format either renders every call,
//!   every argument and every result of a sample, or fails for that sample
//!   with the reason (a chat template that drops calls is caught after
//!   rendering, [`FormatError::Dropped`]).

use std::path::{Path, PathBuf};

mod adp;
mod arguments;
mod chat_template;
mod conversation;
mod error;
mod file;
mod harmony;
mod hermes;
mod messages;
mod openai;
mod pyjson;
mod sharegpt;
mod trl;
mod xlam;

pub use chat_template::{ChatTemplate, ChatTemplateOptions, Date};
pub use error::FormatError;
pub use file::{RenderReport, SampleFailure, render_file};

use crate::sample::{CustomRecord, Sample};

/// A training format.
#[derive(Debug)]
#[non_exhaustive]
pub enum Format {
    /// weft's canonical shape, unchanged.
    Messages,
    /// OpenAI fine-tuning JSONL.
    OpenAi,
    /// Hugging Face TRL conversational records.
    Trl,
    /// NousResearch Hermes function calling, as ChatML text.
    Hermes,
    /// LLaMA-Factory's ShareGPT records.
    ShareGpt,
    /// APIGen / xLAM query-answers records.
    Xlam,
    /// gpt-oss harmony text.
    Harmony,
    /// Agent Data Protocol trajectories.
    Adp,
    /// A model's own chat template (see [`ChatTemplate::load`]).
    ChatTemplate(Box<ChatTemplate>),
    /// The records of a custom-schema run ([`CustomRecord`]), without
    /// weft's metadata. Only such runs have them.
    Custom,
}

/// The names [`Format::parse`] knows, in the order `--help` lists them.
pub const FORMAT_NAMES: [&str; 10] =
    ["messages", "openai", "trl", "hermes", "sharegpt", "xlam", "harmony", "adp", "chat-template", "custom"];

impl Format {
    /// The format called `name` (one of [`FORMAT_NAMES`]). `chat-template`
    /// needs its template file, so it is made with
    /// `Format::ChatTemplate(Box::new(ChatTemplate::load(path, options)?))`
    /// and here answers [`FormatError::NeedsTemplate`].
    pub fn parse(name: &str) -> Result<Format, FormatError> {
        Ok(match name {
            "messages" => Format::Messages,
            "openai" => Format::OpenAi,
            "trl" => Format::Trl,
            "hermes" => Format::Hermes,
            "sharegpt" => Format::ShareGpt,
            "xlam" => Format::Xlam,
            "harmony" => Format::Harmony,
            "adp" => Format::Adp,
            "custom" => Format::Custom,
            "chat-template" => return Err(FormatError::NeedsTemplate),
            other => return Err(FormatError::UnknownFormat { name: other.to_owned() }),
        })
    }

    /// The format's name, as [`Format::parse`] takes it.
    pub fn name(&self) -> &str {
        match self {
            Format::Messages => "messages",
            Format::OpenAi => "openai",
            Format::Trl => "trl",
            Format::Hermes => "hermes",
            Format::ShareGpt => "sharegpt",
            Format::Xlam => "xlam",
            Format::Harmony => "harmony",
            Format::Adp => "adp",
            Format::ChatTemplate(_) => "chat-template",
            Format::Custom => "custom",
        }
    }
}

/// One sample as one record of `format`.
///
/// Errors are about this sample only ([`FormatError::is_sample_error`]):
/// a call whose arguments are not an object in a format that needs one, a
/// malformed conversation, a chat template that raised or dropped a call.
pub fn render(sample: &Sample, format: &Format) -> Result<serde_json::Value, FormatError> {
    match format {
        Format::Messages => messages::render(sample),
        Format::OpenAi => openai::render(sample),
        Format::Trl => trl::render(sample),
        Format::Hermes => hermes::render(sample),
        Format::ShareGpt => sharegpt::render(sample),
        Format::Xlam => xlam::render(sample),
        Format::Harmony => harmony::render(sample),
        Format::Adp => adp::render(sample),
        Format::ChatTemplate(template) => template.render(sample),
        Format::Custom => Err(FormatError::NotCustom),
    }
}

/// One custom-schema sample as one record of `format`: only [`Format::Custom`]
/// renders it (the record itself); the others need a conversation.
pub fn render_record(record: &CustomRecord, format: &Format) -> Result<serde_json::Value, FormatError> {
    match format {
        Format::Custom => Ok(record.record.clone()),
        other => Err(FormatError::NoConversation { format: other.name().to_owned() }),
    }
}

/// Where `render_file` writes by default: `<stem>.<tag>.jsonl` beside
/// `input`, the tag being the format's name, or for a chat template the
/// template file's stem (`data.jsonl` through `Qwen3.jinja` gives
/// `data.Qwen3.jsonl`), so renders through several templates do not
/// overwrite each other.
pub fn default_output(input: &Path, format: &Format) -> PathBuf {
    let stem = input.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let tag = match format {
        Format::ChatTemplate(template) => template.name().to_owned(),
        other => other.name().to_owned(),
    };
    input.with_file_name(format!("{stem}.{tag}.jsonl"))
}
