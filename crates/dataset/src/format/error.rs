//! Why a sample or a file could not be rendered.

use std::path::PathBuf;

/// What went wrong while rendering.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// No format has this name.
    #[error("unknown format `{name}` (known: {})", super::FORMAT_NAMES.join(", "))]
    UnknownFormat {
        /// The name asked for.
        name: String,
    },
    /// `chat-template` was asked for without its template file.
    #[error("the chat-template format needs a template file (--template FILE.jinja)")]
    NeedsTemplate,
    /// The template file cannot be read or does not compile.
    #[error("chat template {}: {message}", path.display())]
    TemplateLoad {
        /// The file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An input line is not a sample.
    #[error("{}:{line}: not a weft sample: {source}", path.display())]
    BadLine {
        /// The input file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// Why it does not parse.
        #[source]
        source: serde_json::Error,
    },
    /// `custom` was asked of a conversation: only runs with
    /// `output.format: custom` have records.
    #[error(
        "this is a conversation, not a custom record: the `custom` format renders the records of a run \
         with `output.format: custom`"
    )]
    NotCustom,
    /// A conversation format was asked of a custom record.
    #[error("this is a custom record, not a conversation: `{format}` cannot render it (use `--to custom`)")]
    NoConversation {
        /// The format asked for.
        format: String,
    },
    /// A line of the other kind than the format renders (a conversation
    /// asked for `custom`, a custom record asked for a conversation format).
    #[error("{}:{line}: {source}", path.display())]
    WrongKind {
        /// The input file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// [`FormatError::NotCustom`] or [`FormatError::NoConversation`].
        source: Box<FormatError>,
    },
    /// A call's arguments are not a JSON object, and the format carries
    /// arguments as objects (see the module docs of [`crate::format`]).
    #[error(
        "call {call_id} ({tool}) has arguments that are not a JSON object ({reason}); \
         {format} carries arguments as objects, so this sample is not rendered \
         (messages, openai, hermes and harmony keep the text as written)"
    )]
    ArgumentsNotObject {
        /// The format.
        format: &'static str,
        /// The call's id.
        call_id: String,
        /// The tool called.
        tool: String,
        /// Why the text is not an object.
        reason: String,
    },
    /// The conversation does not hold together (a tool message answering
    /// no call, a call never answered); `validate::sound` rejects these too.
    #[error("malformed sample: {0}")]
    Malformed(String),
    /// The chat template failed on this sample (its `raise_exception`, or
    /// a template error).
    #[error("chat template {template} failed: {message}{hint}")]
    Template {
        /// The template's name.
        template: String,
        /// The engine's message.
        message: String,
        /// A suggestion, when one applies (empty otherwise).
        hint: String,
    },
    /// The chat template rendered, but its text lost calls, arguments,
    /// results or answers; nothing is written for the sample.
    #[error("chat template {template} dropped {}{hint}", dropped.join(", "))]
    Dropped {
        /// The template's name.
        template: String,
        /// What is missing, one entry per item (`call 2 (read_file): name`, ...).
        dropped: Vec<String>,
        /// A suggestion, when one applies (empty otherwise).
        hint: String,
    },
}

impl FormatError {
    /// Whether the error is about one sample (the rest of a file can still
    /// be rendered), rather than about the format, its options or the files.
    pub fn is_sample_error(&self) -> bool {
        matches!(
            self,
            FormatError::ArgumentsNotObject { .. }
                | FormatError::Malformed(_)
                | FormatError::Template { .. }
                | FormatError::Dropped { .. }
        )
    }
}
