//! The crate's integration tests, one module per subject, built as one
//! test binary (one link of the dependency tree instead of one per file).

#[path = "../../dataset/tests/browser.rs"]
mod browser;
mod common;
#[path = "../../sandbox/tests/common/fake_github.rs"]
mod fake_github;
mod test_custom_records;
mod test_eval;
mod test_format;
mod test_generate;
mod test_generate_brought_tools;
mod test_github;
mod test_inspect;
mod test_irrelevance;
mod test_mcp;
mod test_new;
mod test_reliability;
mod test_scenarios;
mod test_serve;
mod test_shard;
mod test_spin;
mod test_split;
mod test_tool_service_faults;
mod test_upload;
mod test_validate_topics;
mod test_verify;
