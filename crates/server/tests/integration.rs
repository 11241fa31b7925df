//! The crate's integration tests, one module per subject, built as one
//! test binary (one link of the dependency tree instead of one per file).

mod common;
mod test_backend_contract;
mod test_connections;
mod test_deepfabric_client;
mod test_front;
mod test_head_of_line;
mod test_http_api;
mod test_mcp;
mod test_mock_api;
mod test_policy;
mod test_workers;
