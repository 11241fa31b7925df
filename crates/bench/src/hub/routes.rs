//! The fake Hub's HTTP side: which route a request is, who sends it, and
//! the answers, shaped as the Hub shapes them.
//!
//! Routing is by hand on the raw path: the Hub's paths hold percent-encoded
//! segments (`revision/refs%2Fpr%2F1`, `resolve/main/data/a%20b.jsonl`), so
//! the path is split on `/` first and each segment decoded after.

use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::lfs;
use super::store::{Change, Entry, Repo, Store, pattern_matches};
use super::wire::{Fault, decode, query_flag, sha1_hex};
use super::{HubOptions, HubRequest};

/// What every request can reach.
pub struct Shared {
    pub options: HubOptions,
    /// `http://127.0.0.1:PORT`: the Hub's own origin.
    pub base: String,
    /// Where LFS transfers and (with `cdn`) LFS downloads go: another origin.
    pub storage_base: String,
    pub store: Mutex<Store>,
    pub requests: Mutex<Vec<HubRequest>>,
    /// Storage PUTs still to fail.
    pub storage_failures: AtomicUsize,
}

impl Shared {
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One request, as the handlers see it.
pub struct Call<'a> {
    pub method: &'a Method,
    pub segments: Vec<&'a str>,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a Bytes,
}

impl Call<'_> {
    pub fn json(&self) -> Result<Value, Fault> {
        if self.body.is_empty() {
            return Ok(json!({}));
        }
        serde_json::from_slice(self.body)
            .map_err(|err| Fault::bad_request(format!("body is not JSON: {err}")))
    }

    fn decoded(&self, from: usize) -> Result<Vec<String>, Fault> {
        self.segments.iter().skip(from).map(|s| decode(s)).collect()
    }
}

/// The single handler: routes, answers, and records the request.
pub async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let call = Call {
        method: &method,
        segments: uri.path().split('/').skip(1).collect(),
        query: uri.query(),
        headers: &headers,
        body: &body,
    };
    let response = route(&shared, &call).unwrap_or_else(IntoResponse::into_response);
    let record = HubRequest {
        method: method.to_string(),
        path: uri.path_and_query().map_or_else(|| uri.path().to_owned(), |pq| pq.as_str().to_owned()),
        authorization: headers.contains_key(header::AUTHORIZATION),
        status: response.status().as_u16(),
        body_bytes: body.len(),
        content_length: headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok()),
    };
    shared.requests.lock().unwrap_or_else(PoisonError::into_inner).push(record);
    response
}

fn route(shared: &Shared, call: &Call<'_>) -> Result<Response, Fault> {
    match call.segments.first().copied() {
        Some("api") => api(shared, call),
        Some("_lfs") => lfs::transfer(shared, call),
        Some("_cdn") if matches!(*call.method, Method::GET | Method::HEAD) => {
            let sha = call.segments.get(1).copied().unwrap_or_default();
            let blob = shared.store().blobs.get(sha).cloned().ok_or_else(Fault::not_found)?;
            Ok(send_blob(call, blob, Vec::new()))
        }
        _ => git_routes(shared, call),
    }
}

/// `{datasets/|spaces/|}{ns}/{name}.git/info/lfs/objects/batch` and
/// `{datasets/|spaces/|}{ns}/{name}/resolve/{rev}/{path}`.
fn git_routes(shared: &Shared, call: &Call<'_>) -> Result<Response, Fault> {
    let (kind, rest) = match call.segments.first().copied() {
        Some("datasets") => ("datasets", &call.segments[1..]),
        Some("spaces") => ("spaces", &call.segments[1..]),
        _ => ("models", &call.segments[..]),
    };
    match rest {
        [ns, name, "info", "lfs", "objects", "batch"] if *call.method == Method::POST => {
            let name = decode(name)?;
            let name = name.strip_suffix(".git").ok_or_else(Fault::not_found)?;
            lfs::batch(shared, call, &repo_key(kind, &decode(ns)?, name))
        }
        [ns, name, "resolve", rev, file @ ..]
            if !file.is_empty() && matches!(*call.method, Method::GET | Method::HEAD) =>
        {
            let file: Vec<String> = file.iter().map(|s| decode(s)).collect::<Result<_, _>>()?;
            resolve(
                shared,
                call,
                &repo_key(kind, &decode(ns)?, &decode(name)?),
                &decode(rev)?,
                &file.join("/"),
            )
        }
        _ => Err(Fault::not_found()),
    }
}

