//! DeepFabric's topic files.
//!
//! - **Tree**: JSONL, one `{"path": ["root", "child", "leaf"]}` per leaf,
//!   written the way Python's `json.dumps` writes it (`", "` and `": "`
//!   separators, non-ASCII escaped), so files are byte-identical to
//!   DeepFabric's. Failed expansions go to `<name>_failed.jsonl` as
//!   `{"failed_generation": {"node_path": [...], "error": "...", "timestamp": ...}}`.
//! - **Graph**: one JSON document, `{"nodes": {"0": {"id", "topic",
//!   "children", "parents", "metadata": {"uuid", "topic_hash"}}, ...},
//!   "root_id": 0, "metadata": {"provider", "model", "temperature", "created_at"}}`,
//!   indented by two spaces as pydantic writes it.
//!
//! [`load`] tells the two apart by content, not by name.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::TopicError;
use super::graph::{GraphMetadata, TopicFailure, TopicGraph, TopicNode, node_uuid, topic_hash};
use crate::config::TopicMode;
use crate::writer::replace_file;

/// The text of the topic file for `graph`.
pub fn to_file_text(graph: &TopicGraph) -> String {
    match graph.mode {
        TopicMode::Tree => {
            graph.paths().iter().map(|p| format!("{{\"path\": {}}}\n", py_list(&p.topics))).collect()
        }
        TopicMode::Graph => graph_json(graph),
    }
}

/// Where failures of a tree saved at `path` go: `x.jsonl` → `x_failed.jsonl`.
pub fn failures_path(path: &Path) -> PathBuf {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!("{stem}_failed.jsonl"))
}

/// Writes `graph` to `path` (creating parent directories) and, for a tree
/// with failures, the failures file beside it. Each file is replaced whole
/// (temporary file, then rename): a kill mid-save leaves the old file.
pub fn save(graph: &TopicGraph, path: &Path) -> Result<(), TopicError> {
    replace_file(path, to_file_text(graph).as_bytes()).map_err(replaced)?;
    if graph.mode == TopicMode::Tree && !graph.failures.is_empty() {
        let failed = failures_path(path);
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
        let text: String = graph
            .failures
            .iter()
            .map(|f| {
                format!(
                    "{{\"failed_generation\": {{\"node_path\": {}, \"error\": {}, \"timestamp\": {now}}}}}\n",
                    py_list(&f.node_path),
                    py_str(&f.error)
                )
            })
            .collect();
        replace_file(&failed, text.as_bytes()).map_err(replaced)?;
    }
    Ok(())
}

/// Reads a topic file DeepFabric or weft wrote: a graph document or tree JSONL.
pub fn load(path: &Path) -> Result<TopicGraph, TopicError> {
    let text =
        std::fs::read_to_string(path).map_err(|source| TopicError::Io { path: path.to_owned(), source })?;
    let format = |line: usize, message: String| TopicError::Format { path: path.to_owned(), line, message };
    if let Ok(Value::Object(doc)) = serde_json::from_str::<Value>(&text)
        && doc.contains_key("nodes")
    {
        return graph_from_json(Value::Object(doc)).map_err(|m| format(0, m));
    }
    tree_from_jsonl(&text).map_err(|(line, m)| format(line, m))
}

fn replaced((path, source): (PathBuf, std::io::Error)) -> TopicError {
    TopicError::Io { path, source }
}

fn tree_from_jsonl(text: &str) -> Result<TopicGraph, (usize, String)> {
    #[derive(Deserialize)]
    struct Line {
        path: Option<Vec<String>>,
        failed_generation: Option<Failed>,
    }
    #[derive(Deserialize)]
    struct Failed {
        node_path: Vec<String>,
        error: String,
    }
    let mut graph: Option<TopicGraph> = None;
    let mut failures = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        let line: Line =
            serde_json::from_str(raw).map_err(|e| (index + 1, format!("not a topic line: {e}")))?;
        if let Some(f) = line.failed_generation {
            failures.push(TopicFailure { node_path: f.node_path, error: f.error });
        }
        let Some(path) = line.path else { continue };
        let Some(root) = path.first() else {
            return Err((index + 1, "empty path".to_owned()));
        };
        let graph = graph.get_or_insert_with(|| TopicGraph::with_root(TopicMode::Tree, root, 0));
        if graph.root() != root {
            return Err((index + 1, format!("path starts at `{root}`, not at the root `{}`", graph.root())));
        }
        let mut at = 0u32;
        for (depth, topic) in path.iter().enumerate().skip(1) {
            let existing = graph.nodes[at as usize]
                .children
                .iter()
                .copied()
                .find(|&c| graph.nodes[c as usize].topic == *topic);
            at = match existing {
                Some(child) => child,
                None => graph.add_child(at, topic.clone(), node_uuid(0, &path[..=depth])),
            };
        }
    }
    let mut graph = graph.ok_or((0, "no topic paths in the file".to_owned()))?;
    graph.failures = failures;
    Ok(graph)
}

