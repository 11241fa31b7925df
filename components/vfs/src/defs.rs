//! What `describe` answers: the tools in MCP form.

use alloc::borrow::ToOwned;
use alloc::vec;
use alloc::vec::Vec;

use crate::weft::tool::types::ToolDefinition;

pub(crate) fn definitions() -> Vec<ToolDefinition> {
    vec![
        tool(
            "read_file",
            "Read content from a file",
            r#"{"type":"object","properties":{"file_path":{"type":"string","description":"Path to the file to read"}},"required":["file_path"]}"#,
            Some(r#"{"readOnlyHint":true}"#),
        ),
        tool(
            "write_file",
            "Write content to a file",
            r#"{"type":"object","properties":{"file_path":{"type":"string","description":"Path to the file to write"},"content":{"type":"string","description":"Content to write to the file"}},"required":["file_path","content"]}"#,
            Some(r#"{"destructiveHint":true,"idempotentHint":true}"#),
        ),
        tool(
            "list_files",
            "List all files in the current session",
            r#"{"type":"object","properties":{"directory":{"type":"string","description":"Only list files under this directory"}}}"#,
            Some(r#"{"readOnlyHint":true}"#),
        ),
        tool(
            "delete_file",
            "Delete a file",
            r#"{"type":"object","properties":{"file_path":{"type":"string","description":"Path to the file to delete"}},"required":["file_path"]}"#,
            Some(r#"{"destructiveHint":true}"#),
        ),
        tool(
            "edit_file",
            "Replace one exact, unique occurrence of old_string with new_string in a file",
            r#"{"type":"object","properties":{"file_path":{"type":"string","description":"Path of the file to edit"},"old_string":{"type":"string","description":"Text to replace; must occur exactly once"},"new_string":{"type":"string","description":"Replacement text"}},"required":["file_path","old_string","new_string"]}"#,
            Some(r#"{"destructiveHint":true}"#),
        ),
        tool(
            "search_files",
            "Search file contents with a regular expression; answers path:line: text",
            r#"{"type":"object","properties":{"pattern":{"type":"string","description":"Regular expression"},"directory":{"type":"string","description":"Only search under this directory"}},"required":["pattern"]}"#,
            Some(r#"{"readOnlyHint":true}"#),
        ),
        tool(
            "move_file",
            "Move or rename a file",
            r#"{"type":"object","properties":{"source":{"type":"string","description":"Current path"},"destination":{"type":"string","description":"New path"}},"required":["source","destination"]}"#,
            Some(r#"{"destructiveHint":true}"#),
        ),
    ]
}

fn tool(name: &str, description: &str, schema: &str, annotations: Option<&str>) -> ToolDefinition {
    ToolDefinition {
        name: name.to_owned(),
        title: None,
        description: description.to_owned(),
        input_schema: schema.to_owned(),
        annotations: annotations.map(str::to_owned),
    }
}