pub fn repo_key(kind: &str, ns: &str, name: &str) -> String {
    format!("{kind}/{ns}/{name}")
}

/// The browsable URL of a repo: `{base}/datasets/ns/name` (models have no prefix).
fn repo_url(base: &str, key: &str) -> String {
    match key.strip_prefix("models/") {
        Some(id) => format!("{base}/{id}"),
        None => format!("{base}/{key}"),
    }
}

fn api(shared: &Shared, call: &Call<'_>) -> Result<Response, Fault> {
    let method = call.method.clone();
    match (method, &call.segments[1..]) {
        (Method::GET, ["whoami-v2"]) => whoami(shared, call),
        (Method::POST, ["repos", "create"]) => create_repo(shared, call),
        (Method::POST, ["validate-yaml"]) => validate_yaml(call),
        (_, [kind @ ("models" | "datasets" | "spaces"), ns, name, ..]) => {
            let key = repo_key(kind, &decode(ns)?, &decode(name)?);
            repo_api(shared, call, &key)
        }
        _ => Err(Fault::not_found()),
    }
}

/// `/api/{kind}/{ns}/{name}[/{action}/{rev}[/...]]`.
fn repo_api(shared: &Shared, call: &Call<'_>, key: &str) -> Result<Response, Fault> {
    let rest = call.decoded(4)?;
    let method = call.method.clone();
    match (method, rest.first().map(String::as_str), rest.get(1)) {
        (Method::GET, None, _) => repo_info(shared, call, key, "main"),
        (Method::GET, Some("revision"), Some(rev)) => repo_info(shared, call, key, rev),
        (Method::GET, Some("tree"), Some(rev)) => tree(shared, call, key, rev, &rest[2..].join("/")),
        (Method::GET, Some("refs"), _) => refs(shared, call, key),
        (Method::GET, Some("commits"), Some(rev)) => commits(shared, call, key, rev),
        (Method::POST, Some("paths-info"), Some(rev)) => paths_info(shared, call, key, rev),
        (Method::POST, Some("preupload"), Some(rev)) => preupload(shared, call, key, rev),
        (Method::POST, Some("commit"), Some(rev)) => commit(shared, call, key, rev),
        (Method::POST, Some("tag"), Some(rev)) => create_tag(shared, call, key, rev),
        (Method::DELETE, Some("tag"), Some(tag)) => delete_tag(shared, call, key, tag),
        (_, Some(action), _) if action.starts_with("xet-") && action.ends_with("-token") => {
            Err(Fault::new(501, "this Hub stores files with Git LFS only (no Xet)"))
        }
        _ => Err(Fault::not_found()),
    }
}

/// The user a request's bearer token belongs to; `None` when it has none.
pub fn user(shared: &Shared, headers: &HeaderMap) -> Result<Option<String>, Fault> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let invalid = || Fault::new(401, "Invalid credentials in Authorization header");
    let token = value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).ok_or_else(invalid)?;
    let known = shared.options.tokens.iter().find(|(known, _)| known == token.trim());
    known.map(|(_, user)| Some(user.clone())).ok_or_else(invalid)
}

fn require_user(shared: &Shared, headers: &HeaderMap) -> Result<String, Fault> {
    user(shared, headers)?.ok_or_else(|| Fault::new(401, "You must be authenticated to access this resource"))
}

/// The repo, if the caller may read it: a private repo is visible to its
/// owner only (401 for anonymous callers, 404 for others, as on the Hub).
fn readable<'s>(shared: &Shared, store: &'s Store, call: &Call<'_>, key: &str) -> Result<&'s Repo, Fault> {
    let repo = store.repos.get(key).ok_or_else(|| Fault::repo_not_found(404))?;
    if repo.private {
        match user(shared, call.headers)? {
            None => return Err(Fault::repo_not_found(401)),
            Some(user) if user != repo.owner => return Err(Fault::repo_not_found(404)),
            Some(_) => {}
        }
    }
    Ok(repo)
}

/// The repo, if the caller may write to it (its namespace is theirs).
pub fn writable<'s>(
    shared: &Shared,
    store: &'s Store,
    call: &Call<'_>,
    key: &str,
) -> Result<&'s Repo, Fault> {
    let user = require_user(shared, call.headers)?;
    let repo = readable(shared, store, call, key)?;
    let namespace = key.split('/').nth(1).unwrap_or_default();
    if user != repo.owner && user != namespace {
        return Err(Fault::new(403, format!("You don't have the rights to write to {}", &key)));
    }
    Ok(repo)
}

