//! Spin tool components built from source with the Spin SDKs
//! (`.ci/spin-components.sh`: Rust spin-sdk for wasm32-wasip1 and
//! wasm32-wasip2, Python spin-sdk with componentize-py) served by
//! `weft serve --manifest spin.toml`, and used by `weft generate` over HTTP
//! and in process — no Spin CLI anywhere.

use crate::common;
use crate::common::weft;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::Reaped;
use serde_json::{Value, json};
use weft_bench::peers::peer;

/// The three builds of the notes component, or `None` (SKIPPED) when
/// `.ci/spin-components.sh` has not run (a failure under CI=true).
fn artifacts() -> Option<[(String, String); 3]> {
    Some([
        ("notes".to_owned(), peer("WEFT_SPIN_NOTES_P2")?),
        ("notes-p1".to_owned(), peer("WEFT_SPIN_NOTES_P1")?),
        ("notes-py".to_owned(), peer("WEFT_SPIN_NOTES_PY")?),
    ])
}

/// A tiny HTTP origin on loopback that answers every request with `body`
/// and counts connections.
fn origin(body: &'static str) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            counter.fetch_add(1, Ordering::SeqCst);
            let mut buffer = [0u8; 4096];
            let _ = stream.read(&mut buffer);
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    (port, seen)
}

/// A spin.toml over the three builds: each routed at `/{name}/...`, granted
/// the default store and one origin, with `greeting` from the environment.
fn app(dir: &Path, components: &[(String, String)], extra: &str) -> PathBuf {
    let mut toml = String::from(
        "spin_manifest_version = 2\n\n[application]\nname = \"notes-test\"\n\n[variables]\n\
         greeting = { default = \"hello\" }\norigin = { required = true }\n\n",
    );
    for (name, source) in components {
        // Python's interpreter needs more than a Rust guest's budget for one call.
        let timeout = if name == "notes-py" { 5000 } else { 1500 };
        toml.push_str(&format!(
            "[[trigger.http]]\nroute = \"/{name}/...\"\ncomponent = \"{name}\"\n\n\
             [component.{name}]\nsource = \"{source}\"\nkey_value_stores = [\"default\"]\n\
             allowed_outbound_hosts = [\"{{{{ origin }}}}\"]\n\
             [component.{name}.variables]\ngreeting = \"{{{{ greeting }}}}\"\n\
             [component.{name}.tool.weft]\ntimeout_ms = {timeout}\n\n"
        ));
    }
    toml.push_str(extra);
    let path = dir.join("spin.toml");
    std::fs::write(&path, toml).expect("spin.toml");
    path
}

fn serve(manifest: &Path, allowed: u16) -> (Reaped, String, Vec<String>) {
    let mut child = Reaped(
        weft()
            .args(["serve", "--listen", "127.0.0.1:0", "--workers", "2", "--manifest"])
            .arg(manifest)
            .env("SPIN_VARIABLE_ORIGIN", format!("http://127.0.0.1:{allowed}"))
            .env("SPIN_VARIABLE_GREETING", "hi from the environment")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("weft serve starts"),
    );
    let (addr, startup, rest) = common::until_listening(&mut child.0);
    std::thread::spawn(move || rest.for_each(drop));
    (child, format!("http://{addr}"), startup)
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("client")
}

async fn get(url: String) -> Value {
    client().get(url).send().await.expect("GET").json().await.expect("json")
}

async fn delete(url: String) -> Value {
    client().delete(url).send().await.expect("DELETE").json().await.expect("json")
}

async fn call(base: &str, component: &str, session: &str, tool: &str, args: Value) -> Value {
    let body = json!({"session_id": session, "tool": tool, "args": args});
    let response =
        client().post(format!("{base}/{component}/execute")).json(&body).send().await.expect("execute");
    assert_eq!(response.status(), 200, "{component} {tool}");
    response.json().await.expect("json")
}

