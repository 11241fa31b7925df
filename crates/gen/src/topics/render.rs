//! The topic tree as text, the way `tree(1)` draws directories.

use super::graph::TopicGraph;

/// Draws `graph` from the root. A node reached again through a cross-link is
/// shown with `↗` and not expanded twice.
pub fn render(graph: &TopicGraph) -> String {
    let mut out = String::new();
    if graph.nodes.is_empty() {
        return out;
    }
    out.push_str(graph.root());
    out.push('\n');
    let mut seen = vec![false; graph.nodes.len()];
    seen[0] = true;
    draw(graph, 0, "", &mut seen, &mut out);
    out
}

fn draw(graph: &TopicGraph, id: u32, indent: &str, seen: &mut [bool], out: &mut String) {
    let children = &graph.nodes[id as usize].children;
    for (i, &child) in children.iter().enumerate() {
        let last = i + 1 == children.len();
        let node = &graph.nodes[child as usize];
        out.push_str(indent);
        out.push_str(if last { "└── " } else { "├── " });
        out.push_str(&node.topic);
        if seen[child as usize] {
            out.push_str("  ↗\n");
            continue;
        }
        out.push('\n');
        seen[child as usize] = true;
        let deeper = format!("{indent}{}", if last { "    " } else { "│   " });
        draw(graph, child, &deeper, seen, out);
    }
}
