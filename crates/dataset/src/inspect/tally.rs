//! Folding observations, in file order, into [`Figures`].
//!
//! The tally keeps counters, one 4-byte value per sample per distribution,
//! one entry per distinct request and per topic path, and the first few
//! examples of each kind: never a sample.

use std::collections::{BTreeMap, HashSet};

use super::InspectError;
use super::distribution::{Values, rate, round};
use super::examples::Picks;
use super::figures::{
    ArgumentProblem, Arguments, Characters, Consistency, DuplicateGroup, ErrorTypeCount, Errors,
    ExactDuplicates, FORMAT, Failures, Figures, NearDuplicates, NearGroup, Recovery, Requests, Tokens,
    ToolFigures, TopicCount, TopicFile, Topics,
};
use super::hash::FastMap;
use super::observe::{CallObservation, Observation};
use super::recovery::Rule;
use super::requests::{self, FirstSeen, Group, RequestIndex};

/// Joins the parts of a topic path in one key.
pub(crate) const TOPIC_SEPARATOR: char = '\u{1f}';

/// Argument problems listed.
const LISTED_PROBLEMS: usize = 10;
/// Duplicate groups listed, of each kind.
const LISTED_GROUPS: usize = 10;
/// Topic paths listed.
const LISTED_TOPICS: usize = 20;
/// Unused topic paths listed.
const LISTED_UNUSED: usize = 200;

#[derive(Default)]
struct ToolTally {
    calls: u64,
    succeeded: u64,
    invalid_arguments: u64,
    error_types: BTreeMap<String, u64>,
    latency_sum: u64,
    latencies: u64,
}

#[derive(Default)]
struct TopicTally {
    samples: u64,
    first_line: u64,
}

/// The running tally.
#[derive(Default)]
pub(crate) struct Tally {
    samples: u64,
    turns: Values,
    steps: Values,
    calls: Values,
    tokens: Values,
    characters: Values,
    request_characters: Values,
    prompt_tokens: u64,
    completion_tokens: u64,
    tools: FastMap<String, ToolTally>,
    /// Error type -> (calls, samples).
    error_types: FastMap<String, (u64, u64)>,
    errors: Errors,
    recovery: Recovery,
    requests: RequestIndex,
    /// By topic path, its parts joined by [`TOPIC_SEPARATOR`].
    topics: FastMap<String, TopicTally>,
    arguments: Arguments,
    consistency: Consistency,
    picks: Picks,
}

impl Tally {
    /// Samples folded in so far.
    pub(crate) fn samples(&self) -> u64 {
        self.samples
    }

    /// Folds in the next sample.
    pub(crate) fn add(&mut self, observation: Observation) {
        self.samples += 1;
        self.picks.consider(&observation);
        self.turns.push(observation.turns.into());
        self.steps.push(observation.steps.into());
        self.calls.push(observation.calls.len() as u64);
        let tokens = observation.tokens;
        self.prompt_tokens += tokens.prompt;
        self.completion_tokens += tokens.completion;
        self.tokens.push(tokens.prompt + tokens.completion);
        self.characters.push(observation.characters);
        self.request_characters.push(observation.request_characters);
        if !observation.consistent {
            self.consistency.samples_with_mismatched_calls += 1;
        }
        self.add_calls(
            observation.calls,
            observation.marked_recovered,
            (observation.sample_index, observation.at.number),
        );
        let topic = self
            .topics
            .entry(observation.topic)
            .or_insert_with(|| TopicTally { samples: 0, first_line: observation.at.number });
        topic.samples += 1;
        let seen = FirstSeen {
            line: observation.at.number,
            offset: observation.at.offset,
            sample_index: observation.sample_index,
        };
        self.requests.add(observation.request, seen);
    }

