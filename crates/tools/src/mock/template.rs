//! Response templates: any JSON value whose strings may hold `{{path}}`
//! placeholders, filled from the call's arguments.
//!
//! - `{{city}}` names an argument; `{{user.name}}` and `{{items.0}}` (or
//!   `{{items[0]}}`) walk into objects and arrays.
//! - A string that is exactly one placeholder (`"{{count}}"`) becomes the
//!   argument's JSON value, keeping its type (number, object, ...).
//! - Inside longer text a string argument is inserted as is and any other
//!   value as compact JSON.
//! - A path that names nothing becomes `null` as a whole string and the empty
//!   string inside text. `{{` without a closing `}}` is literal text.
//!
//! Templates are parsed once, when set; rendering does no parsing.

use serde_json::{Map, Value};

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Template {
    /// A value with no placeholder anywhere: cloned as is.
    Literal(Value),
    /// A string that is exactly one placeholder.
    Whole(ArgPath),
    /// A string mixing text and placeholders.
    Text(Vec<Piece>),
    /// An array with at least one placeholder inside.
    Array(Vec<Template>),
    /// An object with at least one placeholder inside.
    Object(Vec<(String, Template)>),
}

/// A piece of a [`Template::Text`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Piece {
    Text(String),
    Arg(ArgPath),
}

/// `a.b.0`: the steps from the arguments object to a value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ArgPath(Vec<Step>);

#[derive(Debug, Clone, PartialEq)]
struct Step {
    key: String,
    index: Option<usize>,
}

impl Template {
    /// Parses `value`.
    pub(crate) fn parse(value: &Value) -> Self {
        match value {
            Value::String(text) => parse_text(text),
            Value::Array(items) => {
                let items: Vec<Template> = items.iter().map(Template::parse).collect();
                if items.iter().all(|item| matches!(item, Template::Literal(_))) {
                    return Template::Literal(value.clone());
                }
                Template::Array(items)
            }
            Value::Object(fields) => {
                let fields: Vec<(String, Template)> =
                    fields.iter().map(|(key, value)| (key.clone(), Template::parse(value))).collect();
                if fields.iter().all(|(_, value)| matches!(value, Template::Literal(_))) {
                    return Template::Literal(value.clone());
                }
                Template::Object(fields)
            }
            other => Template::Literal(other.clone()),
        }
    }

    /// The value for `args`.
    pub(crate) fn render(&self, args: &Value) -> Value {
        match self {
            Template::Literal(value) => value.clone(),
            Template::Whole(path) => path.lookup(args).cloned().unwrap_or(Value::Null),
            Template::Text(pieces) => {
                let mut out = String::new();
                for piece in pieces {
                    match piece {
                        Piece::Text(text) => out.push_str(text),
                        Piece::Arg(path) => match path.lookup(args) {
                            Some(Value::String(text)) => out.push_str(text),
                            Some(Value::Null) | None => {}
                            Some(other) => out.push_str(&other.to_string()),
                        },
                    }
                }
                Value::String(out)
            }
            Template::Array(items) => Value::Array(items.iter().map(|item| item.render(args)).collect()),
            Template::Object(fields) => {
                let map: Map<String, Value> =
                    fields.iter().map(|(key, value)| (key.clone(), value.render(args))).collect();
                Value::Object(map)
            }
        }
    }
}

fn parse_text(text: &str) -> Template {
    let mut pieces = Vec::new();
    let mut rest = text;
    let mut literal = String::new();
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let Some(path) = ArgPath::parse(after[..end].trim()) else {
            // Not a placeholder (`{{}}`, `{{ a b }}`): keep the text.
            literal.push_str(&rest[..start + 2]);
            rest = after;
            continue;
        };
        literal.push_str(&rest[..start]);
        if !literal.is_empty() {
            pieces.push(Piece::Text(std::mem::take(&mut literal)));
        }
        pieces.push(Piece::Arg(path));
        rest = &after[end + 2..];
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        pieces.push(Piece::Text(literal));
    }
    match pieces.as_slice() {
        [] | [Piece::Text(_)] => Template::Literal(Value::String(text.to_owned())),
        [Piece::Arg(path)] => Template::Whole(path.clone()),
        _ => Template::Text(pieces),
    }
}

impl ArgPath {
    /// `a.b[0].c` → steps; `None` when it is not a path.
    fn parse(text: &str) -> Option<Self> {
        if text.is_empty() || text.chars().any(char::is_whitespace) {
            return None;
        }
        let normalised = text.replace('[', ".").replace(']', "");
        let steps: Vec<Step> =
            normalised.split('.').map(|key| Step { key: key.to_owned(), index: key.parse().ok() }).collect();
        if steps.iter().any(|step| step.key.is_empty()) {
            return None;
        }
        Some(Self(steps))
    }

    fn lookup<'a>(&self, args: &'a Value) -> Option<&'a Value> {
        self.0.iter().try_fold(args, |value, step| match (value, step.index) {
            (Value::Array(items), Some(index)) => items.get(index),
            (Value::Object(fields), _) => fields.get(&step.key),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn render(template: Value, args: Value) -> Value {
        Template::parse(&template).render(&args)
    }

    #[test]
    fn placeholder_free_values_stay_literal() {
        assert!(matches!(Template::parse(&json!({"a": [1, "x {{", "}}"]})), Template::Literal(_)));
    }

    #[test]
    fn whole_placeholders_keep_type_and_text_embeds() {
        let args = json!({"n": 3, "tags": ["a", "b"], "user": {"name": "Ada"}});
        assert_eq!(render(json!("{{ n }}"), args.clone()), json!(3));
        assert_eq!(render(json!("{{tags[1]}}/{{user.name}}"), args.clone()), json!("b/Ada"));
        assert_eq!(render(json!("n={{n}} tags={{tags}}"), args.clone()), json!(r#"n=3 tags=["a","b"]"#));
        assert_eq!(render(json!("{{missing}}"), args.clone()), Value::Null);
        assert_eq!(render(json!("[{{missing}}]"), args.clone()), json!("[]"));
        assert_eq!(render(json!("{{}} {{a b}}"), args), json!("{{}} {{a b}}"));
    }
}
