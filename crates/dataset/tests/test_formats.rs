//! Golden files: every format's rendering of the fixture dataset
//! (`tests/fixtures/samples.jsonl`, weft's canonical shape: parallel calls
//! in one step, `File not found` and `Access denied` results, a multi-turn
//! sample, system messages, a call with invalid JSON arguments), as
//! `render_file` writes it.

use std::path::{Path, PathBuf};

use serde_json::Value;
use weft_dataset::format::{
    ChatTemplate, ChatTemplateOptions, Date, Format, FormatError, RenderReport, default_output, render,
    render_file,
};
use weft_dataset::sample::Sample;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn samples() -> Vec<Sample> {
    let text = std::fs::read_to_string(fixture("samples.jsonl")).expect("fixture");
    text.lines().map(|line| serde_json::from_str(line).expect("sample")).collect()
}

/// The fixture through `format` with `render_file`: the written records
/// and the report.
fn render_fixture(format: &Format) -> (Vec<Value>, RenderReport) {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = dir.path().join("out.jsonl");
    let report = render_file(&fixture("samples.jsonl"), format, &output).expect("renders");
    let text = std::fs::read_to_string(&output).expect("output");
    let records = text.lines().map(|line| serde_json::from_str(line).expect("json line")).collect();
    (records, report)
}

/// A golden file of the records as JSON, then the failures.
fn json_golden(format: &Format) -> String {
    let (records, report) = render_fixture(format);
    let mut golden = serde_json::to_string_pretty(&records).expect("json");
    failures(&report, &mut golden);
    golden
}

/// A golden file of the records' `text`, readable as the model sees it.
fn text_golden(format: &Format) -> String {
    let (records, report) = render_fixture(format);
    let mut golden = String::new();
    for (index, record) in records.iter().enumerate() {
        let keys: Vec<&String> = record.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["text"], "a text record");
        golden.push_str(&format!("=== record {index} ===\n{}\n", record["text"].as_str().expect("text")));
    }
    failures(&report, &mut golden);
    golden
}

fn failures(report: &RenderReport, golden: &mut String) {
    golden.push_str(&format!("\n=== {} samples, {} written ===\n", report.samples, report.written));
    for failure in &report.failures {
        golden.push_str(&format!(
            "line {} (sample {}): {}\n",
            failure.line, failure.sample_index, failure.reason
        ));
    }
}

#[test]
fn messages_is_the_sample_unchanged() {
    let (records, report) = render_fixture(&Format::Messages);
    let expected: Vec<Value> = samples().iter().map(|s| serde_json::to_value(s).expect("json")).collect();
    assert_eq!(records, expected);
    assert!(report.failures.is_empty());
    // And unchanged means byte for byte, key order included.
    let original = std::fs::read_to_string(fixture("samples.jsonl")).expect("fixture");
    let first = serde_json::to_string(&records[0]).expect("json");
    assert_eq!(first, original.lines().next().expect("line"));
}

#[test]
fn openai() {
    insta::assert_snapshot!(json_golden(&Format::OpenAi));
}

#[test]
fn trl() {
    insta::assert_snapshot!(json_golden(&Format::Trl));
}

#[test]
fn hermes() {
    insta::assert_snapshot!(text_golden(&Format::Hermes));
}

#[test]
fn sharegpt() {
    insta::assert_snapshot!(json_golden(&Format::ShareGpt));
}

#[test]
fn xlam() {
    insta::assert_snapshot!(json_golden(&Format::Xlam));
}

#[test]
fn harmony() {
    insta::assert_snapshot!(text_golden(&Format::Harmony));
}

#[test]
fn adp() {
    insta::assert_snapshot!(json_golden(&Format::Adp));
}

fn own_template(file: &str, options: ChatTemplateOptions) -> Format {
    Format::ChatTemplate(Box::new(ChatTemplate::load(&fixture(file), options).expect("loads")))
}

fn options() -> ChatTemplateOptions {
    ChatTemplateOptions {
        bos_token: Some("<s>".into()),
        date: Some("2025-01-15".parse::<Date>().expect("date")),
        ..ChatTemplateOptions::default()
    }
}

#[test]
fn chat_template() {
    insta::assert_snapshot!(text_golden(&own_template("chatml_tools.jinja", options())));
}

#[test]
fn chat_template_with_parallel_calls_split() {
    let format =
        own_template("chatml_tools.jinja", ChatTemplateOptions { split_parallel: true, ..options() });
    let (records, _) = render_fixture(&format);
    let text = records[0]["text"].as_str().expect("text");
    let conversation = text.find("<|im_start|>user").expect("user turn");
    let text = &text[conversation..];
    let read = text.find("\"read_file\"").expect("first call");
    let not_found = text.find("File not found: notes.txt").expect("its result");
    let search = text.find("\"search_files\"").expect("second call");
    assert!(read < not_found && not_found < search, "each call is followed by its result:\n{text}");
    assert_eq!(
        text.matches("<|im_start|>assistant").count(),
        4,
        "the parallel step became two turns:\n{text}"
    );
}