    /// Folds in the tally of another part of the file. The figures do not
    /// depend on how the file was split: sums add, values are sorted at the
    /// end, and what is kept of the first samples is kept by line number.
    pub(crate) fn merge(&mut self, other: Tally) {
        self.samples += other.samples;
        for (mine, theirs) in [
            (&mut self.turns, other.turns),
            (&mut self.steps, other.steps),
            (&mut self.calls, other.calls),
            (&mut self.tokens, other.tokens),
            (&mut self.characters, other.characters),
            (&mut self.request_characters, other.request_characters),
        ] {
            mine.extend(theirs);
        }
        self.prompt_tokens += other.prompt_tokens;
        self.completion_tokens += other.completion_tokens;
        for (name, theirs) in other.tools {
            self.tools.entry(name).or_default().merge(theirs);
        }
        for (name, (calls, samples)) in other.error_types {
            let mine = self.error_types.entry(name).or_default();
            mine.0 += calls;
            mine.1 += samples;
        }
        add_errors(&mut self.errors, &other.errors);
        add_recovery(&mut self.recovery, &other.recovery);
        self.requests.merge(other.requests);
        for (path, theirs) in other.topics {
            let mine =
                self.topics.entry(path).or_insert(TopicTally { samples: 0, first_line: theirs.first_line });
            mine.samples += theirs.samples;
            mine.first_line = mine.first_line.min(theirs.first_line);
        }
        add_arguments(&mut self.arguments, other.arguments);
        self.consistency.samples_with_mismatched_calls += other.consistency.samples_with_mismatched_calls;
        self.picks.merge(other.picks);
    }

    fn add_calls(&mut self, calls: Vec<CallObservation>, marked_recovered: bool, at: (u64, u64)) {
        let mut types_here: Vec<String> = Vec::new();
        let (mut failed, mut recovered) = (0, 0);
        self.errors.calls += calls.len() as u64;
        for call in calls {
            self.check_arguments(&call, at);
            let tool = self.tools.entry(call.tool).or_default();
            tool.calls += 1;
            if let Some(latency) = call.latency_us {
                tool.latency_sum += latency;
                tool.latencies += 1;
            }
            if call.arguments.is_wrong() {
                tool.invalid_arguments += 1;
            }
            if call.success {
                tool.succeeded += 1;
                continue;
            }
            failed += 1;
            let error_type = call.error_type.unwrap_or_else(|| "unknown".to_owned());
            *tool.error_types.entry(error_type.clone()).or_default() += 1;
            let entry = self.error_types.entry(error_type.clone()).or_default();
            entry.0 += 1;
            if !types_here.contains(&error_type) {
                entry.1 += 1;
                types_here.push(error_type);
            }
            if let Some(rule) = call.recovery {
                recovered += 1;
                let by_rule = &mut self.recovery.by_rule;
                match rule {
                    Rule::SameTool => by_rule.same_tool += 1,
                    Rule::SharedArgument => by_rule.shared_argument += 1,
                    Rule::Discovery => by_rule.discovery += 1,
                }
            }
        }
        self.errors.failed_calls += failed;
        self.recovery.failed_calls += failed;
        self.recovery.recovered_calls += recovered;
        if failed > 0 {
            self.errors.samples_with_error += 1;
            self.recovery.samples_with_error += 1;
            if recovered == failed {
                self.recovery.samples_fully_recovered += 1;
            }
        }
        if marked_recovered {
            self.recovery.samples_marked_recovered += 1;
        }
    }

    /// Counts a call's argument check; `at` is the sample's (index, line).
    fn check_arguments(&mut self, call: &CallObservation, (sample_index, line): (u64, u64)) {
        let arguments = &mut self.arguments;
        arguments.calls += 1;
        let Some(kind) = call.arguments.kind() else {
            arguments.valid += 1;
            return;
        };
        match kind {
            "invalid" => arguments.invalid += 1,
            "not_json" => arguments.not_json += 1,
            "unknown_tool" => arguments.unknown_tool += 1,
            _ => arguments.unchecked += 1,
        }
        if arguments.examples.len() < LISTED_PROBLEMS {
            arguments.examples.push(ArgumentProblem {
                sample_index,
                line,
                tool: call.tool.clone(),
                kind: kind.to_owned(),
                message: call.arguments.message(),
            });
        }
    }

