//! Scenarios from real projects: a directory, a tarball, a zip and a local
//! git repository seed the sessions (a project's own `lib/` kept), caps and
//! binary files are named at their line, and `scenarios:` gives each sample
//! one of several named starting states, recorded and replayable.

use crate::common::{jsonl as samples, run, stderr, weft};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A small project: a `lib/` of its own, a README, a binary logo.
fn project(dir: &Path) -> PathBuf {
    let root = dir.join("project");
    std::fs::create_dir_all(root.join("lib")).expect("mkdir");
    std::fs::create_dir_all(root.join("docs")).expect("mkdir");
    std::fs::write(root.join("lib/core.rs"), "pub fn core() -> u32 { 42 }\n").expect("write");
    std::fs::write(root.join("README.md"), "# project\n").expect("write");
    std::fs::write(root.join("docs/guide.md"), "Run it.\n").expect("write");
    std::fs::write(root.join("logo.png"), [0x89, b'P', b'N', b'G', 0, 0xff, 0xfe]).expect("write");
    root
}

fn config(dir: &Path, tools: &str, samples: u32) -> PathBuf {
    let path = dir.join("config.yaml");
    let text = format!(
        "llm: {{provider: scripted, model: scripted}}\nseed: 5\n\
         topics: {{prompt: Code, depth: 1, degree: 4, save_as: \"{}\"}}\n\
         generation:\n  system_prompt: You help with a code base.\n  conversation: {{type: cot, reasoning_style: agent}}\n  \
         tools:\n    components: {{builtin: [read_file, write_file, list_files]}}\n{tools}\
         output: {{num_samples: {samples}, batch_size: 4, save_as: \"{}\"}}\n",
        dir.join("topics.jsonl").display(),
        dir.join("data.jsonl").display()
    );
    std::fs::write(&path, text).expect("config");
    path
}

fn validate(config: &Path) -> std::process::Output {
    run(weft().arg("validate").arg(config))
}

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=weft", "-c", "user.email=weft@example.invalid", "-c", "commit.gpgsign=false"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Every `list_files` result of a sample, parsed.
fn listings(sample: &Value) -> Vec<Vec<String>> {
    let messages = sample["messages"].as_array().expect("messages");
    let mut ids = Vec::new();
    for call in messages.iter().filter_map(|m| m["tool_calls"].as_array()).flatten() {
        if call["function"]["name"] == "list_files" && call["function"]["arguments"] == "{}" {
            ids.push(call["id"].clone());
        }
    }
    messages
        .iter()
        .filter(|m| m["role"] == "tool" && ids.contains(&m["tool_call_id"]))
        .map(|m| serde_json::from_str(m["content"].as_str().expect("text")).expect("a JSON list"))
        .collect()
}

#[test]
fn a_directory_seeds_sessions_and_keeps_the_projects_lib() {
    let dir = tempfile::tempdir().expect("tempdir");
    project(dir.path());
    // The logo is binary: refused by name, at the key's line.
    let refused = config(dir.path(), "    scenario_seed:\n      directory: project\n", 4);
    let output = validate(&refused);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(text.contains("config.yaml:10:18"), "{text}");
    assert!(text.contains("`logo.png` in directory"), "{text}");
    assert!(text.contains("binary: skip"), "{text}");
    // Skipped, with a warning naming it; the rest is seeded.
    let config = config(dir.path(), "    scenario_seed:\n      directory: project\n      binary: skip\n", 4);
    let output = validate(&config);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), stderr(&output));
    assert!(text.contains("leaves out 1 binary files (`binary: skip`): logo.png"), "{text}");
    assert!(text.contains("lib/core.rs (28 bytes)"), "{text}");
    let output = run(weft().args(["generate", "--no-tui"]).arg(&config));
    assert!(output.status.success(), "{}", stderr(&output));
    let data = dir.path().join("data.jsonl");
    let all = samples(&data);
    let mut listed = 0;
    for sample in &all {
        for listing in listings(sample) {
            assert_eq!(listing, ["README.md", "docs/guide.md", "lib/core.rs"]);
            listed += 1;
        }
        let text = sample.to_string();
        assert!(!text.contains("Access denied: lib"), "the project's lib/ was refused: {text}");
    }
    assert!(listed > 0, "no sample listed the files");
    let verify = run(weft().arg("verify").arg(&data).arg("--config").arg(&config));
    assert!(verify.status.success(), "{}", stderr(&verify));
    assert!(stderr(&verify).contains("4 of 4 samples verified"), "{}", stderr(&verify));
}

