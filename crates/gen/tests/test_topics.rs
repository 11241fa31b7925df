//! Topic trees and graphs: concurrency, ordering, retries, dedupe and
//! DeepFabric's file formats.

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use weft_gen::config::{PromptStyle, TopicMode};
use weft_gen::topics::{self, TopicError, TopicSettings, build_topics};
use weft_llm::{ChatModel, ChatRequest, ChatResponse, FinishReason, LlmError, Purpose, Role, Usage};

/// `script(leaf, attempt)`: a reply to use instead of the default one.
type Script = dyn Fn(&str, usize) -> Option<String> + Send + Sync;

/// A model that names children after their parent (`B.1`, `B.2`, ...), takes
/// longer for earlier siblings (so replies finish out of order), and can be
/// told to misbehave for some topics.
struct FakeModel {
    latency: Duration,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    calls: AtomicUsize,
    script: Box<Script>,
    seen: Mutex<Vec<ChatRequest>>,
}

impl FakeModel {
    fn new(latency_ms: u64) -> Self {
        Self::scripted(latency_ms, |_, _| None)
    }

    /// `script(leaf, attempt)` may return a reply to use instead of the default.
    fn scripted(
        latency_ms: u64,
        script: impl Fn(&str, usize) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        Self {
            latency: Duration::from_millis(latency_ms),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            calls: AtomicUsize::new(0),
            script: Box::new(script),
            seen: Mutex::new(Vec::new()),
        }
    }
}

fn leaf_of(request: &ChatRequest) -> (String, usize) {
    let first_user =
        request.messages.iter().find(|m| m.role == Role::User).map_or("", |m| m.content.as_str());
    let line = first_user.lines().next().unwrap_or_default();
    let path = line.trim_start_matches("Topic path: ");
    let leaf = path.rsplit(" -> ").next().unwrap_or_default().to_owned();
    let attempt = request.messages.iter().filter(|m| m.role == Role::User).count();
    (leaf, attempt)
}

fn requested(request: &ChatRequest) -> usize {
    let text = &request.messages.iter().find(|m| m.role == Role::User).expect("user").content;
    let at = text.find("Generate ").expect("count") + "Generate ".len();
    text[at..].split(' ').next().and_then(|n| n.parse().ok()).expect("number")
}

#[async_trait]
impl ChatModel for FakeModel {
    fn provider(&self) -> &str {
        "fake"
    }
    fn model(&self) -> &str {
        "fake-1"
    }
    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        assert_eq!(request.purpose, Purpose::Subtopics);
        self.seen.lock().expect("lock").push(request.clone());
        self.calls.fetch_add(1, Ordering::SeqCst);
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let (leaf, attempt) = leaf_of(request);
        // Later siblings answer sooner: completion order is not tree order.
        let rank = leaf.rsplit('.').next().and_then(|n| n.parse::<u32>().ok()).unwrap_or(1);
        tokio::time::sleep(self.latency * (5 - rank.min(4)) / 4).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        let content = match (self.script)(&leaf, attempt) {
            Some(reply) => reply,
            None => {
                let short = if leaf.contains('.') || leaf.len() <= 2 { leaf.clone() } else { "T".to_owned() };
                let children: Vec<String> =
                    (1..=requested(request)).map(|i| format!("{short}.{i}")).collect();
                serde_json::to_string(&children).expect("json")
            }
        };
        if content == "ERROR" {
            return Err(LlmError::Transport { provider: "fake".into(), message: "connection reset".into() });
        }
        Ok(ChatResponse {
            content,
            tool_calls: Vec::new(),
            reasoning: None,
            usage: Usage::default(),
            finish_reason: FinishReason::Stop,
        })
    }
}

fn settings(mode: TopicMode, depth: u32, degree: u32, max_concurrent: usize) -> TopicSettings {
    TopicSettings {
        prompt: "Topics".into(),
        mode,
        depth,
        degree,
        system_prompt: "You list subtopics.".into(),
        prompt_style: PromptStyle::Default,
        max_concurrent,
        temperature: 0.2,
        max_tokens: 500,
        seed: 1,
        attempts: 3,
        max_link_candidates: 24,
    }
}

fn path_strings(graph: &topics::TopicGraph) -> Vec<String> {
    graph.paths().iter().map(|p| p.topics.join(" / ")).collect()
}

#[tokio::test(start_paused = true)]
async fn a_tree_takes_depth_rounds_and_keeps_tree_order() {
    let model = FakeModel::new(100);
    let started = tokio::time::Instant::now();
    let tree = build_topics(&model, &settings(TopicMode::Tree, 3, 3, 64)).await.expect("tree");
    let elapsed = started.elapsed();
    assert_eq!(model.calls.load(Ordering::SeqCst), 1 + 3 + 9);
    // Three levels of at most 100 ms each, not 13 sequential calls.
    assert!(elapsed <= Duration::from_millis(300), "{elapsed:?}");
    let paths = path_strings(&tree);
    assert_eq!(paths.len(), 27);
    assert_eq!(paths[0], "Topics / T.1 / T.1.1 / T.1.1.1");
    assert_eq!(paths[1], "Topics / T.1 / T.1.1 / T.1.1.2");
    assert_eq!(paths[26], "Topics / T.3 / T.3.3 / T.3.3.3");
    assert!(tree.failures.is_empty());
}

