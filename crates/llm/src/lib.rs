//! LLM providers behind one trait, [`ChatModel`].
//!
//! [`build_model`] turns a [`ProviderSpec`] into a model: `openai` (and any
//! OpenAI-compatible `base_url`), `anthropic`, `gemini`, `ollama`,
//! `openrouter`, or the offline `scripted` provider. Remote providers share
//! one HTTP core with retries (jittered exponential backoff honouring
//! `Retry-After`), client-side rate limits and a per-call timeout; every
//! model counts calls, tokens and retries into a shared [`UsageCounter`].
//!
//! ```
//! use weft_llm::{ChatRequest, Message, ModelEnv, ProviderSpec, Purpose, UsageCounter, build_model_in};
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let usage = UsageCounter::new();
//! let env = ModelEnv::from_process().with_usage(usage.clone());
//! let model = build_model_in(&ProviderSpec::new("scripted", "demo"), &env)?;
//! let request = ChatRequest {
//!     messages: vec![Message::user("Generate 4 subtopics.\nTopic path: Rust -> Error handling")],
//!     purpose: Purpose::Subtopics,
//!     ..ChatRequest::default()
//! };
//! let reply = model.chat(&request).await?;
//! let subtopics: Vec<String> = serde_json::from_str(&reply.content).unwrap();
//! assert_eq!(subtopics.len(), 4);
//! assert_eq!(usage.snapshot().calls, 1);
//! # Ok::<(), weft_llm::LlmError>(())
//! # }).unwrap();
//! ```
#![deny(missing_docs)]

mod env;
mod factory;
mod h1;
mod http;
mod ids;
mod json_step;
mod key;
mod lanes;
mod limiter;
mod provider;
mod retry;
mod schema;
mod scripted;
mod types;
mod usage;

pub use env::ModelEnv;
pub use factory::{DEFAULT_TIMEOUT_SECS, HttpVersion, PROVIDERS, ProviderSpec, build_model, build_model_in};
pub use json_step::{JsonSteps, STEP_SCHEMA_NAME, TOOL_RESULTS_HEADER};
pub use types::*;
pub use usage::{UsageCounter, UsageSnapshot};
