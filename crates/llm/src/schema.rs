//! JSON-schema rewrites that providers insist on.

use serde_json::{Map, Value};

/// OpenAI strict structured output: every object closes
/// (`additionalProperties: false`) and lists every property as required;
/// a property that was optional becomes nullable so the model may still omit
/// a value by answering `null`.
pub(crate) fn openai_strict(schema: &Value) -> Value {
    let mut schema = schema.clone();
    close_objects(&mut schema);
    schema
}

fn close_objects(schema: &mut Value) {
    let Some(node) = schema.as_object_mut() else {
        if let Some(items) = schema.as_array_mut() {
            items.iter_mut().for_each(close_objects);
        }
        return;
    };
    let is_object =
        node.get("type").and_then(Value::as_str) == Some("object") || node.contains_key("properties");
    if is_object {
        let was_required: Vec<String> = node
            .get("required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default();
        let properties = node.entry("properties").or_insert_with(|| Value::Object(Map::new()));
        let mut names = Vec::new();
        if let Some(properties) = properties.as_object_mut() {
            for (name, property) in properties.iter_mut() {
                if !was_required.contains(name) {
                    make_nullable(property);
                }
                names.push(Value::String(name.clone()));
            }
        }
        node.insert("required".into(), Value::Array(names));
        node.insert("additionalProperties".into(), Value::Bool(false));
    }
    for (key, child) in node.iter_mut() {
        match key.as_str() {
            "properties" | "$defs" | "definitions" | "patternProperties" => {
                if let Some(children) = child.as_object_mut() {
                    children.values_mut().for_each(close_objects);
                }
            }
            "items" | "anyOf" | "oneOf" | "allOf" | "prefixItems" | "not" => close_objects(child),
            _ => {}
        }
    }
}

fn make_nullable(property: &mut Value) {
    let Some(node) = property.as_object_mut() else {
        return;
    };
    match node.get_mut("type") {
        Some(Value::String(kind)) if kind != "null" => {
            let kind = kind.clone();
            node.insert("type".into(), serde_json::json!([kind, "null"]));
        }
        Some(Value::Array(kinds)) if !kinds.iter().any(|k| k == "null") => kinds.push("null".into()),
        _ => {}
    }
}

/// The keywords Gemini's OpenAPI-subset schema accepts; everything else
/// (`additionalProperties`, `$schema`, `$ref`, `default`, `const`, ...) is
/// dropped, recursively. `type: [T, "null"]` becomes `type: T, nullable: true`.
const GEMINI_KEYWORDS: &[&str] = &[
    "type",
    "format",
    "title",
    "description",
    "nullable",
    "enum",
    "items",
    "minItems",
    "maxItems",
    "properties",
    "required",
    "minProperties",
    "maxProperties",
    "propertyOrdering",
    "anyOf",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "example",
];

/// `schema` rewritten for Gemini's `parameters` / `responseSchema`.
pub(crate) fn gemini(schema: &Value) -> Value {
    let Some(node) = schema.as_object() else {
        return schema.clone();
    };
    let mut out = Map::new();
    for (key, value) in node {
        if !GEMINI_KEYWORDS.contains(&key.as_str()) {
            continue;
        }
        let value = match key.as_str() {
            "properties" => Value::Object(
                value
                    .as_object()
                    .map(|props| props.iter().map(|(name, prop)| (name.clone(), gemini(prop))).collect())
                    .unwrap_or_default(),
            ),
            "items" => gemini(value),
            "anyOf" => Value::Array(
                value.as_array().map(|alts| alts.iter().map(gemini).collect()).unwrap_or_default(),
            ),
            "type" => match value {
                Value::Array(kinds) => {
                    if kinds.iter().any(|k| k == "null") {
                        out.insert("nullable".into(), Value::Bool(true));
                    }
                    kinds.iter().find(|k| *k != "null").cloned().unwrap_or_else(|| "string".into())
                }
                other => other.clone(),
            },
            _ => value.clone(),
        };
        out.insert(key.clone(), value);
    }
    // `required` may only name properties that exist.
    if let Some(Value::Array(required)) = out.get("required") {
        let known = out.get("properties").and_then(Value::as_object);
        let kept: Vec<Value> = required
            .iter()
            .filter(|name| {
                name.as_str().is_some_and(|name| known.is_some_and(|props| props.contains_key(name)))
            })
            .cloned()
            .collect();
        out.insert("required".into(), Value::Array(kept));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn strict_closes_objects_and_requires_everything() {
        let schema = json!({
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "tags": {"type": "array", "items": {"type": "object", "properties": {"k": {"type": "string"}}}}
            },
            "required": ["name"]
        });
        let strict = openai_strict(&schema);
        assert_eq!(strict["additionalProperties"], json!(false));
        assert_eq!(strict["required"], json!(["name", "tags"]));
        assert_eq!(strict["properties"]["tags"]["type"], json!(["array", "null"]));
        assert_eq!(strict["properties"]["tags"]["items"]["additionalProperties"], json!(false));
        assert_eq!(strict["properties"]["tags"]["items"]["required"], json!(["k"]));
    }

    #[test]
    fn gemini_strips_unsupported_keywords_recursively() {
        let schema = json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "additionalProperties": {"type": "string", "default": "x"},
                "list": {"type": "array", "items": {"type": "object", "additionalProperties": false,
                          "properties": {"v": {"type": ["integer", "null"], "const": 3}}}}
            },
            "required": ["list", "ghost"]
        });
        let cleaned = gemini(&schema);
        assert_eq!(
            cleaned,
            json!({
                "type": "object",
                "properties": {
                    "additionalProperties": {"type": "string"},
                    "list": {"type": "array", "items": {"type": "object",
                             "properties": {"v": {"type": "integer", "nullable": true}}}}
                },
                "required": ["list"]
            })
        );
    }
}