#[tokio::test(start_paused = true)]
async fn max_concurrent_bounds_requests_in_flight() {
    let model = FakeModel::new(100);
    let tree = build_topics(&model, &settings(TopicMode::Tree, 2, 5, 2)).await.expect("tree");
    assert_eq!(tree.paths().len(), 25);
    assert_eq!(model.max_in_flight.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn malformed_replies_are_retried_with_feedback() {
    let model = FakeModel::scripted(1, |leaf, attempt| match (leaf, attempt) {
        ("T.2", 1) => Some("Sure! Here are some ideas: reading, writing".into()),
        ("T.3", _) => Some("ERROR".into()),
        _ => None,
    });
    let tree = build_topics(&model, &settings(TopicMode::Tree, 2, 3, 4)).await.expect("tree");
    let paths = path_strings(&tree);
    assert!(paths.contains(&"Topics / T.2 / T.2.1".to_owned()), "{paths:?}");
    // T.3 failed three times: it stays a leaf and is recorded.
    assert!(paths.contains(&"Topics / T.3".to_owned()), "{paths:?}");
    assert_eq!(tree.failures.len(), 1);
    assert_eq!(tree.failures[0].node_path, ["Topics", "T.3"]);
    assert!(tree.failures[0].error.contains("connection reset"));
    let seen = model.seen.lock().expect("lock");
    let retry = seen.iter().find(|r| leaf_of(r) == ("T.2".to_owned(), 2)).expect("a retry of T.2");
    assert!(
        retry
            .messages
            .last()
            .expect("feedback")
            .content
            .contains("could not be used (the reply is not JSON)")
    );
}

#[tokio::test(start_paused = true)]
async fn near_duplicate_siblings_are_dropped() {
    let model = FakeModel::scripted(1, |leaf, _| {
        (leaf == "Topics").then(|| r#"["Backups", "backups.", "Restores", "BACKUPS!", "Topics"]"#.into())
    });
    let tree = build_topics(&model, &settings(TopicMode::Tree, 1, 5, 4)).await.expect("tree");
    assert_eq!(path_strings(&tree), ["Topics / Backups", "Topics / Restores"]);
}

#[tokio::test(start_paused = true)]
async fn a_root_that_cannot_be_expanded_is_an_error() {
    let model = FakeModel::scripted(1, |_, _| Some("ERROR".into()));
    let err = build_topics(&model, &settings(TopicMode::Graph, 2, 2, 4)).await.expect_err("root fails");
    assert!(matches!(err, TopicError::RootFailed(ref m) if m.contains("connection reset")), "{err}");
}

#[tokio::test(start_paused = true)]
async fn graphs_cross_link_only_to_earlier_nodes() {
    // The second level links each `T.2.x` to node 1 (`T.1`) and, bogusly,
    // to itself-to-be and to an id that does not exist yet.
    let model = FakeModel::scripted(1, |leaf, _| {
        (leaf == "T.2").then(|| r#"[{"topic": "T.2.1", "connections": [1, 99]}, "T.2.2"]"#.into())
    });
    let graph = build_topics(&model, &settings(TopicMode::Graph, 2, 2, 4)).await.expect("graph");
    let paths = path_strings(&graph);
    assert_eq!(
        paths,
        [
            "Topics / T.1 / T.1.1",
            "Topics / T.1 / T.1.2",
            "Topics / T.1 / T.2.1",
            "Topics / T.2 / T.2.1",
            "Topics / T.2 / T.2.2",
        ]
    );
    // The linking request offered other branches' nodes, never its own line.
    let seen = model.seen.lock().expect("lock");
    let t2 = seen.iter().find(|r| leaf_of(r).0 == "T.2").expect("T.2 request");
    let prompt = &t2.messages[1].content;
    assert!(prompt.contains("  1 = T.1\n") && !prompt.contains("  2 = T.2\n"), "{prompt}");

    // Saved and loaded again, the graph has the same paths and ids.
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("nested/graph.json");
    topics::save(&graph, &file).expect("save");
    let loaded = topics::load(&file).expect("load");
    assert_eq!(loaded.paths(), graph.paths());
    let text = std::fs::read_to_string(&file).expect("read");
    let created = graph.metadata.as_ref().expect("metadata").created_at.clone();
    insta::assert_snapshot!("graph_file", text.replace(&created, "<created_at>"));
}

#[tokio::test(start_paused = true)]
async fn isolated_graphs_do_not_offer_links() {
    let model = FakeModel::new(1);
    let mut s = settings(TopicMode::Graph, 2, 2, 4);
    s.prompt_style = PromptStyle::Isolated;
    build_topics(&model, &s).await.expect("graph");
    let seen = model.seen.lock().expect("lock");
    assert!(seen.iter().all(|r| !r.messages[1].content.contains("Other nodes")));
}

#[tokio::test(start_paused = true)]
async fn trees_save_as_deepfabric_jsonl() {
    let model = FakeModel::scripted(1, |leaf, _| (leaf == "T.2").then(|| "ERROR".into()));
    let mut s = settings(TopicMode::Tree, 2, 2, 4);
    s.prompt = "Café".into();
    let tree = build_topics(&model, &s).await.expect("tree");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("topics.jsonl");
    topics::save(&tree, &file).expect("save");
    assert_eq!(
        std::fs::read_to_string(&file).expect("read"),
        "{\"path\": [\"Caf\\u00e9\", \"T.1\", \"T.1.1\"]}\n\
         {\"path\": [\"Caf\\u00e9\", \"T.1\", \"T.1.2\"]}\n\
         {\"path\": [\"Caf\\u00e9\", \"T.2\"]}\n"
    );
    let failed = std::fs::read_to_string(dir.path().join("topics_failed.jsonl")).expect("failures file");
    assert!(
        failed.starts_with("{\"failed_generation\": {\"node_path\": [\"Caf\\u00e9\", \"T.2\"], \"error\": ")
    );
    let loaded = topics::load(&file).expect("load");
    assert_eq!(loaded.paths(), tree.paths());
}

/// Defect: the topic file was written in place, so a kill mid-save left a
/// torn file that `--resume` could not read. Saving now replaces the file
/// whole: a reader of the old file (a handle opened before) still reads all
/// of the old text, and no temporary file is left behind.
#[test]
fn saving_replaces_the_topic_file_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("topics.jsonl");
    let old = topics::load(&fixture("deepfabric_tree.jsonl")).expect("load");
    topics::save(&old, &file).expect("save");
    let old_text = topics::to_file_text(&old);
    let mut reader = std::fs::File::open(&file).expect("open");
    let new = topics::TopicGraph::with_root(TopicMode::Tree, "Another root", 0);
    topics::save(&new, &file).expect("save again");
    let mut seen = String::new();
    std::io::Read::read_to_string(&mut reader, &mut seen).expect("read the old file");
    assert_eq!(seen, old_text, "the old file was rewritten in place");
    assert_eq!(std::fs::read_to_string(&file).expect("read"), topics::to_file_text(&new));
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
}

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/topics").join(name)
}

#[test]
fn deepfabric_tree_files_load() {
    let tree = topics::load(&fixture("deepfabric_tree.jsonl")).expect("load");
    assert_eq!(tree.mode, TopicMode::Tree);
    assert_eq!(
        path_strings(&tree),
        [
            "Café operations / Espresso machines / Descaling schedules",
            "Café operations / Espresso machines / Grinder calibration",
            "Café operations / Staff rota / Weekend shifts",
        ]
    );
    assert_eq!(tree.failures.len(), 1);
    // DeepFabric's topic_id for trees.
    assert_eq!(tree.paths()[0].id.len(), 16);
    // Written back byte for byte (failures go to their own file).
    let original = std::fs::read_to_string(fixture("deepfabric_tree.jsonl")).expect("read");
    let paths_only: String =
        original.lines().filter(|l| l.starts_with("{\"path\"")).map(|l| format!("{l}\n")).collect();
    assert_eq!(topics::to_file_text(&tree), paths_only);
}

#[test]
fn deepfabric_graph_files_load() {
    let graph = topics::load(&fixture("deepfabric_graph.json")).expect("load");
    assert_eq!(graph.mode, TopicMode::Graph);
    assert_eq!(
        path_strings(&graph),
        ["Home networking / Wi-Fi / Mesh roaming", "Home networking / Routers / Mesh roaming"]
    );
    assert_eq!(graph.paths()[1].id, "5b0e5e4e-0000-4000-8000-000000000003");
    assert_eq!(graph.metadata.as_ref().map(|m| m.model.as_str()), Some("gpt-4o"));
    insta::assert_snapshot!("graph_render", topics::render(&graph));
}

#[test]
fn a_file_that_is_neither_is_a_format_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("x.jsonl");
    std::fs::write(&file, "{\"path\": [\"a\"]}\nnot json\n").expect("write");
    let err = topics::load(&file).expect_err("bad line");
    assert!(
        err.to_string().ends_with("x.jsonl:2: not a topic line: expected ident at line 1 column 2"),
        "{err}"
    );
}

#[tokio::test]
async fn the_scripted_provider_builds_the_quickstart_tree_deterministically() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/quickstart.yaml");
    let config = weft_gen::config::load(&path, &Default::default()).expect("quickstart");
    let model = weft_llm::build_model(&config.topics_model()).expect("scripted model");
    let s = TopicSettings::from_config(&config);
    let first = build_topics(model.as_ref(), &s).await.expect("tree");
    let second = build_topics(model.as_ref(), &s).await.expect("tree");
    assert_eq!(first.paths().len(), 4);
    assert_eq!(first.paths(), second.paths());
    insta::assert_snapshot!("quickstart_tree", topics::render(&first));
}
