//! What `describe` answers: every tool with its MCP inputSchema and annotations.

use serde_json::{Value, json};

use crate::ToolDefinition;

fn owner_repo() -> Value {
    json!({
        "owner": {"type": "string", "description": "Repository owner (user or organisation), e.g. 'rust-lang'"},
        "repo": {"type": "string", "description": "Repository name, e.g. 'cargo'"}
    })
}

fn per_page() -> Value {
    json!({"type": "integer", "minimum": 1, "maximum": 100, "description": "Results per page (1-100, default 20)"})
}

fn page() -> Value {
    json!({"type": "integer", "minimum": 1, "description": "Page number, from 1 (the result's next_page)"})
}

fn state(what: &str) -> Value {
    json!({"type": "string", "enum": ["open", "closed", "all"], "description": format!("Which {what} to list (default open)")})
}

fn number(what: &str) -> Value {
    json!({"type": "integer", "minimum": 1, "description": format!("The {what} number")})
}

/// `owner` and `repo` plus `extra` properties; `required` lists the extra required ones.
fn repo_schema(extra: Value, required: &[&str]) -> Value {
    let mut properties = owner_repo();
    if let (Some(base), Value::Object(extra)) = (properties.as_object_mut(), extra) {
        base.extend(extra);
    }
    let mut names = vec!["owner", "repo"];
    names.extend_from_slice(required);
    json!({"type": "object", "properties": properties, "required": names, "additionalProperties": false})
}

fn tool(name: &str, title: &str, description: &str, schema: Value, read_only: bool) -> ToolDefinition {
    let annotations = json!({
        "title": title,
        "readOnlyHint": read_only,
        "destructiveHint": false,
        "idempotentHint": read_only,
        "openWorldHint": true,
    });
    ToolDefinition {
        name: name.to_owned(),
        title: Some(title.to_owned()),
        description: description.to_owned(),
        input_schema: schema.to_string(),
        annotations: Some(annotations.to_string()),
    }
}

pub(crate) fn definitions() -> Vec<ToolDefinition> {
    vec![
        tool(
            "gh_get_file_contents",
            "Get file or directory contents",
            "Get the contents of a file (decoded text) or a directory listing (name, type, path, size) from a GitHub repository.",
            repo_schema(
                json!({
                    "path": {"type": "string", "description": "Path in the repository; empty or '/' for the root directory"},
                    "ref": {"type": "string", "description": "Branch, tag or commit SHA (default: the default branch)"}
                }),
                &[],
            ),
            true,
        ),
        tool(
            "gh_search_code",
            "Search code",
            "Search code across GitHub repositories with GitHub code search syntax (e.g. 'fn main repo:owner/name language:rust').",
            json!({
                "type": "object",
                "properties": {
                    "query": {"type": "string", "description": "Search query in GitHub code search syntax"},
                    "perPage": per_page(),
                    "page": page()
                },
                "required": ["query"],
                "additionalProperties": false
            }),
            true,
        ),
        tool(
            "gh_search_repositories",
            "Search repositories",
            "Search GitHub repositories by name, description, topics and qualifiers (e.g. 'tokio language:rust stars:>1000').",
            json!({
                "type": "object",
                "properties": {
                    "query": {"type": "string", "description": "Search query in GitHub repository search syntax"},
                    "perPage": per_page(),
                    "page": page(),
                    "sort": {"type": "string", "enum": ["stars", "forks", "help-wanted-issues", "updated"], "description": "Sort field (default: best match)"},
                    "order": {"type": "string", "enum": ["asc", "desc"], "description": "Sort order (default desc)"}
                },
                "required": ["query"],
                "additionalProperties": false
            }),
            true,
        ),
        tool(
            "gh_list_issues",
            "List issues",
            "List issues of a repository (pull requests are marked and can be skipped).",
            repo_schema(json!({"state": state("issues"), "perPage": per_page(), "page": page()}), &[]),
            true,
        ),
        tool(
            "gh_get_issue",
            "Get an issue",
            "Get one issue with its body, labels, assignees and comment count.",
            repo_schema(json!({"issue_number": number("issue")}), &["issue_number"]),
            true,
        ),
        tool(
            "gh_list_pull_requests",
            "List pull requests",
            "List pull requests of a repository with their head and base branches.",
            repo_schema(json!({"state": state("pull requests"), "perPage": per_page(), "page": page()}), &[]),
            true,
        ),
        tool(
            "gh_get_pull_request",
            "Get a pull request",
            "Get one pull request with its body, branches, merge state and change counts.",
            repo_schema(json!({"pull_number": number("pull request")}), &["pull_number"]),
            true,
        ),
        tool(
            "gh_list_commits",
            "List commits",
            "List commits of a repository, newest first, optionally from a branch, tag or SHA.",
            repo_schema(
                json!({
                    "sha": {"type": "string", "description": "Branch, tag or SHA to start from (default: the default branch)"},
                    "perPage": per_page(),
                    "page": page()
                }),
                &[],
            ),
            true,
        ),
        tool(
            "gh_get_commit",
            "Get a commit",
            "Get one commit with its message, author, stats and changed files (patches truncated).",
            repo_schema(
                json!({"sha": {"type": "string", "description": "Commit SHA, branch or tag"}}),
                &["sha"],
            ),
            true,
        ),
        tool(
            "gh_add_issue_comment",
            "Comment on an issue",
            "Add a comment to an issue or pull request. Only works when the sandbox allows writes.",
            repo_schema(
                json!({
                    "issue_number": number("issue or pull request"),
                    "body": {"type": "string", "description": "Comment text (Markdown)"}
                }),
                &["issue_number", "body"],
            ),
            false,
        ),
        tool(
            "gh_list_branches",
            "List branches",
            "List the branches of a repository with the SHA each points at and whether it is protected.",
            repo_schema(json!({"perPage": per_page(), "page": page()}), &[]),
            true,
        ),
        tool(
            "gh_create_issue",
            "Open an issue",
            "Open a new issue. Only works when the sandbox allows writes.",
            repo_schema(
                json!({
                    "title": {"type": "string", "description": "Issue title"},
                    "body": {"type": "string", "description": "Issue text (Markdown)"}
                }),
                &["title"],
            ),
            false,
        ),
        tool(
            "gh_create_pr",
            "Open a pull request",
            "Open a pull request from the head branch into the base branch. Only works when the sandbox allows writes.",
            repo_schema(
                json!({
                    "title": {"type": "string", "description": "Pull request title"},
                    "head": {"type": "string", "description": "The branch with the changes"},
                    "base": {"type": "string", "description": "The branch to merge into"},
                    "body": {"type": "string", "description": "Pull request text (Markdown)"}
                }),
                &["title", "head", "base"],
            ),
            false,
        ),
    ]
}
