//! Growing a tree or graph with a chat model.
//!
//! Subtopic requests of independent nodes run concurrently, at most
//! `max_concurrent` at a time. A tree has no barriers: a node's children are
//! requested as soon as it has them, so a build takes about `depth` rounds of
//! LLM latency. A graph grows level by level, because a new node may link to
//! any node that existed when its level started; that snapshot keeps
//! links cycle-free (edges only ever point at newer nodes) and the result
//! independent of completion order. Ids and order are fixed by position,
//! never by which reply came first.

use std::sync::Mutex;

use futures::future::{BoxFuture, join_all};
use tokio::sync::Semaphore;
use weft_llm::ChatModel;

use super::TopicError;
use super::expand::{Subtopic, subtopics};
use super::graph::{GraphMetadata, TopicFailure, TopicGraph, node_uuid};
use super::store::now_iso8601;
use crate::config::{Config, PromptStyle, TopicMode};

/// What a build needs to know, usually from [`TopicSettings::from_config`].
#[derive(Debug, Clone, PartialEq)]
pub struct TopicSettings {
    /// The root topic.
    pub prompt: String,
    /// Tree or graph.
    pub mode: TopicMode,
    /// Levels below the root.
    pub depth: u32,
    /// Children per node.
    pub degree: u32,
    /// System prompt of subtopic requests (none when empty).
    pub system_prompt: String,
    /// Prompt phrasing; only `default` graphs cross-link.
    pub prompt_style: PromptStyle,
    /// Most requests in flight.
    pub max_concurrent: usize,
    /// Sampling temperature.
    pub temperature: f32,
    /// Completion token cap.
    pub max_tokens: u32,
    /// Seeds node uuids.
    pub seed: u64,
    /// Attempts per node before it is recorded as a failure (DeepFabric: 3).
    pub attempts: u32,
    /// Most existing nodes offered as link targets in one graph request.
    pub max_link_candidates: usize,
}

impl TopicSettings {
    /// The settings of a loaded config.
    pub fn from_config(config: &Config) -> Self {
        let t = &config.topics;
        Self {
            prompt: t.prompt.clone(),
            mode: t.mode,
            depth: t.depth,
            degree: t.degree,
            system_prompt: t.system_prompt.clone(),
            prompt_style: t.prompt_style,
            max_concurrent: t.max_concurrent,
            temperature: t.llm.temperature,
            max_tokens: t.llm.max_tokens,
            seed: config.seed,
            attempts: 3,
            max_link_candidates: 24,
        }
    }
}

struct Ctx<'a> {
    model: &'a dyn ChatModel,
    settings: &'a TopicSettings,
    permits: Semaphore,
    failures: Mutex<Vec<TopicFailure>>,
}

impl Ctx<'_> {
    async fn expand(&self, path: &[String], candidates: &[(u32, String)]) -> Option<Vec<Subtopic>> {
        let result = {
            // The semaphore is never closed; a failed acquire just means no bound.
            let _permit = self.permits.acquire().await.ok();
            subtopics(self.model, self.settings, path, candidates).await
        };
        match result {
            Ok(found) => Some(found),
            Err(error) => {
                let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
                failures.push(TopicFailure { node_path: path.to_vec(), error });
                None
            }
        }
    }
}

/// Builds the topics `settings` describe.
///
/// A node whose request keeps failing stays a leaf and is listed in
/// [`TopicGraph::failures`]; only a failure at the root is an error.
pub async fn build_topics(model: &dyn ChatModel, settings: &TopicSettings) -> Result<TopicGraph, TopicError> {
    let ctx = Ctx {
        model,
        settings,
        permits: Semaphore::new(settings.max_concurrent.max(1)),
        failures: Mutex::new(Vec::new()),
    };
    let mut graph = match settings.mode {
        TopicMode::Tree => build_tree(&ctx).await,
        TopicMode::Graph => build_graph(&ctx).await,
    };
    let mut failures = ctx.failures.into_inner().unwrap_or_else(|p| p.into_inner());
    if graph.nodes.len() == 1
        && settings.depth > 0
        && let Some(first) = failures.first()
    {
        return Err(TopicError::RootFailed(first.error.clone()));
    }
    failures.sort_by(|a, b| a.node_path.cmp(&b.node_path));
    graph.failures = failures;
    graph.metadata = Some(GraphMetadata {
        provider: model.provider().to_owned(),
        model: model.model().to_owned(),
        temperature: settings.temperature.to_string().parse().unwrap_or(0.0),
        created_at: now_iso8601(),
    });
    Ok(graph)
}

