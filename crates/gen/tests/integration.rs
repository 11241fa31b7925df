//! The crate's integration tests, one module per subject, built as one
//! test binary (one link of the dependency tree instead of one per file).

mod common;
mod test_config_errors;
mod test_config_examples;
mod test_custom_records;
mod test_faults;
mod test_generate_http;
mod test_generate_json_steps;
mod test_generate_openai;
mod test_generate_scripted;
mod test_max_per_query;
mod test_multi_turn;
mod test_no_wasm;
mod test_sample_shape;
mod test_topics;
mod test_verify;
mod test_writer;