fn whoami(shared: &Shared, call: &Call<'_>) -> Result<Response, Fault> {
    let name = require_user(shared, call.headers)?;
    let id = &sha1_hex(&name)[..24];
    Ok(axum::Json(json!({
        "type": "user", "id": id, "name": name, "fullname": name, "email": null,
        "emailVerified": false, "isPro": false, "orgs": [],
        "auth": {"type": "access_token", "accessToken": {"displayName": "fake-hub-token", "role": "write"}},
    }))
    .into_response())
}

fn create_repo(shared: &Shared, call: &Call<'_>) -> Result<Response, Fault> {
    let user = require_user(shared, call.headers)?;
    let body = call.json()?;
    let name = body["name"].as_str().unwrap_or_default();
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) {
        return Err(Fault::bad_request(format!("Invalid repo name {name:?}")));
    }
    let namespace = body["organization"].as_str().unwrap_or(&user).to_owned();
    let kind = match body["type"].as_str().unwrap_or("model") {
        "model" => "models",
        "dataset" => "datasets",
        "space" => "spaces",
        other => return Err(Fault::bad_request(format!("Invalid repo type {other:?}"))),
    };
    if namespace != user {
        let what = kind.trim_end_matches('s');
        return Err(Fault::new(
            403,
            format!("You don't have the rights to create a {what} under the namespace \"{namespace}\""),
        ));
    }
    // 2.4.0 sends `visibility`; older clients sent `private`.
    let private = match body["visibility"].as_str() {
        Some(visibility) => visibility == "private",
        None => body["private"].as_bool().unwrap_or(false),
    };
    let key = repo_key(kind, &namespace, name);
    let url = repo_url(&shared.base, &key);
    if !shared.store().create_repo(&key, private, &user) {
        // huggingface_hub with exist_ok=True reads `url` from this body.
        let message = format!("You already created this {} repo", kind.trim_end_matches('s'));
        let body = json!({"error": message, "url": url});
        return Ok((StatusCode::CONFLICT, [("x-error-message", message)], axum::Json(body)).into_response());
    }
    Ok(axum::Json(json!({"url": url, "name": format!("{namespace}/{name}"), "id": &sha1_hex(&key)[..24]}))
        .into_response())
}

