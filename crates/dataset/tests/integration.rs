//! The crate's integration tests, one module per subject, built as one
//! test binary (one link of the dependency tree instead of one per file).

mod browser;
mod test_chat_templates;
mod test_formats;
mod test_inspect;
mod test_inspect_browser;
