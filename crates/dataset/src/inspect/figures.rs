//! What `weft inspect` measures, in the shape `--json` prints.
//!
//! The shape is stable: fields are added, never renamed or removed, within
//! one [`Figures::format`] (`weft-inspect/1`). Counts are exact. Rates are
//! fractions in `[0, 1]` rounded to 4 decimals, and `null` where the
//! denominator is zero (a recovery rate with no failed call). A
//! [`Distribution`] holds exact order statistics of one per-sample value.
//! Lists named `top` are cut to their first entries (the longest or most
//! frequent first, then in file order); the counts beside them are not.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The format tag of this shape.
pub const FORMAT: &str = "weft-inspect/1";

/// Everything `weft inspect` reports about one dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// [`FORMAT`].
    pub format: String,
    /// Samples in the dataset (non-blank lines).
    pub samples: u64,
    /// Records of the failures file beside the dataset.
    pub failures: Failures,
    /// User turns per sample (`metadata.turns`).
    pub turns: Distribution,
    /// Model calls of the agent loop per sample (`metadata.steps`).
    pub steps: Distribution,
    /// Executed tool calls per sample (counted in `messages`).
    pub calls: Distribution,
    /// Per tool, most called first (ties by name).
    pub tools: Vec<ToolFigures>,
    /// Failed calls and their error types.
    pub errors: Errors,
    /// How often a failed call was followed by one that addresses it.
    pub recovery: Recovery,
    /// Duplicate and near-duplicate user requests.
    pub requests: Requests,
    /// Topic paths the samples were made from.
    pub topics: Topics,
    /// Token counts (`metadata.tokens`).
    pub tokens: Tokens,
    /// Text lengths, in Unicode scalar values.
    pub characters: Characters,
    /// Every call's arguments checked against its tool's JSON Schema.
    pub arguments: Arguments,
    /// Samples whose metadata disagrees with their messages.
    pub consistency: Consistency,
}

/// Order statistics of one value per sample. Percentiles are nearest-rank:
/// `p50` is the smallest value that at least half the samples do not
/// exceed. All zero, with no bins, when there are no samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Distribution {
    /// How many values.
    pub count: u64,
    /// Their sum.
    pub sum: u64,
    /// Smallest.
    pub min: u64,
    /// Median (nearest rank).
    pub p50: u64,
    /// 90th percentile (nearest rank).
    pub p90: u64,
    /// Largest.
    pub max: u64,
    /// Mean, rounded to 2 decimals.
    pub mean: f64,
    /// Consecutive bins covering `min..=max`: one per value when there are
    /// at most 20 values in that range, else equal widths of 1, 2 or 5
    /// times a power of ten.
    pub histogram: Vec<Bin>,
}

/// One histogram bin: values `from..=to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bin {
    /// Smallest value in the bin.
    pub from: u64,
    /// Largest value in the bin.
    pub to: u64,
    /// Values that fall in it.
    pub count: u64,
}

/// The failures file (`<dataset>.failures.jsonl`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Failures {
    /// Whether the file exists.
    pub present: bool,
    /// Records in it.
    pub count: u64,
    /// Samples over samples plus failures: the share of attempted samples
    /// that made it into the dataset.
    pub yield_rate: Option<f64>,
    /// Records grouped by reason, most frequent first (at most 50 groups).
    pub reasons: Vec<FailureReason>,
}

/// Failure records whose reasons match once numbers and `quoted` parts are
/// masked (`message 3 makes 5 tool calls` and `message 7 makes 6 tool
/// calls` are one reason, `message # makes # tool calls`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailureReason {
    /// The masked reason.
    pub reason: String,
    /// Records with it.
    pub count: u64,
    /// The first record's reason, unmasked.
    pub example: String,
    /// The first records' `sample_index` (at most 5).
    pub sample_indices: Vec<u64>,
}

/// One tool's calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolFigures {
    /// The tool.
    pub name: String,
    /// Executed calls.
    pub calls: u64,
    /// Calls that succeeded.
    pub succeeded: u64,
    /// Calls that failed.
    pub failed: u64,
    /// `succeeded / calls`.
    pub success_rate: Option<f64>,
    /// Calls whose arguments violate the tool's schema, are not JSON, or
    /// name a tool the sample does not offer.
    pub invalid_arguments: u64,
    /// Failed calls by error type.
    pub error_types: BTreeMap<String, u64>,
    /// Mean `latency_us` over the calls that have one.
    pub mean_latency_us: Option<f64>,
}

