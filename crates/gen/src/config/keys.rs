//! The set of keys each section accepts, read from the serde structs in
//! [`super::raw`], and the check that reports every unknown key at once with
//! its location and the nearest valid key.

use serde::Deserialize;
use serde::de::{self, Visitor};
use serde_saphyr::Spanned;

use super::diagnostic::Diagnostic;
use super::raw;
use super::yaml::{Node, Position};

/// What a key's value may hold, as far as key checking goes.
pub(crate) enum Shape {
    /// A mapping with a fixed key set; some keys have checked children.
    Section { keys: &'static [&'static str], children: Vec<(&'static str, Shape)> },
    /// A sequence whose items have this shape.
    ListOf(Box<Shape>),
    /// Anything (free-form maps such as `scenario_seed.files`).
    Any,
}

/// The key names serde will accept for `T` (a struct deriving Deserialize).
fn fields_of<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    let mut recorder = FieldRecorder { fields: &[] };
    let _ = T::deserialize(&mut recorder);
    recorder.fields
}

struct FieldRecorder {
    fields: &'static [&'static str],
}

impl<'de> de::Deserializer<'de> for &mut FieldRecorder {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("field recorder"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        self.fields = fields;
        Err(de::Error::custom("field recorder"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
        unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

fn section<'de, T: Deserialize<'de>>(children: Vec<(&'static str, Shape)>) -> Shape {
    Shape::Section { keys: fields_of::<T>(), children }
}

/// The key schema of a whole config.
pub(crate) fn schema() -> Shape {
    let llm = || section::<raw::RawLlm>(vec![]);
    let checkpoint = || section::<raw::RawCheckpoint>(vec![]);
    let scenario = || {
        section::<raw::RawScenarioSeed>(vec![
            ("files", Shape::Any),
            ("git", section::<raw::RawGitSeed>(vec![])),
        ])
    };
    section::<raw::RawConfig>(vec![
        ("llm", llm()),
        ("topics", section::<raw::RawTopics>(vec![("llm", llm())])),
        (
            "generation",
            section::<raw::RawGeneration>(vec![
                ("llm", llm()),
                ("conversation", section::<raw::RawConversation>(vec![])),
                ("rate_limit", section::<raw::RawRateLimit>(vec![])),
                (
                    "tools",
                    section::<raw::RawTools>(vec![
                        ("scenario_seed", scenario()),
                        ("scenarios", Shape::ListOf(Box::new(scenario()))),
                        ("mcp_servers", Shape::ListOf(Box::new(section::<raw::RawMcpServer>(vec![])))),
                    ]),
                ),
            ]),
        ),
        (
            "output",
            section::<raw::RawOutput>(vec![
                ("checkpoint", checkpoint()),
                ("formats", Shape::ListOf(Box::new(section::<raw::RawFormatSpec>(vec![])))),
                ("formatters", Shape::ListOf(Box::new(section::<raw::RawFormatter>(vec![])))),
            ]),
        ),
        ("checkpoint", checkpoint()),
        ("huggingface", section::<raw::RawHuggingFace>(vec![])),
        ("kaggle", section::<raw::RawKaggle>(vec![])),
        ("evaluation", Shape::Any),
        ("deepfabric_cloud", Shape::Any),
    ])
}

/// Top-level keys of the pre-4.0 DeepFabric layout, with where they went.
const OLD_LAYOUT: &[(&str, &str)] = &[
    ("topic_tree", "the pre-4.0 layout: use `topics:` with `mode: tree`"),
    ("topic_graph", "the pre-4.0 layout: use `topics:` with `mode: graph`"),
    ("data_engine", "the pre-4.0 layout: use `generation:`"),
    ("dataset", "the pre-4.0 layout: use `output:` (`num_samples`, `batch_size`, `save_as`)"),
    ("dataset_system_prompt", "the pre-4.0 layout: use `output.system_prompt`"),
];

/// Every unknown key in the document, in file order.
pub(crate) fn unknown_keys(root: &Spanned<Node>, schema: &Shape) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    check(root, schema, "", schema, &mut out);
    out
}

fn check(node: &Spanned<Node>, shape: &Shape, path: &str, root: &Shape, out: &mut Vec<Diagnostic>) {
    match (shape, &node.value) {
        (Shape::Section { keys, children }, Node::Map(entries)) => {
            for (key, value) in entries {
                let name = key.value.as_str();
                let child_path = if path.is_empty() { name.to_owned() } else { format!("{path}.{name}") };
                if !keys.contains(&name) {
                    out.push(unknown(key, path, keys, root));
                } else if let Some((_, child)) = children.iter().find(|(k, _)| *k == name) {
                    check(value, child, &child_path, root, out);
                }
            }
        }
        (Shape::ListOf(item), Node::Seq(items)) => {
            for (i, value) in items.iter().enumerate() {
                check(value, item, &format!("{path}[{i}]"), root, out);
            }
        }
        // Wrong kinds of value are type errors, reported by the typed pass.
        _ => {}
    }
}

fn unknown(key: &Spanned<String>, section: &str, keys: &[&str], root: &Shape) -> Diagnostic {
    let name = key.value.as_str();
    let message = if section.is_empty() {
        format!("unknown key `{name}`")
    } else {
        format!("unknown key `{name}` in `{section}`")
    };
    let diagnostic = Diagnostic::new(Position::of(key), message);
    if section.is_empty()
        && let Some((_, hint)) = OLD_LAYOUT.iter().find(|(old, _)| *old == name)
    {
        return diagnostic.with_hint(format!("`{name}` is {hint}"));
    }
    if let Some(best) = nearest(name, keys) {
        return diagnostic.with_hint(format!("did you mean `{best}`?"));
    }
    let mut homes = Vec::new();
    sections_with_key(root, name, "", &mut homes);
    homes.retain(|home| home != section);
    match homes.first() {
        Some(home) if home.is_empty() => diagnostic.with_hint(format!("`{name}` belongs at the top level")),
        Some(home) => diagnostic.with_hint(format!("`{name}` belongs in `{home}`")),
        None => diagnostic.with_hint(format!("valid keys here: {}", keys.join(", "))),
    }
}

/// The closest known key, if it is close enough to be a typo.
pub(crate) fn nearest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let lowered = name.to_ascii_lowercase().replace('-', "_");
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(&lowered, c), *c))
        .filter(|(distance, c)| *distance <= (c.len().max(name.len()) / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

fn sections_with_key(shape: &Shape, name: &str, path: &str, out: &mut Vec<String>) {
    if let Shape::Section { keys, children } = shape {
        if keys.contains(&name) {
            out.push(path.to_owned());
        }
        for (key, child) in children {
            let child_path = if path.is_empty() { (*key).to_owned() } else { format!("{path}.{key}") };
            sections_with_key(child, name, &child_path, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every dotted key the schema accepts (list items as `[]`).
    fn schema_paths(shape: &Shape, prefix: &str, out: &mut Vec<String>) {
        match shape {
            Shape::Section { keys, children } => {
                for key in *keys {
                    let path = if prefix.is_empty() { (*key).to_owned() } else { format!("{prefix}.{key}") };
                    out.push(path.clone());
                    if let Some((_, child)) = children.iter().find(|(k, _)| k == key) {
                        schema_paths(child, &path, out);
                    }
                }
            }
            Shape::ListOf(item) => schema_paths(item, &format!("{prefix}[]"), out),
            Shape::Any => {}
        }
    }

    fn used_paths(node: &Spanned<Node>, shape: &Shape, prefix: &str, out: &mut Vec<String>) {
        match (shape, &node.value) {
            (Shape::Section { children, .. }, Node::Map(entries)) => {
                for (key, value) in entries {
                    let path =
                        if prefix.is_empty() { key.value.clone() } else { format!("{prefix}.{}", key.value) };
                    out.push(path.clone());
                    if let Some((_, child)) = children.iter().find(|(k, _)| *k == key.value) {
                        used_paths(value, child, &path, out);
                    }
                }
            }
            (Shape::ListOf(item), Node::Seq(items)) => {
                for value in items {
                    used_paths(value, item, &format!("{prefix}[]"), out);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn the_examples_together_use_every_key() {
        let schema = schema();
        let mut all = Vec::new();
        schema_paths(&schema, "", &mut all);
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
        let mut used = Vec::new();
        for entry in std::fs::read_dir(dir).expect("examples/") {
            let path = entry.expect("entry").path();
            if path.extension().is_none_or(|ext| ext != "yaml") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("example");
            let tree: Spanned<Node> = serde_saphyr::from_str(&text).expect("yaml");
            used_paths(&tree, &schema, "", &mut used);
        }
        // `kaggle:` is known only to be refused with a clear message
        // (tests/test_config_errors.rs): no example can carry it.
        // `scenario_seed.name` is known only to be refused (a name belongs
        // to `scenarios` entries, which share the struct).
        let missing: Vec<&String> = all
            .iter()
            .filter(|p| !used.contains(p) && !p.starts_with("kaggle") && !p.ends_with("scenario_seed.name"))
            .collect();
        assert!(missing.is_empty(), "keys no example uses: {missing:?}");
    }

    #[test]
    fn nearest_suggests_typos_only() {
        let keys = ["num_samples", "batch_size", "save_as"];
        assert_eq!(nearest("num_sample", &keys), Some("num_samples"));
        assert_eq!(nearest("Batch-Size", &keys), Some("batch_size"));
        assert_eq!(nearest("checkpoint", &keys), None);
    }
}
