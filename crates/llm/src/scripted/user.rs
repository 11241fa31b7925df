//! The simulated user: a first request and follow-ups that mention the
//! scenario's real files — or, when the assistant has no file tools, the
//! tools it does have.

use serde_json::Value;

use super::prompt::{file_names, last_user, topic_path};
use crate::ids::SeededRng;
use crate::{ChatRequest, Role};

/// Where the user asks for notes to go.
pub(super) const NOTE_PATHS: [&str; 4] = ["notes/summary.md", "summary.md", "report.txt", "NOTES.md"];

/// The tools that read and write the workspace's files.
const FILE_TOOLS: [&str; 3] = ["list_files", "read_file", "write_file"];

/// The user's first request for a sample.
pub(super) fn request(request: &ChatRequest, seed: u64) -> String {
    let mut rng = SeededRng::new(seed);
    let prompt: String = request.messages.iter().map(|m| m.content.as_str()).collect::<Vec<_>>().join("\n");
    let topic = topic_path(last_user(request)).pop().unwrap_or_default();
    let topic = if topic.split_whitespace().count() > 12 { "this project".to_owned() } else { topic };
    let tools = offered_tools(&prompt);
    if !tools.is_empty() && !tools.iter().any(|t| FILE_TOOLS.contains(&t.as_str())) {
        return tool_request(&mut rng, &topic, &tools);
    }
    let out = *rng.pick(&NOTE_PATHS);
    let mut files: Vec<String> =
        file_names(&prompt).into_iter().filter(|f| !NOTE_PATHS.contains(&f.as_str())).collect();
    if files.is_empty() {
        let templates = [
            format!(
                "I'm working on {topic}. Can you see which files I have, read the relevant ones and write a short summary to {out}?"
            ),
            format!(
                "Could you take stock of my workspace for {topic}? List what's there, skim the important files and save notes to {out}."
            ),
        ];
        return rng.pick(&templates).clone();
    }
    let keep = (1 + rng.below(3)).min(files.len());
    let start = rng.below(files.len());
    files.rotate_left(start);
    files.truncate(keep);
    let named = join_names(&files);
    let templates = [
        format!(
            "I'm working on {topic}. Can you look through {named} and write a short summary of what each one contains to {out}?"
        ),
        format!(
            "Could you check {named} for anything related to {topic}? Put your findings in {out} so I can review them later."
        ),
        format!(
            "I need a quick overview for {topic}: what's in {named}, and how long is each file? Please save the notes to {out}."
        ),
        format!(
            "Please read {named}, tell me what they say about {topic}, and record a brief summary in {out}."
        ),
    ];
    rng.pick(&templates).clone()
}

/// Requests no tool of an assistant that works on files (or on a handful
/// of services) can serve: the world outside its sandbox.
const OUT_OF_SCOPE: [&str; 6] = [
    "Can you book a table for two at a quiet Italian restaurant near the office for 7 pm tonight?",
    "What's the weather forecast for Lisbon tomorrow? I'm deciding whether to cycle to work.",
    "Please call my dentist and move Thursday's appointment to next week.",
    "What is the euro to yen exchange rate right now? I need it for an invoice.",
    "Could you order a replacement charger for my laptop and have it delivered by Friday?",
    "Send a text message to Maria saying I'll be ten minutes late to the standup.",
];

/// Words that tie a request to the workspace's files.
const WORKSPACE_WORDS: [&str; 14] = [
    "file",
    "files",
    "folder",
    "folders",
    "directory",
    "workspace",
    "note",
    "notes",
    "list",
    "read",
    "write",
    "save",
    "summary",
    "document",
];

/// A first request the offered tools cannot serve (an irrelevance sample).
pub(super) fn out_of_scope(_request: &ChatRequest, seed: u64) -> String {
    let mut rng = SeededRng::new(seed);
    (*rng.pick(&OUT_OF_SCOPE)).to_owned()
}