/// The Hub checks a card's YAML; this fake checks only that there is some.
fn validate_yaml(call: &Call<'_>) -> Result<Response, Fault> {
    let body = call.json()?;
    let content = body["content"].as_str().unwrap_or_default();
    let errors: Vec<Value> = if content.starts_with("---") && content[3..].contains("\n---") {
        Vec::new()
    } else {
        vec![json!({"message": "README.md has no YAML front matter"})]
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    Ok((status, axum::Json(json!({"errors": errors, "warnings": []}))).into_response())
}

fn lfs_info(entry: &Entry, sha_key: &str) -> Value {
    json!({sha_key: entry.sha256, "size": entry.size, "pointerSize": entry.pointer_size()})
}

fn repo_info(shared: &Shared, call: &Call<'_>, key: &str, rev: &str) -> Result<Response, Fault> {
    let store = shared.store();
    let repo = readable(shared, &store, call, key)?;
    let oid = repo.resolve(rev)?;
    let commit = repo.commit(&oid);
    let blobs = query_flag(call.query, "blobs");
    let siblings: Vec<Value> = commit
        .tree
        .iter()
        .map(|(path, entry)| {
            let mut sibling = json!({"rfilename": path});
            if blobs {
                sibling["size"] = json!(entry.size);
                sibling["blobId"] = json!(entry.git_oid);
                if entry.lfs {
                    sibling["lfs"] = lfs_info(entry, "sha256");
                }
            }
            sibling
        })
        .collect();
    let id = key.split_once('/').map_or(key, |(_, id)| id);
    Ok(axum::Json(json!({
        "_id": &sha1_hex(key)[..24], "id": id, "author": repo.owner, "sha": oid,
        "lastModified": commit.date, "createdAt": repo.created_at, "private": repo.private,
        "gated": false, "disabled": false, "downloads": 0, "likes": 0, "tags": [],
        "siblings": siblings, "usedStorage": commit.tree.values().map(|e| e.size).sum::<u64>(),
    }))
    .into_response())
}

/// Tree entries under `dir` (`""` = the root): the files, and the
/// directories leading to them; only the first level unless `recursive`.
fn tree_entries(tree: &std::collections::BTreeMap<String, Entry>, dir: &str, recursive: bool) -> Vec<Value> {
    let prefix = if dir.is_empty() { String::new() } else { format!("{}/", dir.trim_matches('/')) };
    let mut dirs = std::collections::BTreeSet::new();
    let mut files = Vec::new();
    for (path, entry) in tree.iter().filter(|(path, _)| path.starts_with(&prefix)) {
        let relative = &path[prefix.len()..];
        let depth = relative.matches('/').count();
        for (at, _) in relative.match_indices('/').take(if recursive { depth } else { 1 }) {
            dirs.insert(format!("{prefix}{}", &relative[..at]));
        }
        if recursive || depth == 0 {
            let mut file = json!({"type": "file", "oid": entry.git_oid, "size": entry.size, "path": path});
            if entry.lfs {
                file["lfs"] = lfs_info(entry, "oid");
            }
            files.push(file);
        }
    }
    let dirs =
        dirs.into_iter().map(|d| json!({"type": "directory", "oid": sha1_hex(&d), "size": 0, "path": d}));
    dirs.chain(files).collect()
}

fn tree(shared: &Shared, call: &Call<'_>, key: &str, rev: &str, dir: &str) -> Result<Response, Fault> {
    let store = shared.store();
    let repo = readable(shared, &store, call, key)?;
    let oid = repo.resolve(rev)?;
    let entries = tree_entries(&repo.commit(&oid).tree, dir, query_flag(call.query, "recursive"));
    if entries.is_empty() && !dir.is_empty() {
        return Err(Fault::coded(404, "EntryNotFound", format!("{dir} does not exist on {rev}")));
    }
    Ok(axum::Json(entries).into_response())
}

fn paths_info(shared: &Shared, call: &Call<'_>, key: &str, rev: &str) -> Result<Response, Fault> {
    let store = shared.store();
    let repo = readable(shared, &store, call, key)?;
    let tree = &repo.commit(&repo.resolve(rev)?).tree;
    let wanted: Vec<String> = match call.json() {
        Ok(body) => body["paths"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p.as_str().map(str::to_owned))
            .collect(),
        // Form-encoded: `paths=a&paths=b`.
        Err(_) => String::from_utf8_lossy(call.body)
            .split('&')
            .filter_map(|pair| pair.strip_prefix("paths="))
            .filter_map(|p| decode(&p.replace('+', " ")).ok())
            .collect(),
    };
    let mut out = Vec::new();
    for path in wanted.iter().map(|p| p.trim_matches('/')) {
        if let Some(entry) = tree.get(path) {
            out.extend(tree_entries(
                &std::collections::BTreeMap::from([(path.to_owned(), entry.clone())]),
                "",
                false,
            ));
        } else if tree.keys().any(|k| k.starts_with(&format!("{path}/"))) {
            out.push(json!({"type": "directory", "oid": sha1_hex(path), "size": 0, "path": path}));
        }
    }
    Ok(axum::Json(out).into_response())
}

fn refs(shared: &Shared, call: &Call<'_>, key: &str) -> Result<Response, Fault> {
    let store = shared.store();
    let repo = readable(shared, &store, call, key)?;
    let refs = |map: &std::collections::BTreeMap<String, String>, kind: &str| -> Vec<Value> {
        map.iter()
            .map(|(name, oid)| json!({"name": name, "ref": format!("refs/{kind}/{name}"), "targetCommit": oid}))
            .collect()
    };
    Ok(axum::Json(json!({
        "branches": refs(&repo.branches, "heads"), "converts": [],
        "tags": refs(&repo.tags, "tags"), "pullRequests": [],
    }))
    .into_response())
}

/// The history of `rev`, newest first.
fn commits(shared: &Shared, call: &Call<'_>, key: &str, rev: &str) -> Result<Response, Fault> {
    let store = shared.store();
    let repo = readable(shared, &store, call, key)?;
    let mut next = Some(repo.resolve(rev)?);
    let mut history = Vec::new();
    while let Some(oid) = next {
        let commit = repo.commit(&oid);
        history.push(json!({
            "id": oid, "title": commit.title, "message": "", "date": commit.date,
            "authors": [{"user": repo.owner}],
        }));
        next = commit.parent.clone();
    }
    Ok(axum::Json(history).into_response())
}

/// Which files go through LFS: larger than the threshold, binary (a NUL in
/// the sample), or matched by `.gitattributes`. Empty files never do.
fn preupload(shared: &Shared, call: &Call<'_>, key: &str, rev: &str) -> Result<Response, Fault> {
    let body = call.json()?;
    let store = shared.store();
    let repo = writable(shared, &store, call, key)?;
    let oid = repo.resolve(rev)?;
    let tree = &repo.commit(&oid).tree;
    let patterns = store.lfs_patterns(tree);
    let mut files = Vec::new();
    for file in body["files"].as_array().into_iter().flatten() {
        let path = file["path"].as_str().ok_or_else(|| Fault::bad_request("a file without a path"))?;
        let size = file["size"].as_u64().ok_or_else(|| Fault::bad_request(format!("{path}: no size")))?;
        let sample = base64_decode(file["sample"].as_str().unwrap_or_default())?;
        let lfs = size > 0
            && (size > shared.options.lfs_threshold
                || sample.contains(&0)
                || patterns.iter().any(|p| pattern_matches(p, path)));
        let mut answer =
            json!({"path": path, "uploadMode": if lfs { "lfs" } else { "regular" }, "shouldIgnore": false});
        if let Some(existing) = tree.get(path) {
            answer["oid"] = json!(if existing.lfs { &existing.sha256 } else { &existing.git_oid });
        }
        files.push(answer);
    }
    Ok(axum::Json(json!({"files": files, "commitOid": oid})).into_response())
}

pub fn base64_decode(text: &str) -> Result<Vec<u8>, Fault> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(text).map_err(|_| Fault::bad_request("invalid base64"))
}

