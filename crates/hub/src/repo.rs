//! Repo ids and the Hub's path encoding.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::HubError;

/// What Python's `quote(s, safe="")` leaves alone: letters, digits, `-._~`.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
/// The same, keeping `/` (file paths in `resolve` URLs).
const PATH: &AsciiSet = &SEGMENT.remove(b'/');

/// A dataset repo, `namespace/name`, checked as the Hub checks it: each part
/// of letters, digits, `-`, `_`, `.`, at most 96 characters, no `--` or `..`,
/// not starting or ending with `-` or `.`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoId {
    namespace: String,
    name: String,
}

impl RepoId {
    /// Parses `user/name` (or `org/name`).
    pub fn parse(text: &str) -> Result<Self, HubError> {
        let invalid = |why: &str| HubError::Invalid(format!("invalid repo {text:?}: {why}"));
        let (namespace, name) =
            text.split_once('/').ok_or_else(|| invalid("give it as user/name (or organization/name)"))?;
        for part in [namespace, name] {
            if part.is_empty() || part.len() > 96 {
                return Err(invalid("each part must be 1 to 96 characters"));
            }
            if !part.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) {
                return Err(invalid("only letters, digits, '-', '_' and '.' are allowed"));
            }
            if part.contains("--") || part.contains("..") {
                return Err(invalid("'--' and '..' are not allowed"));
            }
            if part.starts_with(['-', '.']) || part.ends_with(['-', '.']) {
                return Err(invalid("a part cannot start or end with '-' or '.'"));
            }
        }
        if name.ends_with(".git") {
            return Err(invalid("a name cannot end with .git"));
        }
        Ok(Self { namespace: namespace.to_owned(), name: name.to_owned() })
    }

    /// The user or organization.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The repo's name within it.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl std::fmt::Display for RepoId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// A revision in a URL: every `/` encoded too (`refs/pr/1` → `refs%2Fpr%2F1`).
pub(crate) fn encode_revision(revision: &str) -> String {
    utf8_percent_encode(revision, SEGMENT).to_string()
}

/// A file path in a URL: each segment encoded, the `/`s kept.
pub fn encode_path(path: &str) -> String {
    utf8_percent_encode(path, PATH).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_ids_are_checked_like_the_hubs() {
        let repo = RepoId::parse("alice/weft-demo_1.0").unwrap();
        assert_eq!((repo.namespace(), repo.name()), ("alice", "weft-demo_1.0"));
        assert_eq!(repo.to_string(), "alice/weft-demo_1.0");
        for bad in [
            "demo",
            "a/b/c",
            "/demo",
            "alice/",
            "alice/we ft",
            "alice/a--b",
            "alice/a..b",
            "alice/-a",
            "alice/x.git",
        ] {
            let err = RepoId::parse(bad).unwrap_err().to_string();
            assert!(err.contains(&format!("{bad:?}")), "{bad}: {err}");
        }
    }

    #[test]
    fn revisions_and_paths_are_encoded_as_the_client_does() {
        assert_eq!(encode_revision("refs/pr/1"), "refs%2Fpr%2F1");
        assert_eq!(encode_revision("v1.0"), "v1.0");
        assert_eq!(encode_path("data/a b#1.jsonl"), "data/a%20b%231.jsonl");
    }
}