struct Branch {
    topic: String,
    children: Vec<Branch>,
}

fn grow<'a>(ctx: &'a Ctx<'a>, path: Vec<String>) -> BoxFuture<'a, Branch> {
    Box::pin(async move {
        let topic = path.last().cloned().unwrap_or_default();
        if path.len() > ctx.settings.depth as usize {
            return Branch { topic, children: Vec::new() };
        }
        let Some(found) = ctx.expand(&path, &[]).await else {
            return Branch { topic, children: Vec::new() };
        };
        let children = join_all(found.into_iter().map(|sub| {
            let mut child = path.clone();
            child.push(sub.topic);
            grow(ctx, child)
        }))
        .await;
        Branch { topic, children }
    })
}

async fn build_tree(ctx: &Ctx<'_>) -> TopicGraph {
    let root = grow(ctx, vec![ctx.settings.prompt.clone()]).await;
    let mut graph = TopicGraph::with_root(TopicMode::Tree, &root.topic, ctx.settings.seed);
    // Breadth first, so ids read level by level like DeepFabric's.
    let mut queue = std::collections::VecDeque::from([(0u32, root)]);
    while let Some((id, branch)) = queue.pop_front() {
        for child in branch.children {
            let mut path = graph.primary_path(id);
            path.push(child.topic.clone());
            let child_id = graph.add_child(id, child.topic.clone(), node_uuid(ctx.settings.seed, &path));
            queue.push_back((child_id, child));
        }
    }
    graph
}

async fn build_graph(ctx: &Ctx<'_>) -> TopicGraph {
    let s = ctx.settings;
    let mut graph = TopicGraph::with_root(TopicMode::Graph, &s.prompt, s.seed);
    let mut frontier = vec![0u32];
    for _ in 0..s.depth {
        let snapshot = graph.clone();
        let requests = frontier.iter().map(|&id| {
            let path = snapshot.primary_path(id);
            let candidates = if s.prompt_style.allows_connections() {
                link_candidates(&snapshot, id, s.max_link_candidates)
            } else {
                Vec::new()
            };
            async move { ctx.expand(&path, &candidates).await }
        });
        let results = join_all(requests).await;
        let mut next = Vec::new();
        for (&parent, found) in frontier.iter().zip(results) {
            for sub in found.unwrap_or_default() {
                let mut path = graph.primary_path(parent);
                path.push(sub.topic.clone());
                let id = graph.add_child(parent, sub.topic, node_uuid(s.seed, &path));
                for link in sub.connections {
                    // Only nodes that existed when this level began: edges
                    // always point at newer nodes, so no cycle can form.
                    if (link as usize) < snapshot.nodes.len() && link != 0 {
                        graph.add_edge(link, id);
                    }
                }
                next.push(id);
            }
        }
        frontier = next;
    }
    graph
}

/// Nodes outside `id`'s own line that a new child of `id` may link to: the
/// newest first, at most `limit`.
fn link_candidates(graph: &TopicGraph, id: u32, limit: usize) -> Vec<(u32, String)> {
    let mut line = vec![id];
    let mut current = id;
    while let Some(&parent) = graph.nodes[current as usize].parents.first() {
        if line.contains(&parent) {
            break;
        }
        line.push(parent);
        current = parent;
    }
    graph
        .nodes
        .iter()
        .rev()
        .filter(|n| n.id != 0 && !line.contains(&n.id))
        .take(limit)
        .map(|n| (n.id, n.topic.clone()))
        .collect()
}
