//! Real chat templates (the `.jinja` files llama.cpp collects from the
//! models' repositories), rendered from the fixture dataset's `trl`
//! records by weft's renderer and by Python's jinja2 used as transformers
//! uses it (`tests/render_chat_template.py`): the two texts are the same,
//! byte for byte, and weft's drop check passes, or, for a template that
//! drops calls, says so.
//!
//! Peers (`.ci/chat-templates.sh`): `WEFT_CHAT_TEMPLATES` (the templates'
//! directory) and `WEFT_JINJA_PYTHON` (a Python with jinja2). Without them
//! the test prints SKIPPED, or fails under `CI=true`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use weft_dataset::format::{ChatTemplate, ChatTemplateOptions, Date, Format, FormatError, render};
use weft_dataset::sample::Sample;

const DATE: &str = "2025-01-15";

/// What weft's drop check must say about a template.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Every call, argument, result and answer is in the text.
    KeepsCalls,
    /// The template loses calls: every sample with calls fails the check.
    DropsCalls,
}

struct Case {
    file: &'static str,
    bos: Option<&'static str>,
    eos: Option<&'static str>,
    split_parallel: bool,
    kwargs: Value,
    expect: Expect,
}

const QWEN_EOS: Option<&str> = Some("<|im_end|>");
const LLAMA_BOS: Option<&str> = Some("<|begin_of_text|>");

fn cases() -> Vec<Case> {
    let case = |file, bos, eos, split_parallel, expect| Case {
        file,
        bos,
        eos,
        split_parallel,
        kwargs: json!({}),
        expect,
    };
    vec![
        case("Qwen-Qwen3-0.6B.jinja", None, QWEN_EOS, false, Expect::KeepsCalls),
        case("Qwen-Qwen2.5-7B-Instruct.jinja", None, QWEN_EOS, false, Expect::KeepsCalls),
        case("Qwen3-Coder.jinja", None, QWEN_EOS, false, Expect::KeepsCalls),
        case(
            "meta-llama-Llama-3.1-8B-Instruct.jinja",
            LLAMA_BOS,
            Some("<|eot_id|>"),
            true,
            Expect::KeepsCalls,
        ),
        case(
            "meta-llama-Llama-3.3-70B-Instruct.jinja",
            LLAMA_BOS,
            Some("<|eot_id|>"),
            true,
            Expect::KeepsCalls,
        ),
        case(
            "Mistral-Small-3.2-24B-Instruct-2506.jinja",
            Some("<s>"),
            Some("</s>"),
            false,
            Expect::KeepsCalls,
        ),
        case(
            "mistralai-Mistral-Nemo-Instruct-2407.jinja",
            Some("<s>"),
            Some("</s>"),
            false,
            Expect::KeepsCalls,
        ),
        case(
            "NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja",
            LLAMA_BOS,
            QWEN_EOS,
            false,
            Expect::KeepsCalls,
        ),
        Case {
            kwargs: json!({"reasoning_effort": "high"}),
            ..case(
                "openai-gpt-oss-120b.jinja",
                Some("<|startoftext|>"),
                Some("<|return|>"),
                true,
                Expect::KeepsCalls,
            )
        },
        Case {
            kwargs: json!({"thinking": false}),
            ..case(
                "deepseek-ai-DeepSeek-V3.1.jinja",
                Some("<｜begin▁of▁sentence｜>"),
                Some("<｜end▁of▁sentence｜>"),
                false,
                Expect::KeepsCalls,
            )
        },
        // llama.cpp's copy is Unsloth's edit: it renders neither tools nor calls.
        case("HuggingFaceTB-SmolLM3-3B.jinja", None, QWEN_EOS, false, Expect::DropsCalls),
    ]
}

struct Peers {
    templates: PathBuf,
    python: PathBuf,
}

fn peers() -> Option<Peers> {
    let templates = std::env::var_os("WEFT_CHAT_TEMPLATES").map(PathBuf::from);
    let python = std::env::var_os("WEFT_JINJA_PYTHON").map(PathBuf::from);
    match (templates, python) {
        (Some(templates), Some(python)) => Some(Peers { templates, python }),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!(
                "CI=true: WEFT_CHAT_TEMPLATES and WEFT_JINJA_PYTHON must be set (source .ci/chat-templates.sh)"
            )
        }
        _ => {
            eprintln!(
                "SKIPPED: WEFT_CHAT_TEMPLATES / WEFT_JINJA_PYTHON not set (source .ci/chat-templates.sh)"
            );
            None
        }
    }
}

fn fixture_samples() -> Vec<Sample> {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/samples.jsonl"))
            .expect("fixture");
    text.lines().map(|line| serde_json::from_str(line).expect("sample")).collect()
}