fn commit(shared: &Shared, call: &Call<'_>, key: &str, rev: &str) -> Result<Response, Fault> {
    if query_flag(call.query, "create_pr") {
        return Err(Fault::bad_request("this fake Hub does not open pull requests"));
    }
    let mut lines = Vec::new();
    for (number, line) in call.body.split(|&b| b == b'\n').enumerate().filter(|(_, l)| !l.is_empty()) {
        let value: Value = serde_json::from_slice(line)
            .map_err(|err| Fault::bad_request(format!("line {}: not JSON: {err}", number + 1)))?;
        lines.push(value);
    }
    let (header, operations) = match lines.split_first() {
        Some((header, rest)) if header["key"] == "header" => (&header["value"], rest),
        _ => return Err(Fault::bad_request("the first line of a commit must be its header")),
    };
    let changes = operations.iter().map(change).collect::<Result<Vec<_>, _>>()?;
    let title = header["summary"].as_str().unwrap_or_default();
    let mut store = shared.store();
    writable(shared, &store, call, key)?;
    let oid = store.commit(key, rev, header["parentCommit"].as_str(), title, changes)?;
    let url = format!("{}/commit/{oid}", repo_url(&shared.base, key));
    Ok(axum::Json(json!({"success": true, "commitOid": oid, "commitUrl": url, "hookOutput": ""}))
        .into_response())
}

fn change(line: &Value) -> Result<Change, Fault> {
    let value = &line["value"];
    let path = value["path"].as_str().unwrap_or_default().trim_start_matches('/').to_owned();
    if path.is_empty() || path.split('/').any(|s| s.is_empty() || s == "." || s == "..") {
        return Err(Fault::bad_request(format!("invalid path {path:?}")));
    }
    match line["key"].as_str().unwrap_or_default() {
        "file" => {
            if value["encoding"].as_str().unwrap_or("base64") != "base64" {
                return Err(Fault::bad_request("only base64 content is supported"));
            }
            let content = base64_decode(value["content"].as_str().unwrap_or_default())?;
            Ok(Change::File { path, content })
        }
        "lfsFile" => {
            if value["algo"].as_str().unwrap_or("sha256") != "sha256" {
                return Err(Fault::bad_request("only sha256 LFS objects are supported"));
            }
            let oid = value["oid"].as_str().unwrap_or_default().to_owned();
            Ok(Change::LfsFile { path, oid, size: value["size"].as_u64() })
        }
        "deletedFile" => Ok(Change::DeletedFile { path }),
        "deletedFolder" => Ok(Change::DeletedFolder { path }),
        other => Err(Fault::bad_request(format!("unknown commit operation {other:?}"))),
    }
}