/// Whether `turn` asks for something none of `offered` can do: it names no
/// file and no offered tool, and no word of it points at the workspace.
pub(super) fn is_out_of_scope(turn: &str, offered: &[&str]) -> bool {
    if !file_names(turn).is_empty() {
        return false;
    }
    let lower = turn.to_ascii_lowercase();
    !lower
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .any(|word| WORKSPACE_WORDS.contains(&word) || offered.contains(&word))
}

/// A first request when the assistant's tools are not file tools: it asks
/// for what (up to three of) them can do, by name, for the topic.
fn tool_request(rng: &mut SeededRng, topic: &str, tools: &[String]) -> String {
    let named: Vec<String> = tools.iter().take(3).map(|t| format!("`{t}`")).collect();
    let named = join_names(&named);
    let templates = [
        format!(
            "I'm working on {topic}. Can you use {named} to find out what's relevant and give me a short summary?"
        ),
        format!("For {topic}, could you run {named} and tell me what the results say?"),
        format!("I need some help with {topic}: please try {named} and walk me through what you get back."),
    ];
    rng.pick(&templates).clone()
}

/// The user's next turn, reacting to what the agent did.
pub(super) fn follow_up(request: &ChatRequest, seed: u64) -> String {
    let mut rng = SeededRng::new(seed);
    let called = called_tools(request);
    if !called.is_empty() && !called.iter().any(|t| FILE_TOOLS.contains(&t.as_str())) {
        let tool = &called[rng.below(called.len())];
        let templates = [
            format!("Thanks! Could you run `{tool}` once more and check whether anything has changed?"),
            format!("Interesting. Can you call `{tool}` again and explain its result in plainer words?"),
        ];
        return rng.pick(&templates).clone();
    }
    let all: String = request.messages.iter().map(|m| m.content.as_str()).collect::<Vec<_>>().join("\n");
    let written = written_paths(request);
    let out = written.last().cloned().unwrap_or_else(|| (*rng.pick(&NOTE_PATHS)).to_owned());
    let files: Vec<String> =
        file_names(&all).into_iter().filter(|f| *f != out && !written.contains(f)).collect();
    let file = files.get(rng.below(files.len().max(1))).cloned();
    let mut templates = vec![
        format!(
            "Great, thanks. Can you double-check that {out} is still there and tell me what it contains now?"
        ),
        "Thanks! Which files are in the workspace now? Please list them again.".to_owned(),
    ];
    if let Some(file) = file {
        templates.push(format!(
            "Thanks! Could you also add the line count of {file} to {out} and confirm it saved correctly?"
        ));
        templates.push(format!("One more thing: please re-read {file} and add its first line to {out}."));
    }
    rng.pick(&templates).clone()
}

/// The tool names of the prompt's "...tools: a, b, c" line, if it has one.
fn offered_tools(prompt: &str) -> Vec<String> {
    prompt
        .lines()
        .find_map(|line| {
            let (label, names) = line.split_once(':')?;
            label.trim().to_ascii_lowercase().ends_with("tools").then_some(names)
        })
        .map(|names| names.split(',').map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default()
}

/// The distinct tools the assistant has called so far, in order.
fn called_tools(request: &ChatRequest) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let calls = request.messages.iter().filter(|m| m.role == Role::Assistant).flat_map(|m| &m.tool_calls);
    for call in calls {
        if !names.contains(&call.name) {
            names.push(call.name.clone());
        }
    }
    names
}

/// Paths the assistant wrote with `write_file`, in order.
fn written_paths(request: &ChatRequest) -> Vec<String> {
    request
        .messages
        .iter()
        .filter(|m| m.role == Role::Assistant)
        .flat_map(|m| &m.tool_calls)
        .filter(|c| c.name == "write_file")
        .filter_map(|c| serde_json::from_str::<Value>(&c.arguments).ok())
        .filter_map(|args| args.get("file_path").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

/// "a", "a and b", "a, b and c".
pub(super) fn join_names(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}
