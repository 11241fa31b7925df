//! The crate's integration tests, one module per subject, built as one
//! test binary (one link of the dependency tree instead of one per file).

mod common;
mod test_github;
mod test_kv;
mod test_outbound;
mod test_vfs;
