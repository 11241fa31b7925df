//! `weft upload hf DATASET --repo user/name [--private] [--tag T]...`:
//! publish a dataset to the Hugging Face Hub (token from `HF_TOKEN`, Hub
//! from `--endpoint` or `HF_ENDPOINT`).
//!
//! One commit holds the dataset card (`README.md`), DATASET as
//! `data/train.jsonl` (the `default` config) and every format file beside
//! it (`<stem>.<format>.jsonl`) as `data/train.<format>.jsonl` (config
//! `<format>`); the tags go on that commit. The failures file, checkpoints
//! and shards are not uploaded (see `weft_hub::layout`).
//!
//! Exit 0 when the repo holds the dataset (uploaded now, or already), 1 when
//! the Hub or the network failed, or a `--tag` exists on another commit and
//! was left there, 2 when the arguments, the token or the files are wrong.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use weft_hub::{DatasetFiles, FileState, HfToken, HubError, RepoId, TagState, Upload, UploadReport, card};

use crate::cmd::validate::{OverrideArgs, load_config};

/// `weft upload TARGET`.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Publish a dataset to the Hugging Face Hub (token from HF_TOKEN).
    Hf(HfArgs),
}

/// Arguments of `weft upload hf`.
#[derive(clap::Args)]
pub struct HfArgs {
    /// The dataset file (`weft generate`'s output); format files beside it go too.
    pub dataset: PathBuf,
    /// The dataset repo, `user/name` or `org/name` (default: the config's
    /// `huggingface.repository`).
    #[arg(long, value_name = "USER/NAME")]
    pub repo: Option<String>,
    /// Make a new repo private (an existing public repo is refused).
    #[arg(long)]
    pub private: bool,
    /// A git tag to put on the commit (repeatable); an existing tag is not moved.
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// The Hub (default: HF_ENDPOINT, else https://huggingface.co).
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// The config the dataset was generated with: its summary goes in the
    /// card (credentials removed), its `huggingface` section gives the repo
    /// and card tags.
    #[arg(long, value_name = "CONFIG")]
    pub config: Option<PathBuf>,
    /// The card's title (default: the repo's name).
    #[arg(long, value_name = "TEXT")]
    pub name: Option<String>,
    /// The card's license, a Hub id (apache-2.0, mit, cc-by-4.0, other, ...).
    #[arg(long, value_name = "ID")]
    pub license: Option<String>,
    /// A language of the samples (repeatable), e.g. en.
    #[arg(long = "language", value_name = "CODE")]
    pub languages: Vec<String>,
    /// A tag for the card (repeatable), after weft's own.
    #[arg(long = "card-tag", value_name = "TAG")]
    pub card_tags: Vec<String>,
    /// Markdown for the card's figures section (e.g. what `weft inspect` prints).
    #[arg(long, value_name = "FILE")]
    pub figures: Option<PathBuf>,
    /// The commit's title.
    #[arg(long, value_name = "TEXT", default_value = "Upload dataset with weft")]
    pub message: String,
}

/// Everything one upload to the Hub needs, filled by `weft upload hf` or,
/// after a run, from the config's `huggingface` section.
#[derive(Debug, Clone)]
pub struct HfPublish {
    pub dataset: PathBuf,
    pub repo: RepoId,
    pub private: bool,
    pub tags: Vec<String>,
    pub endpoint: String,
    pub pretty_name: String,
    pub license: Option<String>,
    pub languages: Vec<String>,
    pub card_tags: Vec<String>,
    /// How the dataset was made (scrubbed before it goes in the card).
    pub config_summary: String,
    pub figures: String,
    pub message: String,
}

impl HfPublish {
    /// What a run's config asks for: its `huggingface` section's repo and
    /// tags, its summary in the card.
    pub fn from_config(dataset: &Path, config: &weft_gen::config::Config) -> Result<Option<Self>, HubError> {
        let Some(section) = &config.huggingface else { return Ok(None) };
        let repo = RepoId::parse(&section.repository)?;
        Ok(Some(Self {
            dataset: dataset.to_path_buf(),
            pretty_name: repo.name().to_owned(),
            repo,
            private: section.private,
            tags: Vec::new(),
            endpoint: weft_hub::endpoint_from_env(),
            license: None,
            languages: Vec::new(),
            card_tags: section.tags.clone(),
            config_summary: config_summary(config),
            figures: String::new(),
            message: "Upload dataset with weft".to_owned(),
        }))
    }
}

pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Hf(args) => hf(args).await,
    }
}

async fn hf(args: HfArgs) -> anyhow::Result<ExitCode> {
    let config = match &args.config {
        Some(path) => match load_config(path, &OverrideArgs::default())? {
            Some(config) => Some(config),
            None => return Ok(ExitCode::from(2)),
        },
        None => None,
    };
    let section = config.as_ref().and_then(|c| c.huggingface.as_ref());
    let Some(repo) = args.repo.clone().or_else(|| section.map(|s| s.repository.clone())) else {
        eprintln!("error: say where to upload: --repo user/name (or a --config with huggingface.repository)");
        return Ok(ExitCode::from(2));
    };
    let repo = match RepoId::parse(&repo) {
        Ok(repo) => repo,
        Err(err) => return Ok(failed(&err)),
    };
    let figures = match &args.figures {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) => {
                eprintln!("error: {}: {err}", path.display());
                return Ok(ExitCode::from(2));
            }
        },
        None => String::new(),
    };
    let mut card_tags: Vec<String> = section.map(|s| s.tags.clone()).unwrap_or_default();
    card_tags.extend(args.card_tags);
    let publish = HfPublish {
        dataset: args.dataset,
        pretty_name: args.name.unwrap_or_else(|| repo.name().to_owned()),
        repo,
        private: args.private,
        tags: args.tags,
        endpoint: args.endpoint.unwrap_or_else(weft_hub::endpoint_from_env),
        license: args.license,
        languages: args.languages,
        card_tags,
        config_summary: config.as_ref().map(config_summary).unwrap_or_default(),
        figures,
        message: args.message,
    };
    match publish_to_hub(&publish).await {
        Ok(report) => Ok(print_report(&report)),
        Err(err) => Ok(failed(&err)),
    }
}

