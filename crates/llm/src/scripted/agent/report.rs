//! What the agent says: thoughts that reflect on the last result, the notes
//! it writes and its final answer — all quoting what the tools returned.

use super::{Conversation, Observation, parse_listing};

/// A short reflection on the last result, opening the next thought.
pub(super) fn reflection(last: Option<&Observation>) -> String {
    let Some(last) = last else {
        return String::new();
    };
    let path = last.path().unwrap_or("that");
    match (last.ok, last.name.as_str()) {
        (false, _) if last.text.starts_with("File not found") => {
            format!("{path} doesn't exist ({}), so I'll work with the files that are there. ", last.text)
        }
        (false, _) if last.text.starts_with("Access denied") => {
            format!("Access to {path} is denied ({}); I'll stay inside the workspace. ", last.text)
        }
        (false, name) => {
            format!("The {name} call failed ({}); I'll carry on without it. ", first_line(&last.text))
        }
        (true, "list_files") => format!("The workspace has {} files. ", parse_listing(&last.text).len()),
        (true, "read_file") => format!("{path} has {} lines. ", last.text.lines().count()),
        (true, _) => String::new(),
    }
}

/// A distinctive word of a file's text to search for.
pub(super) fn keyword(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() >= 5 && w.chars().all(|c| c.is_ascii_alphabetic()))
        .max_by_key(|w| (w.len(), *w))
        .map(str::to_owned)
}

fn first_line(text: &str) -> String {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default();
    match line.char_indices().nth(80) {
        Some((cut, _)) => format!("{}...", &line[..cut]),
        None => line.to_owned(),
    }
}

/// Notes built from what the reads really returned.
pub(super) fn notes_text(conversation: &Conversation) -> String {
    let all: Vec<&Observation> = conversation.earlier.iter().chain(&conversation.current).collect();
    let subject = first_line(&conversation.task);
    let mut text = format!("# Summary\n\nRequest: {subject}\n\n## Files reviewed\n");
    let mut any = false;
    for read in all.iter().filter(|o| o.name == "read_file" && o.ok) {
        let Some(path) = read.path() else { continue };
        any = true;
        text.push_str(&format!(
            "- {path}: {} lines, {} bytes; first line: \"{}\"\n",
            read.text.lines().count(),
            read.text.len(),
            first_line(&read.text)
        ));
    }
    if !any {
        text.push_str("- (no file could be read)\n");
    }
    let problems: Vec<&&Observation> = all.iter().filter(|o| !o.ok).collect();
    if !problems.is_empty() {
        text.push_str("\n## Problems met\n");
        for problem in problems {
            text.push_str(&format!("- {}: {}\n", problem.name, first_line(&problem.text)));
        }
    }
    text
}

/// The final answer, quoting what the tools really returned this turn.
pub(super) fn answer(conversation: &Conversation) -> String {
    let done = if conversation.current.is_empty() { &conversation.earlier } else { &conversation.current };
    let mut sentences = Vec::new();
    let mut written: Vec<&str> = Vec::new();
    for observation in done {
        let path = observation.path().unwrap_or_default();
        if observation.ok && observation.name == "write_file" {
            written.push(path);
        }
        let sentence = match (observation.ok, observation.name.as_str()) {
            (true, "list_files") => {
                let files = parse_listing(&observation.text);
                let shown: Vec<String> = files.iter().take(8).cloned().collect();
                let more = if files.len() > shown.len() {
                    format!(" and {} more", files.len() - shown.len())
                } else {
                    String::new()
                };
                format!("The workspace has {} files: {}{more}.", files.len(), shown.join(", "))
            }
            (true, "read_file") if written.contains(&path) => format!(
                "Reading it back confirms {path} has {} lines, starting with \"{}\".",
                observation.text.lines().count(),
                first_line(&observation.text)
            ),
            (true, "read_file") => format!(
                "{path} has {} lines and starts with \"{}\".",
                observation.text.lines().count(),
                first_line(&observation.text)
            ),
            (true, "write_file") => {
                format!("I saved the notes to {path} ({}).", first_line(&observation.text))
            }
            (true, "search_files") => {
                format!(
                    "Searching the files found {} matching lines.",
                    observation.text.lines().filter(|l| l.contains(':')).count()
                )
            }
            (true, name) => format!("{name} returned: {}", first_line(&observation.text)),
            (false, _) if observation.text.starts_with("File not found") => {
                format!(
                    "{path} does not exist ({}), so I worked from the files that do.",
                    first_line(&observation.text)
                )
            }
            (false, _) if observation.text.starts_with("Access denied") => {
                format!(
                    "{path} is outside the sandbox ({}), so I left it alone.",
                    first_line(&observation.text)
                )
            }
            (false, name) => format!("The {name} call failed: {}.", first_line(&observation.text)),
        };
        if !sentences.contains(&sentence) {
            sentences.push(sentence);
        }
    }
    if sentences.is_empty() {
        return format!(
            "I could not use any tools for this, so I can't check the files myself. Your request was: {}",
            first_line(&conversation.turn)
        );
    }
    let mut text = sentences.join(" ");
    text.push_str(" Let me know if you want me to go further.");
    text
}
