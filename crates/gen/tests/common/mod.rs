//! Helpers shared by the generation tests.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use tokio::sync::watch;
use weft_gen::config::{Config, Overrides};
use weft_gen::generate::{GenerateOptions, GenerateSummary, generate};
use weft_gen::sample::Sample;
use weft_gen::topics::{TopicPath, TopicSettings, build_topics};
use weft_llm::{ChatModel, ProviderSpec, build_model};
use weft_protocol::ToolBackend;

/// The quickstart config with `extra` YAML lines appended to `output` and a seed.
pub fn config(num_samples: u64, batch_size: u32) -> Config {
    config_with(num_samples, batch_size, |text| text)
}

/// [`config`] with the quickstart's text changed by `edit` first.
pub fn config_with(num_samples: u64, batch_size: u32, edit: impl FnOnce(String) -> String) -> Config {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/quickstart.yaml"))
            .expect("the quickstart exists");
    let text = edit(text);
    let overrides = Overrides {
        num_samples: Some(weft_gen::config::NumSamples::Count(num_samples)),
        batch_size: Some(batch_size),
        ..Overrides::default()
    };
    weft_gen::config::parse(&text, "quickstart.yaml", &overrides).expect("the quickstart is valid")
}

pub fn scripted(seed: u64) -> Arc<dyn ChatModel> {
    let mut spec = ProviderSpec::new("scripted", "scripted");
    spec.seed = seed;
    build_model(&spec).expect("scripted builds")
}

pub async fn paths(config: &Config) -> Vec<TopicPath> {
    let model = scripted(config.seed);
    build_topics(model.as_ref(), &TopicSettings::from_config(config)).await.expect("topics").paths()
}

pub async fn sandbox() -> Arc<dyn ToolBackend> {
    Arc::new(weft_tools::InProcess::new(weft_sandbox::Manifest::builtin()).await.expect("sandbox starts"))
}

pub async fn run(
    config: &Config,
    model: Arc<dyn ChatModel>,
    backend: Arc<dyn ToolBackend>,
    out: &Path,
    deterministic: bool,
) -> GenerateSummary {
    let paths = paths(config).await;
    let options = GenerateOptions {
        record_latency: !deterministic,
        output: Some(out.to_owned()),
        ..GenerateOptions::default()
    };
    let (_stop, stop_rx) = watch::channel(false);
    generate(config, model, backend, &paths, options, stop_rx).await.expect("generation runs")
}

pub fn samples(path: &Path) -> Vec<Sample> {
    std::fs::read_to_string(path)
        .expect("dataset exists")
        .lines()
        .map(|line| serde_json::from_str(line).expect("every line is a sample"))
        .collect()
}
