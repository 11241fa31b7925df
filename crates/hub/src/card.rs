//! The dataset card, `README.md`: YAML front matter the Hub and `datasets`
//! read (name, license, task, tags, size, and `configs:` — the canonical
//! file as the `default` config, each format file as its own), then what the
//! dataset is, its files, how it was generated, its tools and its figures.
//!
//! `configs` follows what `datasets` enforces: every entry has a
//! `config_name`; `data_files` is a list of `{split, path}`; split names
//! match `^\w+(\.\w+)*$`; exactly one default (the config named `default`).

use std::io::BufRead;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::layout::{SPLIT, canonical_path, format_path};
use crate::{HubError, RepoId};

/// Tags every weft dataset carries, before the caller's.
const WEFT_TAGS: [&str; 4] = ["weft", "synthetic", "tool-calling", "agents"];

/// What the card says.
#[derive(Debug, Clone)]
pub struct CardInput<'a> {
    /// The repo (for the loading examples).
    pub repo: &'a RepoId,
    /// The dataset's display name.
    pub pretty_name: String,
    /// A Hub license id (`apache-2.0`, `mit`, `cc-by-4.0`, `other`…), if known.
    pub license: Option<String>,
    /// Language codes (`en`), if known.
    pub language: Vec<String>,
    /// Tags beyond weft's own.
    pub tags: Vec<String>,
    /// How the dataset was generated (e.g. `weft validate`'s summary).
    pub config_summary: &'a str,
    /// Figures about the samples, as markdown (e.g. from `weft inspect`).
    pub figures: &'a str,
    /// What [`scan`] found.
    pub scan: &'a DatasetScan,
    /// The format files' names (`trl`, …), each a config.
    pub formats: &'a [String],
}

/// What the card needs from the samples themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DatasetScan {
    /// Lines with a sample.
    pub samples: u64,
    /// Every tool offered in any sample, first seen first.
    pub tools: Vec<ToolSummary>,
    /// Whether the lines are records of a custom schema (no `messages`):
    /// a run with `output.format: custom`.
    pub records: bool,
}

/// A tool as the card lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolSummary {
    /// Its name.
    pub name: String,
    /// Its description (first one seen).
    pub description: String,
}

/// Counts the samples of a JSONL dataset and collects the tools they were
/// offered (`tools`: OpenAI function entries, or `{name, description}`).
/// A line that is not JSON is an error naming `file:line`.
pub fn scan(path: &Path) -> Result<DatasetScan, HubError> {
    let file = std::fs::File::open(path).map_err(|err| HubError::io(path, err))?;
    let mut scan = DatasetScan::default();
    let mut seen = std::collections::HashSet::new();
    for (index, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|err| HubError::io(path, err))?;
        if line.trim().is_empty() {
            continue;
        }
        let sample: Value = serde_json::from_str(&line).map_err(|err| {
            HubError::Invalid(format!("{}:{}: not a JSON sample: {err}", path.display(), index + 1))
        })?;
        scan.samples += 1;
        if scan.samples == 1 {
            scan.records = sample.get("messages").is_none();
        }
        for tool in sample["tools"].as_array().into_iter().flatten() {
            let described = if tool["function"].is_object() { &tool["function"] } else { tool };
            let Some(name) = described["name"].as_str() else { continue };
            if seen.insert(name.to_owned()) {
                let description = described["description"].as_str().unwrap_or_default().to_owned();
                scan.tools.push(ToolSummary { name: name.to_owned(), description });
            }
        }
    }
    Ok(scan)
}

/// `text` made fit for a public card: credentials in URLs
/// (`https://user:secret@host`) dropped, and every one of `secrets` (at
/// least 4 characters) replaced by `[REDACTED]`. A config summary quotes
/// endpoints and MCP command lines, which may carry keys.
pub fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        let authority_end = after.find(|c: char| c == '/' || c.is_whitespace() || "\"'`<>()".contains(c));
        let authority = &after[..authority_end.unwrap_or(after.len())];
        let skip = authority.rfind('@').map_or(0, |at| at + 1);
        rest = &after[skip..];
    }
    out.push_str(rest);
    let mut secrets: Vec<&String> = secrets.iter().filter(|s| s.len() >= 4).collect();
    // Longest first, so a secret that holds another is masked whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for secret in secrets {
        out = out.replace(secret.as_str(), "[REDACTED]");
    }
    out
}