fn create_tag(shared: &Shared, call: &Call<'_>, key: &str, rev: &str) -> Result<Response, Fault> {
    let body = call.json()?;
    let tag = body["tag"]
        .as_str()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Fault::bad_request("tag is required"))?;
    let mut store = shared.store();
    let repo = writable(shared, &store, call, key)?;
    let oid = repo.resolve(rev)?;
    if repo.tags.contains_key(tag) || repo.branches.contains_key(tag) {
        return Err(Fault::new(409, format!("Tag {tag} already exists")));
    }
    let repo = store.repos.get_mut(key).ok_or_else(|| Fault::repo_not_found(404))?;
    repo.tags.insert(tag.to_owned(), oid);
    Ok(axum::Json(json!({})).into_response())
}

fn delete_tag(shared: &Shared, call: &Call<'_>, key: &str, tag: &str) -> Result<Response, Fault> {
    let mut store = shared.store();
    writable(shared, &store, call, key)?;
    let repo = store.repos.get_mut(key).ok_or_else(|| Fault::repo_not_found(404))?;
    repo.tags
        .remove(tag)
        .ok_or_else(|| Fault::coded(404, "RevisionNotFound", format!("Tag {tag} not found")))?;
    Ok(axum::Json(json!({})).into_response())
}

/// `HEAD`/`GET …/resolve/{rev}/{file}`. The client reads the commit from
/// `X-Repo-Commit`, the cache key from `X-Linked-Etag` or `ETag`, the size
/// from `X-Linked-Size` or `Content-Length`. With `cdn`, an LFS file is a
/// 302 to the storage origin, its metadata on the redirect itself.
fn resolve(shared: &Shared, call: &Call<'_>, key: &str, rev: &str, file: &str) -> Result<Response, Fault> {
    let store = shared.store();
    let repo = readable(shared, &store, call, key)?;
    let oid = repo.resolve(rev)?;
    let Some(entry) = repo.commit(&oid).tree.get(file) else {
        return Err(Fault::coded(404, "EntryNotFound", "Entry not found").with_header("x-repo-commit", oid));
    };
    let mut headers = vec![("x-repo-commit", oid.clone())];
    if entry.lfs {
        headers.push(("x-linked-etag", format!("\"{}\"", entry.sha256)));
        headers.push(("x-linked-size", entry.size.to_string()));
    }
    if entry.lfs && shared.options.cdn {
        headers.push(("etag", format!("\"{}\"", entry.git_oid)));
        headers.push(("location", format!("{}/_cdn/{}", shared.storage_base, entry.sha256)));
        return Ok(with_headers(Response::builder().status(StatusCode::FOUND), headers, Body::empty()));
    }
    let etag = if entry.lfs { &entry.sha256 } else { &entry.git_oid };
    headers.push(("etag", format!("\"{etag}\"")));
    let blob = store.blobs.get(&entry.sha256).cloned().ok_or_else(|| Fault::new(500, "blob missing"))?;
    Ok(send_blob(call, blob, headers))
}

/// A file's bytes (a `Range: bytes=N-[M]` part of them, 206) with `headers`.
fn send_blob(call: &Call<'_>, blob: Bytes, mut headers: Vec<(&'static str, String)>) -> Response {
    let size = blob.len();
    let range = call
        .headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes="))
        .and_then(|v| v.split_once('-'))
        .and_then(|(start, end)| {
            let start: usize = start.parse().ok()?;
            let end: usize = if end.is_empty() { size.checked_sub(1)? } else { end.parse().ok()? };
            (start <= end && end < size).then_some((start, end))
        });
    let (status, body) = match range {
        Some((start, end)) if *call.method == Method::GET => {
            headers.push(("content-range", format!("bytes {start}-{end}/{size}")));
            (StatusCode::PARTIAL_CONTENT, blob.slice(start..=end))
        }
        _ => (StatusCode::OK, blob),
    };
    headers.push(("accept-ranges", "bytes".into()));
    headers.push(("content-type", "application/octet-stream".into()));
    // Said outright so that a HEAD (whose body hyper drops) carries it too.
    headers.push(("content-length", body.len().to_string()));
    with_headers(Response::builder().status(status), headers, Body::from(body))
}

fn with_headers(
    mut builder: axum::http::response::Builder,
    headers: Vec<(&'static str, String)>,
    body: Body,
) -> Response {
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    builder.body(body).unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}
