//! The dataset card: its YAML parses back and says what the Hub and
//! `datasets` need; the body is snapshotted.

use serde_json::Value;
use weft_hub::RepoId;
use weft_hub::card::{self, CardInput, DatasetScan, ToolSummary};

fn scan() -> DatasetScan {
    DatasetScan {
        samples: 1234,
        tools: vec![
            ToolSummary { name: "read_file".into(), description: "Read a file from the workspace.".into() },
            ToolSummary { name: "write_file".into(), description: "Write a file |\nreplacing it.".into() },
        ],
        records: false,
    }
}

fn render(pretty_name: &str, formats: &[String], summary: &str) -> String {
    let repo = RepoId::parse("alice/weft-demo").unwrap();
    card::render(&CardInput {
        repo: &repo,
        pretty_name: pretty_name.into(),
        license: Some("apache-2.0".into()),
        language: vec!["en".into()],
        tags: vec!["agents".into(), "python".into()],
        config_summary: summary,
        figures: "| figure | value |\n|---|---|\n| samples | 1234 |\n",
        scan: &scan(),
        formats,
    })
    .unwrap()
}

/// The YAML between the first two `---` lines, parsed.
fn front_matter(card: &str) -> Value {
    let rest = card.strip_prefix("---\n").expect("the card starts with ---");
    let (yaml, _) = rest.split_once("\n---\n").expect("front matter ends with ---");
    serde_saphyr::from_str(yaml).expect("the front matter is YAML")
}

/// `^\w+(\.\w+)*$`, what `datasets` allows as a split name.
fn valid_split(name: &str) -> bool {
    name.split('.').all(|part| !part.is_empty() && part.chars().all(|c| c.is_alphanumeric() || c == '_'))
}

#[test]
fn the_front_matter_has_what_the_hub_and_datasets_read() {
    let formats = vec!["chatml".to_owned(), "trl".to_owned()];
    let yaml = front_matter(&render("Weft demo", &formats, "provider: openai"));
    assert_eq!(yaml["pretty_name"], "Weft demo");
    assert_eq!(yaml["license"], "apache-2.0");
    assert_eq!(yaml["language"], serde_json::json!(["en"]));
    assert_eq!(yaml["task_categories"], serde_json::json!(["text-generation"]));
    assert_eq!(yaml["size_categories"], serde_json::json!(["1K<n<10K"]));
    // weft's tags first, the caller's after, none twice.
    assert_eq!(yaml["tags"], serde_json::json!(["weft", "synthetic", "tool-calling", "agents", "python"]));

    let configs = yaml["configs"].as_array().expect("configs is a list");
    let names: Vec<&str> = configs.iter().map(|c| c["config_name"].as_str().unwrap()).collect();
    assert_eq!(names, ["default", "chatml", "trl"]);
    let paths: Vec<&str> = configs.iter().map(|c| c["data_files"][0]["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["data/train.jsonl", "data/train.chatml.jsonl", "data/train.trl.jsonl"]);
    for config in configs {
        for data_file in config["data_files"].as_array().unwrap() {
            let mut keys: Vec<&String> = data_file.as_object().unwrap().keys().collect();
            keys.sort();
            assert_eq!(keys, ["path", "split"], "exactly split and path");
            assert!(valid_split(data_file["split"].as_str().unwrap()), "{data_file}");
        }
    }
    // Exactly one default: the config named `default`, none marked otherwise.
    assert!(configs.iter().all(|c| c.get("default").is_none()));
}

#[test]
fn names_that_need_quoting_survive_the_yaml() {
    for name in ["Weft: the demo", "\"quoted\" and 'single'", "yes", "# not a comment", "a\\b"] {
        let yaml = front_matter(&render(name, &[], ""));
        assert_eq!(yaml["pretty_name"], name);
    }
}

#[test]
fn without_formats_there_is_one_config_and_no_format_line() {
    let card = render("Weft demo", &[], "");
    let yaml = front_matter(&card);
    assert_eq!(yaml["configs"].as_array().unwrap().len(), 1);
    assert!(!card.contains("data/train.trl.jsonl"));
    assert!(card.contains("## Generation\n\nNot recorded.\n"), "{card}");
}

#[test]
fn size_categories_follow_the_hubs_buckets() {
    let cases =
        [(0, "n<1K"), (999, "n<1K"), (1000, "1K<n<10K"), (250_000, "100K<n<1M"), (2_000_000_000_000, "n>1T")];
    for (n, bucket) in cases {
        assert_eq!(card::size_category(n), bucket, "{n}");
    }
}

#[test]
fn a_summary_holding_fences_stays_inside_its_own() {
    let card = render("Weft demo", &[], "a\n```\nnot the end\n```\nb");
    assert!(card.contains("````text\na\n```\nnot the end\n```\nb\n````\n"), "{card}");
}

#[test]
fn the_card_reads_as_intended() {
    let formats = vec!["trl".to_owned()];
    insta::assert_snapshot!(render("Weft demo", &formats, "seed: 7\nmodels:\n  generation openai / gpt-4o"));
}

#[test]
fn scanning_counts_samples_and_collects_tools_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.jsonl");
    let openai = r#"{"type": "function", "function": {"name": "read_file", "description": "Read."}}"#;
    let mcp = r#"{"name": "search", "description": "Search."}"#;
    std::fs::write(&path, format!("{{\"tools\": [{openai}]}}\n\n{{\"tools\": [{openai}, {mcp}]}}\n{{}}\n"))
        .unwrap();
    let scan = card::scan(&path).unwrap();
    assert_eq!(scan.samples, 3);
    let names: Vec<&str> = scan.tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["read_file", "search"]);

    std::fs::write(&path, "{}\nnot json\n").unwrap();
    let err = card::scan(&path).unwrap_err().to_string();
    assert!(err.starts_with(&format!("{}:2: not a JSON sample", path.display())), "{err}");
}

#[test]
fn scrubbing_drops_url_credentials_and_masks_secrets() {
    let summary = "base_url https://user:pw@api.example.com/v1\n\
                   mcp server gh: all tools from `npx server --token sk-live-123456`\n\
                   tools: tool service at http://127.0.0.1:3000 (x@y.z stays)";
    let scrubbed = card::scrub(summary, &["sk-live-123456".to_owned(), "abc".to_owned()]);
    assert_eq!(
        scrubbed,
        "base_url https://api.example.com/v1\n\
         mcp server gh: all tools from `npx server --token [REDACTED]`\n\
         tools: tool service at http://127.0.0.1:3000 (x@y.z stays)"
    );
}