/// Failed calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Errors {
    /// Executed calls.
    pub calls: u64,
    /// Calls that failed.
    pub failed_calls: u64,
    /// Samples with at least one failed call.
    pub samples_with_error: u64,
    /// `samples_with_error / samples`.
    pub share_of_samples_with_error: Option<f64>,
    /// By error type, most frequent first (ties by name).
    pub types: Vec<ErrorTypeCount>,
}

/// One error type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorTypeCount {
    /// E.g. `FileNotFound`; `unknown` for a failed call without one.
    pub error_type: String,
    /// Calls that failed with it.
    pub calls: u64,
    /// Samples with at least one such call.
    pub samples: u64,
}

/// Recovery: a failed call is *recovered* when a later call of the same
/// sample succeeded and addresses it, by the first of these rules that
/// holds for the earliest such call:
///
/// 1. `same_tool` — it calls the same tool (a retry or a corrected call);
/// 2. `shared_argument` — its arguments share a string value with the
///    failed call's (compared trimmed, without leading `./` or `/`), such as
///    the same path: a `write_file` creating the file a `read_file` missed;
/// 3. `discovery` — the failure was a not-found (its error type contains
///    `NotFound`) and the very next call is a discovery tool (its name has a
///    `_`-separated word `list`, `search`, `find`, `glob` or `ls`).
///
/// `rate = recovered_calls / failed_calls`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Recovery {
    /// Calls that failed.
    pub failed_calls: u64,
    /// Of those, calls recovered.
    pub recovered_calls: u64,
    /// `recovered_calls / failed_calls`.
    pub rate: Option<f64>,
    /// Recovered calls by the rule that recovered them.
    pub by_rule: RecoveryRules,
    /// Samples with at least one failed call.
    pub samples_with_error: u64,
    /// Of those, samples where every failed call was recovered.
    pub samples_fully_recovered: u64,
    /// Samples whose `metadata.recovered` says so (weft's looser flag: a
    /// failed call followed by any successful one).
    pub samples_marked_recovered: u64,
}

/// Recovered calls per rule (see [`Recovery`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct RecoveryRules {
    /// Recovered by a later call of the same tool.
    pub same_tool: u64,
    /// Recovered by a later call sharing an argument value.
    pub shared_argument: u64,
    /// Recovered by a discovery call right after a not-found.
    pub discovery: u64,
}

/// The user requests (each sample's `question`).
///
/// A request is *normalised* by lowercasing it and turning every run of
/// characters that are not letters or digits into one space (trimmed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Requests {
    /// Distinct normalised requests.
    pub distinct: u64,
    /// Samples whose normalised request equals another's.
    pub exact_duplicates: ExactDuplicates,
    /// Distinct requests that are near-duplicates of another.
    pub near_duplicates: NearDuplicates,
}

/// Groups of samples with the same normalised request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ExactDuplicates {
    /// Groups of two or more samples.
    pub groups: u64,
    /// Samples in those groups.
    pub samples: u64,
    /// Samples a dedupe keeping the first of each group would drop
    /// (`samples - groups`).
    pub redundant: u64,
    /// The largest groups (at most 10).
    pub top: Vec<DuplicateGroup>,
}

/// One group of duplicate requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicateGroup {
    /// The first sample's request, as written.
    pub request: String,
    /// Samples in the group.
    pub samples: u64,
    /// The first samples' `sample_index` (at most 5).
    pub sample_indices: Vec<u64>,
}

