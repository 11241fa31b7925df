//! Which failed calls a sample recovers from, and how (the rules are
//! documented on [`super::figures::Recovery`]).

use serde_json::Value;

/// How a failed call was recovered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rule {
    /// A later successful call of the same tool.
    SameTool,
    /// A later successful call sharing a string argument value.
    SharedArgument,
    /// A discovery call right after a not-found.
    Discovery,
}

/// What recovery needs to know of one call.
pub(crate) struct CallFacts<'s> {
    pub name: &'s str,
    pub success: bool,
    pub error_type: Option<&'s str>,
    /// The string values anywhere in its arguments, normalised
    /// ([`argument_value`]), blanks left out.
    pub values: Vec<String>,
}

/// Per call: for a failed call, the rule by which the earliest later call
/// that addresses it does so (`None`: not recovered); `None` for calls
/// that succeeded.
pub(crate) fn recoveries(calls: &[CallFacts<'_>]) -> Vec<Option<Rule>> {
    calls
        .iter()
        .enumerate()
        .map(|(i, failed)| {
            if failed.success {
                return None;
            }
            calls[i + 1..]
                .iter()
                .enumerate()
                .filter(|(_, later)| later.success)
                .find_map(|(offset, later)| addresses(failed, later, offset == 0))
        })
        .collect()
}

/// The first rule by which `later` (a successful call; `next` when it
/// comes right after) addresses `failed`.
fn addresses(failed: &CallFacts<'_>, later: &CallFacts<'_>, next: bool) -> Option<Rule> {
    if later.name == failed.name {
        return Some(Rule::SameTool);
    }
    if later.values.iter().any(|value| failed.values.contains(value)) {
        return Some(Rule::SharedArgument);
    }
    let not_found = failed.error_type.is_some_and(|kind| kind.contains("NotFound"));
    (not_found && next && is_discovery(later.name)).then_some(Rule::Discovery)
}

/// Whether a tool's name says it discovers what exists: a `_`, `-` or `.`
/// separated word `list`, `search`, `find`, `glob` or `ls`.
pub(crate) fn is_discovery(name: &str) -> bool {
    name.split(['_', '-', '.'])
        .any(|word| ["list", "search", "find", "glob", "ls"].iter().any(|d| word.eq_ignore_ascii_case(d)))
}

/// The string values anywhere in `arguments`, normalised; blank ones left out.
pub(crate) fn argument_values(arguments: &Value) -> Vec<String> {
    let mut values = Vec::new();
    collect(arguments, &mut values);
    values
}

fn collect(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::String(text) => {
            let value = argument_value(text);
            if !value.is_empty() {
                into.push(value.to_owned());
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect(item, into)),
        Value::Object(fields) => fields.values().for_each(|item| collect(item, into)),
        _ => {}
    }
}

/// `text` trimmed, without leading `./` and `/` (the sandbox's paths are
/// relative to the session root, so `/a.txt`, `./a.txt` and `a.txt` are one).
pub(crate) fn argument_value(text: &str) -> &str {
    let mut value = text.trim();
    loop {
        let stripped = value.strip_prefix("./").or_else(|| value.strip_prefix('/')).unwrap_or(value);
        if stripped.len() == value.len() {
            return value;
        }
        value = stripped;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call<'s>(name: &'s str, error: Option<&'s str>, args: Value) -> CallFacts<'s> {
        CallFacts { name, success: error.is_none(), error_type: error, values: argument_values(&args) }
    }

    #[test]
    fn rules_in_order() {
        use serde_json::json;
        let calls = [
            // 0: recovered by 2 (same tool; 1 failed too).
            call("read_file", Some("FileNotFound"), json!({"file_path": "a.txt"})),
            call("read_file", Some("PermissionDenied"), json!({"file_path": "/etc/passwd"})),
            call("read_file", None, json!({"file_path": "b.txt"})),
            // 3: recovered by 4, the same path written.
            call("edit_file", Some("FileNotFound"), json!({"path": "./c.txt", "old": "x"})),
            call("write_file", None, json!({"file_path": "/c.txt", "content": "x"})),
            // 5: a listing right after a not-found.
            call("delete_file", Some("FileNotFound"), json!({"file_path": "d.txt"})),
            call("list_files", None, json!({})),
            // 7: a discovery call, but not right after.
            call("move_file", Some("FileNotFound"), json!({"from": "e", "to": "f"})),
            call("gh_get_issue", Some("UpstreamError"), json!({"number": 1})),
            call("search_files", None, json!({"pattern": "q"})),
        ];
        let got = recoveries(&calls);
        assert_eq!(
            got,
            [
                Some(Rule::SameTool),
                Some(Rule::SameTool),
                None,
                Some(Rule::SharedArgument),
                None,
                Some(Rule::Discovery),
                None,
                None,
                None,
                None
            ]
        );
    }

    #[test]
    fn discovery_names_and_values() {
        assert!(is_discovery("list_files") && is_discovery("gh_search_code") && is_discovery("LS"));
        assert!(!is_discovery("tools") && !is_discovery("listing") && !is_discovery("read_file"));
        assert_eq!(argument_value(" .//a.txt "), "a.txt");
        let values = argument_values(&serde_json::json!({"a": ["x", " "], "b": {"c": "/y"}, "d": 3}));
        assert_eq!(values, ["x", "y"]);
    }
}
