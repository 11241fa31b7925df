//! What `weft topics inspect | prune | visualize` do with a topic file:
//! figures about its shape, a smaller copy, a picture.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;

use serde::Serialize;
use weft_dataset::inspect::escape_markup;

use super::graph::{TopicFailure, TopicGraph, TopicNode};

/// The shape of a topic tree or graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopicStats {
    /// `tree` or `graph`.
    pub mode: &'static str,
    /// Topics, the root included.
    pub nodes: usize,
    /// Root-to-leaf paths: one sample topic each.
    pub paths: usize,
    /// Levels below the root on the longest path.
    pub depth: usize,
    /// Topics without subtopics.
    pub leaves: usize,
    /// Paths per depth (index 0: paths of one level below the root).
    pub paths_by_depth: Vec<usize>,
    /// Topics reached from more than one parent (graphs).
    pub shared: usize,
    /// Topics written the same way (case and spacing aside) at more than
    /// one place: each with the paths it appears at.
    pub duplicates: Vec<Duplicate>,
    /// Edges that lead back to an ancestor (possible in a hand-edited
    /// graph): each as the topics around the cycle.
    pub cycles: Vec<Vec<String>>,
    /// Expansions that failed when the file was made.
    pub failures: usize,
}

/// A topic found at more than one place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Duplicate {
    /// The topic as first written.
    pub topic: String,
    /// Where it appears, root first.
    pub at: Vec<Vec<String>>,
}

/// Figures about `graph`.
pub fn inspect(graph: &TopicGraph) -> TopicStats {
    let paths = graph.paths();
    let depth = paths.iter().map(|p| p.topics.len().saturating_sub(1)).max().unwrap_or(0);
    let mut paths_by_depth = vec![0; depth];
    for path in &paths {
        if let Some(count) = path.topics.len().checked_sub(2).and_then(|level| paths_by_depth.get_mut(level))
        {
            *count += 1;
        }
    }
    let mut seen: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for node in &graph.nodes {
        seen.entry(normalise(&node.topic)).or_default().push(node.id);
    }
    let mut duplicates: Vec<Duplicate> = seen
        .into_values()
        .filter(|ids| ids.len() > 1)
        .map(|ids| Duplicate {
            topic: graph.nodes[ids[0] as usize].topic.clone(),
            at: ids.iter().map(|&id| graph.primary_path(id)).collect(),
        })
        .collect();
    duplicates.sort_by(|a, b| a.at.cmp(&b.at));
    TopicStats {
        mode: match graph.mode {
            crate::config::TopicMode::Tree => "tree",
            crate::config::TopicMode::Graph => "graph",
        },
        nodes: graph.nodes.len(),
        paths: paths.len(),
        depth,
        leaves: graph.nodes.iter().filter(|node| node.children.is_empty()).count(),
        paths_by_depth,
        shared: graph.nodes.iter().filter(|node| node.parents.len() > 1).count(),
        duplicates,
        cycles: cycles(graph),
        failures: graph.failures.len(),
    }
}

/// Lower case, single spaces, no surrounding punctuation.
fn normalise(topic: &str) -> String {
    let words: Vec<String> = topic.split_whitespace().map(str::to_lowercase).collect();
    words.join(" ").trim_matches(|c: char| c.is_ascii_punctuation()).to_owned()
}

/// Every edge from a node to one of its ancestors on the walk from the
/// root, as the cycle's topics.
fn cycles(graph: &TopicGraph) -> Vec<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut marks = vec![Mark::New; graph.nodes.len()];
    let mut found = Vec::new();
    let mut stack: Vec<(u32, usize)> = Vec::new();
    if graph.nodes.is_empty() {
        return found;
    }
    stack.push((0, 0));
    marks[0] = Mark::Open;
    while let Some(&mut (id, ref mut next)) = stack.last_mut() {
        let children = &graph.nodes[id as usize].children;
        if let Some(&child) = children.get(*next) {
            *next += 1;
            match marks.get(child as usize) {
                Some(Mark::New) => {
                    marks[child as usize] = Mark::Open;
                    stack.push((child, 0));
                }
                Some(Mark::Open) => {
                    let from = stack.iter().position(|&(open, _)| open == child).unwrap_or(0);
                    let mut cycle: Vec<String> = stack[from..]
                        .iter()
                        .map(|&(open, _)| graph.nodes[open as usize].topic.clone())
                        .collect();
                    cycle.push(graph.nodes[child as usize].topic.clone());
                    found.push(cycle);
                }
                _ => {}
            }
        } else {
            marks[id as usize] = Mark::Done;
            stack.pop();
        }
    }
    found
}

/// What to cut from a topic file.
#[derive(Debug, Clone, Default)]
pub struct Prune {
    /// Keep topics at most this many levels below the root.
    pub max_depth: Option<usize>,
    /// Drop every topic containing one of these (case-insensitive), with
    /// everything under it. The root is never dropped.
    pub matching: Vec<String>,
}

