//! `weft upload hf` and the config's `huggingface:` section through the
//! binary, against the fake Hub (weft-bench, the Hub's HTTP API on
//! loopback): what went up is read back by the official `huggingface_hub`
//! client, byte for byte, and the token is in no output.

use crate::common::{stderr, weft};
use std::path::{Path, PathBuf};
use std::process::Command;

use weft_bench::hub::{FakeHub, HubOptions};

const TOKEN: &str = "hf_weftCliToken0123456789abcdefgh";

/// The fake Hub on a runtime of its own, alice's token accepted.
fn hub() -> (FakeHub, tokio::runtime::Runtime) {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("rt");
    let hub = runtime.block_on(FakeHub::start(HubOptions::default().token(TOKEN, "alice"))).expect("hub");
    (hub, runtime)
}

/// `weft` with the Hub's endpoint and the token in its environment.
fn weft_for(hub: &FakeHub) -> Command {
    let mut command = weft();
    command.env("HF_ENDPOINT", hub.endpoint()).env("HF_TOKEN", TOKEN);
    command
}

/// A file of the repo at `main`, as the Hub serves it.
fn download(runtime: &tokio::runtime::Runtime, hub: &FakeHub, repo: &str, path: &str) -> Vec<u8> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let url = format!("{}/datasets/{repo}/resolve/main/{path}", hub.endpoint());
    runtime.block_on(async {
        let response = reqwest::Client::new().get(url).bearer_auth(TOKEN).send().await.expect("GET");
        assert!(response.status().is_success(), "{path}: {}", response.status());
        response.bytes().await.expect("body").to_vec()
    })
}

