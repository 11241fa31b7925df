//! The built-in GitHub component against a fake GitHub API on loopback,
//! configured through the built-in manifest as a user would.

use crate::common;

use common::fake_github::{FakeGitHub, TOKEN};
use common::{assert_err, call};
use serde_json::{Value, json};
use weft_sandbox::{Manifest, Sandbox};

async fn github(fake: &FakeGitHub, allowed_repos: &str, allow_writes: bool) -> Sandbox {
    let mut manifest = Manifest::builtin();
    for (name, value) in [
        ("github_token", TOKEN),
        ("github_api_url", fake.url.as_str()),
        ("allowed_repos", allowed_repos),
        ("allow_writes", if allow_writes { "true" } else { "false" }),
    ] {
        manifest.set_variable(name, value).expect("declared in the built-in manifest");
    }
    Sandbox::new(manifest).await.expect("the built-in manifest loads with a token")
}

async fn ok_json(sandbox: &Sandbox, tool: &str, args: Value) -> Value {
    let outcome = call(sandbox, "s", tool, args).await;
    assert!(outcome.success, "{tool}: {outcome:?}");
    serde_json::from_str(&outcome.result).expect("results are JSON")
}

#[tokio::test]
async fn without_a_token_the_component_is_not_loaded() {
    let mut manifest = Manifest::builtin();
    manifest.set_variable("github_token", "").expect("declared");
    let sandbox = Sandbox::new(manifest).await.expect("loads");
    assert!(!sandbox.has_component("github"));
    assert!(sandbox.has_component("vfs"));
    assert_err(
        &sandbox.execute("s", "gh_get_issue", "{}").await,
        "UnknownTool",
        "Unknown tool: gh_get_issue",
    );
}

#[tokio::test]
async fn describe_gives_every_tool_a_schema_and_annotations() {
    let fake = FakeGitHub::start().await;
    let sandbox = github(&fake, "", false).await;
    let info = sandbox.components().into_iter().find(|c| c.name == "github").expect("github loaded");
    let tools = serde_json::to_string_pretty(&info.tools).expect("serialises");
    insta::assert_snapshot!("github_tools", tools);
    for tool in &info.tools {
        let read_only =
            !["gh_add_issue_comment", "gh_create_issue", "gh_create_pr"].contains(&tool.name.as_str());
        let annotations = serde_json::to_value(&tool.annotations).expect("serialises");
        assert_eq!(annotations["readOnlyHint"], read_only, "{}", tool.name);
        assert_eq!(annotations["openWorldHint"], true, "{}", tool.name);
    }
    assert!(fake.seen().is_empty(), "describe must not call GitHub");
}

#[tokio::test]
async fn every_read_tool_answers_compact_json_and_sends_the_token() {
    let fake = FakeGitHub::start().await;
    let sandbox = github(&fake, "octo/hello, octo/world", false).await;
    let repo = json!({"owner": "octo", "repo": "hello"});
    let with = |extra: Value| {
        let mut args = repo.clone();
        args.as_object_mut().expect("object").extend(extra.as_object().expect("object").clone());
        args
    };
    let calls = [
        ("gh_get_file_contents", with(json!({"path": "README.md", "ref": "main"}))),
        ("gh_get_file_contents", repo.clone()),
        ("gh_search_code", json!({"query": "fn main", "perPage": 5})),
        ("gh_search_repositories", json!({"query": "hello", "sort": "stars", "order": "desc"})),
        ("gh_list_issues", with(json!({"state": "all", "perPage": 2}))),
        ("gh_get_issue", with(json!({"issue_number": 1}))),
        ("gh_list_pull_requests", with(json!({"perPage": "2"}))),
        ("gh_get_pull_request", with(json!({"pull_number": 5}))),
        ("gh_list_commits", with(json!({"sha": "main"}))),
        ("gh_get_commit", with(json!({"sha": "c0ffee1"}))),
    ];
    let mut transcript = String::new();
    for (tool, args) in calls {
        let result = ok_json(&sandbox, tool, args.clone()).await;
        let seen = fake.last();
        assert_eq!(seen.authorization.as_deref(), Some(format!("Bearer {TOKEN}").as_str()), "{tool}");
        assert_eq!(seen.user_agent.as_deref(), Some("weft"));
        assert_eq!(seen.accept.as_deref(), Some("application/vnd.github+json"));
        assert_eq!(seen.api_version.as_deref(), Some("2022-11-28"));
        let pretty = serde_json::to_string_pretty(&result).expect("serialises");
        transcript.push_str(&format!("## {tool} {args}\n{} {}\n{pretty}\n\n", seen.method, seen.target));
    }
    insta::assert_snapshot!("github_read_tools", transcript);
}