fn template(peers: &Peers, case: &Case, split_parallel: bool) -> ChatTemplate {
    let options = ChatTemplateOptions {
        bos_token: case.bos.map(str::to_owned),
        eos_token: case.eos.map(str::to_owned),
        kwargs: case.kwargs.as_object().cloned().unwrap_or_default(),
        split_parallel,
        date: Some(DATE.parse::<Date>().expect("date")),
        ..ChatTemplateOptions::default()
    };
    ChatTemplate::load(&peers.templates.join(case.file), options).expect("template loads")
}

/// jinja2's rendering of `records`: per record, the text or the error.
fn python_render(peers: &Peers, case: &Case, records: &[Value]) -> Vec<Result<String, String>> {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("records.jsonl");
    let lines: Vec<String> = records.iter().map(|r| serde_json::to_string(r).expect("json")).collect();
    std::fs::write(&input, lines.join("\n") + "\n").expect("write records");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/render_chat_template.py");
    let mut command = Command::new(&peers.python);
    command.arg(script).arg(peers.templates.join(case.file)).arg(&input).args(["--date", DATE]);
    command.args(["--kwargs", &case.kwargs.to_string()]);
    if let Some(bos) = case.bos {
        command.args(["--bos", bos]);
    }
    if let Some(eos) = case.eos {
        command.args(["--eos", eos]);
    }
    let output = command.output().expect("python runs");
    assert!(output.status.success(), "{}: {}", case.file, String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout)
        .expect("utf-8")
        .lines()
        .map(|line| {
            let out: Value = serde_json::from_str(line).expect("json line");
            match (out.get("text").and_then(Value::as_str), out.get("error").and_then(Value::as_str)) {
                (Some(text), _) => Ok(text.to_owned()),
                (_, Some(error)) => Err(error.to_owned()),
                _ => panic!("unexpected output {line}"),
            }
        })
        .collect()
}

/// weft's verdicts for every fixture sample that has a TRL record (the
/// one whose call has invalid JSON arguments has none).
type Verdicts = Vec<(u64, Result<Value, FormatError>)>;

/// Renders the fixture through `template` with both engines: weft's
/// verdicts, or where the texts differ.
fn render_both(peers: &Peers, case: &Case, template: ChatTemplate) -> Result<Verdicts, String> {
    let format = Format::ChatTemplate(Box::new(template));
    let Format::ChatTemplate(template) = &format else { unreachable!() };
    let mut records = Vec::new();
    let mut verdicts = Vec::new();
    let mut rust_texts = Vec::new();
    for sample in fixture_samples() {
        let record = match template.record(&sample) {
            Ok(record) => record,
            Err(FormatError::ArgumentsNotObject { .. }) => continue,
            Err(err) => return Err(format!("sample {}: {err}", sample.metadata.sample_index)),
        };
        rust_texts.push(template.render_record(&record));
        records.push(record);
        verdicts.push((sample.metadata.sample_index, render(&sample, &format)));
    }
    let python_texts = python_render(peers, case, &records);
    assert_eq!(python_texts.len(), rust_texts.len(), "{}", case.file);
    for (index, (rust, python)) in rust_texts.iter().zip(&python_texts).enumerate() {
        match (rust, python) {
            (Ok(rust), Ok(python)) if rust != python => {
                let at = rust
                    .bytes()
                    .zip(python.bytes())
                    .position(|(a, b)| a != b)
                    .unwrap_or(rust.len().min(python.len()));
                let window = |text: &str| {
                    let from = text.floor_char_boundary(at.saturating_sub(60));
                    text[from..text.floor_char_boundary((at + 60).min(text.len()))].to_owned()
                };
                return Err(format!(
                    "record {index}: texts differ at byte {at}\n  weft:   {:?}\n  jinja2: {:?}",
                    window(rust),
                    window(python)
                ));
            }
            (Ok(_), Ok(_)) | (Err(_), Err(_)) => {}
            (rust, python) => {
                let short = |r: &Result<String, _>| match r {
                    Ok(_) => "renders".to_owned(),
                    Err(err) => format!("fails: {err}"),
                };
                let rust = rust.as_ref().map(|_| String::new()).map_err(|e| e.to_string());
                return Err(format!("record {index}: weft {}, jinja2 {}", short(&rust), short(python)));
            }
        }
    }
    Ok(verdicts)
}

