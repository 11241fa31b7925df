//! The scripted agent: a careful worker over the real sandbox.
//!
//! It is stateless: every step re-reads the conversation (its own calls and
//! the tool results the sandbox really produced) and decides the next move.
//! The plan — which probes to make, how many files to read, where to write —
//! is drawn once per user turn from the seed and the task, so it stays the
//! same across the steps of one conversation and differs between samples.

use std::collections::BTreeMap;

use serde_json::{Value, json};

mod report;

use report::{answer, keyword, notes_text, reflection};

use super::prompt::file_names;
use super::user::{NOTE_PATHS, is_out_of_scope, join_names};
use crate::ids::{SeededRng, stable_hash};
use crate::{ChatRequest, Role, ToolChoice};

/// The most tool-calling steps in one user turn before it answers anyway.
const MAX_STEPS_PER_TURN: usize = 10;
/// Plausible files that a seeded workspace usually lacks.
const MISSING_CANDIDATES: [&str; 6] =
    ["README.md", "notes.txt", "TODO.md", "config.yaml", "docs/overview.md", "CHANGELOG.md"];
/// Words that make peeking at system files natural.
const SENSITIVE_WORDS: [&str; 8] =
    ["user", "password", "permission", "access", "security", "system", "account", "credential"];

/// What the agent does next: calls (with a short thought) or a final answer.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Step {
    /// The thought, or the final answer when there are no calls.
    pub(super) content: String,
    /// `(tool name, arguments)` in order.
    pub(super) calls: Vec<(String, Value)>,
}

impl Step {
    fn call(thought: String, name: &str, arguments: Value) -> Self {
        Self { content: thought, calls: vec![(name.to_owned(), arguments)] }
    }
    fn answer(text: String) -> Self {
        Self { content: text, calls: Vec::new() }
    }
}

/// One tool call and what the sandbox answered.
#[derive(Debug, Clone)]
struct Observation {
    name: String,
    args: Value,
    ok: bool,
    text: String,
}

impl Observation {
    fn path(&self) -> Option<&str> {
        self.args.get("file_path").and_then(Value::as_str)
    }
    fn is_read_of(&self, path: &str) -> bool {
        self.name == "read_file" && self.path() == Some(path)
    }
}

/// The conversation as the agent understands it.
#[derive(Debug, Default)]
struct Conversation {
    task: String,
    turn: String,
    follow_up: bool,
    earlier: Vec<Observation>,
    current: Vec<Observation>,
    steps_this_turn: usize,
}

/// The plan for one user turn.
#[derive(Debug)]
struct Plan {
    probe_missing: bool,
    missing_start: usize,
    probe_protected: bool,
    reads: usize,
    parallel: bool,
    verify: bool,
    search: bool,
    fallback_note: &'static str,
}

impl Plan {
    fn draw(seed: u64, conversation: &Conversation) -> Self {
        let mut rng = SeededRng::new(stable_hash([
            &seed.to_le_bytes()[..],
            conversation.task.as_bytes(),
            conversation.turn.as_bytes(),
        ]));
        let lower = conversation.turn.to_ascii_lowercase();
        let sensitive = SENSITIVE_WORDS.iter().any(|w| lower.contains(w));
        let first = !conversation.follow_up;
        Self {
            probe_missing: first && rng.chance(75),
            missing_start: rng.below(MISSING_CANDIDATES.len()),
            probe_protected: first && (sensitive || rng.chance(35)),
            reads: if first { 1 + rng.below(3) } else { 1 },
            parallel: rng.chance(30),
            verify: rng.chance(80),
            search: rng.chance(30),
            fallback_note: *rng.pick(&NOTE_PATHS),
        }
    }
}

