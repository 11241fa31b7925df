//! Subtopics: `degree` distinct, plausible children of a topic path.
//!
//! Odd depths prefix an aspect ("Troubleshooting ..."), even depths append a
//! setting ("... in log files"). Each child wraps its unique parent, so the
//! nodes of a whole tree stay distinct.

use super::prompt::{last_user, requested_count, topic_path};
use super::shape::fit_list;
use crate::ChatRequest;
use crate::ids::{SeededRng, stable_hash};

const DEFAULT_COUNT: usize = 3;

const ASPECTS: [&str; 16] = [
    "Getting started with",
    "Common mistakes in",
    "Troubleshooting",
    "Automating",
    "Testing",
    "Securing",
    "Organizing files for",
    "Reviewing",
    "Documenting",
    "Migrating",
    "Monitoring",
    "Measuring the performance of",
    "Refactoring",
    "Configuring",
    "Backing up",
    "Auditing",
];

const SETTINGS: [&str; 16] = [
    "for a small team",
    "in CSV reports",
    "with configuration files",
    "in log files",
    "for release notes",
    "in a monorepo",
    "with YAML manifests",
    "during incident response",
    "for onboarding docs",
    "with shell scripts",
    "in data pipelines",
    "for open-source projects",
    "under tight deadlines",
    "with legacy code",
    "across environments",
    "in meeting notes",
];

/// The reply: a JSON array (or the requested schema) of subtopics.
pub(super) fn reply(request: &ChatRequest, seed: u64) -> String {
    let prompt = last_user(request);
    let count = requested_count(prompt).unwrap_or(DEFAULT_COUNT);
    let path = topic_path(prompt);
    fit_list(&subtopics(&path, count, seed), request.response_schema.as_ref())
}

/// `count` distinct children of `path`.
pub(super) fn subtopics(path: &[String], count: usize, seed: u64) -> Vec<String> {
    let leaf = path.last().map_or("general topics", String::as_str);
    let joined = path.join(" -> ");
    let mut rng = SeededRng::new(stable_hash([&seed.to_le_bytes()[..], joined.as_bytes()]));
    let odd = path.len() % 2 == 1;
    let words: &[&str] = if odd { &ASPECTS } else { &SETTINGS };
    let lower_path = joined.to_ascii_lowercase();
    let shuffled: Vec<&str> = rng.permutation(words.len()).into_iter().map(|i| words[i]).collect();
    let fresh: Vec<&str> =
        shuffled.iter().copied().filter(|w| !lower_path.contains(&w.to_ascii_lowercase())).collect();
    let usable = if fresh.is_empty() { shuffled } else { fresh };
    (0..count)
        .map(|i| {
            let word = usable[i % usable.len()];
            let base =
                if odd { format!("{word} {}", lowercase_first(leaf)) } else { format!("{leaf} {word}") };
            if i < usable.len() { base } else { format!("{base} (part {})", i / usable.len() + 1) }
        })
        .collect()
}

/// "Kubernetes" stays, "Log rotation" becomes "log rotation", "CI" stays.
fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if first.is_uppercase() && second.is_lowercase() => {
            let mut out = first.to_lowercase().collect::<String>();
            out.push_str(&text[first.len_utf8()..]);
            out
        }
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn a_tree_of_subtopics_has_distinct_nodes() {
        let mut all = BTreeSet::new();
        let root = vec!["File management".to_owned()];
        for child in subtopics(&root, 4, 7) {
            assert!(all.insert(child.clone()));
            let path = vec![root[0].clone(), child];
            for grandchild in subtopics(&path, 4, 7) {
                assert!(all.insert(grandchild.clone()), "duplicate {grandchild}");
                let path = [path.clone(), vec![grandchild]].concat();
                for leaf in subtopics(&path, 4, 7) {
                    assert!(all.insert(leaf.clone()), "duplicate {leaf}");
                }
            }
        }
        assert_eq!(all.len(), 4 + 16 + 64);
    }

    #[test]
    fn many_subtopics_stay_distinct() {
        let topics = subtopics(&["Rust".to_owned()], 40, 1);
        assert_eq!(topics.iter().collect::<BTreeSet<_>>().len(), 40);
    }
}
