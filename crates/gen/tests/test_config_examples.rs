//! Every config under examples/ loads, and resolves to what it says.

use std::path::{Path, PathBuf};

use weft_gen::config::{
    self, AgentMode, Config, ConversationType, NumSamples, Overrides, ReasoningStyle, TopicMode,
};

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// Loads an example with an empty environment, so `${VAR:-default}` takes
/// its default whatever the machine running the tests has set.
fn load(name: &str) -> Config {
    load_with(name, &Overrides::default())
}

fn load_with(name: &str, overrides: &Overrides) -> Config {
    let path = examples_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let source = format!("examples/{name}");
    let base = examples_dir();
    config::parse_in(&text, &source, overrides, &|_| None, Some(&base)).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_example_loads() {
    let mut names: Vec<String> = std::fs::read_dir(examples_dir())
        .expect("examples/ exists")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    names.sort();
    assert!(names.len() >= 10, "expected about ten examples, found {names:?}");
    for name in names {
        load(&name);
    }
}

#[test]
fn quickstart_is_offline_and_in_process() {
    let c = load("quickstart.yaml");
    assert_eq!(c.topics.llm.provider, "scripted");
    assert_eq!(c.generation.llm.provider, "scripted");
    let tools = c.generation.tools.as_ref().expect("tools");
    assert_eq!(tools.spin_endpoint, None);
    assert_eq!(tools.execute_url("vfs"), None);
    let routed: Vec<(String, String)> = tools.routes().into_iter().map(|r| (r.tool, r.component)).collect();
    assert_eq!(
        routed,
        ["read_file", "write_file", "list_files", "delete_file"].map(|t| (t.to_owned(), "vfs".to_owned()))
    );
    assert_eq!(tools.scenario_seed.files.len(), 3);
    assert_eq!((c.topics.depth, c.topics.degree, c.topics.expected_paths()), (2, 2, 4));
    assert_eq!(c.output.num_samples, NumSamples::Count(4));
    assert_eq!(c.output.save_as, "quickstart-dataset.jsonl");
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    insta::assert_snapshot!("quickstart_summary", config::summary(&c));
}

#[test]
fn deepfabric_seed_loads_as_written_with_deprecation_notes() {
    let c = load("deepfabric-seed.yaml");
    assert_eq!(c.generation.conversation.kind, ConversationType::Cot);
    assert_eq!(c.generation.conversation.reasoning_style, Some(ReasoningStyle::Agent));
    assert_eq!(c.generation.conversation.agent_mode, AgentMode::MultiTurn);
    assert_eq!(c.topics.mode, TopicMode::Graph);
    let tools = c.generation.tools.as_ref().expect("tools");
    assert_eq!(tools.components.len(), 1);
    assert_eq!(tools.components[0].component, "builtin");
    assert_eq!(tools.components[0].tools, ["read_file", "write_file", "list_files"]);
    assert_eq!(tools.execute_url("vfs").as_deref(), Some("http://localhost:3000/vfs/execute"));
    assert!(tools.scenario_seed.files["main.py"].contains("def greet(name):"));
    let notes: Vec<String> = c.warnings.iter().map(|w| w.display_in(&c.source).to_string()).collect();
    assert_eq!(
        notes,
        [
            "`conversation.type: chain_of_thought` is deprecated; read as `cot` (examples/deepfabric-seed.yaml:12:11)",
            "`tools.available` is deprecated; read as `tools.components.builtin` (examples/deepfabric-seed.yaml:18:7)",
        ]
    );
    insta::assert_snapshot!("deepfabric_seed_summary", config::summary(&c));
}

#[test]
fn pyyaml_booleans_and_merge_keys() {
    let c = load("pyyaml-anchors.yaml");
    // `<<: *model` brings provider and model; the section's own key wins.
    assert_eq!(c.topics.llm.provider, "scripted");
    assert_eq!(c.topics.llm.temperature, 1.0);
    assert_eq!(c.generation.llm.temperature, 0.3);
    // `yes` / `no`.
    assert!(c.output.include_system_message);
    assert!(!c.generation.tools.as_ref().expect("tools").strict);
    // `structured` is read as `agent`, with a note.
    assert_eq!(c.generation.conversation.reasoning_style, Some(ReasoningStyle::Agent));
    assert!(c.warnings.iter().any(|w| { w.message.contains("`reasoning_style: structured` is deprecated") }));
    // Top-level checkpoint (newer DeepFabric) lands in output.
    assert_eq!(c.output.checkpoint.as_ref().map(|cp| cp.interval), Some(4));
}

#[test]
fn llm_sections_inherit_from_the_top_level() {
    let c = load("openrouter-mixed-models.yaml");
    assert_eq!(c.topics.llm.provider, "openrouter");
    assert_eq!(c.topics.llm.model, "meta-llama/llama-3.1-8b-instruct");
    assert_eq!(c.topics.llm.temperature, 0.9);
    assert_eq!(c.topics.llm.max_tokens, 800);
    assert_eq!(c.generation.llm.provider, "openrouter");
    assert_eq!(c.generation.llm.temperature, 0.4);
    assert_eq!(c.generation.llm.max_tokens, 2500);
    assert_eq!(c.generation.llm.base_url.as_deref(), Some("https://openrouter.ai/api/v1"));
    assert_eq!(c.output.num_samples, NumSamples::Percent(50.0));
    assert_eq!(c.output.num_samples.resolve(36), 18);
    let spec = c.generation_model();
    assert_eq!((spec.provider.as_str(), spec.model.as_str()), ("openrouter", "anthropic/claude-sonnet-4.5"));
    // Each section's own `http` wins over the top level's `auto`.
    assert_eq!(
        (c.topics_model().http, spec.http),
        (weft_llm::HttpVersion::Http1, weft_llm::HttpVersion::Http2)
    );
}

#[test]
fn env_defaults_apply_when_unset() {
    let c = load("ollama-local.yaml");
    assert_eq!(c.generation.llm.model, "llama3.1");
    assert_eq!(c.generation.llm.base_url.as_deref(), Some("http://localhost:11434"));
    assert_eq!(c.output.num_samples, NumSamples::Auto);
    assert_eq!(c.output.num_samples.resolve(25), 25);
}

#[test]
fn env_values_are_read_when_set() {
    let text = std::fs::read_to_string(examples_dir().join("ollama-local.yaml")).expect("example");
    let env = |name: &str| (name == "OLLAMA_HOST").then(|| "http://gpu-box:11434".to_owned());
    let c = config::parse_with_env(&text, "x.yaml", &Overrides::default(), &env).expect("loads");
    assert_eq!(c.generation.llm.base_url.as_deref(), Some("http://gpu-box:11434"));
}

#[test]
fn overrides_win_over_the_file() {
    let overrides = Overrides {
        provider: Some("scripted".into()),
        model: Some("tiny".into()),
        base_url: Some("http://127.0.0.1:9".into()),
        num_samples: Some("auto".parse().expect("auto")),
        batch_size: Some(1),
        depth: Some(1),
        degree: Some(7),
    };
    let c = load_with("openai-graph-agent.yaml", &overrides);
    for llm in [&c.topics.llm, &c.generation.llm] {
        assert_eq!((llm.provider.as_str(), llm.model.as_str()), ("scripted", "tiny"));
        assert_eq!(llm.base_url.as_deref(), Some("http://127.0.0.1:9"));
    }
    assert_eq!((c.topics.depth, c.topics.degree), (1, 7));
    assert_eq!((c.output.num_samples, c.output.batch_size), (NumSamples::Auto, 1));
}

#[test]
fn out_of_range_override_is_an_error() {
    let text = std::fs::read_to_string(examples_dir().join("quickstart.yaml")).expect("example");
    let overrides = Overrides { depth: Some(0), ..Overrides::default() };
    let err = config::parse_with_env(&text, "q.yaml", &overrides, &|_| None).expect_err("depth 0");
    assert_eq!(err.to_string(), "q.yaml has 1 error:\n  `--depth 0` is out of range 1..=10 in q.yaml");
}

#[test]
fn mcp_and_custom_tools_resolve() {
    let c = load("mcp-import.yaml");
    let tools = c.generation.tools.as_ref().expect("tools");
    assert_eq!(tools.mcp_servers.len(), 2);
    assert_eq!(
        tools.mcp_servers[0].transport,
        config::McpTransport::Http { url: "http://localhost:8931/mcp".into() }
    );
    match &tools.mcp_servers[1].transport {
        config::McpTransport::Stdio { command, args, env } => {
            assert_eq!(command, "uvx");
            assert_eq!(args, &["mcp-server-time", "--local-timezone=UTC"]);
            assert_eq!(env, &[("LOG_LEVEL".to_owned(), "warn".to_owned())]);
        }
        other => panic!("expected stdio, got {other:?}"),
    }
    let c = load("mock-tools.yaml");
    let tools = c.generation.tools.as_ref().expect("tools");
    assert_eq!(tools.execute_url("mock").as_deref(), Some("http://localhost:3000/mock/execute"));
    assert_eq!(tools.custom.len(), 1);
    insta::assert_snapshot!("mock_tools_summary", config::summary(&c));
}

#[test]
fn json_steps_example_selects_the_fallback() {
    let c = load("json-steps-local-model.yaml");
    let tools = c.generation.tools.as_ref().expect("tools");
    assert_eq!(tools.tool_calling, config::ToolCalling::Json);
    assert!(config::summary(&c).contains("tool calling: JSON steps"));
}