#[test]
fn archives_and_a_local_git_repository_seed_with_caps_enforced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = project(dir.path());
    std::fs::remove_file(root.join("logo.png")).expect("rm");
    let tar = Command::new("tar")
        .arg("-czf")
        .arg(dir.path().join("p.tar.gz"))
        .arg("-C")
        .arg(&root)
        .arg(".")
        .status();
    assert!(tar.expect("tar runs").success());
    let expect = ["README.md (10 bytes)", "docs/guide.md (8 bytes)", "lib/core.rs (28 bytes)"];
    let config_tar = config(dir.path(), "    scenario_seed:\n      archive: p.tar.gz\n", 2);
    let output = validate(&config_tar);
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{}", stderr(&output));
    for line in expect {
        assert!(text.contains(line), "{line} in {text}");
    }
    // A zip made by Python's zipfile.
    let zipped = dir.path().join("p.zip");
    let made = Command::new("python3")
        .args(["-c", "import sys, zipfile, os\nz = zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED)\n\
                      for d, _, fs in os.walk(sys.argv[2]):\n    for f in fs:\n        p = os.path.join(d, f)\n        \
                      z.write(p, os.path.relpath(p, sys.argv[2]))\nz.close()"])
        .arg(&zipped)
        .arg(&root)
        .status();
    assert!(made.expect("python3 runs").success());
    let output = validate(&config(dir.path(), "    scenario_seed:\n      archive: p.zip\n", 2));
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    for line in expect {
        assert!(text.contains(line), "{line} in {text}");
    }

    // A git repository: the first commit, only lib/ and README.md.
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(&repo).expect("mkdir");
    git(&repo, &["init", "--quiet"]);
    std::fs::create_dir_all(repo.join("lib")).expect("mkdir");
    std::fs::write(repo.join("lib/core.rs"), "pub fn core() -> u32 { 42 }\n").expect("write");
    std::fs::write(repo.join("README.md"), "# first\n").expect("write");
    std::fs::write(repo.join("notes.txt"), "not asked for\n").expect("write");
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "--quiet", "-m", "first"]);
    let first = git(&repo, &["rev-parse", "HEAD"]);
    std::fs::write(repo.join("README.md"), "# second, longer\n").expect("write");
    git(&repo, &["commit", "--quiet", "-am", "second"]);
    let at = |rev: &str| {
        format!("    scenario_seed:\n      git: {{repo: repo, rev: \"{rev}\", paths: [lib, README.md]}}\n")
    };
    let output = validate(&config(dir.path(), &at(&first), 2));
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(text.contains("README.md (8 bytes)"), "{text}");
    assert!(text.contains("lib/core.rs (28 bytes)"), "{text}");
    assert!(!text.contains("notes.txt"), "{text}");
    let output = validate(&config(dir.path(), &at("HEAD"), 2));
    assert!(String::from_utf8_lossy(&output.stdout).contains("README.md (17 bytes)"));
    let output = validate(&config(dir.path(), &at("no-such-rev"), 2));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("git cannot read git repository repo at no-such-rev"),
        "{}",
        stderr(&output)
    );

    // Caps: past max_files, and past max_bytes, each named at its source.
    let capped = config(dir.path(), "    scenario_seed:\n      archive: p.tar.gz\n      max_files: 2\n", 2);
    let output = validate(&capped);
    assert_eq!(output.status.code(), Some(2));
    let text = stderr(&output);
    assert!(text.contains("config.yaml:10:16"), "{text}");
    assert!(text.contains("holds more than 2 files (`max_files`)"), "{text}");
    let capped = config(
        dir.path(),
        "    scenario_seed:\n      directory: project\n      max_bytes: 20\n      binary: skip\n",
        2,
    );
    let text = stderr(&validate(&capped));
    assert!(text.contains("holds more than 20 bytes (`max_bytes`)"), "{text}");
    let missing = config(dir.path(), "    scenario_seed:\n      directory: nowhere\n", 2);
    assert!(stderr(&validate(&missing)).contains("no directory at"), "missing directory");
}

