//! Broken configs give every error, each with file:line:col and a hint.

use std::path::Path;

use weft_gen::config::{self, ConfigError, Overrides, Position};

fn load_broken(name: &str) -> ConfigError {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/broken").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let source = format!("broken/{name}");
    match config::parse_with_env(&text, &source, &Overrides::default(), &|_| None) {
        Ok(_) => panic!("{name} should not load"),
        Err(err) => err,
    }
}

fn positions(err: &ConfigError) -> Vec<Option<(u32, u32)>> {
    let diagnostics = err.diagnostics().expect("diagnostics");
    diagnostics.items.iter().map(|d| d.position.map(|Position { line, column }| (line, column))).collect()
}

#[test]
fn typo_keys_are_all_reported_with_the_nearest_key() {
    let err = load_broken("typo-key.yaml");
    assert_eq!(positions(&err), [Some((5, 3)), Some((9, 3)), Some((12, 3))]);
    let text = err.to_string();
    assert!(
        text.contains(
            "unknown key `num_sample` in `output` at broken/typo-key.yaml:12:3 — did you mean `num_samples`?"
        ),
        "{text}"
    );
    insta::assert_snapshot!("typo_key", text);
}

#[test]
fn type_errors_name_the_key() {
    let err = load_broken("wrong-type.yaml");
    assert_eq!(positions(&err), [Some((9, 15))]);
    insta::assert_snapshot!("wrong_type", err.to_string());
}

#[test]
fn the_pre_4_layout_is_explained() {
    let err = load_broken("old-layout.yaml");
    insta::assert_snapshot!("old_layout", err.to_string());
}

#[test]
fn bad_values_are_all_reported() {
    let err = load_broken("bad-values.yaml");
    assert_eq!(err.diagnostics().expect("diagnostics").items.len(), 8, "{err}");
    insta::assert_snapshot!("bad_values", err.to_string());
}

#[test]
fn yaml_syntax_errors_have_a_position() {
    let err = load_broken("bad-yaml.yaml");
    let items = &err.diagnostics().expect("diagnostics").items;
    assert_eq!(items.len(), 1);
    assert!(items[0].position.is_some_and(|p| p.line >= 3), "{err}");
    insta::assert_snapshot!("bad_yaml", err.to_string());
}

#[test]
fn a_missing_file_is_a_read_error() {
    let err = config::load(Path::new("/nonexistent/weft.yaml"), &Overrides::default()).expect_err("missing");
    assert!(matches!(err, ConfigError::Read { .. }));
    assert!(err.to_string().starts_with("cannot read config /nonexistent/weft.yaml"));
}

#[test]
fn kaggle_is_refused_with_what_to_do_instead() {
    let err = load_broken("kaggle.yaml");
    assert_eq!(positions(&err), [Some((10, 3))]);
    let text = err.to_string();
    assert!(text.contains("weft does not publish to Kaggle (`kaggle:`)"), "{text}");
    assert!(text.contains("kaggle datasets create -p DIR"), "{text}");
}

#[test]
fn custom_records_need_a_schema_for_an_object_and_no_tools() {
    let err = load_broken("custom-without-schema.yaml");
    assert_eq!(positions(&err), [Some((9, 11))]);
    assert!(err.to_string().contains("`output.format: custom` needs `generation.output_schema`"), "{err}");

    // With tools, with `format: messages` and with `formats`: each said, at its place.
    let err = load_broken("custom-conflicts.yaml");
    assert_eq!(positions(&err), [Some((16, 11))], "{err}");
    assert!(
        err.to_string().contains("`output.format: custom`, or remove `generation.output_schema`"),
        "{err}"
    );
    let err = load_broken("custom-bad-schema.yaml");
    let text = err.to_string();
    assert_eq!(positions(&err), [Some((9, 5)), Some((12, 13))], "{text}");
    assert!(text.contains("must describe a JSON object"), "{text}");
    assert!(text.contains("`custom` is not a conversation format"), "{text}");
    let err = load_broken("custom-with-formats.yaml");
    assert_eq!(positions(&err), [Some((11, 13))], "{err}");
    assert!(err.to_string().contains("`output.formats` renders conversations"), "{err}");
    let err = load_broken("custom-invalid-schema.yaml");
    assert_eq!(positions(&err), [Some((9, 5))], "{err}");
    assert!(err.to_string().contains("is not a valid JSON Schema"), "{err}");
    insta::assert_snapshot!(
        "custom_records",
        [
            load_broken("custom-without-schema.yaml").to_string(),
            load_broken("custom-conflicts.yaml").to_string(),
            load_broken("custom-bad-schema.yaml").to_string(),
            load_broken("custom-with-formats.yaml").to_string(),
            load_broken("custom-invalid-schema.yaml").to_string(),
        ]
        .join("\n\n")
    );
}

#[test]
fn custom_records_and_tools_are_refused_together() {
    let text = "llm: {provider: scripted, model: scripted}\ntopics: {prompt: Bugs}\ngeneration:\n  system_prompt: x\n  \
                tools:\n    components:\n      builtin: [read_file]\n  output_schema: {type: object}\n\
                output: {save_as: r.jsonl}\n";
    let err =
        config::parse_with_env(text, "inline.yaml", &Overrides::default(), &|_| None).expect_err("refused");
    assert_eq!(positions(&err), [Some((6, 5))], "{err}");
    assert!(
        err.to_string().contains("`generation.tools` cannot be used with `generation.output_schema`"),
        "{err}"
    );
}

#[test]
fn the_llm_http_version_is_a_number_or_a_name_and_anything_else_is_refused_at_its_place() {
    let config = |http: &str| {
        format!(
            "llm:\n  provider: openai\n  base_url: http://127.0.0.1:9/v1\n  http: {http}\ntopics: {{prompt: Bugs}}\n\
             generation: {{system_prompt: x}}\noutput: {{save_as: out.jsonl}}\n"
        )
    };
    for (written, expected) in [
        ("2", weft_llm::HttpVersion::Http2),
        ("\"2\"", weft_llm::HttpVersion::Http2),
        ("1.1", weft_llm::HttpVersion::Http1),
        ("HTTP/1.1", weft_llm::HttpVersion::Http1),
        ("auto", weft_llm::HttpVersion::Auto),
    ] {
        let parsed =
            config::parse_with_env(&config(written), "inline.yaml", &Overrides::default(), &|_| None)
                .unwrap_or_else(|err| panic!("{written}: {err}"));
        assert_eq!(parsed.generation_model().http, expected, "{written}");
        assert_eq!(parsed.topics_model().http, expected, "{written}");
    }
    let err = config::parse_with_env(&config("3"), "inline.yaml", &Overrides::default(), &|_| None)
        .expect_err("refused");
    assert_eq!(positions(&err), [Some((4, 9))], "{err}");
    let text = err.to_string();
    assert!(text.contains("`llm.http` must be one of auto | 1.1 | 2, got `3`"), "{text}");
    assert!(text.contains("h2c"), "{text}");
}
