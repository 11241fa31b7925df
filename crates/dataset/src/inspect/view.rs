//! The parts of a sample line that `inspect` reads, borrowed from the line
//! where the JSON text allows (strings without escapes), and the calls of
//! a sample as one list of [`CallRecord`]s.
//!
//! The fields read are required as [`crate::sample::Sample`] requires
//! them; `reasoning`, `tool_context` and the rest are skipped unread.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::sample::{Sample, TokenCount};

/// One sample line.
#[derive(Debug, Deserialize)]
pub(crate) struct SampleView<'a> {
    #[serde(borrow)]
    pub messages: Vec<MessageView<'a>>,
    #[serde(borrow)]
    pub metadata: MetadataView<'a>,
    /// Kept as text: compiled schemas are cached by it.
    #[serde(default, borrow)]
    pub tools: Option<&'a RawValue>,
    #[serde(borrow)]
    pub question: Cow<'a, str>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct MessageView<'a> {
    /// Only its length is needed: counted as it is read, never copied.
    #[serde(default)]
    pub content: Option<CharCount>,
    #[serde(default, borrow)]
    pub tool_calls: Option<Vec<CallView<'a>>>,
}

/// The length of a JSON string in characters (Unicode scalar values),
/// taken from the parser's buffer: an escaped string is not copied out.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CharCount(pub u64);

impl<'de> Deserialize<'de> for CharCount {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Count;
        impl serde::de::Visitor<'_> for Count {
            type Value = CharCount;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<CharCount, E> {
                Ok(CharCount(text.chars().count() as u64))
            }
        }
        deserializer.deserialize_str(Count)
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct CallView<'a> {
    #[serde(borrow)]
    pub function: FunctionView<'a>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct FunctionView<'a> {
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    #[serde(borrow)]
    pub arguments: Cow<'a, str>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct MetadataView<'a> {
    #[serde(borrow)]
    pub topic_path: Vec<Cow<'a, str>>,
    pub sample_index: u64,
    pub steps: u32,
    pub turns: u32,
    pub tool_calls: u32,
    pub recovered: bool,
    #[serde(borrow)]
    pub calls: Vec<CallMetaView<'a>>,
    pub tokens: TokenCount,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CallMetaView<'a> {
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    pub success: bool,
    #[serde(default, borrow)]
    pub error_type: Option<Cow<'a, str>>,
    #[serde(default)]
    pub latency_us: Option<u64>,
}

/// One executed call: what `messages` says was called, with the outcome
/// `metadata.calls` records for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CallRecord<'s> {
    pub name: &'s str,
    pub arguments: &'s str,
    pub success: bool,
    pub error_type: Option<&'s str>,
    pub latency_us: Option<u64>,
}

/// Calls of a sample, and whether its metadata lists them one for one.
pub(crate) struct Calls<'s> {
    pub records: Vec<CallRecord<'s>>,
    pub consistent: bool,
}

/// Pairs the `n`-th call of the messages with the `n`-th entry of
/// `metadata.calls`. A call without an entry is taken as a success; a
/// differing count or name makes the sample inconsistent.
fn pair<'s>(
    called: impl Iterator<Item = (&'s str, &'s str)>,
    outcomes: &[(&'s str, bool, Option<&'s str>, Option<u64>)],
    declared_count: u32,
) -> Calls<'s> {
    let mut consistent = true;
    let mut records = Vec::with_capacity(outcomes.len());
    for (index, (name, arguments)) in called.enumerate() {
        let record = match outcomes.get(index) {
            Some(&(listed, success, error_type, latency_us)) => {
                consistent &= listed == name;
                CallRecord { name, arguments, success, error_type, latency_us }
            }
            None => {
                consistent = false;
                CallRecord { name, arguments, success: true, error_type: None, latency_us: None }
            }
        };
        records.push(record);
    }
    consistent &= records.len() == outcomes.len() && records.len() == declared_count as usize;
    Calls { records, consistent }
}

impl<'a> SampleView<'a> {
    /// The sample's calls in execution order.
    pub(crate) fn calls(&self) -> Calls<'_> {
        let called = self
            .messages
            .iter()
            .flat_map(|m| m.tool_calls.iter().flatten())
            .map(|c| (c.function.name.as_ref(), c.function.arguments.as_ref()));
        let outcomes: Vec<_> = self
            .metadata
            .calls
            .iter()
            .map(|c| (c.name.as_ref(), c.success, c.error_type.as_deref(), c.latency_us))
            .collect();
        pair(called, &outcomes, self.metadata.tool_calls)
    }
}

/// The calls of a parsed [`Sample`], as [`SampleView::calls`] gives them.
pub(crate) fn sample_calls(sample: &Sample) -> Calls<'_> {
    let called = sample
        .messages
        .iter()
        .flat_map(|m| m.tool_calls.iter().flatten())
        .map(|c| (c.function.name.as_str(), c.function.arguments.as_str()));
    let outcomes: Vec<_> = sample
        .metadata
        .calls
        .iter()
        .map(|c| (c.name.as_str(), c.success, c.error_type.as_deref(), c.latency_us))
        .collect();
    pair(called, &outcomes, sample.metadata.tool_calls)
}