#[derive(Serialize)]
struct FrontMatter<'a> {
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    language: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    license: Option<&'a str>,
    pretty_name: &'a str,
    size_categories: [&'static str; 1],
    task_categories: [&'static str; 1],
    tags: Vec<&'a str>,
    configs: Vec<Config>,
}

#[derive(Serialize)]
struct Config {
    config_name: String,
    data_files: Vec<DataFile>,
}

#[derive(Serialize)]
struct DataFile {
    split: &'static str,
    path: String,
}

/// The Hub's size bucket for `n` samples.
pub fn size_category(n: u64) -> &'static str {
    const BUCKETS: [(u64, &str); 10] = [
        (1_000, "n<1K"),
        (10_000, "1K<n<10K"),
        (100_000, "10K<n<100K"),
        (1_000_000, "100K<n<1M"),
        (10_000_000, "1M<n<10M"),
        (100_000_000, "10M<n<100M"),
        (1_000_000_000, "100M<n<1B"),
        (10_000_000_000, "1B<n<10B"),
        (100_000_000_000, "10B<n<100B"),
        (1_000_000_000_000, "100B<n<1T"),
    ];
    BUCKETS.iter().find(|(limit, _)| n < *limit).map_or("n>1T", |(_, name)| name)
}

/// The YAML between the `---` lines.
pub fn front_matter(input: &CardInput<'_>) -> Result<String, HubError> {
    let mut tags: Vec<&str> = WEFT_TAGS.to_vec();
    for tag in &input.tags {
        if !tags.contains(&tag.as_str()) {
            tags.push(tag);
        }
    }
    let config = |name: &str, path: String| Config {
        config_name: name.to_owned(),
        data_files: vec![DataFile { split: SPLIT, path }],
    };
    let mut configs = vec![config("default", canonical_path())];
    configs.extend(input.formats.iter().map(|format| config(format, format_path(format))));
    let yaml = FrontMatter {
        language: &input.language,
        license: input.license.as_deref(),
        pretty_name: &input.pretty_name,
        size_categories: [size_category(input.scan.samples)],
        task_categories: ["text-generation"],
        tags,
        configs,
    };
    serde_saphyr::to_string(&yaml)
        .map_err(|err| HubError::Invalid(format!("cannot write the card's YAML: {err}")))
}

/// The whole card.
pub fn render(input: &CardInput<'_>) -> Result<String, HubError> {
    let mut card = format!("---\n{}---\n\n", ensure_newline(front_matter(input)?));
    card.push_str(&format!("# {}\n\n", one_line(&input.pretty_name)));
    card.push_str(&format!(
        "Tool-calling conversations generated with weft, {} sample{}. Every tool result in a \
         conversation is what the tool returned when the call was really executed (in a \
         WebAssembly sandbox, or against the tool's service), not text a model imagined: the \
         calls, their arguments and their results are recorded as they happened.\n\n",
        input.scan.samples,
        if input.scan.samples == 1 { "" } else { "s" }
    ));
    card.push_str(&files_section(input));
    card.push_str("## Generation\n\n");
    card.push_str(&fenced(input.config_summary, "Not recorded."));
    card.push_str(&tools_section(&input.scan.tools));
    card.push_str("## Figures\n\n");
    card.push_str(&ensure_newline(if input.figures.trim().is_empty() {
        "Not recorded.".into()
    } else {
        input.figures.trim().to_owned()
    }));
    Ok(card)
}

fn files_section(input: &CardInput<'_>) -> String {
    let mut out =
        String::from("## Files\n\n| file | config | what |\n|---|---|---|\n| `README.md` | | this card |\n");
    if input.scan.records {
        out.push_str(&format!(
            "| `{}` | `default` | the samples: records that follow the generation's `output_schema` |\n",
            canonical_path()
        ));
    } else {
        out.push_str(&format!(
            "| `{}` | `default` | the samples: DeepFabric's conversation shape (`messages`, `tools`, \
             `tool_context`, `reasoning`, `question`, `final_answer`) with weft's `metadata` |\n",
            canonical_path()
        ));
    }
    for format in input.formats {
        out.push_str(&format!(
            "| `{}` | `{format}` | the same samples in the `{format}` format |\n",
            format_path(format)
        ));
    }
    out.push_str(&format!("\n```python\nfrom datasets import load_dataset\n\nsamples = load_dataset(\"{}\", split=\"{SPLIT}\")\n", input.repo));
    if let Some(format) = input.formats.first() {
        out.push_str(&format!(
            "formatted = load_dataset(\"{}\", \"{format}\", split=\"{SPLIT}\")\n",
            input.repo
        ));
    }
    out.push_str("```\n\n");
    out
}

fn tools_section(tools: &[ToolSummary]) -> String {
    let mut out = String::from("## Tools\n\n");
    if tools.is_empty() {
        out.push_str("The samples offer no tools.\n\n");
        return out;
    }
    out.push_str("| tool | description |\n|---|---|\n");
    for tool in tools {
        out.push_str(&format!("| `{}` | {} |\n", tool.name.replace('`', "'"), table_cell(&tool.description)));
    }
    out.push('\n');
    out
}

/// Text in a fence longer than any run of backticks inside it.
fn fenced(text: &str, empty: &str) -> String {
    let text = text.trim_end();
    if text.trim().is_empty() {
        return format!("{empty}\n\n");
    }
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}text\n{text}\n{fence}\n\n")
}

fn table_cell(text: &str) -> String {
    one_line(text).replace('|', "\\|")
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn ensure_newline(mut text: String) -> String {
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}