#[test]
fn chat_template_that_drops_calls_is_an_error_naming_them() {
    let format = own_template("drops_calls.jinja", options());
    let (records, report) = render_fixture(&format);
    assert!(records.is_empty(), "nothing is written for samples that lost their calls");
    assert_eq!(report.failures.len(), 4);
    let first = &report.failures[0].reason;
    assert!(
        first.starts_with(
            "chat template drops_calls dropped call 1 (read_file): name, argument file_path, value of file_path, \
             call 2 (search_files): name, argument query, value of query, argument max_results, value of max_results, \
             argument recursive, call 3"
        ),
        "{first}"
    );
    assert!(first.ends_with("try split_parallel / --split-parallel)"), "{first}");
    let sample = samples().remove(0);
    match render(&sample, &format) {
        Err(FormatError::Dropped { template, dropped, .. }) => {
            assert_eq!(template, "drops_calls");
            assert_eq!(dropped.len(), 3, "{dropped:?}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn chat_template_raise_is_a_sample_error_with_the_templates_message() {
    let mut sample = samples().remove(3);
    if let Some(calls) = sample.messages[2].tool_calls.as_mut() {
        calls[0].id = "short".into();
    }
    if let Some(id) = sample.messages[3].tool_call_id.as_mut() {
        *id = "short".into();
    }
    let err = render(&sample, &own_template("chatml_tools.jinja", options())).unwrap_err();
    assert!(err.is_sample_error());
    assert_eq!(
        err.to_string(),
        "chat template chatml_tools failed: raise_exception: call ids must be 9 characters (line 27)"
    );
}

#[test]
fn a_bad_line_stops_the_run_naming_file_and_line_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("data.jsonl");
    let good = std::fs::read_to_string(fixture("samples.jsonl")).expect("fixture");
    let first = good.lines().next().expect("line");
    std::fs::write(&input, format!("{first}\n\n{{\"messages\": 3}}\n")).expect("write");
    let output = dir.path().join("out.jsonl");
    std::fs::write(&output, "previous\n").expect("write");
    let err = render_file(&input, &Format::Trl, &output).unwrap_err();
    assert!(matches!(err, FormatError::BadLine { line: 3, .. }), "{err:?}");
    assert!(err.to_string().starts_with(&format!("{}:3: not a weft sample: ", input.display())), "{err}");
    assert_eq!(
        std::fs::read_to_string(&output).expect("output"),
        "previous\n",
        "the old output is untouched"
    );
    let leftovers: Vec<_> =
        std::fs::read_dir(dir.path()).expect("dir").map(|e| e.expect("entry").file_name()).collect();
    assert_eq!(leftovers.len(), 2, "no temporary file is left: {leftovers:?}");
}

#[test]
fn a_missing_input_is_an_io_error_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing.jsonl");
    let err = render_file(&missing, &Format::Trl, &dir.path().join("out.jsonl")).unwrap_err();
    assert!(matches!(err, FormatError::Io { .. }), "{err:?}");
    assert!(err.to_string().starts_with(&missing.display().to_string()), "{err}");
    assert!(!err.is_sample_error());
}

#[test]
fn formats_parse_by_name_and_chat_template_needs_its_file() {
    for name in weft_dataset::format::FORMAT_NAMES.iter().filter(|name| **name != "chat-template") {
        assert_eq!(Format::parse(name).expect("known").name(), *name);
    }
    assert!(matches!(Format::parse("chat-template"), Err(FormatError::NeedsTemplate)));
    let err = Format::parse("alpaca").unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown format `alpaca` (known: messages, openai, trl, hermes, sharegpt, xlam, harmony, adp, chat-template, custom)"
    );
}

#[test]
fn default_output_sits_beside_the_input() {
    let input = Path::new("/data/run/dataset.jsonl");
    assert_eq!(default_output(input, &Format::Trl), Path::new("/data/run/dataset.trl.jsonl"));
    let template = own_template("chatml_tools.jinja", options());
    assert_eq!(default_output(input, &template), Path::new("/data/run/dataset.chatml_tools.jsonl"));
}

#[test]
fn a_template_that_does_not_compile_names_its_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("broken.jinja");
    std::fs::write(&path, "{% for x in messages %}{{ x }").expect("write");
    let err = ChatTemplate::load(&path, options()).unwrap_err();
    assert!(matches!(err, FormatError::TemplateLoad { .. }), "{err:?}");
    assert!(err.to_string().starts_with(&format!("chat template {}: ", path.display())), "{err}");
}

#[test]
fn a_format_can_be_shared_between_threads() {
    fn shared<T: Send + Sync>(_: &T) {}
    shared(&own_template("chatml_tools.jinja", options()));
}