#[test]
fn real_templates_render_as_jinja2_does_and_keep_every_call() {
    let Some(peers) = peers() else { return };
    for case in cases() {
        let verdicts = render_both(&peers, &case, template(&peers, &case, case.split_parallel))
            .unwrap_or_else(|diff| panic!("{}: {diff}", case.file));
        assert!(verdicts.len() >= 3, "{}: fixture records rendered: {}", case.file, verdicts.len());
        for (index, verdict) in verdicts {
            match (case.expect, verdict) {
                (Expect::KeepsCalls, Ok(record)) => {
                    assert!(
                        record["text"].as_str().is_some_and(|t| !t.is_empty()),
                        "{} sample {index}",
                        case.file
                    )
                }
                (Expect::DropsCalls, Err(FormatError::Dropped { dropped, .. })) => {
                    assert!(
                        dropped.iter().any(|d| d.contains("name")),
                        "{} sample {index}: {dropped:?}",
                        case.file
                    )
                }
                (expect, verdict) => {
                    panic!("{} sample {index}: expected {expect:?}, got {verdict:?}", case.file)
                }
            }
        }
        eprintln!("ok: {} ({:?})", case.file, case.expect);
    }
}

/// Without splitting, Llama 3.x refuses the parallel sample (both engines
/// raise) and gpt-oss renders only its first call, which the drop check
/// reports; split, both keep every call (the test above).
#[test]
fn parallel_calls_are_refused_or_dropped_unless_split() {
    let Some(peers) = peers() else { return };
    let parallel_sample = 0;
    for case in cases().into_iter().filter(|case| case.split_parallel) {
        let verdicts = render_both(&peers, &case, template(&peers, &case, false))
            .unwrap_or_else(|diff| panic!("{}: {diff}", case.file));
        for (index, verdict) in verdicts {
            match verdict {
                Ok(_) => assert_ne!(index, parallel_sample, "{}: the parallel sample rendered", case.file),
                Err(FormatError::Template { message, hint, .. }) if case.file.contains("llama") => {
                    assert_eq!(index, parallel_sample);
                    assert!(message.contains("raise_exception"), "{message}");
                    assert!(hint.contains("split"), "{hint}");
                }
                Err(FormatError::Dropped { dropped, hint, .. }) if case.file.contains("gpt-oss") => {
                    assert_eq!(index, parallel_sample);
                    assert!(
                        dropped.iter().any(|d| d.starts_with("call 2 (search_files): name")),
                        "{dropped:?}"
                    );
                    assert!(hint.contains("split"), "{hint}");
                }
                Err(err) => panic!("{} sample {index}: {err}", case.file),
            }
        }
    }
}

/// weft's own golden-test template (tests/fixtures/chatml_tools.jinja)
/// renders as jinja2 renders it, too: its snapshot is jinja2's text.
#[test]
fn the_golden_test_template_renders_as_jinja2_does() {
    let Some(peers) = peers() else { return };
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/chatml_tools.jinja");
    let file: &'static str = Box::leak(path.to_string_lossy().into_owned().into_boxed_str());
    for split_parallel in [false, true] {
        let case = Case {
            file,
            bos: Some("<s>"),
            eos: None,
            split_parallel,
            kwargs: json!({}),
            expect: Expect::KeepsCalls,
        };
        let verdicts = render_both(&peers, &case, template(&peers, &case, split_parallel))
            .unwrap_or_else(|diff| panic!("{file}: {diff}"));
        assert!(verdicts.iter().all(|(_, verdict)| verdict.is_ok()), "{verdicts:?}");
    }
}

/// Templates where the engines are known to differ, and why. Neither is
/// a model's real template.
const KNOWN_DIFFERENCES: [(&str, &str); 2] = [
    (
        "llama-cpp-deepseek-r1.jinja",
        "llama.cpp's test template: jinja2 cannot tojson the generator map() returns; minijinja's map() returns a list",
    ),
    (
        "meetkai-functionary-medium-v3.1.jinja",
        "jinja2 HTML-escapes a str added to a Markup (`x|safe + y`); minijinja concatenates",
    ),
];

/// Every template of the directory, not only the models above: weft and
/// jinja2 give the same text, or both fail, for every fixture record.
#[test]
fn every_collected_template_renders_as_jinja2_does() {
    let Some(peers) = peers() else { return };
    let mut files: Vec<String> = std::fs::read_dir(&peers.templates)
        .expect("templates dir")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".jinja"))
        .collect();
    files.sort();
    assert!(files.len() >= 60, "only {} templates in {}", files.len(), peers.templates.display());
    let mut differences = Vec::new();
    let mut agreeing = 0;
    for file in &files {
        let file: &'static str = Box::leak(file.clone().into_boxed_str());
        let case = Case {
            file,
            bos: Some("<s>"),
            eos: Some("</s>"),
            split_parallel: false,
            kwargs: json!({}),
            expect: Expect::KeepsCalls,
        };
        match render_both(&peers, &case, template(&peers, &case, false)) {
            Ok(_) => agreeing += 1,
            Err(_) if KNOWN_DIFFERENCES.iter().any(|(known, _)| *known == file) => {}
            Err(diff) => differences.push(format!("{file}: {diff}")),
        }
    }
    eprintln!("{agreeing} of {} templates render as jinja2 does", files.len());
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}