#[tokio::test]
async fn spin_sdk_components_serve_the_tools_sdk_contract_with_weft_s_limits() {
    let Some(components) = artifacts() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let (allowed, _) = origin("fetched through the allowlist");
    let (forbidden, forbidden_seen) = origin("must never be reached");
    let manifest = app(dir.path(), &components, "");
    let (_server, base, startup) = serve(&manifest, allowed);
    let startup = startup.join("\n");
    assert!(startup.contains("(Spin HTTP)"), "{startup}");

    let health = get(format!("{base}/health")).await;
    let listed: Vec<&str> =
        health["components"].as_array().expect("list").iter().filter_map(Value::as_str).collect();
    assert_eq!(listed, ["notes", "notes-p1", "notes-py"]);

    for (name, _) in &components {
        let own = get(format!("{base}/{name}/health")).await;
        assert_eq!(own["status"], "healthy", "{name}: the component's own route answers");

        // State across calls, sessions kept apart.
        let put = call(&base, name, "alice", "note_put", json!({"key": "plan", "text": "step one"})).await;
        assert_eq!(put, json!({"success": true, "result": "Stored 8 bytes under plan"}), "{name}");
        call(&base, name, "bob", "note_put", json!({"key": "plan", "text": "bob's"})).await;
        assert_eq!(
            call(&base, name, "alice", "note_get", json!({"key": "plan"})).await["result"],
            "step one",
            "{name}"
        );
        assert_eq!(
            call(&base, name, "bob", "note_get", json!({"key": "plan"})).await["result"],
            "bob's",
            "{name}"
        );
        let missing = call(&base, name, "carol", "note_get", json!({"key": "plan"})).await;
        assert_eq!(
            (missing["success"].clone(), missing["error_type"].clone()),
            (json!(false), json!("NotFound")),
            "{name}"
        );

        // A variable, overridden from the environment.
        assert_eq!(
            call(&base, name, "alice", "whoami", json!({})).await["result"],
            "hi from the environment",
            "{name}"
        );

        // Outbound: the granted origin answers; any other host is refused by the host.
        let fetched =
            call(&base, name, "alice", "fetch", json!({"url": format!("http://127.0.0.1:{allowed}/page")}))
                .await;
        assert_eq!(fetched["success"], true, "{name}: {fetched}");
        assert!(
            fetched["result"].as_str().is_some_and(|r| r.contains("fetched through the allowlist")),
            "{fetched}"
        );
        let refused = call(
            &base,
            name,
            "alice",
            "fetch",
            json!({"url": format!("http://127.0.0.1:{forbidden}/steal")}),
        )
        .await;
        assert_eq!(refused["success"], false, "{name}: {refused}");

        // A guest `loop {}` is ended by the deadline, and the service goes on.
        let started = Instant::now();
        let spun = call(&base, name, "alice", "spin_forever", json!({})).await;
        assert_eq!(
            (spun["success"].clone(), spun["error_type"].clone()),
            (json!(false), json!("Timeout")),
            "{name}: {spun}"
        );
        assert!(started.elapsed() < Duration::from_secs(10), "{name}: {:?}", started.elapsed());
        assert_eq!(
            call(&base, name, "alice", "note_get", json!({"key": "plan"})).await["result"],
            "step one",
            "{name}"
        );

        // The component's own session route reaches it.
        let deleted = delete(format!("{base}/{name}/session/alice")).await;
        assert_eq!(deleted["deleted_files"], 1, "{name}: {deleted}");
        assert_eq!(
            call(&base, name, "alice", "note_get", json!({"key": "plan"})).await["error_type"],
            "NotFound",
            "{name}"
        );
        assert_eq!(
            call(&base, name, "bob", "note_get", json!({"key": "plan"})).await["result"],
            "bob's",
            "{name}"
        );
    }
    assert_eq!(forbidden_seen.load(Ordering::SeqCst), 0, "a refused request never left the host");

    // Counted like any tool call.
    let metrics =
        client().get(format!("{base}/metrics")).send().await.expect("metrics").text().await.expect("text");
    for name in ["notes", "notes-p1", "notes-py"] {
        assert!(
            metrics.contains(&format!("component=\"{name}\"")),
            "{name} missing from metrics:\n{metrics}"
        );
    }
    assert!(metrics.contains("tool=\"spin_forever\",error_type=\"Timeout\""), "{metrics}");
}