    /// The figures, with the failures file's and, given a topics file's
    /// paths, its coverage. `request` reads back the request of the line at
    /// an offset (for the duplicate groups shown); the picked examples are
    /// handed back to be read.
    pub(crate) fn finish(
        self,
        failures: Failures,
        topic_file: Option<Vec<Vec<String>>>,
        request: &mut dyn FnMut(FirstSeen) -> Result<String, InspectError>,
    ) -> Result<(Figures, Picks), InspectError> {
        let samples = self.samples;
        let mut errors = self.errors;
        errors.share_of_samples_with_error = rate(errors.samples_with_error, samples);
        errors.types = error_types(self.error_types);
        let mut recovery = self.recovery;
        recovery.rate = rate(recovery.recovered_calls, recovery.failed_calls);
        let figures = Figures {
            format: FORMAT.to_owned(),
            samples,
            failures,
            turns: self.turns.finish(),
            steps: self.steps.finish(),
            calls: self.calls.finish(),
            tools: tools(self.tools),
            errors,
            recovery,
            requests: duplicates(self.requests, request)?,
            topics: topics(self.topics, topic_file),
            tokens: Tokens {
                prompt: self.prompt_tokens,
                completion: self.completion_tokens,
                total: self.prompt_tokens + self.completion_tokens,
                per_sample: self.tokens.finish(),
            },
            characters: Characters {
                per_sample: self.characters.finish(),
                request: self.request_characters.finish(),
            },
            arguments: self.arguments,
            consistency: self.consistency,
        };
        Ok((figures, self.picks))
    }
}

impl ToolTally {
    fn merge(&mut self, other: ToolTally) {
        self.calls += other.calls;
        self.succeeded += other.succeeded;
        self.invalid_arguments += other.invalid_arguments;
        for (error_type, n) in other.error_types {
            *self.error_types.entry(error_type).or_default() += n;
        }
        self.latency_sum += other.latency_sum;
        self.latencies += other.latencies;
    }
}

fn add_errors(mine: &mut Errors, other: &Errors) {
    mine.calls += other.calls;
    mine.failed_calls += other.failed_calls;
    mine.samples_with_error += other.samples_with_error;
}

fn add_recovery(mine: &mut Recovery, other: &Recovery) {
    mine.failed_calls += other.failed_calls;
    mine.recovered_calls += other.recovered_calls;
    mine.by_rule.same_tool += other.by_rule.same_tool;
    mine.by_rule.shared_argument += other.by_rule.shared_argument;
    mine.by_rule.discovery += other.by_rule.discovery;
    mine.samples_with_error += other.samples_with_error;
    mine.samples_fully_recovered += other.samples_fully_recovered;
    mine.samples_marked_recovered += other.samples_marked_recovered;
}

fn add_arguments(mine: &mut Arguments, other: Arguments) {
    mine.calls += other.calls;
    mine.valid += other.valid;
    mine.invalid += other.invalid;
    mine.not_json += other.not_json;
    mine.unknown_tool += other.unknown_tool;
    mine.unchecked += other.unchecked;
    mine.examples.extend(other.examples);
    // Stable: a sample's problems keep their order.
    mine.examples.sort_by_key(|p| p.line);
    mine.examples.truncate(LISTED_PROBLEMS);
}

fn tools(tools: FastMap<String, ToolTally>) -> Vec<ToolFigures> {
    let mut out: Vec<ToolFigures> = tools
        .into_iter()
        .map(|(name, t)| ToolFigures {
            name,
            calls: t.calls,
            succeeded: t.succeeded,
            failed: t.calls - t.succeeded,
            success_rate: rate(t.succeeded, t.calls),
            invalid_arguments: t.invalid_arguments,
            error_types: t.error_types,
            mean_latency_us: (t.latencies > 0).then(|| round(t.latency_sum as f64 / t.latencies as f64, 1)),
        })
        .collect();
    out.sort_by(|a, b| b.calls.cmp(&a.calls).then_with(|| a.name.cmp(&b.name)));
    out
}

