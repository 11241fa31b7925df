//! The crate's integration tests, one module per subject, built as one
//! test binary (one link of the dependency tree instead of one per file).

mod common;
mod test_card;
mod test_errors;
mod test_private;
mod test_reupload;
mod test_throughput;
mod test_token_secrecy;
mod test_upload;
