//! A GitHub REST API stand-in on loopback: real paths, JSON shaped like
//! GitHub's (trimmed), `Link` pagination, 404 and rate-limit answers. It
//! records every request so that tests can assert what was sent.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// The token tests configure; the fake refuses any other.
pub const TOKEN: &str = "ghp_fakeToken0123456789abcdef";

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// Path and query, e.g. `/repos/octo/hello/issues?per_page=2&state=open`.
    pub target: String,
    pub authorization: Option<String>,
    pub user_agent: Option<String>,
    pub accept: Option<String>,
    pub api_version: Option<String>,
    pub body: String,
}

/// A running fake.
#[derive(Clone)]
pub struct FakeGitHub {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl FakeGitHub {
    /// Binds 127.0.0.1:0 and serves on the current runtime.
    pub async fn start() -> Self {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new().fallback(answer).with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().expect("bound address"));
        tokio::spawn(async move { axum::serve(listener, app).await.expect("fake GitHub serves") });
        Self { url, seen }
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("not poisoned").clone()
    }

    /// The last request.
    pub fn last(&self) -> Seen {
        self.seen().pop().expect("the fake saw a request")
    }
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|value| value.to_str().ok()).map(str::to_owned)
}

async fn answer(
    State(seen): State<Arc<Mutex<Vec<Seen>>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = Seen {
        method: method.to_string(),
        target: uri.path_and_query().map(ToString::to_string).unwrap_or_default(),
        authorization: header(&headers, "authorization"),
        user_agent: header(&headers, "user-agent"),
        accept: header(&headers, "accept"),
        api_version: header(&headers, "x-github-api-version"),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    seen.lock().expect("not poisoned").push(request.clone());
    if let Some(auth) = &request.authorization
        && *auth != format!("Bearer {TOKEN}")
    {
        return error(StatusCode::UNAUTHORIZED, "Bad credentials");
    }
    let segments: Vec<&str> = uri.path().trim_matches('/').split('/').collect();
    match (method.as_str(), segments.as_slice()) {
        ("GET", ["search", "code"]) => ok(search_code()),
        ("GET", ["search", "repositories"]) => ok(search_repositories()),
        ("GET", ["repos", owner, repo, rest @ ..]) => repo_get(&request, owner, repo, rest),
        ("POST", ["repos", _, _, "issues", number, "comments"]) => {
            let posted: Value = serde_json::from_str(&request.body).unwrap_or_default();
            let id: u64 = 1_000 + number.parse::<u64>().unwrap_or(0);
            (
                StatusCode::CREATED,
                axum::Json(json!({
                    "id": id,
                    "html_url": format!("https://github.com/octo/hello/issues/{number}#issuecomment-{id}"),
                    "body": posted["body"],
                    "user": {"login": "weft-bot", "id": 9},
                    "created_at": "2026-01-02T03:04:05Z",
                    "updated_at": "2026-01-02T03:04:05Z",
                })),
            )
                .into_response()
        }
        ("POST", ["repos", owner, repo, "issues"]) => {
            let posted: Value = serde_json::from_str(&request.body).unwrap_or_default();
            let created = json!({
                "number": 42,
                "html_url": format!("https://github.com/{owner}/{repo}/issues/42"),
                "state": "open",
                "title": posted["title"],
                "body": posted["body"],
                "user": {"login": "weft-bot", "id": 9},
                "created_at": "2026-01-02T03:04:05Z",
            });
            (StatusCode::CREATED, axum::Json(created)).into_response()
        }
        ("POST", ["repos", owner, repo, "pulls"]) => {
            let posted: Value = serde_json::from_str(&request.body).unwrap_or_default();
            if posted["head"] == posted["base"] {
                return error(StatusCode::UNPROCESSABLE_ENTITY, "Validation Failed");
            }
            let created = json!({
                "number": 43,
                "html_url": format!("https://github.com/{owner}/{repo}/pull/43"),
                "state": "open",
                "title": posted["title"],
                "head": {"ref": posted["head"], "sha": "c0ffee1"},
                "base": {"ref": posted["base"], "sha": "beef002"},
                "created_at": "2026-01-02T03:04:05Z",
            });
            (StatusCode::CREATED, axum::Json(created)).into_response()
        }
        _ => error(StatusCode::NOT_FOUND, "Not Found"),
    }
}

fn repo_get(request: &Seen, owner: &str, repo: &str, rest: &[&str]) -> Response {
    let full = format!("{owner}/{repo}");
    match rest {
        ["contents"] | ["contents", ""] => ok(json!([
            {"name": "README.md", "path": "README.md", "sha": "aa11", "size": 14, "type": "file",
             "url": format!("https://api.github.com/repos/{full}/contents/README.md"), "download_url": "https://raw.githubusercontent.com/x"},
            {"name": "src", "path": "src", "sha": "bb22", "size": 0, "type": "dir",
             "url": format!("https://api.github.com/repos/{full}/contents/src"), "download_url": null},
        ])),
        ["contents", "README.md"] => ok(json!({
            "type": "file", "encoding": "base64", "size": 14, "name": "README.md", "path": "README.md",
            // "# Hello\nworld\n", wrapped at 60 columns as GitHub does.
            "content": "IyBIZWxs\nbwp3b3JsZAo=\n", "sha": "aa11",
            "url": "https://api.github.com/x", "git_url": "https://api.github.com/y",
            "html_url": format!("https://github.com/{full}/blob/main/README.md"),
            "download_url": "https://raw.githubusercontent.com/x", "_links": {"self": "https://api.github.com/x"},
        })),
        ["issues"] => paged(
            request,
            json!([
                issue(1, "Crash on start", "open", false, "It crashes."),
                issue(2, "Add a flag", "open", true, "PR body"),
            ]),
        ),
        ["issues", "403"] => rate_limited(),
        ["issues", "7"] => {
            ok(issue(7, "Echo", "open", false, request.authorization.as_deref().unwrap_or("")))
        }
        ["issues", number] if *number != "404" => {
            ok(issue(number.parse().unwrap_or(0), "An issue", "closed", false, "Body."))
        }
        ["pulls"] => paged(request, json!([pull(5, "open"), pull(6, "open")])),
        ["branches"] => paged(
            request,
            json!([
                {"name": "main", "commit": {"sha": "c0ffee1", "url": "https://api.github.com/x"}, "protected": true},
                {"name": "feature", "commit": {"sha": "beef002", "url": "https://api.github.com/y"}, "protected": false},
            ]),
        ),
        ["pulls", number] => ok(pull(number.parse().unwrap_or(0), "closed")),
        ["commits"] => paged(
            request,
            json!([
                commit("c0ffee1", "Fix the crash\n\nLong explanation."),
                commit("beef002", "Initial commit")
            ]),
        ),
        ["commits", sha] => {
            let mut detail = commit(sha, "Fix the crash\n\nLong explanation.");
            detail["stats"] = json!({"total": 3, "additions": 2, "deletions": 1});
            detail["files"] = json!([{
                "sha": "f1", "filename": "src/main.rs", "status": "modified", "additions": 2, "deletions": 1,
                "changes": 3, "blob_url": "https://github.com/x", "patch": format!("@@ -1 +1,2 @@\n{}", "+x\n".repeat(2000)),
            }]);
            ok(detail)
        }
        _ => error(StatusCode::NOT_FOUND, "Not Found"),
    }
}

fn ok(body: Value) -> Response {
    axum::Json(body).into_response()
}

fn error(status: StatusCode, message: &str) -> Response {
    let body = json!({"message": message, "documentation_url": "https://docs.github.com/rest", "status": status.as_u16().to_string()});
    (status, axum::Json(body)).into_response()
}

/// Page 1 of 2: a `Link` header like GitHub's.
fn paged(request: &Seen, body: Value) -> Response {
    let path = request.target.split('?').next().unwrap_or_default();
    let link = format!(
        "<https://api.github.com{path}?per_page=2&page=2>; rel=\"next\", <https://api.github.com{path}?per_page=2&page=5>; rel=\"last\""
    );
    ([("link", link)], axum::Json(body)).into_response()
}

fn rate_limited() -> Response {
    let body = json!({
        "message": "API rate limit exceeded for user ID 1.",
        "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
    });
    (
        StatusCode::FORBIDDEN,
        [
            ("x-ratelimit-limit", "5000"),
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-used", "5000"),
            ("x-ratelimit-reset", "1700000000"),
            ("x-ratelimit-resource", "core"),
        ],
        axum::Json(body),
    )
        .into_response()
}

fn user(login: &str) -> Value {
    json!({"login": login, "id": 1, "avatar_url": "https://avatars.githubusercontent.com/u/1", "type": "User", "site_admin": false})
}

fn issue(number: u64, title: &str, state: &str, is_pull: bool, body: &str) -> Value {
    let mut issue = json!({
        "id": 100 + number, "node_id": "I_x", "number": number, "title": title, "state": state,
        "user": user("octocat"), "labels": [{"id": 1, "name": "bug", "color": "d73a4a"}],
        "assignees": [user("hubot")], "comments": 3, "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-02T00:00:00Z", "closed_at": null, "body": body,
        "html_url": format!("https://github.com/octo/hello/issues/{number}"),
        "reactions": {"total_count": 0}, "author_association": "OWNER",
    });
    if is_pull {
        issue["pull_request"] = json!({"url": "https://api.github.com/x"});
    }
    issue
}

fn pull(number: u64, state: &str) -> Value {
    json!({
        "id": 200 + number, "number": number, "title": format!("PR {number}"), "state": state, "draft": false,
        "user": user("octocat"), "head": {"ref": "feature", "sha": "h1"}, "base": {"ref": "main", "sha": "b1"},
        "merged": false, "mergeable": true, "commits": 2, "additions": 10, "deletions": 3, "changed_files": 1,
        "comments": 0, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-02T00:00:00Z",
        "merged_at": null, "html_url": format!("https://github.com/octo/hello/pull/{number}"), "body": "PR body",
        "_links": {"self": {"href": "https://api.github.com/x"}},
    })
}

fn commit(sha: &str, message: &str) -> Value {
    json!({
        "sha": sha, "node_id": "C_x", "html_url": format!("https://github.com/octo/hello/commit/{sha}"),
        "commit": {"message": message, "author": {"name": "Mona", "email": "mona@example.com", "date": "2026-01-01T00:00:00Z"},
                    "committer": {"name": "Mona", "email": "mona@example.com", "date": "2026-01-01T00:00:00Z"}},
        "author": user("mona"), "parents": [{"sha": "p1"}],
    })
}

fn search_code() -> Value {
    json!({
        "total_count": 2, "incomplete_results": false,
        "items": [
            {"name": "main.rs", "path": "src/main.rs", "sha": "s1", "html_url": "https://github.com/octo/hello/blob/main/src/main.rs",
             "repository": {"id": 1, "full_name": "octo/hello", "private": false}, "score": 1.0},
            {"name": "leak.rs", "path": "src/leak.rs", "sha": "s2", "html_url": "https://github.com/evil/secret/blob/main/src/leak.rs",
             "repository": {"id": 2, "full_name": "evil/secret", "private": false}, "score": 1.0},
        ]
    })
}

fn search_repositories() -> Value {
    json!({
        "total_count": 2, "incomplete_results": false,
        "items": [
            {"id": 1, "full_name": "octo/hello", "description": "Hello", "language": "Rust", "stargazers_count": 42,
             "forks_count": 3, "open_issues_count": 2, "default_branch": "main", "updated_at": "2026-01-01T00:00:00Z",
             "html_url": "https://github.com/octo/hello", "owner": user("octo")},
            {"id": 2, "full_name": "evil/secret", "description": "Not for you", "language": "C", "stargazers_count": 1,
             "forks_count": 0, "open_issues_count": 0, "default_branch": "main", "updated_at": "2026-01-01T00:00:00Z",
             "html_url": "https://github.com/evil/secret", "owner": user("evil")},
        ]
    })
}