#[tokio::test]
async fn a_repository_outside_the_allowlist_is_refused_before_any_request() {
    let fake = FakeGitHub::start().await;
    let sandbox = github(&fake, "octo/hello,octo/world", true).await;
    for (tool, extra) in [
        ("gh_get_issue", json!({"issue_number": 1})),
        ("gh_list_commits", json!({})),
        ("gh_add_issue_comment", json!({"issue_number": 1, "body": "hi"})),
    ] {
        let mut args = json!({"owner": "evil", "repo": "secret"});
        args.as_object_mut().expect("object").extend(extra.as_object().expect("object").clone());
        assert_err(
            &call(&sandbox, "s", tool, args).await,
            "NotAllowed",
            "Repository 'evil/secret' is not in the allowed list. Allowed repositories: octo/hello, octo/world",
        );
    }
    assert!(fake.seen().is_empty(), "{:?}", fake.seen());
}

#[tokio::test]
async fn search_cannot_bypass_the_allowlist() {
    let fake = FakeGitHub::start().await;
    let sandbox = github(&fake, "octo/hello", false).await;
    for tool in ["gh_search_code", "gh_search_repositories"] {
        let result = ok_json(&sandbox, tool, json!({"query": "leak"})).await;
        let text = result.to_string();
        assert!(!text.contains("evil/secret"), "{tool}: {text}");
        assert_eq!(result["count"], 1, "{tool}: {text}");
        assert!(result.get("total_count").is_none(), "{tool}: the total counts hidden repositories");
    }
    let open = github(&fake, "", false).await;
    let result = ok_json(&open, "gh_search_code", json!({"query": "leak"})).await;
    assert_eq!(result["count"], 2);
    assert_eq!(result["total_count"], 2);
}

#[tokio::test]
async fn writes_are_refused_until_allowed() {
    let fake = FakeGitHub::start().await;
    let args = json!({"owner": "octo", "repo": "hello", "issue_number": 3, "body": "Looks good to me."});
    let read_only = github(&fake, "", false).await;
    assert_err(
        &call(&read_only, "s", "gh_add_issue_comment", args.clone()).await,
        "NotAllowed",
        "Write operations are disabled. To enable them, set the variable allow_writes to true \
         (SPIN_VARIABLE_ALLOW_WRITES=true or WEFT_VAR_ALLOW_WRITES=true)",
    );
    assert!(fake.seen().is_empty());

    let writable = github(&fake, "", true).await;
    let result = ok_json(&writable, "gh_add_issue_comment", args).await;
    assert_eq!(
        result,
        json!({
            "id": 1003,
            "html_url": "https://github.com/octo/hello/issues/3#issuecomment-1003",
            "created_at": "2026-01-02T03:04:05Z"
        })
    );
    let posted = fake.last();
    assert_eq!(
        (posted.method.as_str(), posted.target.as_str()),
        ("POST", "/repos/octo/hello/issues/3/comments")
    );
    assert_eq!(
        serde_json::from_str::<Value>(&posted.body).expect("JSON body"),
        json!({"body": "Looks good to me."})
    );
    assert_eq!(posted.authorization.as_deref(), Some(format!("Bearer {TOKEN}").as_str()));
}

