//! The tools: arguments checked against the policy, one API request each,
//! and the answer cut down to what an agent needs.

use serde_json::{Value, json};

use crate::api::{self, Page, decode_base64, encode};
use crate::args::{self, Args};
use crate::settings::Settings;
use crate::weft::tool::types::ErrorType;
use crate::{Failure, ToolResult};

/// Longest patch kept per file of a commit.
const MAX_PATCH_CHARS: usize = 2_000;
/// Longest file content returned.
const MAX_FILE_CHARS: usize = 100_000;

pub(crate) fn run(settings: &Settings, tool: &str, args: &Args) -> ToolResult {
    match tool {
        "gh_get_file_contents" => get_file_contents(settings, args),
        "gh_search_code" => search_code(settings, args),
        "gh_search_repositories" => search_repositories(settings, args),
        "gh_list_issues" => list_issues(settings, args),
        "gh_get_issue" => get_issue(settings, args),
        "gh_list_pull_requests" => list_pull_requests(settings, args),
        "gh_get_pull_request" => get_pull_request(settings, args),
        "gh_list_commits" => list_commits(settings, args),
        "gh_get_commit" => get_commit(settings, args),
        "gh_add_issue_comment" => add_issue_comment(settings, args),
        "gh_list_branches" => list_branches(settings, args),
        "gh_create_issue" => create_issue(settings, args),
        "gh_create_pr" => create_pr(settings, args),
        other => Err(Failure::new(ErrorType::UnknownTool, format!("Unknown tool: {other}"))),
    }
}

/// `/repos/{owner}/{repo}` after the allowlist check.
fn repo_path(settings: &Settings, args: &Args) -> Result<String, Failure> {
    let owner = args::name(args, "owner")?;
    let repo = args::name(args, "repo")?;
    settings.check_repo(owner, repo)?;
    Ok(format!("/repos/{owner}/{repo}"))
}

fn paging(args: &Args) -> Result<Vec<(&'static str, String)>, Failure> {
    let mut query = vec![("per_page", args::per_page(args)?.to_string())];
    if let Some(page) = args::number(args, "page")? {
        query.push(("page", page.to_string()));
    }
    Ok(query)
}

/// A list answer: the items, and `next_page` when GitHub has more.
fn listing(items: Vec<Value>, page: &Page) -> Value {
    let mut out = json!({"count": items.len(), "items": items});
    if let Some(next) = page.next_page {
        out["next_page"] = json!(next);
    }
    out
}

fn login(user: &Value) -> Value {
    user["login"].clone()
}

fn labels(issue: &Value) -> Value {
    let names: Vec<Value> =
        issue["labels"].as_array().into_iter().flatten().map(|label| label["name"].clone()).collect();
    json!(names)
}

fn get_file_contents(settings: &Settings, args: &Args) -> ToolResult {
    let repo = repo_path(settings, args)?;
    let path = args::optional(args, "path")?.unwrap_or("").trim_matches('/');
    let encoded: Vec<String> = path.split('/').filter(|part| !part.is_empty()).map(encode).collect();
    if encoded.iter().any(|part| part == "." || part == "..") {
        return Err(Failure::invalid(format!("Argument 'path' may not contain '.' or '..': '{path}'")));
    }
    let mut query = Vec::new();
    if let Some(reference) = args::optional(args, "ref")? {
        query.push(("ref", reference.to_owned()));
    }
    let page = api::get(settings, &format!("{repo}/contents/{}", encoded.join("/")), &query)?;
    if let Some(entries) = page.body.as_array() {
        let entries: Vec<Value> = entries
            .iter()
            .map(|entry| json!({"name": entry["name"], "type": entry["type"], "path": entry["path"], "size": entry["size"]}))
            .collect();
        return Ok(json!({"path": format!("/{path}"), "type": "dir", "entries": entries}));
    }
    let file = &page.body;
    let mut out =
        json!({"path": file["path"], "type": file["type"], "size": file["size"], "sha": file["sha"]});
    if file["encoding"] == "base64" {
        let bytes = file["content"].as_str().and_then(decode_base64).ok_or_else(|| {
            Failure::new(ErrorType::UpstreamError, "GitHub returned file content that is not valid base64")
        })?;
        match String::from_utf8(bytes) {
            Ok(text) if text.chars().count() > MAX_FILE_CHARS => {
                out["content"] = json!(text.chars().take(MAX_FILE_CHARS).collect::<String>());
                out["truncated"] = json!(true);
            }
            Ok(text) => out["content"] = json!(text),
            Err(_) => out["binary"] = json!(true),
        }
    } else if file["type"] == "file" {
        // Files over 1 MB come without content.
        out["download_url"] = file["download_url"].clone();
    }
    Ok(out)
}

