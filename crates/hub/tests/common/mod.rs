//! Shared by the upload tests: the fake Hub, a small dataset on disk, and
//! the official client reading a repo back.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::json;
use weft_bench::hub::{FakeHub, HubOptions};
use weft_hub::{DatasetFiles, FileSource, HfToken, RepoFile, RepoId, Upload, card};

/// alice's token on the fake Hub.
pub const TOKEN: &str = "hf_weftTestToken0123456789abcdef";
pub const USER: &str = "alice";
/// Files above this go through LFS on the fake (the real Hub: 10 MiB).
pub const LFS_THRESHOLD: u64 = 1 << 20;

/// The fake's options for these tests: alice's token, LFS above 1 MiB.
pub fn options() -> HubOptions {
    HubOptions { lfs_threshold: LFS_THRESHOLD, ..HubOptions::default() }.token(TOKEN, USER)
}

pub async fn hub(options: HubOptions) -> FakeHub {
    FakeHub::start(options).await.expect("fake Hub starts")
}

/// One sample in weft's shape, with two tools offered.
fn sample(index: usize, padding: usize) -> serde_json::Value {
    let call = json!({"id": format!("call{index:05}"), "type": "function",
                      "function": {"name": "read_file", "arguments": "{\"file_path\": \"config.json\"}"}});
    json!({
        "messages": [
            {"role": "user", "content": format!("Summarise config.json (request {index}).")},
            {"role": "assistant", "content": "Reading it.", "tool_calls": [call]},
            {"role": "tool", "content": format!("{{\"version\": {index}, \"notes\": \"{}\"}}", "x".repeat(padding)),
             "tool_call_id": format!("call{index:05}")},
            {"role": "assistant", "content": format!("Version {index}.")},
        ],
        "metadata": {"sample_index": index, "weft_version": "0.1.0"},
        "tools": [
            {"type": "function", "function": {"name": "read_file", "description": "Read a file from the workspace.",
             "parameters": {"type": "object", "properties": {"file_path": {"type": "string"}}}}},
            {"type": "function", "function": {"name": "write_file", "description": "Write a file | replace it.",
             "parameters": {"type": "object", "properties": {"file_path": {"type": "string"}}}}},
        ],
        "question": format!("Summarise config.json (request {index})."),
        "final_answer": format!("Version {index}."),
    })
}

/// `dir/dataset.jsonl` of `samples` samples of about `padding` bytes each,
/// with a `trl` format file and a failures file beside it.
pub fn write_dataset(dir: &Path, samples: usize, padding: usize) -> PathBuf {
    let lines = |f: &dyn Fn(usize) -> serde_json::Value| -> String {
        (0..samples).map(|i| format!("{}\n", f(i))).collect()
    };
    let canonical = dir.join("dataset.jsonl");
    std::fs::write(&canonical, lines(&|i| sample(i, padding))).unwrap();
    let trl = |i| json!({"messages": sample(i, 0)["messages"], "tools": sample(i, 0)["tools"]});
    std::fs::write(dir.join("dataset.trl.jsonl"), lines(&trl)).unwrap();
    std::fs::write(dir.join("dataset.jsonl.failures.jsonl"), "{\"sample_index\": 99, \"error\": \"x\"}\n")
        .unwrap();
    canonical
}

/// The repo files of the dataset at `canonical`, card included.
pub fn dataset_files(repo: &RepoId, canonical: &Path) -> Vec<RepoFile> {
    let files = DatasetFiles::discover(canonical).unwrap();
    let scan = card::scan(&files.canonical).unwrap();
    let formats = files.format_names();
    let readme = card::render(&card::CardInput {
        repo,
        pretty_name: "Weft test dataset".into(),
        license: Some("apache-2.0".into()),
        language: vec!["en".into()],
        tags: vec!["test".into()],
        config_summary: "provider: scripted\nsamples: 3",
        figures: "| figure | value |\n|---|---|\n| samples | 3 |",
        scan: &scan,
        formats: &formats,
    })
    .unwrap();
    files.repo_files(readme)
}

/// An upload of `files` to `repo` on `hub` with alice's token.
pub fn upload_to(hub: &FakeHub, repo: &str, files: Vec<RepoFile>) -> Upload {
    let mut upload = Upload::new(RepoId::parse(repo).unwrap(), HfToken::new(TOKEN).unwrap(), files);
    upload.endpoint = hub.endpoint().to_owned();
    upload
}

/// `GET url` without a token.
pub async fn get(url: String) -> reqwest::Response {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::get(url).await.expect("GET")
}

/// The files as they should be in the repo, under a new directory.
pub fn expected_tree(files: &[RepoFile]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for file in files {
        let target = dir.path().join(&file.path_in_repo);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        match &file.source {
            FileSource::Path(path) => std::fs::copy(path, &target).map(|_| ()).unwrap(),
            FileSource::Bytes(bytes) => std::fs::write(&target, bytes).unwrap(),
        }
    }
    dir
}

/// `tests/read_back.py ARGS` with the official client against `hub`, as
/// `token`'s owner (or anonymous). `None` when the client is not installed
/// (outside CI).
pub async fn read_back(hub: &FakeHub, args: &[&str], token: Option<&str>) -> Option<Output> {
    let python = weft_bench::peers::hf_python()?;
    let home = tempfile::tempdir().unwrap();
    let mut command = tokio::process::Command::new(python);
    command
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/read_back.py"))
        .args(args)
        .env("HF_ENDPOINT", hub.endpoint())
        .env("HF_HOME", home.path())
        .env("HF_HUB_DISABLE_TELEMETRY", "1")
        .env("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env_remove("HF_TOKEN")
        .env_remove("HF_HUB_OFFLINE")
        .env_remove("HF_HUB_CACHE")
        .env_remove("HUGGINGFACE_HUB_CACHE")
        .env_remove("HF_TOKEN_PATH");
    if let Some(token) = token {
        command.env("HF_TOKEN", token);
    }
    let output = command.output().await.expect("python runs");
    Some(output)
}

/// [`read_back`] of `repo` at `tag` against `expected`, which must pass;
/// its JSON figures.
pub async fn read_back_ok(
    hub: &FakeHub,
    repo: &str,
    tag: &str,
    expected: &Path,
) -> Option<serde_json::Value> {
    let output = read_back(hub, &[repo, tag, expected.to_str().unwrap()], Some(TOKEN)).await?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "read_back failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(serde_json::from_str(stdout.trim().lines().last().unwrap()).expect("read_back prints JSON"))
}
