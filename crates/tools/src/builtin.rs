//! The built-in components' tool definitions as data: the same files the
//! guests answer `describe` from (`components/*/tools.json`), so a client of
//! a tool service knows them without starting a sandbox.

use std::sync::OnceLock;

use weft_protocol::ToolDefinition;

const VFS: &str = include_str!("../../../components/vfs/tools.json");

/// The VFS component's tools (`read_file`, `write_file`, `list_files`, ...),
/// in MCP form. DeepFabric's own Spin service offers the same tools and has
/// no `GET /tools`; these describe it.
pub fn vfs_definitions() -> Vec<ToolDefinition> {
    static PARSED: OnceLock<Vec<ToolDefinition>> = OnceLock::new();
    PARSED
        .get_or_init(|| {
            // Built into the binary and checked by the tests: it parses.
            serde_json::from_str(VFS).unwrap_or_default()
        })
        .clone()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_vfs_file_parses_into_its_seven_tools() {
        let tools = super::vfs_definitions();
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "read_file",
                "write_file",
                "list_files",
                "delete_file",
                "edit_file",
                "search_files",
                "move_file"
            ]
        );
        assert!(tools.iter().all(|t| t.input_schema["type"] == "object"));
    }
}
