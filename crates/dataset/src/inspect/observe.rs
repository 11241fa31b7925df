//! Everything `inspect` needs of one sample line, computed where the line
//! is parsed (on a worker thread) so that folding it in is cheap.

use super::arguments::{ArgumentCheck, SchemaCache, parse_arguments};
use super::recovery::{CallFacts, Rule, argument_values, recoveries};
use super::requests::{RequestPrint, print};
use super::view::{CallRecord, SampleView};
use crate::sample::TokenCount;

/// Where a line is in the dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LineAt {
    /// 1-based line number.
    pub number: u64,
    /// Byte offset of the line's start.
    pub offset: u64,
}

/// One sample, measured.
#[derive(Debug)]
pub(crate) struct Observation {
    pub at: LineAt,
    pub sample_index: u64,
    pub turns: u32,
    pub steps: u32,
    pub tokens: TokenCount,
    pub characters: u64,
    pub request_characters: u64,
    /// The topic path, parts joined by [`super::tally::TOPIC_SEPARATOR`].
    pub topic: String,
    pub request: RequestPrint,
    pub calls: Vec<CallObservation>,
    pub marked_recovered: bool,
    pub consistent: bool,
}

/// One executed call, measured.
#[derive(Debug)]
pub(crate) struct CallObservation {
    pub tool: String,
    pub success: bool,
    pub error_type: Option<String>,
    pub latency_us: Option<u64>,
    pub arguments: ArgumentCheck,
    /// For a failed call: how it was recovered, if it was.
    pub recovery: Option<Rule>,
}

impl Observation {
    /// Calls that failed.
    pub(crate) fn failed_calls(&self) -> impl Iterator<Item = &CallObservation> {
        self.calls.iter().filter(|c| !c.success)
    }
}

/// Parses and measures one line. `Err` is what is wrong with it.
pub(crate) fn observe(line: &[u8], at: LineAt, schemas: &mut SchemaCache) -> Result<Observation, String> {
    let text = std::str::from_utf8(line).map_err(|err| format!("not UTF-8: {err}"))?;
    let sample: SampleView<'_> = serde_json::from_str(text).map_err(|err| {
        if serde_json::from_str::<crate::sample::CustomRecord>(text).is_ok() {
            "a custom record (output.format: custom), not a conversation: inspect measures conversations"
                .to_owned()
        } else {
            format!("not a weft sample: {err}")
        }
    })?;
    let characters = sample.messages.iter().filter_map(|m| m.content).map(|c| c.0).sum();
    let calls = sample.calls();
    Ok(Observation {
        at,
        sample_index: sample.metadata.sample_index,
        turns: sample.metadata.turns,
        steps: sample.metadata.steps,
        tokens: sample.metadata.tokens,
        characters,
        request_characters: char_count(&sample.question),
        topic: topic_key(&sample.metadata.topic_path),
        request: print(&sample.question),
        calls: measure_calls(&calls.records, sample.tools.map(|t| t.get()), schemas),
        marked_recovered: sample.metadata.recovered,
        consistent: calls.consistent,
    })
}

fn topic_key(path: &[std::borrow::Cow<'_, str>]) -> String {
    let mut key = String::with_capacity(path.iter().map(|p| p.len() + 1).sum());
    for (i, part) in path.iter().enumerate() {
        if i > 0 {
            key.push(super::tally::TOPIC_SEPARATOR);
        }
        key.push_str(part);
    }
    key
}

fn char_count(text: &str) -> u64 {
    text.chars().count() as u64
}

/// Checks each call's arguments (against `tools`, the sample's tools as
/// JSON text) and which failed calls were recovered.
pub(crate) fn measure_calls(
    records: &[CallRecord<'_>],
    tools: Option<&str>,
    schemas: &mut SchemaCache,
) -> Vec<CallObservation> {
    let schemas = schemas.get(tools.unwrap_or("[]"));
    let parsed: Vec<_> = records.iter().map(|r| parse_arguments(r.arguments)).collect();
    let facts: Vec<CallFacts<'_>> = records
        .iter()
        .zip(&parsed)
        .map(|(r, args)| CallFacts {
            name: r.name,
            success: r.success,
            error_type: r.error_type,
            values: args.as_ref().map(argument_values).unwrap_or_default(),
        })
        .collect();
    let recovered = recoveries(&facts);
    records
        .iter()
        .zip(&parsed)
        .zip(recovered)
        .map(|((record, args), recovery)| CallObservation {
            tool: record.name.to_owned(),
            success: record.success,
            error_type: record.error_type.map(str::to_owned),
            latency_us: record.latency_us,
            arguments: schemas.check(record.name, args),
            recovery,
        })
        .collect()
}
