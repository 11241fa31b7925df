//! The topic graph and the paths through it.

use sha2::{Digest, Sha256};

use crate::config::TopicMode;

/// One topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicNode {
    /// Its id: its index in [`TopicGraph::nodes`]; the root is 0.
    pub id: u32,
    /// The topic text.
    pub topic: String,
    /// Child ids, in order.
    pub children: Vec<u32>,
    /// Parent ids; the first is the primary parent.
    pub parents: Vec<u32>,
    /// A stable identifier (DeepFabric's `metadata.uuid`).
    pub uuid: String,
}

/// A subtopic request that failed after every attempt; the node stays a leaf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicFailure {
    /// The path of the node that could not be expanded.
    pub node_path: Vec<String>,
    /// The last error.
    pub error: String,
}

/// Provenance of a graph file.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphMetadata {
    /// Provider that wrote it.
    pub provider: String,
    /// Model that wrote it.
    pub model: String,
    /// Temperature used.
    pub temperature: f64,
    /// ISO 8601 time of creation.
    pub created_at: String,
}

/// A tree or graph of topics.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicGraph {
    /// Tree (saved as JSONL paths) or graph (saved as a JSON document).
    pub mode: TopicMode,
    /// Nodes by id; `nodes[0]` is the root.
    pub nodes: Vec<TopicNode>,
    /// Expansions that failed.
    pub failures: Vec<TopicFailure>,
    /// Provenance, for graphs.
    pub metadata: Option<GraphMetadata>,
}

/// One root-to-leaf path: what a sample is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicPath {
    /// Topics from the root to the leaf.
    pub topics: Vec<String>,
    /// A stable id: DeepFabric's `topic_id` (16 hex digits of the SHA-256 of
    /// the path joined by `::` for trees, the leaf's uuid for graphs).
    pub id: String,
}

impl TopicPath {
    /// The most specific topic.
    pub fn leaf(&self) -> &str {
        self.topics.last().map_or("", String::as_str)
    }
}

impl TopicGraph {
    /// A graph with only a root.
    pub fn with_root(mode: TopicMode, root: &str, seed: u64) -> Self {
        let node = TopicNode {
            id: 0,
            topic: root.to_owned(),
            children: Vec::new(),
            parents: Vec::new(),
            uuid: node_uuid(seed, &[root.to_owned()]),
        };
        Self { mode, nodes: vec![node], failures: Vec::new(), metadata: None }
    }

    /// The root topic.
    pub fn root(&self) -> &str {
        self.nodes.first().map_or("", |n| n.topic.as_str())
    }

    /// Adds a node under `parent` and returns its id.
    pub(crate) fn add_child(&mut self, parent: u32, topic: String, uuid: String) -> u32 {
        let id = self.nodes.len() as u32;
        self.nodes.push(TopicNode { id, topic, children: Vec::new(), parents: Vec::new(), uuid });
        self.add_edge(parent, id);
        id
    }

    /// Adds an edge unless it exists or an id is unknown.
    pub(crate) fn add_edge(&mut self, parent: u32, child: u32) {
        let known = |id: u32| (id as usize) < self.nodes.len();
        if parent == child || !known(parent) || !known(child) {
            return;
        }
        if !self.nodes[parent as usize].children.contains(&child) {
            self.nodes[parent as usize].children.push(child);
        }
        if !self.nodes[child as usize].parents.contains(&parent) {
            self.nodes[child as usize].parents.push(parent);
        }
    }

    /// The topics from the root to `id` along primary parents.
    pub fn primary_path(&self, id: u32) -> Vec<String> {
        let mut path = Vec::new();
        let mut current = Some(id);
        while let Some(id) = current {
            let Some(node) = self.nodes.get(id as usize) else {
                break;
            };
            if path.len() > self.nodes.len() {
                break; // a malformed file with a parent cycle
            }
            path.push(node.topic.clone());
            current = node.parents.first().copied();
        }
        path.reverse();
        path
    }

    /// Every root-to-leaf path, depth first in child order. A node reached by
    /// several parents appears on each of their paths; an edge back onto the
    /// current path (possible only in a hand-edited file) is skipped.
    pub fn paths(&self) -> Vec<TopicPath> {
        let mut out = Vec::new();
        if !self.nodes.is_empty() {
            let mut stack = vec![0u32];
            self.walk(&mut stack, &mut out);
        }
        out
    }

    fn walk(&self, stack: &mut Vec<u32>, out: &mut Vec<TopicPath>) {
        let Some(&id) = stack.last() else { return };
        let next: Vec<u32> =
            self.nodes[id as usize].children.iter().copied().filter(|c| !stack.contains(c)).collect();
        if next.is_empty() {
            let topics: Vec<String> = stack.iter().map(|&i| self.nodes[i as usize].topic.clone()).collect();
            let id = match self.mode {
                TopicMode::Tree => path_id(&topics),
                TopicMode::Graph => self.nodes[id as usize].uuid.clone(),
            };
            out.push(TopicPath { topics, id });
            return;
        }
        for child in next {
            stack.push(child);
            self.walk(stack, out);
            stack.pop();
        }
    }
}

/// DeepFabric's tree `topic_id`: the first 16 hex digits of SHA-256 over the
/// path joined by `::`.
pub fn path_id(topics: &[String]) -> String {
    let digest = Sha256::digest(topics.join("::").as_bytes());
    hex(&digest[..8])
}

/// SHA-256 of a topic, as DeepFabric's `metadata.topic_hash`.
pub(crate) fn topic_hash(topic: &str) -> String {
    hex(&Sha256::digest(topic.as_bytes()))
}

/// A version-4-shaped UUID derived from the seed and the node's path, so a
/// rebuilt graph gets the same ids.
pub(crate) fn node_uuid(seed: u64, path: &[String]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(seed.to_le_bytes());
    hasher.update(path.join("\u{1f}").as_bytes());
    let mut b: [u8; 16] = hasher.finalize()[..16].try_into().unwrap_or([0; 16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex(&b);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_id_matches_deepfabric() {
        // python: hashlib.sha256("a::b".encode()).hexdigest()[:16]
        assert_eq!(path_id(&["a".into(), "b".into()]), "78f0be89237d77f7");
    }

    #[test]
    fn paths_follow_cross_links_and_skip_cycles() {
        let mut g = TopicGraph::with_root(TopicMode::Graph, "root", 0);
        let a = g.add_child(0, "a".into(), "ua".into());
        let b = g.add_child(0, "b".into(), "ub".into());
        let c = g.add_child(a, "c".into(), "uc".into());
        g.add_edge(b, c);
        g.add_edge(c, a); // a cycle, as a hand-edited file might have
        let paths: Vec<Vec<String>> = g.paths().into_iter().map(|p| p.topics).collect();
        // From `b`, `c` leads on to `a` (not yet on that path); from `a`,
        // the edge back from `c` to `a` is skipped.
        assert_eq!(paths, [vec!["root", "a", "c"], vec!["root", "b", "c", "a"]]);
        assert_eq!(g.paths()[0].id, "uc");
    }
}