/// The reference component's other tools: branches (a read), and opening
/// issues and pull requests (writes, refused until allowed; the allowlist
/// applies before any request).
#[tokio::test]
async fn branches_and_opening_issues_and_pull_requests() {
    let fake = FakeGitHub::start().await;
    let read_only = github(&fake, "", false).await;
    let branches = ok_json(&read_only, "gh_list_branches", json!({"owner": "octo", "repo": "hello"})).await;
    assert_eq!(
        branches,
        json!({"count": 2, "next_page": 2, "items": [
            {"name": "main", "sha": "c0ffee1", "protected": true},
            {"name": "feature", "sha": "beef002", "protected": false}
        ]})
    );
    let issue =
        json!({"owner": "octo", "repo": "hello", "title": "Crash on start", "body": "Steps: run it."});
    let pr = json!({"owner": "octo", "repo": "hello", "title": "Fix the crash", "head": "feature", "base": "main"});
    for (tool, args) in [("gh_create_issue", &issue), ("gh_create_pr", &pr)] {
        let refused = call(&read_only, "s", tool, args.clone()).await;
        assert_eq!(refused.label(), "NotAllowed", "{tool}: {refused:?}");
    }
    assert!(fake.seen().iter().all(|seen| seen.method == "GET"), "no write reached GitHub");

    let writable = github(&fake, "octo/hello", true).await;
    assert_eq!(
        ok_json(&writable, "gh_create_issue", issue.clone()).await,
        json!({"number": 42, "html_url": "https://github.com/octo/hello/issues/42", "state": "open",
               "created_at": "2026-01-02T03:04:05Z"})
    );
    let posted = fake.last();
    assert_eq!((posted.method.as_str(), posted.target.as_str()), ("POST", "/repos/octo/hello/issues"));
    assert_eq!(
        serde_json::from_str::<Value>(&posted.body).expect("JSON body"),
        json!({"title": "Crash on start", "body": "Steps: run it."})
    );
    assert_eq!(
        ok_json(&writable, "gh_create_pr", pr.clone()).await,
        json!({"number": 43, "html_url": "https://github.com/octo/hello/pull/43", "state": "open",
               "head": "feature", "base": "main", "created_at": "2026-01-02T03:04:05Z"})
    );
    assert_eq!(fake.last().target, "/repos/octo/hello/pulls");
    // GitHub's own refusal is the tool's answer, with its status.
    let same = json!({"owner": "octo", "repo": "hello", "title": "t", "head": "main", "base": "main"});
    let refused = call(&writable, "s", "gh_create_pr", same).await;
    assert!(!refused.success && refused.result.contains("Validation Failed"), "{refused:?}");
    // Outside the allowlist: refused before any request.
    let before = fake.seen().len();
    let elsewhere = json!({"owner": "other", "repo": "x", "title": "t"});
    let outside = call(&writable, "s", "gh_create_issue", elsewhere).await;
    assert_eq!(outside.label(), "NotAllowed", "{outside:?}");
    assert_eq!(fake.seen().len(), before);
}

#[tokio::test]
async fn api_errors_carry_status_and_message_and_rate_limits_their_reset() {
    let fake = FakeGitHub::start().await;
    let sandbox = github(&fake, "", false).await;
    let issue = |number: u64| json!({"owner": "octo", "repo": "hello", "issue_number": number});
    assert_err(
        &call(&sandbox, "s", "gh_get_issue", issue(404)).await,
        "UpstreamError",
        "GitHub API error 404: Not Found",
    );
    assert_err(
        &call(&sandbox, "s", "gh_get_issue", issue(403)).await,
        "RateLimited",
        "GitHub API rate limit exceeded. The limit resets at 2023-11-14T22:13:20Z",
    );
    assert_err(
        &call(&sandbox, "s", "gh_get_issue", json!({"owner": "octo", "repo": "hello"})).await,
        "InvalidArguments",
        "Missing required argument 'issue_number'",
    );
    assert_err(
        &call(&sandbox, "s", "gh_get_file_contents", json!({"owner": "..", "repo": "x"})).await,
        "InvalidArguments",
        "Argument 'owner' is not a valid GitHub name: '..'",
    );
}

#[tokio::test]
async fn the_token_is_redacted_even_when_the_upstream_echoes_it() {
    let fake = FakeGitHub::start().await;
    let sandbox = github(&fake, "", false).await;
    // Issue 7's body is the Authorization header the fake received.
    let outcome =
        call(&sandbox, "s", "gh_get_issue", json!({"owner": "octo", "repo": "hello", "issue_number": 7}))
            .await;
    assert!(outcome.success, "{outcome:?}");
    assert!(!outcome.result.contains(TOKEN), "{}", outcome.result);
    let result: Value = serde_json::from_str(&outcome.result).expect("JSON");
    assert_eq!(result["body"], "Bearer [REDACTED]");
    assert_eq!(sandbox.redact(&format!("x{TOKEN}y")), "x[REDACTED]y");
}
