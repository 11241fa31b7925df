//! What `describe` answers: the tools in MCP form, from `tools.json` — the
//! one definition of the VFS's tools, which the host side (`weft-tools`)
//! reads too, so that a generator that talks to a VFS over HTTP knows its
//! tools without running any wasm.

use alloc::borrow::ToOwned;
use alloc::string::ToString;
use alloc::vec::Vec;

use serde_json::Value;

use crate::weft::tool::types::ToolDefinition;

const TOOLS: &str = include_str!("../tools.json");

/// The definitions (none if `tools.json` were malformed, which the host's
/// tests rule out: they compare what `describe` answers with the file).
pub(crate) fn definitions() -> Vec<ToolDefinition> {
    let Ok(Value::Array(tools)) = serde_json::from_str::<Value>(TOOLS) else {
        return Vec::new();
    };
    tools.iter().map(definition).collect()
}

fn definition(tool: &Value) -> ToolDefinition {
    let text = |key: &str| tool.get(key).and_then(Value::as_str).map(str::to_owned);
    ToolDefinition {
        name: text("name").unwrap_or_default(),
        title: text("title"),
        description: text("description").unwrap_or_default(),
        input_schema: tool.get("inputSchema").map_or_else(|| "{}".to_owned(), Value::to_string),
        annotations: tool.get("annotations").map(Value::to_string),
    }
}
