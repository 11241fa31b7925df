//! The crate's integration tests, one module per subject, built as one
//! test binary (one link of the dependency tree instead of one per file).

mod common;
mod test_builtin_definitions;
mod test_http_definitions;
mod test_mcp_import;
mod test_mock;