fn search_code(settings: &Settings, args: &Args) -> ToolResult {
    let mut query = vec![("q", args::required(args, "query")?.to_owned())];
    query.extend(paging(args)?);
    let page = api::get(settings, "/search/code", &query)?;
    let items: Vec<Value> = page.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|item| {
            item["repository"]["full_name"].as_str().is_some_and(|repo| settings.repo_allowed(repo))
        })
        .map(|item| {
            json!({
                "repository": item["repository"]["full_name"],
                "path": item["path"],
                "name": item["name"],
                "sha": item["sha"],
                "html_url": item["html_url"],
            })
        })
        .collect();
    Ok(search_listing(settings, items, &page))
}

fn search_repositories(settings: &Settings, args: &Args) -> ToolResult {
    let mut query = vec![("q", args::required(args, "query")?.to_owned())];
    query.extend(paging(args)?);
    if let Some(sort) = args::choice(args, "sort", &["stars", "forks", "help-wanted-issues", "updated"])? {
        query.push(("sort", sort.to_owned()));
    }
    if let Some(order) = args::choice(args, "order", &["asc", "desc"])? {
        query.push(("order", order.to_owned()));
    }
    let page = api::get(settings, "/search/repositories", &query)?;
    let items: Vec<Value> = page.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|repo| repo["full_name"].as_str().is_some_and(|name| settings.repo_allowed(name)))
        .map(|repo| {
            json!({
                "full_name": repo["full_name"],
                "description": repo["description"],
                "language": repo["language"],
                "stars": repo["stargazers_count"],
                "forks": repo["forks_count"],
                "open_issues": repo["open_issues_count"],
                "default_branch": repo["default_branch"],
                "updated_at": repo["updated_at"],
                "html_url": repo["html_url"],
            })
        })
        .collect();
    Ok(search_listing(settings, items, &page))
}

/// Search answers carry GitHub's total only without an allowlist: with one,
/// the total would count repositories the agent may not see.
fn search_listing(settings: &Settings, items: Vec<Value>, page: &Page) -> Value {
    let mut out = listing(items, page);
    if settings.allowed_repos.is_empty() {
        out["total_count"] = page.body["total_count"].clone();
    }
    out
}

fn list_issues(settings: &Settings, args: &Args) -> ToolResult {
    let repo = repo_path(settings, args)?;
    let mut query = paging(args)?;
    query.push((
        "state",
        args::choice(args, "state", &["open", "closed", "all"])?.unwrap_or("open").to_owned(),
    ));
    let page = api::get(settings, &format!("{repo}/issues"), &query)?;
    let items: Vec<Value> = page
        .body
        .as_array()
        .into_iter()
        .flatten()
        .map(|issue| {
            json!({
                "number": issue["number"],
                "title": issue["title"],
                "state": issue["state"],
                "user": login(&issue["user"]),
                "labels": labels(issue),
                "comments": issue["comments"],
                "is_pull_request": issue.get("pull_request").is_some(),
                "created_at": issue["created_at"],
                "updated_at": issue["updated_at"],
            })
        })
        .collect();
    Ok(listing(items, &page))
}

fn get_issue(settings: &Settings, args: &Args) -> ToolResult {
    let repo = repo_path(settings, args)?;
    let number = args::required_number(args, "issue_number")?;
    let issue = api::get(settings, &format!("{repo}/issues/{number}"), &[])?.body;
    let assignees: Vec<Value> = issue["assignees"].as_array().into_iter().flatten().map(login).collect();
    Ok(json!({
        "number": issue["number"],
        "title": issue["title"],
        "state": issue["state"],
        "user": login(&issue["user"]),
        "labels": labels(&issue),
        "assignees": assignees,
        "comments": issue["comments"],
        "is_pull_request": issue.get("pull_request").is_some(),
        "created_at": issue["created_at"],
        "updated_at": issue["updated_at"],
        "closed_at": issue["closed_at"],
        "html_url": issue["html_url"],
        "body": issue["body"],
    }))
}

fn list_pull_requests(settings: &Settings, args: &Args) -> ToolResult {
    let repo = repo_path(settings, args)?;
    let mut query = paging(args)?;
    query.push((
        "state",
        args::choice(args, "state", &["open", "closed", "all"])?.unwrap_or("open").to_owned(),
    ));
    let page = api::get(settings, &format!("{repo}/pulls"), &query)?;
    let items: Vec<Value> = page
        .body
        .as_array()
        .into_iter()
        .flatten()
        .map(|pull| {
            json!({
                "number": pull["number"],
                "title": pull["title"],
                "state": pull["state"],
                "draft": pull["draft"],
                "user": login(&pull["user"]),
                "head": pull["head"]["ref"],
                "base": pull["base"]["ref"],
                "created_at": pull["created_at"],
                "updated_at": pull["updated_at"],
            })
        })
        .collect();
    Ok(listing(items, &page))
}

