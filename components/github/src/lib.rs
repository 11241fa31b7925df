//! The GitHub component: a handful of read tools over the GitHub REST API
//! and one write tool, behind the component's own policy (a repository
//! allowlist, writes off by default) and the host's (only the hosts in
//! `allowed_outbound_hosts` can be reached).
//!
//! Results are compact JSON with the fields an agent acts on, not raw API
//! payloads. Variables: `github_token` (sent as a bearer token when set),
//! `allowed_repos` (comma list; empty allows all), `allow_writes`
//! (`true` enables `gh_add_issue_comment`), `github_api_url`.

mod api;
mod args;
mod defs;
mod settings;
mod time;
mod tools;

wit_bindgen::generate!({
    world: "tool",
    path: "../../wit",
});

use weft::tool::types::ErrorType;

struct GitHub;

impl Guest for GitHub {
    fn describe() -> Vec<ToolDefinition> {
        defs::definitions()
    }

    fn execute(_session: String, tool: String, args_json: String) -> Outcome {
        let result = args::parse(&args_json).and_then(|args| {
            let settings = settings::Settings::load();
            tools::run(&settings, &tool, &args)
        });
        match result {
            Ok(value) => Outcome { success: true, result: value.to_string(), error_type: None },
            Err(failure) => failure.into(),
        }
    }
}

/// A failed call: the error kind and the message the model will read.
#[derive(Debug)]
pub(crate) struct Failure {
    kind: ErrorType,
    message: String,
}

impl Failure {
    pub(crate) fn new(kind: ErrorType, message: impl Into<String>) -> Self {
        Self { kind, message: message.into() }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorType::InvalidArguments, message)
    }
}

impl From<Failure> for Outcome {
    fn from(failure: Failure) -> Self {
        Outcome { success: false, result: failure.message, error_type: Some(failure.kind) }
    }
}

pub(crate) type ToolResult = Result<serde_json::Value, Failure>;

export!(GitHub);