fn error_types(types: FastMap<String, (u64, u64)>) -> Vec<ErrorTypeCount> {
    let mut out: Vec<ErrorTypeCount> = types
        .into_iter()
        .map(|(error_type, (calls, samples))| ErrorTypeCount { error_type, calls, samples })
        .collect();
    out.sort_by(|a, b| b.calls.cmp(&a.calls).then_with(|| a.error_type.cmp(&b.error_type)));
    out
}

fn duplicates(
    index: RequestIndex,
    request: &mut dyn FnMut(FirstSeen) -> Result<String, InspectError>,
) -> Result<Requests, InspectError> {
    let found = index.finish();
    let exact_samples: u64 = found.exact.iter().map(|g| g.samples).sum();
    let exact = ExactDuplicates {
        groups: found.exact.len() as u64,
        samples: exact_samples,
        redundant: exact_samples - found.exact.len() as u64,
        top: found
            .exact
            .iter()
            .take(LISTED_GROUPS)
            .map(|g| {
                let first = g.first.first().copied();
                Ok(DuplicateGroup {
                    request: first.map(&mut *request).transpose()?.unwrap_or_default(),
                    samples: g.samples,
                    sample_indices: g.sample_indices.clone(),
                })
            })
            .collect::<Result<_, InspectError>>()?,
    };
    let near = NearDuplicates {
        jaccard_threshold: requests::THRESHOLD,
        shingle_chars: requests::SHINGLE as u32,
        minhash_size: requests::SLOTS as u32,
        bands: requests::BANDS as u32,
        rows: requests::ROWS as u32,
        groups: found.near.len() as u64,
        requests: found.near.iter().map(|g| g.requests).sum(),
        samples: found.near.iter().map(|g| g.samples).sum(),
        top: found
            .near
            .iter()
            .take(LISTED_GROUPS)
            .map(|g| near_group(g, request))
            .collect::<Result<_, _>>()?,
    };
    Ok(Requests { distinct: found.distinct, exact_duplicates: exact, near_duplicates: near })
}

fn near_group(
    group: &Group,
    request: &mut dyn FnMut(FirstSeen) -> Result<String, InspectError>,
) -> Result<NearGroup, InspectError> {
    Ok(NearGroup {
        requests: group.requests,
        samples: group.samples,
        examples: group.first.iter().map(|&first| request(first)).collect::<Result<_, _>>()?,
        sample_indices: group.sample_indices.clone(),
    })
}

fn topics(tally: FastMap<String, TopicTally>, file: Option<Vec<Vec<String>>>) -> Topics {
    let tally: FastMap<Vec<String>, TopicTally> = tally
        .into_iter()
        .map(|(key, t)| (key.split(TOPIC_SEPARATOR).map(str::to_owned).collect(), t))
        .collect();
    let mut per_topic: Vec<u64> = tally.values().map(|t| t.samples).collect();
    let mut top: Vec<(&Vec<String>, &TopicTally)> = tally.iter().collect();
    top.sort_by_key(|(_, t)| (std::cmp::Reverse(t.samples), t.first_line));
    let file = file.map(|paths| {
        let used = paths.iter().filter(|p| tally.contains_key(*p)).count() as u64;
        let listed: HashSet<&Vec<String>> = paths.iter().collect();
        let off_file = tally.iter().filter(|(p, _)| !listed.contains(p)).map(|(_, t)| t.samples).sum();
        let unused: Vec<&Vec<String>> = paths.iter().filter(|p| !tally.contains_key(*p)).collect();
        TopicFile {
            paths: paths.len() as u64,
            used,
            unused: unused.len() as u64,
            coverage: rate(used, paths.len() as u64),
            unused_paths: unused.into_iter().take(LISTED_UNUSED).cloned().collect(),
            samples_off_file: off_file,
        }
    });
    Topics {
        distinct: tally.len() as u64,
        samples_per_topic: super::distribution::distribution(&mut per_topic),
        top: top
            .into_iter()
            .take(LISTED_TOPICS)
            .map(|(path, t)| TopicCount { path: path.clone(), samples: t.samples })
            .collect(),
        file,
    }
}