#[derive(Deserialize)]
struct NodeDoc {
    id: u32,
    topic: String,
    #[serde(default)]
    children: Vec<u32>,
    // `parents` is implied by `children`, as DeepFabric rebuilds it.
    #[serde(default)]
    metadata: serde_json::Map<String, Value>,
}

/// A node as written: metadata in DeepFabric's key order.
#[derive(Serialize)]
struct NodeOut<'a> {
    id: u32,
    topic: &'a str,
    children: &'a [u32],
    parents: &'a [u32],
    metadata: NodeMetaOut<'a>,
}

#[derive(Serialize)]
struct NodeMetaOut<'a> {
    uuid: &'a str,
    topic_hash: String,
}

#[derive(Serialize, Deserialize)]
struct MetadataDoc {
    provider: String,
    model: String,
    temperature: f64,
    created_at: String,
}

fn graph_from_json(doc: Value) -> Result<TopicGraph, String> {
    #[derive(Deserialize)]
    struct Doc {
        nodes: std::collections::BTreeMap<String, NodeDoc>,
        root_id: u32,
        metadata: Option<MetadataDoc>,
    }
    let doc: Doc = serde_json::from_value(doc).map_err(|e| format!("not a topic graph: {e}"))?;
    let mut docs: Vec<NodeDoc> = doc.nodes.into_values().collect();
    docs.sort_by_key(|n| n.id);
    // Renumber so the root is 0 and ids are dense indexes.
    let mut index = std::collections::HashMap::new();
    let root = docs.iter().position(|n| n.id == doc.root_id).ok_or("`root_id` names no node")?;
    let root_doc = docs.remove(root);
    docs.insert(0, root_doc);
    for (i, node) in docs.iter().enumerate() {
        index.insert(node.id, i as u32);
    }
    let nodes = docs
        .iter()
        .enumerate()
        .map(|(i, n)| TopicNode {
            id: i as u32,
            topic: n.topic.clone(),
            children: Vec::new(),
            parents: Vec::new(),
            uuid: n
                .metadata
                .get("uuid")
                .and_then(Value::as_str)
                .map_or_else(|| node_uuid(0, std::slice::from_ref(&n.topic)), str::to_owned),
        })
        .collect();
    let mut graph = TopicGraph { mode: TopicMode::Graph, nodes, failures: Vec::new(), metadata: None };
    for n in &docs {
        for child in &n.children {
            if let (Some(&p), Some(&c)) = (index.get(&n.id), index.get(child)) {
                graph.add_edge(p, c);
            }
        }
    }
    graph.metadata = doc.metadata.map(|m| GraphMetadata {
        provider: m.provider,
        model: m.model,
        temperature: m.temperature,
        created_at: m.created_at,
    });
    Ok(graph)
}

fn graph_json(graph: &TopicGraph) -> String {
    struct Nodes<'a>(&'a [TopicNode]);
    impl Serialize for Nodes<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_map(self.0.iter().map(|n| {
                let doc = NodeOut {
                    id: n.id,
                    topic: &n.topic,
                    children: &n.children,
                    parents: &n.parents,
                    metadata: NodeMetaOut { uuid: &n.uuid, topic_hash: topic_hash(&n.topic) },
                };
                (n.id.to_string(), doc)
            }))
        }
    }
    #[derive(Serialize)]
    struct Doc<'a> {
        nodes: Nodes<'a>,
        root_id: u32,
        metadata: Option<MetadataDoc>,
    }
    let doc = Doc {
        nodes: Nodes(&graph.nodes),
        root_id: 0,
        metadata: graph.metadata.as_ref().map(|m| MetadataDoc {
            provider: m.provider.clone(),
            model: m.model.clone(),
            temperature: m.temperature,
            created_at: m.created_at.clone(),
        }),
    };
    // Serializing plain structs and strings cannot fail.
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// A list of strings as Python's `json.dumps` writes it.
fn py_list(items: &[String]) -> String {
    let inner: Vec<String> = items.iter().map(|s| py_str(s)).collect();
    format!("[{}]", inner.join(", "))
}

/// A string as Python's `json.dumps` writes it (`ensure_ascii=True`).
fn py_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
    out
}

/// The current UTC time as Python's `datetime.isoformat()` writes it.
pub(crate) fn now_iso8601() -> String {
    let elapsed = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = elapsed.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}+00:00",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        elapsed.subsec_micros()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_written_like_python() {
        // python: json.dumps({"path": ["Café ☕", "a\"b", "tab\t", "𝄞"]})
        assert_eq!(
            py_list(&["Café ☕".into(), "a\"b".into(), "tab\t".into(), "𝄞".into()]),
            r#"["Caf\u00e9 \u2615", "a\"b", "tab\t", "\ud834\udd1e"]"#
        );
    }

    #[test]
    fn iso8601_has_python_shape() {
        let now = now_iso8601();
        assert_eq!(now.len(), "2026-01-01T00:00:00.000000+00:00".len(), "{now}");
        assert!(now.starts_with("20"), "{now}");
    }
}