#[test]
fn named_scenarios_are_drawn_per_sample_recorded_and_replayed() {
    let dir = tempfile::tempdir().expect("tempdir");
    project(dir.path());
    let tools = "    scenarios:\n      - name: project\n        directory: project\n        binary: skip\n      \
                 - name: notes\n        files: {notes.md: \"# notes\\n\", todo.txt: \"ship it\\n\"}\n";
    let config = config(dir.path(), tools, 10);
    let output = run(weft().args(["generate", "--no-tui"]).arg(&config));
    assert!(output.status.success(), "{}", stderr(&output));
    let data = dir.path().join("data.jsonl");
    let all = samples(&data);
    let mut seen = std::collections::BTreeSet::new();
    for sample in &all {
        let name = sample["metadata"]["replay"]["scenario"].as_str().expect("a scenario").to_owned();
        let expected: &[&str] = match name.as_str() {
            "project" => &["README.md", "docs/guide.md", "lib/core.rs"],
            "notes" => &["notes.md", "todo.txt"],
            other => panic!("unknown scenario {other}"),
        };
        for listing in listings(sample) {
            assert_eq!(listing, expected, "{name}");
        }
        seen.insert(name);
    }
    assert_eq!(seen.len(), 2, "both scenarios were drawn: {seen:?}");
    // A second run draws the same scenario for every index.
    let again = run(weft()
        .args(["generate", "--no-tui", "--deterministic", "-o"])
        .arg(dir.path().join("b.jsonl"))
        .arg(&config));
    assert!(again.status.success());
    let names = |path: &Path| -> Vec<Value> {
        samples(path).iter().map(|s| s["metadata"]["replay"]["scenario"].clone()).collect()
    };
    assert_eq!(names(&data), names(&dir.path().join("b.jsonl")));

    let verify = run(weft().arg("verify").arg(&data).arg("--config").arg(&config));
    assert!(verify.status.success(), "{}", stderr(&verify));
    // Changing one scenario's files diverges exactly its samples.
    let changed = dir.path().join("changed.yaml");
    std::fs::write(
        &changed,
        std::fs::read_to_string(&config).expect("config").replace("ship it", "ship it now"),
    )
    .expect("write");
    let output = run(weft().arg("verify").arg(&data).arg("--config").arg(&changed).arg("--json"));
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    for (sample, verdict) in all.iter().zip(report["results"].as_array().expect("results")) {
        let diverged = verdict["verdict"] == "diverged";
        assert_eq!(diverged, sample["metadata"]["replay"]["scenario"] == "notes", "{verdict}");
    }

    // Both keys at once, a nameless entry, a repeated name: each at its line.
    let both = config_text_with(&config, "    scenario_seed:\n      files: {a: b}\n");
    let text = stderr(&validate(&both));
    assert!(text.contains("`scenario_seed` and `scenarios` cannot be used together"), "{text}");
    let dup = dir.path().join("dup.yaml");
    std::fs::write(
        &dup,
        std::fs::read_to_string(&config).expect("config").replace("name: notes", "name: project"),
    )
    .expect("write");
    let text = stderr(&validate(&dup));
    assert!(text.contains("two scenarios are named `project`"), "{text}");
}

fn config_text_with(config: &Path, extra: &str) -> PathBuf {
    let text = std::fs::read_to_string(config)
        .expect("config")
        .replace("    scenarios:\n", &format!("{extra}    scenarios:\n"));
    let path = config.with_file_name("both.yaml");
    std::fs::write(&path, text).expect("write");
    path
}

