//! The virtual filesystem: files live in the host's key-value store, under
//! keys the host has already scoped to the call's session.
//!
//! Every path a model gives is normalised against the session root, so
//! `/test.txt`, `test.txt` and `./a/../test.txt` name one file. Anything that
//! climbs out of the root, or lies under a protected system directory, is
//! refused with `PermissionDenied` — those refusals are training data, so the
//! message is always `Access denied: <path as given>`.

mod args;
mod defs;
mod path;
mod tools;

wit_bindgen::generate!({
    world: "tool",
    path: "../../wit",
});

use weft::tool::types::ErrorType;

struct Vfs;

impl Guest for Vfs {
    fn describe() -> Vec<ToolDefinition> {
        defs::definitions()
    }

    fn execute(_session: String, tool: String, args_json: String) -> Outcome {
        let args = match args::parse(&args_json) {
            Ok(args) => args,
            Err(failure) => return failure.into(),
        };
        let result = match tool.as_str() {
            "read_file" => tools::read_file(&args),
            "write_file" => tools::write_file(&args),
            "list_files" => tools::list_files(&args),
            "delete_file" => tools::delete_file(&args),
            "edit_file" => tools::edit_file(&args),
            "search_files" => tools::search_files(&args),
            "move_file" => tools::move_file(&args),
            other => Err(Failure::new(ErrorType::UnknownTool, format!("Unknown tool: {other}"))),
        };
        match result {
            Ok(text) => Outcome { success: true, result: text, error_type: None },
            Err(failure) => failure.into(),
        }
    }
}

/// A failed call: the error kind and the message the model will read.
pub(crate) struct Failure {
    kind: ErrorType,
    message: String,
}

impl Failure {
    pub(crate) fn new(kind: ErrorType, message: impl Into<String>) -> Self {
        Self { kind, message: message.into() }
    }
}

impl From<Failure> for Outcome {
    fn from(failure: Failure) -> Self {
        Outcome { success: false, result: failure.message, error_type: Some(failure.kind) }
    }
}

pub(crate) type ToolResult = Result<String, Failure>;

export!(Vfs);