/// A copy of `graph` without what `prune` cuts; ids are renumbered, uuids
/// kept. A topic reached from several parents stays if any of them does.
pub fn prune(graph: &TopicGraph, prune: &Prune) -> TopicGraph {
    let needles: Vec<String> = prune.matching.iter().map(|m| m.to_lowercase()).collect();
    let dropped = |node: &TopicNode| {
        let topic = node.topic.to_lowercase();
        needles.iter().any(|needle| !needle.is_empty() && topic.contains(needle.as_str()))
    };
    // Breadth first from the root: a topic's depth is its shortest distance.
    let mut depth: Vec<Option<usize>> = vec![None; graph.nodes.len()];
    let mut queue = VecDeque::new();
    if !graph.nodes.is_empty() {
        depth[0] = Some(0);
        queue.push_back(0u32);
    }
    while let Some(id) = queue.pop_front() {
        let level = depth[id as usize].unwrap_or(0) + 1;
        if prune.max_depth.is_some_and(|max| level > max) {
            continue;
        }
        for &child in &graph.nodes[id as usize].children {
            let node = &graph.nodes[child as usize];
            if depth[child as usize].is_none() && !dropped(node) {
                depth[child as usize] = Some(level);
                queue.push_back(child);
            }
        }
    }
    let mut renumber = vec![None; graph.nodes.len()];
    let mut nodes = Vec::new();
    for node in &graph.nodes {
        if depth[node.id as usize].is_some() {
            renumber[node.id as usize] = Some(nodes.len() as u32);
            nodes.push(TopicNode {
                id: nodes.len() as u32,
                children: Vec::new(),
                parents: Vec::new(),
                ..node.clone()
            });
        }
    }
    let mut pruned =
        TopicGraph { mode: graph.mode, nodes, failures: Vec::new(), metadata: graph.metadata.clone() };
    for node in &graph.nodes {
        let Some(parent) = renumber[node.id as usize] else { continue };
        for &child in &node.children {
            let within = prune.max_depth.is_none_or(|max| depth[node.id as usize].is_some_and(|d| d < max));
            if let (Some(child), true) = (renumber[child as usize], within) {
                pruned.add_edge(parent, child);
            }
        }
    }
    pruned.failures = graph
        .failures
        .iter()
        .filter(|failure| {
            prune.max_depth.is_none_or(|max| failure.node_path.len() <= max + 1)
                && !failure.node_path.iter().skip(1).any(|topic| {
                    let topic = topic.to_lowercase();
                    needles.iter().any(|needle| !needle.is_empty() && topic.contains(needle.as_str()))
                })
        })
        .cloned()
        .collect::<Vec<TopicFailure>>();
    pruned
}

/// The topics as one self-contained SVG: the root on the left, each
/// topic's subtopics to its right, leaves one per row; in a graph, the
/// edges to a second parent dashed. Long topics are cut, with the whole
/// text as the element's tooltip.
pub fn to_svg(graph: &TopicGraph) -> String {
    const COLUMN: f64 = 240.0;
    const ROW: f64 = 26.0;
    const LABEL: usize = 32;
    // Lay the primary tree out: leaves take rows, a parent sits at the
    // middle of its children.
    let mut at: Vec<Option<(usize, f64)>> = vec![None; graph.nodes.len()];
    let mut rows = 0usize;
    fn place(
        graph: &TopicGraph,
        id: u32,
        level: usize,
        at: &mut [Option<(usize, f64)>],
        rows: &mut usize,
    ) -> f64 {
        let own: Vec<u32> = graph.nodes[id as usize]
            .children
            .iter()
            .copied()
            .filter(|&child| {
                graph.nodes[child as usize].parents.first() == Some(&id) && at[child as usize].is_none()
            })
            .collect();
        at[id as usize] = Some((level, 0.0));
        let row = if own.is_empty() {
            *rows += 1;
            (*rows - 1) as f64
        } else {
            let placed: Vec<f64> =
                own.iter().map(|&child| place(graph, child, level + 1, at, rows)).collect();
            (placed[0] + placed[placed.len() - 1]) / 2.0
        };
        at[id as usize] = Some((level, row));
        row
    }
    if !graph.nodes.is_empty() {
        place(graph, 0, 0, &mut at, &mut rows);
    }
    let levels = at.iter().flatten().map(|&(level, _)| level + 1).max().unwrap_or(1);
    let (width, height) = (levels as f64 * COLUMN + 40.0, rows.max(1) as f64 * ROW + 40.0);
    let point = |id: u32| {
        at[id as usize].map(|(level, row)| (20.0 + level as f64 * COLUMN, 20.0 + row * ROW + ROW / 2.0))
    };
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(svg, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    // Edges leave a topic after its label (about 6.6 px a character at 12 px).
    let label_end = |node: &TopicNode| 14.0 + node.topic.chars().count().min(LABEL + 1) as f64 * 6.6;
    for node in &graph.nodes {
        let Some((x, y1)) = point(node.id) else { continue };
        let x1 = x + label_end(node);
        for &child in &node.children {
            let Some((x2, y2)) = point(child) else { continue };
            let x2 = x2 - 6.0;
            let primary = graph.nodes[child as usize].parents.first() == Some(&node.id);
            let dash = if primary { "" } else { r#" stroke-dasharray="4 3""# };
            let _ = writeln!(
                svg,
                r##"<path d="M{x1:.1} {y1:.1} C{:.1} {y1:.1} {:.1} {y2:.1} {x2:.1} {y2:.1}" fill="none" stroke="#9aa5b1"{dash}/>"##,
                (x1 + x2) / 2.0,
                (x1 + x2) / 2.0,
            );
        }
    }
    for node in &graph.nodes {
        let Some((x, y)) = point(node.id) else { continue };
        let leaf = node.children.is_empty();
        let fill = if node.id == 0 {
            "#1f6feb"
        } else if leaf {
            "#2da44e"
        } else {
            "#57606a"
        };
        let mut label: String = node.topic.chars().take(LABEL).collect();
        if node.topic.chars().count() > LABEL {
            label.push('…');
        }
        let _ = writeln!(
            svg,
            r#"<g><title>{}</title><circle cx="{x:.1}" cy="{y:.1}" r="4" fill="{fill}"/><text x="{:.1}" y="{:.1}">{}</text></g>"#,
            escape_markup(&graph.primary_path(node.id).join(" › ")),
            x + 8.0,
            y + 4.0,
            escape_markup(&label)
        );
    }
    svg.push_str("</svg>\n");
    svg
}
