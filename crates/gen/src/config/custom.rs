//! Inline tool definitions (`tools.custom`) in the shapes users bring:
//! DeepFabric's (`parameters` as a list of `{name, type, description,
//! required}`), MCP's (`inputSchema`) and OpenAI's function format
//! (`{type: function, function: {name, parameters}}`).

use serde_json::{Map, Value, json};
use weft_protocol::ToolDefinition;

/// The MCP form of one inline definition, or what is wrong with it.
pub fn custom_tool_definition(value: &Value) -> Result<ToolDefinition, String> {
    let value = match value.get("function") {
        Some(function) if value.get("type").and_then(Value::as_str) == Some("function") => function,
        _ => value,
    };
    let name = value.get("name").and_then(Value::as_str).filter(|n| !n.is_empty()).ok_or("needs a `name`")?;
    let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_owned);
    let mut description = text("description").unwrap_or_default();
    if let Some(returns) = text("returns").filter(|r| !r.is_empty()) {
        description = format!("{description} Returns: {returns}").trim().to_owned();
    }
    let input_schema = if let Some(schema) = value.get("inputSchema").or_else(|| value.get("input_schema")) {
        schema.clone()
    } else {
        match value.get("parameters") {
            None | Some(Value::Null) => json!({"type": "object", "properties": {}}),
            Some(Value::Array(list)) => parameters_schema(list)?,
            Some(schema @ Value::Object(_)) => schema.clone(),
            Some(_) => return Err("`parameters` must be a list of parameters or a JSON schema".into()),
        }
    };
    if input_schema.get("type").and_then(Value::as_str) != Some("object") {
        return Err("the input schema must have `type: object`".into());
    }
    Ok(ToolDefinition {
        name: name.to_owned(),
        title: text("title"),
        description,
        input_schema,
        output_schema: value.get("outputSchema").cloned(),
        annotations: value.get("annotations").and_then(|a| serde_json::from_value(a.clone()).ok()),
    })
}

/// DeepFabric's parameter list as a JSON schema.
fn parameters_schema(list: &[Value]) -> Result<Value, String> {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for (i, parameter) in list.iter().enumerate() {
        let name = parameter
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| format!("parameter {i} needs a `name`"))?;
        let kind = parameter.get("type").and_then(Value::as_str).unwrap_or("str");
        let json_type = match kind {
            "str" | "string" => "string",
            "int" | "integer" => "integer",
            "float" | "number" => "number",
            "bool" | "boolean" => "boolean",
            "list" | "array" => "array",
            "dict" | "object" => "object",
            other => {
                return Err(format!(
                    "parameter `{name}` has type `{other}`; use str, int, float, bool, list or dict"
                ));
            }
        };
        let mut property = Map::new();
        property.insert("type".into(), json!(json_type));
        if let Some(text) = parameter.get("description").and_then(Value::as_str) {
            property.insert("description".into(), json!(text));
        }
        if let Some(default) = parameter.get("default").filter(|d| !d.is_null()) {
            property.insert("default".into(), default.clone());
        }
        properties.insert(name.to_owned(), Value::Object(property));
        if parameter.get("required").and_then(Value::as_bool).unwrap_or(true) {
            required.push(json!(name));
        }
    }
    Ok(json!({"type": "object", "properties": properties, "required": required}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deepfabric_parameters_become_a_schema() {
        let tool = custom_tool_definition(&json!({
            "name": "escalate_ticket",
            "description": "Hand over",
            "parameters": [
                {"name": "reason", "type": "str", "description": "Why", "required": true},
                {"name": "priority", "type": "int", "required": false, "default": 2}
            ],
            "returns": "Ticket number"
        }))
        .unwrap();
        assert_eq!(tool.description, "Hand over Returns: Ticket number");
        assert_eq!(
            tool.input_schema,
            json!({"type": "object", "properties": {
                "reason": {"type": "string", "description": "Why"},
                "priority": {"type": "integer", "default": 2}
            }, "required": ["reason"]})
        );
    }

    #[test]
    fn mcp_and_openai_shapes_are_taken_as_they_are() {
        let schema = json!({"type": "object", "properties": {"q": {"type": "string"}}});
        let mcp = custom_tool_definition(&json!({"name": "a", "inputSchema": schema})).unwrap();
        assert_eq!(mcp.input_schema, schema);
        let openai = custom_tool_definition(
            &json!({"type": "function", "function": {"name": "b", "parameters": schema}}),
        )
        .unwrap();
        assert_eq!((openai.name.as_str(), &openai.input_schema), ("b", &schema));
        let err =
            custom_tool_definition(&json!({"name": "c", "parameters": [{"name": "x", "type": "complex"}]}));
        assert!(err.unwrap_err().contains("`complex`"));
    }
}