/// Uploads `publish.dataset` with its format files and a card.
pub async fn publish_to_hub(publish: &HfPublish) -> Result<UploadReport, HubError> {
    let token = HfToken::from_env()?;
    let files = DatasetFiles::discover(&publish.dataset)?;
    let scan = card::scan(&files.canonical)?;
    let formats = files.format_names();
    let summary = card::scrub(&publish.config_summary, &secret_values());
    let readme = card::render(&card::CardInput {
        repo: &publish.repo,
        pretty_name: publish.pretty_name.clone(),
        license: publish.license.clone(),
        language: publish.languages.clone(),
        tags: publish.card_tags.clone(),
        config_summary: &summary,
        figures: &publish.figures,
        scan: &scan,
        formats: &formats,
    })?;
    for (format, path) in &files.formats {
        eprintln!("format {format}: {}", path.display());
    }
    let mut upload = Upload::new(publish.repo.clone(), token, files.repo_files(readme));
    upload.endpoint = publish.endpoint.clone();
    upload.private = publish.private;
    upload.tags = publish.tags.clone();
    upload.message = publish.message.clone();
    weft_hub::upload(&upload).await
}

/// The summary `weft validate` prints, without its first line (the local
/// path of the config) and the lines about publishing (`huggingface:`,
/// `kaggle:`), which say nothing of how the samples were made.
fn config_summary(config: &weft_gen::config::Config) -> String {
    let summary = weft_gen::config::summary(config);
    let mut lines = summary.lines().peekable();
    if lines.peek().is_some_and(|first| first.ends_with(": ok")) {
        lines.next();
    }
    let kept: Vec<&str> =
        lines.filter(|line| !line.starts_with("huggingface:") && !line.starts_with("kaggle:")).collect();
    kept.join("\n")
}

/// Values of environment variables named like secrets (`*KEY*`, `*TOKEN*`,
/// `*SECRET*`, `*PASSWORD*`, `*CREDENTIAL*`, `*AUTH*`): a config may have
/// expanded them into a URL or an MCP command line the summary quotes.
fn secret_values() -> Vec<String> {
    const MARKERS: [&str; 6] = ["KEY", "TOKEN", "SECRET", "PASSWORD", "CREDENTIAL", "AUTH"];
    std::env::vars()
        .filter(|(name, value)| {
            let name = name.to_ascii_uppercase();
            value.len() >= 8 && MARKERS.iter().any(|marker| name.contains(marker))
        })
        .map(|(_, value)| value)
        .collect()
}

fn print_report(report: &UploadReport) -> ExitCode {
    match &report.commit {
        Some(commit) => {
            let committed = report.files.iter().filter(|f| f.state == FileState::Committed).count();
            eprintln!("committed {committed} of {} files: {}", report.files.len(), commit.url);
        }
        None => eprintln!(
            "the repo holds these files already (at {}): nothing committed",
            short(&report.revision)
        ),
    }
    for file in &report.files {
        let how = if file.lfs { "LFS" } else { "inline" };
        let state = match file.state {
            FileState::Committed => "committed",
            FileState::Unchanged => "unchanged",
            FileState::Ignored => "ignored by the repo's .gitignore",
            _ => "?",
        };
        eprintln!("  {} ({}, {how}): {state}", file.path, human_bytes(file.size));
    }
    let mut moved_elsewhere = false;
    for tag in &report.tags {
        match &tag.state {
            TagState::Created => eprintln!("tag {}: created", tag.name),
            TagState::Unchanged => eprintln!("tag {}: already on this commit", tag.name),
            TagState::Elsewhere { commit } => {
                moved_elsewhere = true;
                eprintln!(
                    "warning: tag {} already exists on commit {} and was left there; pick a new tag",
                    tag.name,
                    short(commit)
                );
            }
            _ => {}
        }
    }
    // The repo's address on stdout, for scripts.
    println!("{}", report.repo_url);
    if moved_elsewhere { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

/// 1 when the Hub or the network failed (worth trying again), 2 when what
/// was asked cannot work as it is.
fn failed(err: &HubError) -> ExitCode {
    eprintln!("error: {err}");
    match err {
        HubError::Network { .. }
        | HubError::Status { .. }
        | HubError::Protocol { .. }
        | HubError::LfsObject { .. } => ExitCode::from(1),
        _ => ExitCode::from(2),
    }
}

fn short(oid: &str) -> &str {
    &oid[..oid.len().min(7)]
}

fn human_bytes(bytes: u64) -> String {
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{:.1} kB", bytes as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", bytes as f64 / 1e6),
        _ => format!("{:.2} GB", bytes as f64 / 1e9),
    }
}
