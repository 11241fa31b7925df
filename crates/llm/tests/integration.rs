//! The crate's integration tests, one module per subject, built as one
//! test binary (one link of the dependency tree instead of one per file).

mod common;
mod test_anthropic;
mod test_gemini;
mod test_http2;
mod test_ollama;
mod test_openai;
mod test_openrouter;
mod test_plain_http;
mod test_scripted;