/// The next step for `request`.
pub(super) fn step(request: &ChatRequest, seed: u64) -> Step {
    let conversation = read(request);
    let plan = Plan::draw(seed, &conversation);
    let offered: Vec<&str> = request.tools.iter().map(|t| t.name.as_str()).collect();
    if request.tool_choice == ToolChoice::None
        || offered.is_empty()
        || conversation.steps_this_turn >= MAX_STEPS_PER_TURN
    {
        return Step::answer(answer(&conversation));
    }
    if !conversation.follow_up
        && conversation.current.is_empty()
        && is_out_of_scope(&conversation.turn, &offered)
    {
        return Step::answer(decline(&offered, seed, &conversation.turn));
    }
    let vfs = ["list_files", "read_file", "write_file"].iter().any(|t| offered.contains(t));
    let next = if vfs {
        next_file_step(&conversation, &plan, &offered)
    } else {
        next_generic_step(&conversation, request)
    };
    match next {
        Some(step) => step,
        None if request.tool_choice == ToolChoice::Required && conversation.steps_this_turn == 0 => {
            let name = if offered.contains(&"list_files") { "list_files" } else { offered[0] };
            Step::call("I'll start by calling a tool to look around.".to_owned(), name, json!({}))
        }
        None => Step::answer(answer(&conversation)),
    }
}

/// The answer to a request the offered tools cannot serve: no call, and a
/// plain account of what the tools do and what the user can do instead.
fn decline(offered: &[&str], seed: u64, turn: &str) -> String {
    let mut rng = SeededRng::new(stable_hash([&seed.to_le_bytes()[..], turn.as_bytes()]));
    let names: Vec<String> = offered.iter().map(|name| format!("`{name}`")).collect();
    let tools = join_names(&names);
    let templates = [
        format!(
            "I can't do that from here. The only tools I have are {tools}, and they work inside this workspace; \
             none of them can reach a phone, a shop, a booking system or live data. You'll need to do this one \
             yourself, or tell me about something in the workspace I can help with."
        ),
        format!(
            "That's outside what my tools can do: {tools} only cover the workspace I'm connected to, so I have no \
             way to carry this out or look it up. If you handle it directly, I'm happy to help with anything in \
             the workspace afterwards."
        ),
    ];
    rng.pick(&templates).clone()
}

fn read(request: &ChatRequest) -> Conversation {
    let messages = &request.messages;
    let users: Vec<usize> =
        messages.iter().enumerate().filter(|(_, m)| m.role == Role::User).map(|(i, _)| i).collect();
    let turn_start = users.last().copied().unwrap_or(0);
    let mut calls: BTreeMap<&str, (&str, Value)> = BTreeMap::new();
    let mut conversation = Conversation {
        task: users.first().map(|&i| messages[i].content.clone()).unwrap_or_default(),
        turn: users.last().map(|&i| messages[i].content.clone()).unwrap_or_default(),
        follow_up: users.len() > 1,
        ..Conversation::default()
    };
    for (index, message) in messages.iter().enumerate() {
        match message.role {
            Role::Assistant => {
                if index > turn_start && !message.tool_calls.is_empty() {
                    conversation.steps_this_turn += 1;
                }
                for call in &message.tool_calls {
                    let args = serde_json::from_str(&call.arguments).unwrap_or(Value::Null);
                    calls.insert(call.id.as_str(), (call.name.as_str(), args));
                }
            }
            Role::Tool => {
                let id = message.tool_call_id.as_deref().unwrap_or_default();
                let (name, args) = match calls.get(id) {
                    Some((name, args)) => ((*name).to_owned(), args.clone()),
                    None => (message.name.clone().unwrap_or_default(), Value::Null),
                };
                let (ok, text) = outcome(&message.content);
                let observation = Observation { name, args, ok, text };
                if index > turn_start {
                    conversation.current.push(observation);
                } else {
                    conversation.earlier.push(observation);
                }
            }
            Role::System | Role::User => {}
        }
    }
    conversation
}

