//! The topic paths of a DeepFabric topics file, told apart by content:
//!
//! - a **tree**: JSONL, one `{"path": ["root", ..., "leaf"]}` per line
//!   (lines without `path`, such as `failed_generation` records, are
//!   skipped);
//! - a **graph**: one JSON document `{"nodes": {"0": {"id", "topic",
//!   "children", ...}, ...}, "root_id": 0, ...}`, whose topic paths are
//!   its root-to-leaf paths (a child already on the path is not followed,
//!   so a cycle ends a path), as generation walks it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::InspectError;

/// The distinct topic paths of the file at `path`, in file order.
pub(crate) fn load(path: &Path) -> Result<Vec<Vec<String>>, InspectError> {
    let text =
        std::fs::read_to_string(path).map_err(|source| InspectError::Io { path: path.to_owned(), source })?;
    let format = |line: u64, message: String| InspectError::Format { path: path.to_owned(), line, message };
    let paths = match serde_json::from_str::<Value>(&text) {
        Ok(doc) if doc.get("nodes").is_some() => graph_paths(doc).map_err(|message| format(1, message))?,
        _ => tree_paths(&text).map_err(|(line, message)| format(line, message))?,
    };
    let mut seen = HashSet::new();
    Ok(paths.into_iter().filter(|p| seen.insert(p.clone())).collect())
}

fn tree_paths(text: &str) -> Result<Vec<Vec<String>>, (u64, String)> {
    #[derive(Deserialize)]
    struct Line {
        path: Option<Vec<String>>,
    }
    let mut paths = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let number = index as u64 + 1;
        let parsed: Line = serde_json::from_str(line)
            .map_err(|err| (number, format!("not a topic tree line ({{\"path\": [...]}}): {err}")))?;
        match parsed.path {
            Some(path) if path.is_empty() => return Err((number, "empty topic path".to_owned())),
            Some(path) => paths.push(path),
            None => {}
        }
    }
    if paths.is_empty() {
        return Err((1, "no topic paths in the file".to_owned()));
    }
    Ok(paths)
}

#[derive(Deserialize)]
struct Node {
    id: u64,
    topic: String,
    #[serde(default)]
    children: Vec<u64>,
}

fn graph_paths(doc: Value) -> Result<Vec<Vec<String>>, String> {
    #[derive(Deserialize)]
    struct Graph {
        nodes: BTreeMap<String, Node>,
        root_id: u64,
    }
    let graph: Graph = serde_json::from_value(doc).map_err(|err| format!("not a topic graph: {err}"))?;
    let mut nodes: Vec<Node> = graph.nodes.into_values().collect();
    nodes.sort_by_key(|n| n.id);
    let by_id: HashMap<u64, &Node> = nodes.iter().map(|n| (n.id, n)).collect();
    if !by_id.contains_key(&graph.root_id) {
        return Err(format!("`root_id` {} names no node", graph.root_id));
    }
    let mut paths = Vec::new();
    let mut stack = vec![graph.root_id];
    walk(&by_id, &mut stack, &mut paths);
    Ok(paths)
}

/// Depth-first from the node on top of `stack`, children in listed order.
fn walk(nodes: &HashMap<u64, &Node>, stack: &mut Vec<u64>, out: &mut Vec<Vec<String>>) {
    let Some(&id) = stack.last() else { return };
    let next: Vec<u64> = nodes[&id]
        .children
        .iter()
        .copied()
        .filter(|child| nodes.contains_key(child) && !stack.contains(child))
        .collect();
    if next.is_empty() {
        out.push(stack.iter().map(|id| nodes[id].topic.clone()).collect());
        return;
    }
    for child in next {
        stack.push(child);
        walk(nodes, stack, out);
        stack.pop();
    }
}