/// The fake OpenAI model (weft-bench) lists the files, reads config.json,
/// writes `summary.txt` and reads it back: one scenario's expectations hold
/// of that end state, the other's do not, and each sample says which.
#[test]
fn expected_end_states_are_checked_on_the_sessions_real_files() {
    let (base_url, _runtime) = crate::common::fake_llm(0);
    let dir = tempfile::tempdir().expect("tempdir");
    let topics = dir.path().join("topics.jsonl");
    let lines: Vec<String> = (0..4).map(|i| format!("{{\"path\": [\"Files\", \"Chore {i}\"]}}")).collect();
    std::fs::write(&topics, lines.join("\n") + "\n").expect("topics");
    let write = |name: &str, scenarios: &str| {
        let path = dir.path().join(format!("{name}.yaml"));
        let text = format!(
            "llm: {{provider: openai, model: fake, base_url: \"{base_url}\"}}\n\
             topics: {{prompt: Files, depth: 1, degree: 4, save_as: \"{}\"}}\n\
             generation:\n  system_prompt: You help with files.\n  conversation: {{type: cot, reasoning_style: agent}}\n  \
             tools:\n    components: {{builtin: [read_file, write_file, list_files]}}\n    max_per_query: 2\n{scenarios}\
             output: {{num_samples: 12, batch_size: 4, save_as: \"{}\"}}\n",
            topics.display(),
            dir.path().join(format!("{name}.jsonl")).display()
        );
        std::fs::write(&path, text).expect("config");
        path
    };
    let scenarios = "    scenarios:\n      \
        - name: met\n        files: {config.json: '{\"debug\": true}'}\n        expect:\n          files:\n            \
        summary.txt: {exists: true, equals: \"config.json sets version and debug.\\n\"}\n            \
        config.json: {matches: \"debug.*true\"}\n            CHANGELOG.md: {exists: false}\n      \
        - name: missed\n        files: {config.json: '{\"debug\": true}'}\n        expect:\n          files:\n            \
        summary.txt: {contains: \"CHANGELOG\"}\n            NOTES.md: {exists: true}\n";
    let config = write("checked", scenarios);
    let output = run(weft().args(["generate", "--no-tui"]).arg(&config).arg("--topics-load").arg(&topics));
    assert!(output.status.success(), "{}", stderr(&output));
    let all = samples(&dir.path().join("checked.jsonl"));
    assert_eq!(all.len(), 12);
    let mut seen = std::collections::BTreeSet::new();
    for sample in &all {
        let scenario = sample["metadata"]["replay"]["scenario"].as_str().expect("scenario").to_owned();
        let check = &sample["metadata"]["state_check"];
        assert_eq!(check["passed"], scenario == "met", "{scenario}: {check}");
        let checks = check["checks"].as_array().expect("checks");
        if scenario == "met" {
            let expects: Vec<&str> = checks.iter().map(|c| c["expect"].as_str().expect("expect")).collect();
            assert_eq!(expects, ["exists", "equals (36 bytes)", "matches /debug.*true/", "absent"]);
            assert!(checks.iter().all(|c| c["passed"] == true && c.get("found").is_none()), "{check}");
        } else {
            assert_eq!(checks[0]["expect"], "contains \"CHANGELOG\"");
            assert_eq!(checks[0]["found"], "config.json sets version and debug.\n", "{check}");
            assert_eq!(checks[1]["expect"], "exists");
            assert_eq!(checks[1]["found"], "absent", "{check}");
        }
        seen.insert(scenario);
    }
    assert_eq!(seen.len(), 2, "both scenarios were drawn");
    // The checks read files but are not part of the sample: it verifies.
    let verify = run(weft().arg("verify").arg(dir.path().join("checked.jsonl")).arg("--config").arg(&config));
    assert!(verify.status.success(), "{}", stderr(&verify));
    // Replay re-checks the end state too: a sample claiming an end state
    // its calls do not leave diverges, naming it.
    let mut forged = all.clone();
    let at = forged
        .iter()
        .position(|s| s["metadata"]["replay"]["scenario"] == "missed")
        .expect("a sample of the missed scenario");
    forged[at]["metadata"]["state_check"]["passed"] = Value::Bool(true);
    forged[at]["metadata"]["state_check"]["checks"][1]["passed"] = Value::Bool(true);
    let text: String = forged.iter().map(|s| format!("{s}\n")).collect();
    std::fs::write(dir.path().join("forged.jsonl"), text).expect("write");
    let verify = run(weft().arg("verify").arg(dir.path().join("forged.jsonl")).arg("--config").arg(&config));
    assert_eq!(verify.status.code(), Some(1), "{}", stderr(&verify));
    let text = stderr(&verify);
    assert!(
        text.contains("the recorded end state (`metadata.state_check`) is not what the replay leaves"),
        "{text}"
    );
    assert!(text.contains("11 of 12 samples verified"), "{text}");

    // strict: only samples that pass are kept; the others are failures
    // with the conditions that did not hold.
    let strict =
        write("strict", &scenarios.replace("        expect:\n", "        expect:\n          strict: true\n"));
    let output = run(weft().args(["generate", "--no-tui"]).arg(&strict).arg("--topics-load").arg(&topics));
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let kept = samples(&dir.path().join("strict.jsonl"));
    assert!(!kept.is_empty() && kept.len() < 12, "{}", kept.len());
    assert!(kept.iter().all(|s| s["metadata"]["state_check"]["passed"] == true));
    let failures = std::fs::read_to_string(dir.path().join("strict.jsonl.failures.jsonl")).expect("failures");
    assert_eq!(failures.lines().count(), 12 - kept.len());
    assert!(
        failures.contains(
            "the end state is not the expected one: summary.txt contains \\\"CHANGELOG\\\"; NOTES.md exists"
        ),
        "{failures}"
    );

    // A condition that expects nothing, and a bad pattern: at their lines.
    let bad = write(
        "bad",
        "    scenario_seed:\n      files: {a.txt: a}\n      expect:\n        files:\n          a.txt: {}\n          \
         b.txt: {matches: \"(\"}\n",
    );
    let text = stderr(&validate(&bad));
    assert!(text.contains("`scenario_seed.expect.files.a.txt` expects nothing"), "{text}");
    assert!(text.contains("bad.yaml:13:18"), "{text}");
    assert!(text.contains("not a regular expression: unclosed group at"), "{text}");
    assert!(text.contains("bad.yaml:14:28"), "{text}");
    assert!(
        text.contains("`scenario_seed.expect.files.b.txt.matches` is not a regular expression"),
        "{text}"
    );
}