#[test]
fn a_component_importing_what_weft_lacks_is_refused_at_load_naming_the_import() {
    let Some(audit) = peer("WEFT_SPIN_NOTES_AUDIT") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = app(dir.path(), &[("audited".to_owned(), audit)], "");
    let output = weft()
        .args(["serve", "--listen", "127.0.0.1:0", "--manifest"])
        .arg(&manifest)
        .env("SPIN_VARIABLE_ORIGIN", "http://127.0.0.1:9")
        .output()
        .expect("weft serve runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("component 'audited'") && stderr.contains("acme:audit/log@1.0.0"), "{stderr}");
    assert!(stderr.contains("does not provide"), "{stderr}");
}

#[test]
fn deepfabric_s_spin_client_drives_spin_components_through_weft() {
    let Some(components) = artifacts() else { return };
    let Some(python) = peer("WEFT_DEEPFABRIC_PYTHON") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let (allowed, _) = origin("ok");
    let manifest = app(dir.path(), &components, "");
    let (_server, base, _) = serve(&manifest, allowed);
    let probe = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/spin_client_probe.py");
    let output = Command::new(python).arg(probe).arg(&base).output().expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let report: Value = serde_json::from_str(stdout.trim()).expect("the probe prints JSON");
    for name in ["notes", "notes-p1", "notes-py"] {
        assert_eq!(report[name]["put"]["success"], true, "{report}");
        assert_eq!(report[name]["get"]["result"], "kept", "{report}");
        assert_eq!(report[name]["other_session"]["success"], false, "{report}");
        assert_eq!(report[name]["unknown"]["error_type"], "UnknownTool", "{report}");
    }
    assert_eq!(report["health"]["status"], "healthy", "{report}");
}

/// A scripted run over the notes tools: in process through `tools.manifest`,
/// or over HTTP through `spin_endpoint`.
fn generation_config(dir: &Path, tools: &str, out: &str) -> PathBuf {
    let topics = dir.join("topics.jsonl");
    std::fs::write(&topics, "{\"path\": [\"Notes\", \"Plans\"]}\n{\"path\": [\"Notes\", \"Lists\"]}\n")
        .expect("topics");
    let config = dir.join(format!("{out}.yaml"));
    let yaml = format!(
        "llm: {{provider: scripted, model: scripted}}
topics: {{prompt: Notes, depth: 1, degree: 2, save_as: \"{topics}\"}}
generation:
  system_prompt: You keep notes for the user.
  conversation: {{type: cot, reasoning_style: agent}}
  tools:
{tools}    components:
      notes: [note_put, note_get, whoami]
output: {{num_samples: 4, batch_size: 2, save_as: \"{out}.jsonl\"}}
",
        topics = topics.display()
    );
    std::fs::write(&config, yaml).expect("config");
    config
}

fn generate(dir: &Path, config: &Path, env: &[(&str, String)]) -> Vec<Value> {
    let output = weft()
        .current_dir(dir)
        .arg("generate")
        .arg(config)
        .args(["--no-tui", "--deterministic", "--topics-load"])
        .arg(dir.join("topics.jsonl"))
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("weft generate runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let stem = config.file_stem().and_then(|s| s.to_str()).expect("stem");
    std::fs::read_to_string(dir.join(format!("{stem}.jsonl")))
        .expect("dataset")
        .lines()
        .map(|line| serde_json::from_str(line).expect("json"))
        .collect()
}

#[test]
fn weft_generate_uses_spin_components_in_process_and_over_http() {
    let Some(components) = artifacts() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let (allowed, _) = origin("ok");
    // The Rust component only: the dataset needs one component per tool name.
    let manifest = app(dir.path(), &components[..1], "");
    let env = [
        ("SPIN_VARIABLE_ORIGIN", format!("http://127.0.0.1:{allowed}")),
        ("SPIN_VARIABLE_GREETING", "hi from the environment".to_owned()),
    ];

    let in_process =
        generation_config(dir.path(), &format!("    manifest: {}\n", manifest.display()), "in-process");
    let local = generate(dir.path(), &in_process, &env);
    assert_eq!(local.len(), 4);
    for sample in &local {
        let results: Vec<&str> = sample["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .filter(|m| m["role"] == "tool")
            .filter_map(|m| m["content"].as_str())
            .collect();
        assert!(results.iter().any(|r| r.starts_with("Stored ")), "{results:?}");
        assert!(results.contains(&"hi from the environment"), "{results:?}");
        let names: Vec<&str> = sample["tools"]
            .as_array()
            .expect("tools")
            .iter()
            .filter_map(|t| t["function"]["name"].as_str())
            .collect();
        assert_eq!(names, ["note_put", "note_get", "whoami"]);
    }

    let (_server, base, _) = serve(&manifest, allowed);
    let over_http = generation_config(dir.path(), &format!("    spin_endpoint: \"{base}\"\n"), "over-http");
    let remote = generate(dir.path(), &over_http, &[]);
    // The same tools, the same real results: the same dataset.
    assert_eq!(remote, local);
}

use common::serve_manifest as serve_with;

/// A Spin runtime config putting the app's `default` store in Redis at `url`.
fn redis_runtime_config(dir: &Path, url: &str) -> String {
    let path = dir.join("runtime-config.toml");
    std::fs::write(&path, format!("[key_value_store.default]\ntype = \"redis\"\nurl = \"{url}\"\n"))
        .expect("runtime config");
    path.to_str().expect("utf-8").to_owned()
}

/// One weft.toml holds weft-world and Spin components side by side; Spin
/// components granted a label share the application's store under it (as
/// under Spin), and one not granted it is refused the store; a secret
/// variable a Spin component answers is redacted like a weft component's.
#[tokio::test]
async fn a_manifest_mixes_worlds_shares_labelled_stores_and_redacts_secrets() {
    let Some(components) = artifacts() else { return };
    let (p2, p1) = (&components[0].1, &components[1].1);
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = dir.path().join("weft.toml");
    let spin = |name: &str, source: &str, labels: &str, greeting: &str| {
        format!(
            "[component.{name}]\nsource = \"{source}\"\nkey_value_stores = [{labels}]\n\
             [component.{name}.variables]\ngreeting = \"{greeting}\"\n"
        )
    };
    std::fs::write(
        &manifest,
        format!(
            "weft_manifest_version = 1\n[variables]\ntoken = {{ required = true, secret = true }}\n\
             [component.vfs]\nsource = \"builtin:vfs\"\nkey_value_stores = [\"default\"]\n{}{}{}",
            spin("notes", p2, "\"default\"", "the token is {{ token }}"),
            spin("notes-p1", p1, "\"default\"", "plain"),
            spin("notes-apart", p2, "", "plain"),
        ),
    )
    .expect("manifest");
    let (_server, base) = serve_with(&manifest, &[], &[("WEFT_VAR_TOKEN", "tok-5ecret-value-991")]);

    let health = get(format!("{base}/health")).await;
    let listed: Vec<&str> =
        health["components"].as_array().expect("list").iter().filter_map(Value::as_str).collect();
    assert_eq!(listed, ["notes", "notes-apart", "notes-p1", "vfs"], "{health}");
    let wrote =
        call(&base, "vfs", "s", "write_file", json!({"file_path": "a.txt", "content": "weft world"})).await;
    assert_eq!(wrote["success"], true, "{wrote}");
    let read = call(&base, "vfs", "s", "read_file", json!({"file_path": "a.txt"})).await;
    assert_eq!(read["result"], "weft world");

    let put = call(&base, "notes", "s", "note_put", json!({"key": "plan", "text": "ship"})).await;
    assert_eq!(put["success"], true, "{put}");
    let shared = call(&base, "notes-p1", "s", "note_get", json!({"key": "plan"})).await;
    assert_eq!(shared, json!({"success": true, "result": "ship"}), "one label, one store");
    let apart = call(&base, "notes-apart", "s", "note_get", json!({"key": "plan"})).await;
    assert_eq!(apart["success"], false, "{apart}");
    assert!(apart["result"].as_str().is_some_and(|r| r.contains("AccessDenied")), "not granted: {apart}");

    let whoami = call(&base, "notes", "s", "whoami", json!({})).await;
    assert_eq!(whoami["result"], "the token is [REDACTED]", "{whoami}");
    let plain = call(&base, "notes-p1", "s", "whoami", json!({})).await;
    assert_eq!(plain["result"], "plain");
}

/// `--runtime-config-file` puts a Spin app's store in Redis: two replicas
/// over it serve one session, as `spin up` replicas over one Redis do.
#[tokio::test]
async fn a_runtime_config_puts_spin_stores_in_redis_shared_by_replicas() {
    let Some(components) = artifacts() else { return };
    let Some(redis) = weft_sandbox::testing::redis("a_runtime_config_puts_spin_stores_in_redis") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (allowed, _) = origin("ok");
    let manifest = app(dir.path(), &components[..1], "");
    let config = redis_runtime_config(dir.path(), &redis.url);
    let origin = format!("http://127.0.0.1:{allowed}");
    let env = [("SPIN_VARIABLE_ORIGIN", origin.as_str())];
    let (_a, a) = serve_with(&manifest, &["--runtime-config-file", &config], &env);
    let (_b, b) = serve_with(&manifest, &["--runtime-config-file", &config], &env);
    let session = weft_sandbox::testing::unique("spin-redis");
    let put = call(&a, "notes", &session, "note_put", json!({"key": "plan", "text": "over redis"})).await;
    assert_eq!(put["success"], true, "{put}");
    let got = call(&b, "notes", &session, "note_get", json!({"key": "plan"})).await;
    assert_eq!(got, json!({"success": true, "result": "over redis"}), "the other replica reads it");
    let deleted = delete(format!("{b}/notes/session/{session}")).await;
    assert_eq!(deleted["deleted_files"], 1, "{deleted}");
    let gone = call(&a, "notes", &session, "note_get", json!({"key": "plan"})).await;
    assert_eq!(gone["success"], false, "{gone}");
}

/// A Spin component whose store fails under a call (Redis gone) answers
/// whatever it makes of the error; weft answers the call as the service's
/// failure instead — 503 `IOError`, which no sample is built on — and the
/// component answers again once Redis is back.
#[tokio::test]
async fn a_spin_store_failing_under_a_call_is_the_service_s_failure() {
    let Some(components) = artifacts() else { return };
    let Some(mut redis) = weft_sandbox::testing::own_redis("a_spin_store_failing_under_a_call") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (allowed, _) = origin("ok");
    let manifest = app(dir.path(), &components[..1], "");
    let config = redis_runtime_config(dir.path(), &redis.url);
    let origin = format!("http://127.0.0.1:{allowed}");
    let (_server, base) = serve_with(
        &manifest,
        &["--runtime-config-file", &config],
        &[("SPIN_VARIABLE_ORIGIN", origin.as_str())],
    );
    let put = call(&base, "notes", "s", "note_put", json!({"key": "plan", "text": "kept"})).await;
    assert_eq!(put["success"], true, "{put}");

    redis.stop();
    let body = json!({"session_id": "s", "tool": "note_get", "args": {"key": "plan"}});
    let response = client().post(format!("{base}/notes/execute")).json(&body).send().await.expect("execute");
    assert_eq!(response.status(), 503);
    let answer: Value = response.json().await.expect("json");
    assert_eq!(answer["error_type"], "IOError", "{answer}");
    assert!(answer["error"].as_str().is_some_and(|e| e.contains("unavailable")), "{answer}");

    redis.restart();
    let mut recovered = false;
    for _ in 0..50 {
        let response =
            client().post(format!("{base}/notes/execute")).json(&body).send().await.expect("execute");
        if response.status() == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recovered, "the component never answered again after Redis came back");
}
