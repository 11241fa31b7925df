//! Tool definitions in harmony's TypeScript-like form, following the
//! spec's rules: a `// description` line above each function and field,
//! `type name = (_: {...}) => any;` (or `() => any;` without parameters),
//! `?` on optional fields, `// default: x` after a field with a default,
//! an empty line after each function.

use serde_json::Value;

use crate::format::pyjson::dumps;

/// One tool (OpenAI form or a bare function definition), with its
/// trailing empty line.
pub(super) fn function(tool: &Value, out: &mut String) {
    let function = tool.get("function").unwrap_or(tool);
    let name = function.get("name").and_then(Value::as_str).unwrap_or_default();
    if let Some(description) = function.get("description").and_then(Value::as_str) {
        comment(description, out);
    }
    out.push_str("type ");
    out.push_str(name);
    out.push_str(" = ");
    let parameters = function.get("parameters").unwrap_or(&Value::Null);
    match parameters.get("properties").and_then(Value::as_object) {
        Some(properties) if !properties.is_empty() => {
            out.push_str("(_: ");
            object(parameters, out);
            out.push_str(") => any;\n\n");
        }
        _ => out.push_str("() => any;\n\n"),
    }
}

/// `{\n fields \n}` of an object schema with properties.
fn object(schema: &Value, out: &mut String) {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    out.push_str("{\n");
    for (name, field) in schema.get("properties").and_then(Value::as_object).into_iter().flatten() {
        if let Some(description) = field.get("description").and_then(Value::as_str) {
            comment(description, out);
        }
        out.push_str(name);
        if !required.contains(&name.as_str()) {
            out.push('?');
        }
        out.push_str(": ");
        type_of(field, out);
        out.push(',');
        if let Some(default) = field.get("default") {
            out.push_str(" // default: ");
            match default {
                Value::String(text) => out.push_str(text),
                other => out.push_str(&dumps(other)),
            }
        }
        out.push('\n');
    }
    out.push('}');
}

/// The TypeScript type of a JSON schema.
fn type_of(schema: &Value, out: &mut String) {
    let start = out.len();
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let values: Vec<String> = values.iter().map(dumps).collect();
        out.push_str(&values.join(" | "));
    } else if let Some(variants) =
        schema.get("oneOf").or_else(|| schema.get("anyOf")).and_then(Value::as_array)
    {
        for (index, variant) in variants.iter().enumerate() {
            if index > 0 {
                out.push_str(" | ");
            }
            type_of(variant, out);
        }
    } else {
        match schema.get("type") {
            Some(Value::String(kind)) => named_type(kind, schema, out),
            Some(Value::Array(kinds)) => {
                for (index, kind) in kinds.iter().filter_map(Value::as_str).enumerate() {
                    if index > 0 {
                        out.push_str(" | ");
                    }
                    named_type(kind, schema, out);
                }
            }
            _ => out.push_str("any"),
        }
    }
    if schema.get("nullable").and_then(Value::as_bool) == Some(true) && !out[start..].ends_with("null") {
        out.push_str(" | null");
    }
}

fn named_type(kind: &str, schema: &Value, out: &mut String) {
    match kind {
        "string" => out.push_str("string"),
        "number" | "integer" => out.push_str("number"),
        "boolean" => out.push_str("boolean"),
        "null" => out.push_str("null"),
        "array" => {
            let mut item = String::new();
            match schema.get("items") {
                Some(items) => type_of(items, &mut item),
                None => item.push_str("any"),
            }
            if item.contains([' ', '\n']) {
                out.push_str("any[]");
            } else {
                out.push_str(&item);
                out.push_str("[]");
            }
        }
        "object" => match schema.get("properties").and_then(Value::as_object) {
            Some(properties) if !properties.is_empty() => object(schema, out),
            _ => out.push_str("object"),
        },
        _ => out.push_str("any"),
    }
}

/// `// text`, one comment line per line of text.
fn comment(text: &str, out: &mut String) {
    for line in text.lines() {
        out.push_str("// ");
        out.push_str(line);
        out.push('\n');
    }
}