/// The official client reads `repo` at `tag` and finds exactly `files`
/// (repo path → bytes). Outside CI without the client installed: not run.
fn read_back(hub: &FakeHub, repo: &str, tag: &str, files: &[(&str, Vec<u8>)]) {
    let Some(python) = weft_bench::peers::hf_python() else { return };
    let expected = tempfile::tempdir().expect("tempdir");
    for (path, bytes) in files {
        let target = expected.path().join(path);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::write(target, bytes).expect("write");
    }
    let home = tempfile::tempdir().expect("home");
    let output = Command::new(python)
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../hub/tests/read_back.py"))
        .args([repo, tag])
        .arg(expected.path())
        .env("HF_ENDPOINT", hub.endpoint())
        .env("HF_HOME", home.path())
        .env("HF_TOKEN", TOKEN)
        .env("HF_HUB_DISABLE_TELEMETRY", "1")
        .env("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env_remove("HF_HUB_OFFLINE")
        .env_remove("HF_HUB_CACHE")
        .output()
        .expect("python runs");
    assert!(
        output.status.success(),
        "read_back failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        stderr(&output)
    );
}

/// An offline config of 3 samples with a `trl` format beside the dataset.
fn config(dir: &Path, extra: &str) -> PathBuf {
    let yaml = format!(
        "llm: {{provider: scripted, model: scripted}}
seed: 5
topics: {{prompt: Small Python projects, mode: tree, depth: 1, degree: 3, save_as: \"{topics}\"}}
generation:
  system_prompt: You help with files.
  tools:
    components: {{builtin: [read_file, write_file, list_files]}}
    scenario_seed:
      files:
        app.py: 'print(1)'
output:
  num_samples: 3
  batch_size: 3
  save_as: \"{out}\"
  formats: [trl]
{extra}",
        out = dir.join("data.jsonl").display(),
        topics = dir.join("topics.jsonl").display(),
    );
    let path = dir.join("config.yaml");
    std::fs::write(&path, yaml).expect("config");
    path
}

#[test]
fn upload_hf_publishes_the_dataset_its_formats_and_a_card() {
    let (hub, runtime) = hub();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config(dir.path(), "");
    let generated =
        weft().arg("generate").arg(&config).args(["--no-tui", "--deterministic"]).output().expect("runs");
    assert!(generated.status.success(), "{}", stderr(&generated));
    let data = dir.path().join("data.jsonl");

    // Without a token: refused before any request, and said how to fix it.
    let no_token = weft()
        .env("HF_ENDPOINT", hub.endpoint())
        .env_remove("HF_TOKEN")
        .env("HF_HOME", dir.path().join("hf-home"))
        .args(["upload", "hf"])
        .arg(&data)
        .args(["--repo", "alice/weft-cli"])
        .output()
        .expect("runs");
    assert_eq!(no_token.status.code(), Some(2), "{}", stderr(&no_token));
    assert!(stderr(&no_token).contains("HF_TOKEN"), "{}", stderr(&no_token));
    assert!(hub.dataset_revision("alice/weft-cli", "main").is_none());

    let output = weft_for(&hub)
        .args(["upload", "hf"])
        .arg(&data)
        .args(["--repo", "alice/weft-cli", "--tag", "v1", "--license", "apache-2.0", "--config"])
        .arg(&config)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let printed = format!("{}{}", String::from_utf8_lossy(&output.stdout), stderr(&output));
    assert!(!printed.contains(TOKEN), "the token was printed: {printed}");
    let commit = hub.dataset_revision("alice/weft-cli", "v1").expect("tagged");
    assert_eq!(hub.dataset_revision("alice/weft-cli", "main"), Some(commit));

    let readme = download(&runtime, &hub, "alice/weft-cli", "README.md");
    let card = String::from_utf8(readme.clone()).expect("UTF-8 card");
    assert!(card.starts_with("---\n"), "{card}");
    assert!(card.contains("license: apache-2.0"), "{card}");
    assert!(card.contains("config_name: trl"), "{card}");
    assert!(card.contains("`read_file`"), "the tools are listed: {card}");
    assert!(card.contains("provider: scripted") || card.contains("scripted"), "the config summary: {card}");
    assert!(!card.contains(TOKEN));
    read_back(
        &hub,
        "alice/weft-cli",
        "v1",
        &[
            ("README.md", readme),
            ("data/train.jsonl", std::fs::read(&data).expect("data")),
            ("data/train.trl.jsonl", std::fs::read(dir.path().join("data.trl.jsonl")).expect("trl")),
        ],
    );
    drop(runtime);
}

#[test]
fn generate_publishes_when_the_config_has_a_huggingface_section() {
    let (hub, runtime) = hub();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config(dir.path(), "huggingface:\n  repository: alice/generated\n  tags: [agents, files]\n");
    let output = weft_for(&hub)
        .arg("generate")
        .arg(&config)
        .args(["--no-tui", "--deterministic"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains("published to"), "{}", stderr(&output));
    assert!(!stderr(&output).contains(TOKEN));
    let readme = download(&runtime, &hub, "alice/generated", "README.md");
    let card = String::from_utf8(readme.clone()).expect("UTF-8 card");
    assert!(card.contains("- agents") && card.contains("- files"), "the section's tags: {card}");
    // The inspect figures went into the card.
    assert!(card.contains("## Figures"), "{card}");
    assert!(!card.contains("Not recorded."), "figures and summary are recorded: {card}");
    read_back(
        &hub,
        "alice/generated",
        "main",
        &[
            ("README.md", readme),
            ("data/train.jsonl", std::fs::read(dir.path().join("data.jsonl")).expect("data")),
            ("data/train.trl.jsonl", std::fs::read(dir.path().join("data.trl.jsonl")).expect("trl")),
        ],
    );

    // A Hub that refuses: the dataset stays, the run says it was not published and exits 1.
    let refused = weft()
        .env("HF_ENDPOINT", hub.endpoint())
        .env("HF_TOKEN", "hf_notAlicesToken000000000000000000")
        .arg("generate")
        .arg(&config)
        .args(["--no-tui", "--deterministic"])
        .output()
        .expect("runs");
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("was not published"), "{}", stderr(&refused));
    assert!(dir.path().join("data.jsonl").exists());
    drop(runtime);
}
