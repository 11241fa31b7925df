//! Custom records (`output.format: custom`, DeepFabric 4.13): each sample
//! is one structured reply that follows the config's
//! `generation.output_schema`, not a conversation.
//!
//! The model is asked for the record with the schema as its structured
//! output format (providers that enforce schemas decode into it); what it
//! answers is then checked here against the schema — a reply that is not
//! JSON, not an object or breaks the schema is an attempt that failed, and
//! the next attempt carries the reason as feedback. A sample that fails
//! every attempt is recorded with its reasons, never written.

use std::sync::Arc;

use serde_json::Value;
use sha2::{Digest, Sha256};
use weft_dataset::sample::{CustomRecord, RecordMetadata, TokenCount};
use weft_llm::{ChatModel, ChatRequest, Message, Purpose, ResponseSchema};
use weft_tools::validate::Validator;

use crate::config::Config;
use crate::progress::{Event, ProgressSink};
use crate::session::SampleJob;
use crate::writer::FailureRecord;

/// What every record of a run shares.
#[derive(Clone)]
pub struct RecordContext {
    /// The model that writes records.
    pub model: Arc<dyn ChatModel>,
    /// The schema, as the config gives it.
    pub schema: Value,
    /// The schema, compiled.
    pub validator: Validator,
    /// SHA-256 of the schema's JSON, hex.
    pub schema_sha256: String,
    /// The system prompt (with the instructions).
    pub system_prompt: String,
    /// Retries of a record that failed, with the reason as feedback.
    pub retries: u32,
    /// Where events go.
    pub progress: ProgressSink,
}

/// Why a record context cannot be made.
#[derive(Debug, thiserror::Error)]
#[error("generation.output_schema: {0}")]
pub struct SchemaError(String);

impl RecordContext {
    /// The context `config` describes; `None` when it asks for conversations.
    pub fn from_config(
        config: &Config,
        model: Arc<dyn ChatModel>,
        progress: ProgressSink,
    ) -> Result<Option<Self>, SchemaError> {
        let generation = &config.generation;
        let Some(schema) = generation.output_schema.clone() else {
            return Ok(None);
        };
        let validator =
            Validator::compile("output_schema", &schema).map_err(|err| SchemaError(err.to_string()))?;
        let schema_sha256 =
            Sha256::digest(schema.to_string().as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect();
        let mut system_prompt = generation.system_prompt.trim().to_owned();
        if !generation.instructions.trim().is_empty() {
            system_prompt.push_str("\n\n");
            system_prompt.push_str(generation.instructions.trim());
        }
        Ok(Some(Self {
            model,
            schema,
            validator,
            schema_sha256,
            system_prompt,
            retries: generation.sample_retries,
            progress,
        }))
    }
}

/// Makes one record: attempts until one follows the schema or the retries
/// run out.
pub async fn make_record(ctx: &RecordContext, job: &SampleJob) -> Result<CustomRecord, FailureRecord> {
    let mut errors: Vec<String> = Vec::new();
    let attempts = ctx.retries + 1;
    for number in 0..attempts {
        let feedback = errors.last().map(String::as_str);
        match attempt(ctx, job, number, feedback).await {
            Ok((record, tokens)) => {
                return Ok(CustomRecord {
                    record,
                    metadata: RecordMetadata {
                        conversation_type: "custom".to_owned(),
                        topic_id: job.path.id.clone(),
                        topic_path: job.path.topics.clone(),
                        sample_index: job.index,
                        provider: ctx.model.provider().to_owned(),
                        model: ctx.model.model().to_owned(),
                        schema_sha256: ctx.schema_sha256.clone(),
                        tokens,
                        attempts: number + 1,
                    },
                });
            }
            Err(reason) => {
                if number + 1 < attempts {
                    (ctx.progress)(Event::SampleRetried {
                        sample: job.index,
                        attempt: number + 1,
                        reason: reason.clone(),
                    });
                }
                errors.push(reason);
            }
        }
    }
    Err(FailureRecord::of(job, attempts, errors))
}

/// One attempt: the record and what it cost, or why it is refused.
async fn attempt(
    ctx: &RecordContext,
    job: &SampleJob,
    number: u32,
    feedback: Option<&str>,
) -> Result<(Value, TokenCount), String> {
    let mut prompt = format!("Topic path: {}\n", job.path.topics.join(" -> "));
    if job.reuse > 0 || number > 0 {
        prompt.push_str(&format!(
            "Variation {}-{number}: make this record differ from other records on this topic.\n",
            job.reuse
        ));
    }
    if let Some(feedback) = feedback {
        prompt.push_str(&format!("An earlier answer was refused: {feedback}. Do not repeat that.\n"));
    }
    prompt.push_str(
        "Write one JSON object about this topic that follows the given JSON Schema, with every required \
         field filled in accurately. Answer with the JSON object only.",
    );
    let mut messages = Vec::new();
    if !ctx.system_prompt.is_empty() {
        messages.push(Message::system(ctx.system_prompt.clone()));
    }
    messages.push(Message::user(prompt));
    let request = ChatRequest {
        messages,
        response_schema: Some(ResponseSchema { name: "record".to_owned(), schema: ctx.schema.clone() }),
        purpose: Purpose::Record,
        ..ChatRequest::default()
    };
    let reply = ctx.model.chat(&request).await.map_err(|err| err.to_string())?;
    let tokens = TokenCount { prompt: reply.usage.prompt_tokens, completion: reply.usage.completion_tokens };
    let record = decode(&reply.content)?;
    ctx.validator.validate(&record).map_err(|err| format!("the record breaks the schema: {err}"))?;
    Ok((record, tokens))
}

/// The JSON object in a reply: the whole reply, or the body of one fenced
/// code block (models without a JSON mode wrap their answer in one).
pub fn decode(reply: &str) -> Result<Value, String> {
    let text = reply.trim();
    let body = fenced(text).unwrap_or(text);
    if body.is_empty() {
        return Err("the model answered nothing".to_owned());
    }
    let value: Value = serde_json::from_str(body).map_err(|err| format!("the answer is not JSON ({err})"))?;
    if !value.is_object() {
        return Err("the answer is JSON but not an object".to_owned());
    }
    Ok(value)
}

/// The body of `text` when it is exactly one fenced code block.
fn fenced(text: &str) -> Option<&str> {
    let inner = text.strip_prefix("```")?.strip_suffix("```")?;
    let newline = inner.find('\n')?;
    let label = inner[..newline].trim();
    if !label.is_empty() && !label.eq_ignore_ascii_case("json") {
        return None;
    }
    Some(inner[newline + 1..].trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_bare_and_fenced_objects_only() {
        assert_eq!(decode(" {\"a\": 1} "), Ok(serde_json::json!({"a": 1})));
        assert_eq!(decode("```json\n{\"a\": 1}\n```"), Ok(serde_json::json!({"a": 1})));
        assert_eq!(decode("```\n{\"a\": 1}\n```"), Ok(serde_json::json!({"a": 1})));
        assert!(decode("```python\n{\"a\": 1}\n```").is_err());
        assert!(decode("[1, 2]").unwrap_err().contains("not an object"));
        assert!(decode("Sure! {\"a\": 1}").unwrap_err().contains("not JSON"));
        assert!(decode("  ").unwrap_err().contains("nothing"));
    }
}