fn get_pull_request(settings: &Settings, args: &Args) -> ToolResult {
    let repo = repo_path(settings, args)?;
    let number = args::required_number(args, "pull_number")?;
    let pull = api::get(settings, &format!("{repo}/pulls/{number}"), &[])?.body;
    Ok(json!({
        "number": pull["number"],
        "title": pull["title"],
        "state": pull["state"],
        "draft": pull["draft"],
        "merged": pull["merged"],
        "mergeable": pull["mergeable"],
        "user": login(&pull["user"]),
        "head": pull["head"]["ref"],
        "base": pull["base"]["ref"],
        "commits": pull["commits"],
        "additions": pull["additions"],
        "deletions": pull["deletions"],
        "changed_files": pull["changed_files"],
        "comments": pull["comments"],
        "created_at": pull["created_at"],
        "updated_at": pull["updated_at"],
        "merged_at": pull["merged_at"],
        "html_url": pull["html_url"],
        "body": pull["body"],
    }))
}

fn list_commits(settings: &Settings, args: &Args) -> ToolResult {
    let repo = repo_path(settings, args)?;
    let mut query = paging(args)?;
    if let Some(sha) = args::optional(args, "sha")? {
        query.push(("sha", sha.to_owned()));
    }
    let page = api::get(settings, &format!("{repo}/commits"), &query)?;
    let items: Vec<Value> = page
        .body
        .as_array()
        .into_iter()
        .flatten()
        .map(|commit| {
            let message = commit["commit"]["message"].as_str().unwrap_or_default();
            json!({
                "sha": commit["sha"],
                "message": message.lines().next().unwrap_or_default(),
                "author": commit["commit"]["author"]["name"],
                "date": commit["commit"]["author"]["date"],
            })
        })
        .collect();
    Ok(listing(items, &page))
}

fn get_commit(settings: &Settings, args: &Args) -> ToolResult {
    let repo = repo_path(settings, args)?;
    let sha = encode(args::required(args, "sha")?);
    let commit = api::get(settings, &format!("{repo}/commits/{sha}"), &[])?.body;
    let files: Vec<Value> = commit["files"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|file| {
            let mut out = json!({
                "filename": file["filename"],
                "status": file["status"],
                "additions": file["additions"],
                "deletions": file["deletions"],
            });
            if let Some(patch) = file["patch"].as_str() {
                out["patch"] = json!(patch.chars().take(MAX_PATCH_CHARS).collect::<String>());
                if patch.chars().count() > MAX_PATCH_CHARS {
                    out["patch_truncated"] = json!(true);
                }
            }
            out
        })
        .collect();
    Ok(json!({
        "sha": commit["sha"],
        "message": commit["commit"]["message"],
        "author": commit["commit"]["author"]["name"],
        "date": commit["commit"]["author"]["date"],
        "stats": commit["stats"],
        "files": files,
        "html_url": commit["html_url"],
    }))
}

fn add_issue_comment(settings: &Settings, args: &Args) -> ToolResult {
    let repo = repo_path(settings, args)?;
    let number = args::required_number(args, "issue_number")?;
    let body = args::required(args, "body")?;
    settings.check_writes()?;
    let comment =
        api::post(settings, &format!("{repo}/issues/{number}/comments"), &json!({"body": body}))?.body;
    Ok(json!({
        "id": comment["id"],
        "html_url": comment["html_url"],
        "created_at": comment["created_at"],
    }))
}

fn list_branches(settings: &Settings, args: &Args) -> ToolResult {
    let repo = repo_path(settings, args)?;
    let page = api::get(settings, &format!("{repo}/branches"), &paging(args)?)?;
    let items: Vec<Value> = page
        .body
        .as_array()
        .into_iter()
        .flatten()
        .map(|branch| json!({"name": branch["name"], "sha": branch["commit"]["sha"], "protected": branch["protected"]}))
        .collect();
    Ok(listing(items, &page))
}

fn create_issue(settings: &Settings, args: &Args) -> ToolResult {
    let repo = repo_path(settings, args)?;
    let title = args::required(args, "title")?;
    let mut request = json!({"title": title});
    if let Some(body) = args::optional(args, "body")? {
        request["body"] = json!(body);
    }
    settings.check_writes()?;
    let issue = api::post(settings, &format!("{repo}/issues"), &request)?.body;
    Ok(json!({
        "number": issue["number"],
        "html_url": issue["html_url"],
        "state": issue["state"],
        "created_at": issue["created_at"],
    }))
}

fn create_pr(settings: &Settings, args: &Args) -> ToolResult {
    let repo = repo_path(settings, args)?;
    let title = args::required(args, "title")?;
    let head = args::required(args, "head")?;
    let base = args::required(args, "base")?;
    let mut request = json!({"title": title, "head": head, "base": base});
    if let Some(body) = args::optional(args, "body")? {
        request["body"] = json!(body);
    }
    settings.check_writes()?;
    let pull = api::post(settings, &format!("{repo}/pulls"), &request)?.body;
    Ok(json!({
        "number": pull["number"],
        "html_url": pull["html_url"],
        "state": pull["state"],
        "head": pull["head"]["ref"],
        "base": pull["base"]["ref"],
        "created_at": pull["created_at"],
    }))
}
