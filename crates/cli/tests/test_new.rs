//! `weft new tool` scaffolds, built by `weft build` with the SDKs from the
//! package registries and served by `weft serve`, in each language and
//! world: state across calls, sessions apart, a variable, a refused call.
//! And `weft build`'s own errors.

use crate::common;
use crate::common::weft;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};
use weft_bench::peers::peer_installed_by;

fn run(command: &mut Command) -> Output {
    let output = command.output().expect("weft runs");
    assert!(
        output.status.success(),
        "{command:?}\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn failing(command: &mut Command) -> String {
    let output = command.output().expect("weft runs");
    assert!(!output.status.success(), "{command:?} succeeded");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// What a scaffold's build needs from the machine: for Rust, a target
/// directory kept across runs and a lock file of known versions (the first
/// build in a run fetches and compiles the SDK, the later ones reuse it);
/// for Python, the componentize-py `.ci/spin-components.sh` installed.
enum Toolchain {
    Rust { target: PathBuf, lock: &'static str },
    Python { componentize: String },
}

/// Scaffolds `NAME` in `dir`, builds it with `weft build`, serves it, and
/// checks what its three tools do.
fn scaffold_builds_and_serves(lang: &str, world: &str, toolchain: Toolchain) {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = dir.path().join("issue-tracker");
    let out = run(weft()
        .args(["new", "tool", "issue-tracker", "--lang", lang, "--world", world, "--dir"])
        .arg(&project));
    let manifest = project.join(if world == "spin" { "spin.toml" } else { "weft.toml" });
    assert!(String::from_utf8_lossy(&out.stdout).contains("weft build --manifest"), "says what is next");
    assert!(manifest.is_file() && project.join("README.md").is_file());

    let mut build = weft();
    build.arg("build").arg("--manifest").arg(&manifest);
    for var in ["RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS", "CARGO_TARGET_DIR", "CARGO_BUILD_TARGET"] {
        build.env_remove(var);
    }
    match toolchain {
        Toolchain::Rust { target, lock } => {
            std::fs::create_dir_all(&target).expect("target dir");
            std::os::unix::fs::symlink(&target, project.join("target")).expect("link target");
            std::fs::write(project.join("Cargo.lock"), lock).expect("lock");
        }
        Toolchain::Python { componentize } => {
            let bin = Path::new(&componentize).parent().expect("venv bin");
            let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
            build.env("PATH", path).env("VIRTUAL_ENV", bin.parent().expect("venv"));
        }
    }
    let built = run(&mut build);
    assert!(String::from_utf8_lossy(&built.stdout).contains("issue-tracker: built"), "{built:?}");

    let greeting = [("SPIN_VARIABLE_GREETING", "Ahoy"), ("WEFT_VAR_GREETING", "Ahoy")];
    let (_server, base) = common::serve_manifest(&manifest, &[], &greeting);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client =
        reqwest::Client::builder().timeout(std::time::Duration::from_secs(30)).build().expect("client");
    let call = |session: &str, tool: &str, args: Value| -> Value {
        let body = json!({"session_id": session, "tool": format!("issue_tracker_{tool}"), "args": args});
        let request = client.post(format!("{base}/issue-tracker/execute")).json(&body);
        runtime.block_on(async { request.send().await.expect("call").json().await.expect("json") })
    };
    let what = format!("{lang}/{world}");
    let remembered = call("a", "remember", json!({"key": "plan", "value": "ship"}));
    assert_eq!(remembered, json!({"success": true, "result": "Remembered plan"}), "{what}");
    assert_eq!(
        call("a", "recall", json!({"key": "plan"})),
        json!({"success": true, "result": "ship"}),
        "{what}"
    );
    let other = call("b", "recall", json!({"key": "plan"}));
    assert_eq!(other["success"], false, "{what}: sessions are kept apart: {other}");
    assert!(other["error_type"] == "NotFound" || other["error_type"] == "FileNotFound", "{what}: {other}");
    let greeted = call("b", "greet", json!({"name": "Ada"}));
    assert_eq!(greeted, json!({"success": true, "result": "Ahoy, Ada!"}), "{what}: the variable");
    let refused = call("b", "greet", json!({}));
    assert_eq!(refused["error_type"], "InvalidArguments", "{what}: {refused}");

    let request = client.get(format!("{base}/tools"));
    let tools: Value =
        runtime.block_on(async { request.send().await.expect("tools").json().await.expect("json") });
    let names: Vec<&str> =
        tools["tools"].as_array().expect("tools").iter().filter_map(|t| t["name"].as_str()).collect();
    for tool in ["issue_tracker_remember", "issue_tracker_recall", "issue_tracker_greet"] {
        assert!(names.contains(&tool), "{what}: {tool} not in {names:?}");
    }
}

fn target_cache(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("weft-new").join(name)
}

#[test]
fn a_rust_component_of_weft_s_world_builds_and_serves() {
    let lock = include_str!("../../../components/Cargo.lock");
    scaffold_builds_and_serves("rust", "weft", Toolchain::Rust { target: target_cache("rust-weft"), lock });
}

#[test]
fn a_rust_spin_component_builds_and_serves() {
    // The Spin SDK build of `.ci/spin-components.sh`, when it ran, is reused.
    let target = match std::env::var("WEFT_SPIN_NOTES_P2") {
        Ok(p2) => Path::new(&p2).parent().expect("spin dir").join("cargo"),
        Err(_) => target_cache("rust-spin"),
    };
    let lock = include_str!("../../../components/spin-notes/rust/Cargo.lock");
    scaffold_builds_and_serves("rust", "spin", Toolchain::Rust { target, lock });
}

#[test]
fn a_python_spin_component_builds_and_serves() {
    let Some(componentize) = peer_installed_by("WEFT_PY_SPIN_COMPONENTIZE", ".ci/spin-components.sh") else {
        return;
    };
    scaffold_builds_and_serves("python", "spin", Toolchain::Python { componentize });
}

#[test]
fn a_python_component_of_weft_s_world_builds_and_serves() {
    let Some(componentize) = peer_installed_by("WEFT_PY_WEFT_COMPONENTIZE", ".ci/spin-components.sh") else {
        return;
    };
    scaffold_builds_and_serves("python", "weft", Toolchain::Python { componentize });
}

#[test]
fn new_refuses_bad_names_and_used_directories() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = failing(weft().args(["new", "tool", "Issue_Tracker", "--dir"]).arg(dir.path().join("x")));
    assert!(err.contains("not a component name") && err.contains("issue-tracker"), "{err}");
    std::fs::write(dir.path().join("keep.txt"), "mine").expect("write");
    let err = failing(weft().args(["new", "tool", "notes", "--dir"]).arg(dir.path()));
    assert!(err.contains("not empty"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("keep.txt")).expect("read"),
        "mine",
        "nothing overwritten"
    );
}

/// `weft build` runs each build section in its workdir, in order; a failing
/// command names its component, a build that does not write `source` is an
/// error, and an unknown component is refused before anything runs.
#[test]
fn build_runs_build_sections_and_says_what_failed() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("sub")).expect("sub");
    let manifest = dir.path().join("spin.toml");
    let write = |extra: &str| {
        std::fs::write(
            &manifest,
            format!(
                "spin_manifest_version = 2\n[application]\nname = \"b\"\n\
                 [[trigger.http]]\nroute = \"/one/...\"\ncomponent = \"one\"\n\
                 [component.one]\nsource = \"sub/one.wasm\"\n\
                 [component.one.build]\ncommand = [\"echo step1 > log\", \"echo step2 >> log && touch one.wasm\"]\n\
                 workdir = \"sub\"\n{extra}"
            ),
        )
        .expect("manifest")
    };
    write("");
    let out = run(weft().arg("build").arg("--manifest").arg(&manifest));
    assert!(String::from_utf8_lossy(&out.stdout).contains("one: built"), "{out:?}");
    assert_eq!(std::fs::read_to_string(dir.path().join("sub/log")).expect("log"), "step1\nstep2\n");

    write(
        "[[trigger.http]]\nroute = \"/two/...\"\ncomponent = \"two\"\n\
         [component.two]\nsource = \"two.wasm\"\n[component.two.build]\ncommand = \"exit 3\"\n",
    );
    let err = failing(weft().arg("build").arg("--manifest").arg(&manifest));
    assert!(err.contains("component two") && err.contains("exit 3"), "{err}");
    let err = failing(weft().args(["build", "three", "--manifest"]).arg(&manifest));
    assert!(err.contains("no component 'three'") && err.contains("one, two"), "{err}");

    write(
        "[[trigger.http]]\nroute = \"/two/...\"\ncomponent = \"two\"\n\
         [component.two]\nsource = \"two.wasm\"\n[component.two.build]\ncommand = \"true\"\n",
    );
    let err = failing(weft().args(["build", "two", "--manifest"]).arg(&manifest));
    assert!(err.contains("two.wasm does not exist"), "{err}");
}
