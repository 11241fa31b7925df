//! What a mock tool is on the wire and on disk: an MCP tool definition plus
//! weft's `mockResponse` and `mockFixtures`, and the parsing of
//! `load-schema` bodies.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use weft_protocol::ToolDefinition;

use super::MockError;

/// A mock tool as loaded, listed and persisted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MockToolRecord {
    /// The MCP definition (`name`, `title`, `description`, `inputSchema`,
    /// `outputSchema`, `annotations`).
    #[serde(flatten)]
    pub definition: ToolDefinition,
    /// The response template used when no fixture matches; the default
    /// response when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mock_response: Option<Value>,
    /// Argument-specific responses.
    #[serde(default)]
    pub mock_fixtures: Vec<Fixture>,
}

/// An argument-specific response: used when every key of `match` is an
/// argument with an equal JSON value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fixture {
    /// Argument name → the value it must have.
    #[serde(rename = "match")]
    pub matches: Map<String, Value>,
    /// The response template.
    pub response: Value,
}

impl Fixture {
    /// Whether `args` has every matched key with an equal value.
    pub(crate) fn matches(&self, args: &Value) -> bool {
        self.matches.iter().all(|(key, want)| args.get(key) == Some(want))
    }
}

/// Parses a `load-schema` body: JSON first, then YAML; a list of tools or
/// the MCP `tools/list` result `{"tools": [...]}`.
pub(crate) fn parse_tools(body: &[u8]) -> Result<Vec<MockToolRecord>, MockError> {
    let document = parse_document(body)?;
    let tools = match document {
        Value::Array(tools) => tools,
        Value::Object(mut object) => match object.remove("tools") {
            Some(Value::Array(tools)) => tools,
            Some(_) => return Err(invalid("'tools' must be a list of tool definitions")),
            None => return Err(invalid("expected a list of tools or an object with a 'tools' list")),
        },
        _ => return Err(invalid("expected a list of tools or an object with a 'tools' list")),
    };
    tools.into_iter().enumerate().map(|(index, tool)| parse_tool(index, tool)).collect()
}

fn parse_document(body: &[u8]) -> Result<Value, MockError> {
    let json_error = match serde_json::from_slice::<Value>(body) {
        Ok(value) => return Ok(value),
        Err(err) => err,
    };
    let text = std::str::from_utf8(body).map_err(|_| invalid("the body is neither JSON nor UTF-8 YAML"))?;
    match serde_saphyr::from_str::<Value>(text) {
        Ok(Value::Null) | Err(_) if text.trim_start().starts_with(['{', '[']) => {
            Err(invalid(format!("invalid JSON: {json_error}")))
        }
        Ok(value) => Ok(value),
        Err(err) => Err(invalid(format!("neither JSON ({json_error}) nor YAML ({err})"))),
    }
}

fn parse_tool(index: usize, tool: Value) -> Result<MockToolRecord, MockError> {
    let name = tool.get("name").and_then(Value::as_str).map(str::to_owned);
    let at = match &name {
        Some(name) => format!("tool #{index} ('{name}')"),
        None => format!("tool #{index}"),
    };
    if !tool.is_object() {
        return Err(invalid(format!("{at}: expected an object")));
    }
    if name.as_deref().is_none_or(str::is_empty) {
        return Err(invalid(format!("{at}: 'name' must be a non-empty string")));
    }
    if let Some(schema) = tool.get("inputSchema")
        && !schema.is_object()
        && !schema.is_boolean()
    {
        return Err(invalid(format!("{at}: 'inputSchema' must be a JSON Schema object")));
    }
    serde_json::from_value(tool).map_err(|err| invalid(format!("{at}: {err}")))
}

fn invalid(message: impl Into<String>) -> MockError {
    MockError::InvalidSchema(message.into())
}