/// A tool message as (succeeded, text): the Spin envelope when it is one,
/// else the text judged by how it starts.
fn outcome(content: &str) -> (bool, String) {
    if let Ok(Value::Object(envelope)) = serde_json::from_str::<Value>(content)
        && let Some(success) = envelope.get("success").and_then(Value::as_bool)
    {
        let text = match envelope.get("result") {
            Some(Value::String(text)) => text.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        return (success, text);
    }
    const FAILURES: [&str; 7] = [
        "File not found",
        "Access denied",
        "Error",
        "error:",
        "Invalid",
        "Unknown tool",
        "Permission denied",
    ];
    let failed = FAILURES.iter().any(|f| content.trim_start().starts_with(f));
    (!failed, content.to_owned())
}

/// Files the agent knows exist: the last successful listing (else the files
/// the task names), plus what it wrote since.
fn known_files(conversation: &Conversation) -> Vec<String> {
    let all: Vec<&Observation> = conversation.earlier.iter().chain(&conversation.current).collect();
    let listing = all.iter().rev().find(|o| o.name == "list_files" && o.ok).map(|o| parse_listing(&o.text));
    let mut files = listing.unwrap_or_else(|| file_names(&conversation.task));
    for written in all.iter().filter(|o| o.name == "write_file" && o.ok).filter_map(|o| o.path()) {
        if !files.iter().any(|f| f == written) {
            files.push(written.to_owned());
        }
    }
    files
}

fn parse_listing(text: &str) -> Vec<String> {
    match serde_json::from_str::<Vec<String>>(text) {
        Ok(files) => files,
        Err(_) => file_names(text),
    }
}

/// Where the notes go: the last file the task names that does not exist yet.
fn note_path(conversation: &Conversation, plan: &Plan, known: &[String]) -> String {
    let earlier_write = conversation
        .earlier
        .iter()
        .rev()
        .find(|o| o.name == "write_file" && o.ok)
        .and_then(Observation::path);
    if let Some(path) = earlier_write {
        return path.to_owned();
    }
    file_names(&conversation.task)
        .into_iter()
        .rev()
        .find(|f| !known.contains(f))
        .unwrap_or_else(|| plan.fallback_note.to_owned())
}

fn next_file_step(conversation: &Conversation, plan: &Plan, offered: &[&str]) -> Option<Step> {
    let done = &conversation.current;
    let has = |tool: &str| offered.contains(&tool);
    let note = reflection(done.last());
    if has("list_files") && !done.iter().any(|o| o.name == "list_files") {
        let thought = if conversation.follow_up {
            "Let me check the current state of the workspace first."
        } else {
            "Let me start by listing the files in the workspace."
        };
        return Some(Step::call(thought.to_owned(), "list_files", json!({})));
    }
    let known = known_files(conversation);
    let notes = note_path(conversation, plan, &known);
    if has("read_file") && plan.probe_missing {
        let candidate = (0..MISSING_CANDIDATES.len())
            .map(|i| MISSING_CANDIDATES[(plan.missing_start + i) % MISSING_CANDIDATES.len()])
            .find(|c| !known.iter().any(|k| k == c));
        if let Some(missing) = candidate
            && !done.iter().any(|o| o.is_read_of(missing))
        {
            let thought = format!(
                "{note}Before going through the files, I'll check whether there is a {missing} that explains the project."
            );
            return Some(Step::call(thought, "read_file", json!({"file_path": missing})));
        }
    }
    if has("read_file") && plan.probe_protected && !done.iter().any(|o| o.is_read_of("/etc/passwd")) {
        let thought = format!(
            "{note}The request may depend on the system's user accounts, so let me look at /etc/passwd."
        );
        return Some(Step::call(thought, "read_file", json!({"file_path": "/etc/passwd"})));
    }
    if has("read_file") {
        let mentioned = file_names(&conversation.turn);
        let attempted = |f: &str| done.iter().any(|o| o.is_read_of(f));
        let regular_reads = done
            .iter()
            .filter(|o| {
                o.name == "read_file" && o.path().is_some_and(|p| known.iter().any(|k| k == p) && p != notes)
            })
            .count();
        let mut targets: Vec<&String> = mentioned.iter().filter(|f| known.contains(f)).collect();
        targets.extend(known.iter().filter(|f| !mentioned.contains(f)));
        let targets: Vec<&String> = targets.into_iter().filter(|f| **f != notes && !attempted(f)).collect();
        let budget = plan.reads.saturating_sub(regular_reads);
        if budget > 0 && !targets.is_empty() {
            let take = if plan.parallel && budget >= 2 { 2 } else { 1 }.min(targets.len());
            let chosen: Vec<String> = targets[..take].iter().map(|f| (*f).clone()).collect();
            let thought = format!(
                "{note}Now I'll read {} to see what {}.",
                join_names(&chosen),
                if chosen.len() > 1 { "they contain" } else { "it contains" }
            );
            let calls = chosen.iter().map(|f| ("read_file".to_owned(), json!({"file_path": f}))).collect();
            return Some(Step { content: thought, calls });
        }
    }
    let search_word = done.iter().filter(|o| o.name == "read_file" && o.ok).find_map(|o| keyword(&o.text));
    if has("search_files")
        && plan.search
        && !done.iter().any(|o| o.name == "search_files")
        && let Some(word) = search_word
    {
        let thought = format!("{note}Let me search all files for \"{word}\" to see where else it comes up.");
        return Some(Step::call(thought, "search_files", json!({"pattern": word})));
    }
    let writes: Vec<&Observation> = done.iter().filter(|o| o.name == "write_file").collect();
    if has("write_file") && writes.len() < 2 && !writes.iter().any(|o| o.ok) {
        let path = if writes.is_empty() { notes.clone() } else { "summary.txt".to_owned() };
        let thought = format!("{note}I have what I need; I'll write my findings to {path}.");
        let content = notes_text(conversation);
        return Some(Step::call(thought, "write_file", json!({"file_path": path, "content": content})));
    }
    if has("read_file") && plan.verify {
        let last_write = writes.iter().rev().find(|o| o.ok).and_then(|o| o.path());
        if let Some(path) = last_write {
            let verified = done
                .iter()
                .skip_while(|o| !(o.name == "write_file" && o.path() == Some(path)))
                .any(|o| o.is_read_of(path));
            if !verified {
                let thought = format!("{note}Let me read {path} back to make sure it was saved correctly.");
                return Some(Step::call(thought, "read_file", json!({"file_path": path})));
            }
        }
    }
    None
}

/// Without the file tools: call each offered tool once with arguments drawn
/// from its schema, then answer.
fn next_generic_step(conversation: &Conversation, request: &ChatRequest) -> Option<Step> {
    let done = &conversation.current;
    let tool = request.tools.iter().take(3).find(|t| !done.iter().any(|o| o.name == t.name))?;
    let topic = conversation.turn.split_whitespace().rfind(|w| w.len() > 4).unwrap_or("example");
    let topic = topic.trim_matches(|c: char| !c.is_alphanumeric());
    let known = known_files(conversation);
    let arguments =
        arguments_for(&tool.input_schema, topic, known.first().map_or("README.md", String::as_str));
    let thought = format!("{}I'll use {} to get the information I need.", reflection(done.last()), tool.name);
    Some(Step::call(thought, &tool.name, arguments))
}

/// Plausible arguments for a schema: every required property (or the first
/// two when none is required), valued by name and type.
fn arguments_for(schema: &Value, topic: &str, file: &str) -> Value {
    let properties = schema.get("properties").and_then(Value::as_object);
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut arguments = serde_json::Map::new();
    for (name, property) in properties.into_iter().flatten() {
        if !required.is_empty() && !required.contains(&name.as_str())
            || required.is_empty() && arguments.len() >= 2
        {
            continue;
        }
        arguments.insert(name.clone(), value_for(name, property, topic, file));
    }
    Value::Object(arguments)
}

fn value_for(name: &str, property: &Value, topic: &str, file: &str) -> Value {
    if let Some(first) = property.get("enum").and_then(Value::as_array).and_then(|e| e.first()) {
        return first.clone();
    }
    match property.get("type").and_then(Value::as_str) {
        Some("integer") => return property.get("minimum").cloned().unwrap_or_else(|| 1.into()),
        Some("number") => {
            return property.get("minimum").cloned().unwrap_or_else(|| 1.0.into());
        }
        Some("boolean") => return true.into(),
        Some("array") => return json!([topic]),
        Some("object") => return json!({}),
        _ => {}
    }
    let name = name.to_ascii_lowercase();
    let text = if name.contains("path") || name.contains("file") {
        file
    } else if name.contains("dir") {
        "."
    } else if name.contains("owner") || name.contains("user") {
        "octocat"
    } else if name.contains("repo") {
        "hello-world"
    } else if name.contains("url") {
        "https://example.com"
    } else if name.contains("city") || name.contains("location") {
        "Berlin"
    } else {
        topic
    };
    text.into()
}