/// The scripted model: it reads the workspace and writes notes, never
/// touching the scenario's own files — so a scenario expecting `app.py`
/// unchanged is met, and one expecting a deployment marker it never
/// writes is not; each sample records which, with what it found.
#[test]
fn expected_end_states_are_checked_on_scripted_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let scenarios = "    scenarios:\n      \
        - name: met\n        files: {app.py: \"def main(): pass\\n\"}\n        expect:\n          files:\n            \
        app.py: {equals: \"def main(): pass\\n\", matches: \"^def main\"}\n            DEPLOYED.txt: {exists: false}\n      \
        - name: missed\n        files: {app.py: \"def main(): pass\\n\"}\n        expect:\n          files:\n            \
        DEPLOYED.txt: {exists: true}\n";
    let config = config(dir.path(), scenarios, 8);
    let output = run(weft().args(["generate", "--no-tui"]).arg(&config));
    assert!(output.status.success(), "{}", stderr(&output));
    let all = samples(&dir.path().join("data.jsonl"));
    assert_eq!(all.len(), 8);
    let mut seen = std::collections::BTreeSet::new();
    for sample in &all {
        let scenario = sample["metadata"]["replay"]["scenario"].as_str().expect("scenario").to_owned();
        let check = &sample["metadata"]["state_check"];
        assert_eq!(check["passed"], scenario == "met", "{scenario}: {check}");
        if scenario == "missed" {
            assert_eq!(check["checks"][0]["expect"], "exists");
            assert_eq!(check["checks"][0]["found"], "absent", "{check}");
        } else {
            assert_eq!(check["checks"].as_array().map(Vec::len), Some(3), "{check}");
        }
        seen.insert(scenario);
    }
    assert_eq!(seen.len(), 2, "both scenarios were drawn");
}