/// Near-duplicates: distinct normalised requests whose sets of character
/// `shingle_chars`-grams have an estimated Jaccard similarity of at least
/// `jaccard_threshold`, joined transitively into groups.
///
/// The estimate is a one-permutation MinHash of `minhash_size` slots;
/// candidate pairs come from locality-sensitive hashing with `bands` bands
/// of `rows` slots and are kept when their slots agree on at least the
/// threshold's share. Like any LSH this is approximate: a pair just above
/// the threshold can be missed (at Jaccard 0.8 a pair is a candidate with
/// probability 0.99, at 0.9 with 0.99998; at 0.5 with 0.32, and then
/// refused by the estimate).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NearDuplicates {
    /// Smallest estimated Jaccard similarity of a near-duplicate pair.
    pub jaccard_threshold: f64,
    /// Shingle length in characters.
    pub shingle_chars: u32,
    /// MinHash slots per request.
    pub minhash_size: u32,
    /// LSH bands.
    pub bands: u32,
    /// Slots per band.
    pub rows: u32,
    /// Groups of two or more distinct requests.
    pub groups: u64,
    /// Distinct requests in those groups.
    pub requests: u64,
    /// Samples whose request is in one of them.
    pub samples: u64,
    /// The largest groups, by samples (at most 10).
    pub top: Vec<NearGroup>,
}

/// One group of near-duplicate requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NearGroup {
    /// Distinct requests in the group.
    pub requests: u64,
    /// Samples in the group.
    pub samples: u64,
    /// The first distinct requests, as written (at most 3).
    pub examples: Vec<String>,
    /// The `sample_index` of each example.
    pub sample_indices: Vec<u64>,
}

/// Topic coverage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Topics {
    /// Distinct `metadata.topic_path`s.
    pub distinct: u64,
    /// Samples per distinct topic path.
    pub samples_per_topic: Distribution,
    /// The most used topic paths (at most 20).
    pub top: Vec<TopicCount>,
    /// Against the topics file given with `--topics`.
    pub file: Option<TopicFile>,
}

/// One topic path and its samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicCount {
    /// Root first.
    pub path: Vec<String>,
    /// Samples made from it.
    pub samples: u64,
}

/// Coverage of a topics file (a tree's JSONL or a graph's JSON; a graph's
/// topic paths are its root-to-leaf paths).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TopicFile {
    /// Distinct topic paths in the file.
    pub paths: u64,
    /// Of those, paths at least one sample was made from.
    pub used: u64,
    /// Of those, paths no sample was made from.
    pub unused: u64,
    /// `used / paths`.
    pub coverage: Option<f64>,
    /// The unused paths, in file order (at most 200).
    pub unused_paths: Vec<Vec<String>>,
    /// Samples whose topic path is not in the file.
    pub samples_off_file: u64,
}

/// Token counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Tokens {
    /// Prompt tokens over all samples.
    pub prompt: u64,
    /// Completion tokens over all samples.
    pub completion: u64,
    /// `prompt + completion`.
    pub total: u64,
    /// Prompt plus completion tokens per sample.
    pub per_sample: Distribution,
}

/// Text lengths.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Characters {
    /// Characters of all message contents of a sample (system, user,
    /// assistant and tool messages; not tool-call arguments).
    pub per_sample: Distribution,
    /// Characters of the user request (`question`).
    pub request: Distribution,
}

/// Argument validity: each executed call's `arguments` text parsed as JSON
/// (blank or `null` counts as `{}`) and checked against the JSON Schema of
/// the tool of that name in the sample's own `tools` (`function.parameters`,
/// or `parameters` / `inputSchema` of a bare definition; a tool without one
/// accepts anything).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Arguments {
    /// Calls checked.
    pub calls: u64,
    /// Valid against the schema.
    pub valid: u64,
    /// Parsed, but violating the schema.
    pub invalid: u64,
    /// Not JSON.
    pub not_json: u64,
    /// Naming a tool the sample does not offer.
    pub unknown_tool: u64,
    /// Not checked: the tool's schema is not a valid JSON Schema.
    pub unchecked: u64,
    /// The first problems (at most 10).
    pub examples: Vec<ArgumentProblem>,
}

/// One call whose arguments are wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArgumentProblem {
    /// The sample's `metadata.sample_index`.
    pub sample_index: u64,
    /// Its line in the dataset (1-based).
    pub line: u64,
    /// The tool called.
    pub tool: String,
    /// `invalid`, `not_json`, `unknown_tool` or `unchecked`.
    pub kind: String,
    /// What is wrong, e.g. `/file_path: missing required property`.
    pub message: String,
}

/// Samples whose metadata disagrees with their messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Consistency {
    /// Samples whose `metadata.calls` does not list the calls of
    /// `messages` one for one by name (the outcome of an unlisted call is
    /// taken as a success), or whose `metadata.tool_calls` differs from the
    /// count.
    pub samples_with_mismatched_calls: u64,
}
