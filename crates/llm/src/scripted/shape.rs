//! Fitting scripted text into a requested JSON schema.

use serde_json::{Map, Value};

use crate::ResponseSchema;

/// `text` as is, or shaped to `schema` (strings get the text).
pub(super) fn fit_text(text: &str, schema: Option<&ResponseSchema>) -> String {
    match schema {
        None => text.to_owned(),
        Some(schema) => example(&schema.schema, text, &[text.to_owned()]).to_string(),
    }
}

/// `items` as a JSON array, or shaped to `schema` (string arrays get the items).
pub(super) fn fit_list(items: &[String], schema: Option<&ResponseSchema>) -> String {
    match schema {
        None => Value::from(items.to_vec()).to_string(),
        Some(schema) => example(&schema.schema, items.first().map_or("", String::as_str), items).to_string(),
    }
}

/// A value that follows `schema`: strings are `text`, arrays of strings are `items`.
fn example(schema: &Value, text: &str, items: &[String]) -> Value {
    if let Some(first) = schema.get("enum").and_then(Value::as_array).and_then(|e| e.first()) {
        return first.clone();
    }
    let kind = match schema.get("type") {
        Some(Value::String(kind)) => kind.as_str(),
        Some(Value::Array(kinds)) => {
            kinds.iter().filter_map(Value::as_str).find(|k| *k != "null").unwrap_or("string")
        }
        _ if schema.get("properties").is_some() => "object",
        _ if schema.get("items").is_some() => "array",
        _ => "string",
    };
    match kind {
        "object" => {
            let mut object = Map::new();
            if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                for (name, property) in properties {
                    object.insert(name.clone(), example(property, text, items));
                }
            }
            Value::Object(object)
        }
        "array" => {
            let item = schema.get("items").cloned().unwrap_or(Value::Null);
            let item_kind = item.get("type").and_then(Value::as_str).unwrap_or("string");
            if item_kind == "string" {
                Value::from(items.to_vec())
            } else {
                Value::Array(vec![example(&item, text, items)])
            }
        }
        "integer" => schema.get("minimum").cloned().unwrap_or_else(|| 1.into()),
        "number" => schema.get("minimum").cloned().unwrap_or_else(|| 1.0.into()),
        "boolean" => Value::Bool(true),
        "null" => Value::Null,
        _ => Value::String(text.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn lists_fill_arrays_and_objects() {
        let items = vec!["a".to_owned(), "b".to_owned()];
        assert_eq!(fit_list(&items, None), r#"["a","b"]"#);
        let schema = ResponseSchema {
            name: "subtopics".into(),
            schema: json!({"type": "object", "properties": {"subtopics": {"type": "array", "items": {"type": "string"}}}}),
        };
        assert_eq!(fit_list(&items, Some(&schema)), r#"{"subtopics":["a","b"]}"#);
        let text = ResponseSchema {
            name: "r".into(),
            schema: json!({"type": "object", "properties": {"request": {"type": "string"}}}),
        };
        assert_eq!(fit_text("hi", Some(&text)), r#"{"request":"hi"}"#);
    }
}
