//! Reading what a prompt asks for: the requested count, the topic path,
//! file names.

use crate::{ChatRequest, Role};

/// The text of the last user message (empty when there is none).
pub(super) fn last_user(request: &ChatRequest) -> &str {
    request
        .messages
        .iter()
        .rev()
        .find(|m| m.role == Role::User)
        .map(|m| m.content.as_str())
        .unwrap_or_default()
}

/// The number in "Generate 5 subtopics", "5 distinct subtopics", "N = 4 subtopics"...:
/// a number within three words before a word starting with "subtopic" or "topic".
pub(super) fn requested_count(text: &str) -> Option<usize> {
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ':' | '(' | ')' | '='))
        .filter(|w| !w.is_empty())
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_ascii_lowercase())
        .collect();
    for (index, word) in words.iter().enumerate() {
        if word.starts_with("subtopic") || word.starts_with("topic") || word.starts_with("item") {
            let from = index.saturating_sub(3);
            if let Some(n) = words[from..index].iter().rev().find_map(|w| number(w)) {
                return Some(n);
            }
        }
    }
    None
}

fn number(word: &str) -> Option<usize> {
    const WORDS: [&str; 10] = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];
    let n = word.parse::<usize>().ok().or_else(|| WORDS.iter().position(|w| *w == word).map(|i| i + 1))?;
    (1..=50).contains(&n).then_some(n)
}

/// The topic path a prompt names: the segments of a line with `->`, `→`,
/// ` > ` or ` / `, or after "topic"/"path" and a colon; else the prompt's
/// last line. Never empty.
pub(super) fn topic_path(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let labelled = lines.iter().find_map(|line| {
        let lower = line.to_ascii_lowercase();
        let colon = line.rfind(':')?;
        (lower.contains("path") || lower.contains("topic")).then(|| &line[colon + 1..])
    });
    let separated = lines.iter().copied().find(|l| SEPARATORS.iter().any(|s| l.contains(s)));
    let chosen = labelled
        .filter(|s| !s.trim().is_empty())
        .or(separated)
        .or_else(|| lines.last().copied())
        .unwrap_or("general topics");
    let mut segments = vec![chosen.to_owned()];
    for separator in SEPARATORS {
        segments = segments.iter().flat_map(|s| s.split(separator)).map(str::to_owned).collect();
    }
    let segments: Vec<String> = segments
        .iter()
        .map(|s| {
            s.trim().trim_matches(|c: char| matches!(c, '"' | '\'' | '`' | '.' | '[' | ']')).trim().to_owned()
        })
        .filter(|s| !s.is_empty())
        .collect();
    if segments.is_empty() { vec!["general topics".to_owned()] } else { segments }
}

const SEPARATORS: [&str; 4] = ["->", "→", " > ", " / "];

/// Path-like words with an extension (`notes.txt`, `src/main.rs`), in order of
/// first mention, without duplicates.
pub(super) fn file_names(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for token in text.split(|c: char| {
        c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')' | '`' | '"' | '\'' | '[' | ']')
    }) {
        let token = token.trim_end_matches(['.', ':', '!', '?']).trim_start_matches("./");
        if looks_like_file(token) && !found.iter().any(|f| f == token) {
            found.push(token.to_owned());
        }
    }
    found
}

fn looks_like_file(token: &str) -> bool {
    if token.contains("://") || token.starts_with('.') || token.len() > 120 {
        return false;
    }
    let Some((stem, ext)) = token.rsplit_once('.') else {
        return false;
    };
    let stem_name = stem.rsplit('/').next().unwrap_or(stem);
    !stem_name.is_empty()
        && stem.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '/' | '.'))
        && (1..=5).contains(&ext.len())
        && ext.starts_with(|c: char| c.is_ascii_alphabetic())
        && ext.chars().all(|c| c.is_ascii_alphanumeric())
        && !matches!(stem_name.to_ascii_lowercase().as_str(), "e" | "i" | "etc" | "vs")
}

/// The text a scripted record's string fields hold: the topic path the
/// request names (its `Topic path:` line), and the variation it asks for.
pub(super) fn record_text(request: &ChatRequest) -> String {
    let asked = last_user(request);
    let topic = topic_path(asked).join(" / ");
    let variation = asked
        .lines()
        .find_map(|line| line.strip_prefix("Variation "))
        .and_then(|rest| rest.split(':').next());
    match variation {
        Some(variation) => format!("{topic} (variation {variation})"),
        None => topic,
    }
}

/// A short reply for `Purpose::Other`.
pub(super) fn acknowledge(request: &ChatRequest) -> String {
    let asked: String = last_user(request).split_whitespace().take(12).collect::<Vec<_>>().join(" ");
    if asked.is_empty() { "Understood.".to_owned() } else { format!("Understood: {asked}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_paths_and_files() {
        assert_eq!(requested_count("Generate 5 subtopics for: a -> b"), Some(5));
        assert_eq!(requested_count("List four distinct subtopics"), Some(4));
        assert_eq!(requested_count("Expand this"), None);
        assert_eq!(
            topic_path("Generate 3 subtopics.\nTopic path: DevOps -> CI pipelines"),
            ["DevOps", "CI pipelines"]
        );
        assert_eq!(topic_path("Root > Child > Leaf"), ["Root", "Child", "Leaf"]);
        assert_eq!(topic_path("Cooking"), ["Cooking"]);
        assert_eq!(
            file_names(
                "Files: `notes.txt`, src/main.rs and data.csv. See e.g. this, v1.2 and https://x.io/a.html"
            ),
            ["notes.txt", "src/main.rs", "data.csv"]
        );
    }
}
